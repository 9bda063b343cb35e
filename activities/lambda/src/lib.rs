//! `stepwise-lambda`: the Lambda artifact. Its `bootstrap` binary serves every activity
//! (the function's handler names which), and [`all`] is the one place that lists them:
//! a new pipeline crate registers its activities here and nowhere else.
//!
//! The CLI and the tests use [`all`] too, so a local run calls exactly the activities a
//! deployment serves. This crate holds no activity of its own.

use stepwise_runtime::Registry;

/// Every activity of the project.
pub fn all() -> Registry {
    let registry = stepwise_examples::register(Registry::new());
    let registry = stepwise_daily_sales_export::register(registry);
    let registry = stepwise_group_images::register(registry);
    let registry = stepwise_product_sold_sync::register(registry);
    stepwise_vector_ingest::register(registry)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_pipeline_is_registered() {
        let names = all().names();
        for name in [
            "ValidateOrder",
            "PriceLine",
            "SummariseOrder",
            "LoadConfig",
            "QuerySales",
            "EmbedImage",
            "WritePartition",
            "RecordProgress",
            "LoadGroupImagesConfig",
            "FetchEmbeddings",
            "MakeThumbnail",
            "EmbedGroupImage",
            "ClusterImages",
            "Prepare",
            "WriteLakeObject",
            "PlanCompaction",
            "CompactPartition",
            "CommitCompaction",
            "DeleteCommitted",
            "EnsureIndex",
            "PlanIngest",
            "IngestVectors",
            "RecordIngestProgress",
            "SimilarProducts",
        ] {
            assert!(names.contains(&name), "{name} missing from {names:?}");
        }
        assert_eq!(names.len(), 24, "{names:?}");
    }
}
