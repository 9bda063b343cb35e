//! A POST body, checked before anything starts: JSON at all, then the request schema of
//! the OpenAPI document (the same schema API Gateway validates with), then the typed
//! parse and the checks no schema can state (unique image ids). Every refusal names the
//! field or the problem.

use std::sync::LazyLock;

use serde_json::Value;
use stepwise_group_images::GroupImagesInput;

use crate::contract::JobRequest;
use crate::openapi;

/// Why a body is refused (a 400).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct BadBody(pub String);

static VALIDATOR: LazyLock<Result<jsonschema::Validator, String>> = LazyLock::new(|| {
    jsonschema::validator_for(&openapi::schemas()["JobRequest"])
        .map_err(|e| format!("the request schema does not compile: {e}"))
});

/// The request in `bytes`, or what is wrong with it.
pub fn parse(bytes: &[u8]) -> Result<JobRequest, BadBody> {
    let value: Value =
        serde_json::from_slice(bytes).map_err(|e| BadBody(format!("the body is not JSON: {e}")))?;
    let validator = VALIDATOR.as_ref().map_err(|e| BadBody(e.clone()))?;
    let problems: Vec<String> = validator
        .iter_errors(&value)
        .take(5)
        .map(|e| {
            let at = e.instance_path().to_string();
            let at = if at.is_empty() { "/".to_string() } else { at };
            format!("at {at}: {e}")
        })
        .collect();
    if !problems.is_empty() {
        return Err(BadBody(format!(
            "the body does not match the JobRequest schema: {}",
            problems.join("; ")
        )));
    }
    let request: JobRequest = serde_path_to_error::deserialize(value).map_err(|e| {
        BadBody(format!(
            "the body does not match the JobRequest schema: at {}: {}",
            e.path(),
            e.inner()
        ))
    })?;
    // The workflow's own checks (ids unique, threshold above 0), with a placeholder
    // tenant and job: both come from the server, not the body.
    let input = GroupImagesInput {
        tenant_id: "t".into(),
        job_id: "j".into(),
        images: request.images.clone(),
        threshold: request.threshold,
    };
    input.resolve().map_err(|e| BadBody(e.cause))?;
    Ok(request)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn refused(body: Value) -> String {
        parse(body.to_string().as_bytes()).unwrap_err().0
    }

    #[test]
    fn good_bodies_parse() {
        let ok = parse(br#"{"images":[{"uri":"s3://b/k.jpg"},{"id":"x","uri":"https://c/x.png"}],"threshold":0.2}"#)
            .unwrap();
        assert_eq!(ok.images.len(), 2);
        assert_eq!(ok.threshold, Some(0.2));
    }

    #[test]
    fn each_bad_body_is_refused_naming_the_problem() {
        assert!(parse(b"{not json").unwrap_err().0.contains("not JSON"));
        assert!(refused(json!({})).contains("images"));
        assert!(refused(json!({"images": []})).contains("/images"));
        let many: Vec<Value> = (0..501)
            .map(|i| json!({"uri": format!("s3://b/{i}")}))
            .collect();
        let too_many = refused(json!({ "images": many }));
        assert!(too_many.contains("/images"), "{too_many}");
        let bad_uri = refused(json!({"images": [{"uri": "ftp://x/y"}]}));
        assert!(bad_uri.contains("/images/0/uri"), "{bad_uri}");
        let unknown = refused(json!({"images": [{"uri": "s3://b/k"}], "tenant_id": "evil"}));
        assert!(unknown.contains("tenant_id"), "{unknown}");
        let wrong_type = refused(json!({"images": "s3://b/k"}));
        assert!(wrong_type.contains("/images"), "{wrong_type}");
        let dup = refused(
            json!({"images": [{"id": "a", "uri": "s3://b/1"}, {"id": "a", "uri": "s3://b/2"}]}),
        );
        assert!(dup.contains("images[1].id"), "{dup}");
        assert!(
            refused(json!({"images": [{"uri": "s3://b/k"}], "threshold": 0})).contains("threshold")
        );
    }
}
