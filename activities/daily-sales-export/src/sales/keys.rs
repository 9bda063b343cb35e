//! The S3 key layout of the export's staging area (per run, per sale); the lake's keys
//! are [`stepwise_lake::partition_key`].

use chrono::NaiveDate;
use stepwise_lake::join_prefix as join;

/// The staging prefix of one run: `<staging>/runs/<export_date>/<run_id>/`.
pub fn run_prefix(staging_prefix: &str, export_date: NaiveDate, run_id: &str) -> String {
    join(staging_prefix, &format!("runs/{export_date}/{run_id}/"))
}

/// The manifest of one run: `<run prefix>sales.jsonl`.
pub fn manifest_key(staging_prefix: &str, export_date: NaiveDate, run_id: &str) -> String {
    format!(
        "{}sales.jsonl",
        run_prefix(staging_prefix, export_date, run_id)
    )
}

/// The staged embedding of one sale — deterministic, so a retried or re-run embedding
/// overwrites instead of duplicating: `<staging>/vectors/<export_date>/<sale_id>.f32`.
pub fn vector_key(staging_prefix: &str, export_date: NaiveDate, sale_id: &str) -> String {
    join(
        staging_prefix,
        &format!("vectors/{export_date}/{sale_id}.f32"),
    )
}

/// The prefix of the content-addressed embeddings store
/// ([`stepwise_embeddings::EmbeddingStore`]): the staging prefix itself, so its keys are
/// `<staging>/embeddings/<model-id>/<dimension>/<sha256-hex>`.
pub fn embeddings_prefix(staging_prefix: &str) -> String {
    join(staging_prefix, "")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_follow_the_layout() {
        let d = NaiveDate::from_ymd_opt(2026, 3, 9).unwrap();
        assert_eq!(embeddings_prefix("/staging"), "staging/");
        assert_eq!(embeddings_prefix(""), "");
        assert_eq!(
            vector_key("staging", d, "S-1"),
            "staging/vectors/2026-03-09/S-1.f32"
        );
        assert_eq!(
            manifest_key("/staging/", d, "exec-1"),
            "staging/runs/2026-03-09/exec-1/sales.jsonl"
        );
    }
}
