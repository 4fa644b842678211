// Included by tests/common/mod.rs and by xtask (`dist`'s training), so
// that both find the captures the same way.

/// Every capture file under `dir` at any depth (names holding `.scap`:
/// plain and gzip), sorted; empty when `dir` cannot be read.
pub fn scap_files(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    fn walk(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
        let Ok(rd) = std::fs::read_dir(dir) else {
            return;
        };
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(&p, out);
            } else if p.to_string_lossy().contains(".scap") {
                out.push(p);
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, &mut out);
    out.sort();
    out
}
