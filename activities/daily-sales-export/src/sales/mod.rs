//! What the daily-sales-export activities share: the sale record, the export request and
//! window, the S3 key layout, and the embedding vector format.
//!
//! Everything that more than one activity (or the workflow) must agree on lives here, so
//! a key or a field is spelled once. No I/O happens in this module.

mod keys;
mod window;

pub use keys::{embeddings_prefix, manifest_key, run_prefix, vector_key};
pub use stepwise_lake::Sale;
pub use window::{ExportRequest, ExportWindow, export_window};
