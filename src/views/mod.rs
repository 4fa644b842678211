//! Views: csysdig-style tables defined as data (`views/*.toml`), the
//! aggregation engine that turns events into rows, and the headless
//! `-j`/`--raw` output.
//!
//! ```text
//! let views = views::load_all(views::default_user_dir().as_deref())?;
//! let mut agg = views::Aggregator::new(views::find(&views, "procs")?, None)?;
//! // for each event, after state.process(): agg.add(&ctx);
//! agg.add_thread_table(&state, last_ts, &opts);   // end of sample
//! let table = agg.table(interval_ns);
//! agg.clear();
//! ```

pub mod def;
pub mod engine;
pub mod headless;
pub mod json;
pub mod table;

pub use def::{
    builtin, default_user_dir, drilldown_target, find, load_all, ActionDef, Aggregation, ColumnDef,
    ViewDef, ViewError, ViewType,
};
pub use engine::{Aggregator, CellValue};
pub use table::{
    drilldown_filter, drilldown_key_field, filter_template, format_bytes, format_cell, format_time,
    Cell, ColumnInfo, Row, Table,
};
