//! Filter compilation (AST → predicate tree). Placeholder until the parser lands.

use super::fields::Ctx;

#[derive(Debug, thiserror::Error)]
#[error("filter: {0}")]
pub struct FilterError(pub String);

#[derive(Debug)]
pub struct Filter;

impl Filter {
    pub fn compile(text: &str) -> Result<Filter, FilterError> {
        Err(FilterError(format!(
            "filters are not supported yet: {text}"
        )))
    }
    pub fn matches(&self, _c: &Ctx<'_>) -> bool {
        true
    }
}
