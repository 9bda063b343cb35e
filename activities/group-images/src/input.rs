//! [`GroupImagesInput`]: the job as it starts — a tenant's list of images, the job id
//! and an optional distance threshold. The jobs API (issue 17) reuses this type, so its
//! request schema and the workflow's input schema are one.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use stepwise_runtime::ActivityError;

/// The most images one job may group.
pub const MAX_IMAGES: usize = 500;
/// The longest image id accepted.
pub const MAX_ID_LEN: usize = 128;
/// The longest image URI accepted.
pub const MAX_URI_LEN: usize = 2048;

/// One image of a job.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ImageRef {
    /// The caller's id of the image, echoed in the result; when left out, the image's
    /// position in the list (`"0"`, `"1"`, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1, max = 128))]
    pub id: Option<String>,
    /// Where the image is: `s3://bucket/key` or `https://…` (JPEG, PNG or WebP).
    #[schemars(length(min = 1, max = 2048), regex(pattern = r"^(s3|https)://"))]
    pub uri: String,
}

/// A group-images job: which of these photos show the same product?
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GroupImagesInput {
    /// The tenant the images belong to (from the caller's verified identity).
    #[schemars(length(min = 1, max = 128))]
    pub tenant_id: String,
    /// The job's id (the execution's name when the API starts it).
    #[schemars(length(min = 1, max = 80))]
    pub job_id: String,
    /// The images, 1 to 500.
    #[schemars(length(min = 1, max = 500))]
    pub images: Vec<ImageRef>,
    /// The cosine distance under which two groups merge (0 < t ≤ 2); the configured
    /// default when left out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0.0, max = 2.0))]
    pub threshold: Option<f64>,
}

/// An image with its resolved id and its position in the job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvedImage {
    /// Its position in the input list.
    pub index: usize,
    /// The caller's id, or its position.
    pub id: String,
    /// Where it is.
    pub uri: String,
}

impl GroupImagesInput {
    /// The images with their ids resolved, after checking what the schema cannot: a
    /// name safe in S3 keys, ids unique, the list's length, the threshold's range.
    /// `InvalidInput` naming the field otherwise.
    pub fn resolve(&self) -> Result<Vec<ResolvedImage>, ActivityError> {
        for (field, value) in [("tenant_id", &self.tenant_id), ("job_id", &self.job_id)] {
            if let Some(why) = key_segment_problem(value) {
                return Err(ActivityError::invalid_input(format!(
                    "input field \"{field}\": {why}"
                )));
            }
        }
        if self.images.is_empty() || self.images.len() > MAX_IMAGES {
            return Err(ActivityError::invalid_input(format!(
                "input field \"images\": must list 1 to {MAX_IMAGES} images, got {}",
                self.images.len()
            )));
        }
        if let Some(t) = self.threshold
            && !(t > 0.0 && t <= 2.0)
        {
            return Err(ActivityError::invalid_input(format!(
                "input field \"threshold\": must be a cosine distance above 0 and at most 2, got {t}"
            )));
        }
        let mut seen = std::collections::HashMap::new();
        let mut out = Vec::with_capacity(self.images.len());
        for (index, image) in self.images.iter().enumerate() {
            let id = image.id.clone().unwrap_or_else(|| index.to_string());
            if id.trim().is_empty() || id.len() > MAX_ID_LEN {
                return Err(ActivityError::invalid_input(format!(
                    "input field \"images[{index}].id\": must be 1 to {MAX_ID_LEN} characters"
                )));
            }
            if image.uri.len() > MAX_URI_LEN {
                return Err(ActivityError::invalid_input(format!(
                    "input field \"images[{index}].uri\": longer than {MAX_URI_LEN} characters"
                )));
            }
            if let Some(first) = seen.insert(id.clone(), index) {
                return Err(ActivityError::invalid_input(format!(
                    "input field \"images[{index}].id\": \"{id}\" is also the id of images[{first}]"
                )));
            }
            out.push(ResolvedImage {
                index,
                id,
                uri: image.uri.clone(),
            });
        }
        Ok(out)
    }
}

/// Why `value` cannot be one S3 key segment, if it cannot.
pub(crate) fn key_segment_problem(value: &str) -> Option<String> {
    if value.trim().is_empty() {
        Some("must not be empty".into())
    } else if value.contains('/') || value == "." || value == ".." {
        Some(format!(
            "\"{value}\" cannot name an S3 key segment (no \"/\", \".\" or \"..\")"
        ))
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn input(images: serde_json::Value) -> GroupImagesInput {
        serde_json::from_value(json!({"tenant_id": "acme", "job_id": "j-1", "images": images}))
            .unwrap()
    }

    #[test]
    fn ids_default_to_positions_and_must_be_unique() {
        let ok = input(json!([{"uri": "s3://b/a.jpg"}, {"id": "x", "uri": "s3://b/b.jpg"}]));
        let resolved = ok.resolve().unwrap();
        assert_eq!(resolved[0].id, "0");
        assert_eq!(resolved[1].id, "x");

        let dup = input(json!([{"id": "1", "uri": "s3://b/a.jpg"}, {"uri": "s3://b/b.jpg"}]));
        let err = dup.resolve().unwrap_err();
        assert_eq!(err.name.as_str(), "InvalidInput");
        assert!(err.cause.contains("images[1].id"), "{}", err.cause);
    }

    #[test]
    fn the_schema_bounds_the_list_and_the_uris() {
        let schema = schemars::schema_for!(GroupImagesInput);
        let schema = serde_json::to_value(schema).unwrap();
        assert_eq!(schema["properties"]["images"]["maxItems"], 500);
        assert_eq!(schema["properties"]["images"]["minItems"], 1);
        assert_eq!(schema["additionalProperties"], false);

        let mut too_many = input(json!([{"uri": "s3://b/a.jpg"}]));
        too_many.images = vec![too_many.images[0].clone(); 501];
        let err = too_many.resolve().unwrap_err();
        assert!(err.cause.contains("\"images\""), "{}", err.cause);
    }

    #[test]
    fn a_threshold_out_of_range_and_unsafe_names_are_refused() {
        let mut bad = input(json!([{"uri": "s3://b/a.jpg"}]));
        bad.threshold = Some(0.0);
        assert!(bad.resolve().unwrap_err().cause.contains("threshold"));
        let mut bad = input(json!([{"uri": "s3://b/a.jpg"}]));
        bad.job_id = "../x".into();
        assert!(bad.resolve().unwrap_err().cause.contains("job_id"));
    }
}
