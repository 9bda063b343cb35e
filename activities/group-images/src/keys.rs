//! Where things live in S3.
//!
//! | what | key |
//! | --- | --- |
//! | a job's files | `<work_prefix><tenant>/<job>/` |
//! | the Map's manifest (JSON Lines, one image a line) | `…/images.jsonl` |
//! | the packed matrix of embeddings found before the Map | `…/known.matrix` |
//! | the Map's ResultWriter files | `…/map/` |
//! | the full result | `…/result.json` |
//! | a thumbnail | `<thumbnails_prefix><edge>/<sha256 of the image bytes>.jpg` |
//! | an embedding | `<embeddings_prefix>embeddings/<model>/<dimension>/<sha256>` ([`stepwise_embeddings::ContentKey`]) |
//!
//! Job files are per job (a re-run of the same job overwrites them); thumbnails and
//! embeddings are per content, shared by every job and tenant that shows the same bytes.

/// The folder of one job's files.
pub fn job_prefix(work_prefix: &str, tenant_id: &str, job_id: &str) -> String {
    format!("{work_prefix}{tenant_id}/{job_id}/")
}

/// The Map's manifest of a job.
pub fn manifest_key(job_prefix: &str) -> String {
    format!("{job_prefix}images.jsonl")
}

/// The packed matrix of the embeddings known before the Map.
pub fn matrix_key(job_prefix: &str) -> String {
    format!("{job_prefix}known.matrix")
}

/// The prefix of the Map's ResultWriter files.
pub fn results_prefix(job_prefix: &str) -> String {
    format!("{job_prefix}map")
}

/// The full result of a job.
pub fn result_key(job_prefix: &str) -> String {
    format!("{job_prefix}result.json")
}

/// A thumbnail's key: deterministic per image content and edge.
pub fn thumbnail_key(thumbnails_prefix: &str, edge: u32, sha256_hex: &str) -> String {
    format!("{thumbnails_prefix}{edge}/{sha256_hex}.jpg")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_per_job_and_per_content() {
        let job = job_prefix("staging/gi/", "acme", "j-1");
        assert_eq!(job, "staging/gi/acme/j-1/");
        assert_eq!(manifest_key(&job), "staging/gi/acme/j-1/images.jsonl");
        assert_eq!(result_key(&job), "staging/gi/acme/j-1/result.json");
        assert_eq!(
            thumbnail_key("thumbnails/", 256, "ab"),
            "thumbnails/256/ab.jpg"
        );
    }
}
