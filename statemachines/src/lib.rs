//! `statemachines`: the workflow descriptions, one module per workflow.
//!
//! Each module exposes a function returning a [`Workflow`]; [`all`] lists them for
//! `stepwise generate`, which writes `generated/` (committed, checked for drift with
//! `stepwise generate --check`).

pub mod daily_sales_export;
pub mod example_orders;
pub mod group_images;
pub mod product_sold_sync;
pub mod product_sold_sync_compaction;
pub mod vector_ingest;

use codegen::workflow::Workflow;

/// Every workflow of the project, in a stable order.
pub fn all() -> Vec<Workflow> {
    vec![
        daily_sales_export::workflow(),
        example_orders::workflow(),
        group_images::workflow(),
        product_sold_sync::workflow(),
        product_sold_sync_compaction::workflow(),
        vector_ingest::workflow(),
    ]
}

/// The workflow called `name`.
pub fn find(name: &str) -> Option<Workflow> {
    all().into_iter().find(|w| w.name() == name)
}

/// The names of every workflow.
pub fn names() -> Vec<String> {
    all().iter().map(|w| w.name().to_string()).collect()
}
