//! The csysdig-class terminal UI.

/// `syspect [OPTIONS] [FILTER]`: the interactive explorer.
pub fn cli_main(_args: Vec<String>) -> anyhow::Result<()> {
    Err(
        crate::cli::UsageError("the interactive UI is not built yet; use `syspect dig`".into())
            .into(),
    )
}
