fn main() {
    std::process::exit(syspect::cli::main());
}
