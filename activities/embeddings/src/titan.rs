//! Titan Multimodal Embeddings G1 through Bedrock Runtime's `InvokeModel`: the request
//! body, the response body, and what its errors mean for one sale.
//!
//! Errors go through [`stepwise_runtime::aws::errors`] (throttling `Throttled`; `ModelNotReady`,
//! `ModelTimeout`, 5xx `Transient`) except where a per-item meaning differs:
//! `ValidationException` about the image is [`INVALID_IMAGE`] (Bedrock rejected this
//! image; other items may pass), while one about the model identifier, and
//! `ResourceNotFoundException`, are `Permanent` (the configured model is wrong for every
//! item).

use aws_sdk_bedrockruntime::operation::invoke_model::InvokeModelError;
use aws_sdk_bedrockruntime::primitives::Blob;
use base64::prelude::*;
use serde::{Deserialize, Serialize};

use crate::EMBEDDING_DIM;
use crate::INVALID_IMAGE;
use stepwise_runtime::ActivityError;
use stepwise_runtime::aws::errors::classify;

/// The request body: the image, and the output length the export uses.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct TitanRequest {
    /// The image, base64.
    pub input_image: String,
    /// The output length.
    pub embedding_config: EmbeddingConfig,
}

/// `embeddingConfig`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct EmbeddingConfig {
    /// 256, 384 or 1024; always 1024 here.
    pub output_embedding_length: usize,
}

/// The response body (`inputTextTokenCount`, 0 for an image alone, is not needed).
/// Numbers are read as `f64` so that a value out of `f32`'s range is caught rather than
/// silently turned into infinity.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct TitanResponse {
    /// The embedding.
    pub embedding: Vec<f64>,
    /// An error Titan reports in a successful response.
    #[serde(default)]
    pub message: Option<String>,
}

/// The JSON body of an InvokeModel request for `image`.
pub(crate) fn request_body(image: &[u8]) -> Vec<u8> {
    let request = TitanRequest {
        input_image: BASE64_STANDARD.encode(image),
        embedding_config: EmbeddingConfig {
            output_embedding_length: EMBEDDING_DIM,
        },
    };
    // Serialising strings and integers cannot fail.
    serde_json::to_vec(&request).unwrap_or_default()
}

/// The embedding in a response body: exactly [`EMBEDDING_DIM`] finite floats, or
/// `Permanent` (retrying returns the same).
pub(crate) fn parse_response(body: &[u8]) -> Result<Vec<f32>, ActivityError> {
    let response: TitanResponse = serde_json::from_slice(body).map_err(|e| {
        ActivityError::permanent(format!(
            "Bedrock InvokeModel: the response is not a Titan embedding ({e})"
        ))
    })?;
    if response.embedding.len() != EMBEDDING_DIM {
        let mut cause = format!(
            "Bedrock returned {} floats, expected {EMBEDDING_DIM}",
            response.embedding.len()
        );
        if let Some(message) = response.message.filter(|m| !m.is_empty()) {
            cause.push_str(&format!(" ({message})"));
        }
        return Err(ActivityError::permanent(cause));
    }
    response
        .embedding
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let f = *v as f32;
            if f.is_finite() {
                Ok(f)
            } else {
                Err(ActivityError::permanent(format!(
                    "Bedrock returned a vector whose component {i} ({v}) is not a finite f32"
                )))
            }
        })
        .collect()
}

/// Calls InvokeModel with a prepared request body and returns the embedding.
pub(crate) async fn invoke(
    client: &aws_sdk_bedrockruntime::Client,
    model_id: &str,
    body: Vec<u8>,
) -> Result<Vec<f32>, ActivityError> {
    let output = client
        .invoke_model()
        .model_id(model_id)
        .content_type("application/json")
        .accept("application/json")
        .body(Blob::new(body))
        .send()
        .await
        .map_err(|err| {
            let classified = classify("Bedrock", "InvokeModel", &err);
            match err.as_service_error() {
                Some(InvokeModelError::ValidationException(e))
                    if mentions_the_model(e.message().unwrap_or_default()) =>
                {
                    ActivityError::permanent(format!("model {model_id}: {}", classified.cause))
                }
                Some(InvokeModelError::ValidationException(_)) => ActivityError::new(
                    INVALID_IMAGE,
                    format!("Bedrock rejected the image: {}", classified.cause),
                ),
                Some(InvokeModelError::ResourceNotFoundException(_)) => {
                    ActivityError::permanent(format!("model {model_id}: {}", classified.cause))
                }
                _ => classified,
            }
        })?;
    parse_response(output.body().as_ref())
}

/// Whether a `ValidationException` message is about the model identifier rather than
/// the input ("The provided model identifier is invalid.").
fn mentions_the_model(message: &str) -> bool {
    let message = message.to_ascii_lowercase();
    message.contains("model identifier") || message.contains("model id")
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;

    #[test]
    fn the_request_is_titans_image_body() {
        let body: Value = serde_json::from_slice(&request_body(&[0xff, 0xd8, 0xff])).unwrap();
        assert_eq!(
            body,
            json!({"inputImage": "/9j/", "embeddingConfig": {"outputEmbeddingLength": 1024}})
        );
    }

    #[test]
    fn a_response_of_1024_floats_parses() {
        let embedding: Vec<f64> = (0..1024).map(|i| f64::from(i) / 1024.0).collect();
        let body = json!({"embedding": embedding, "inputTextTokenCount": 0, "message": null});
        let parsed = parse_response(body.to_string().as_bytes()).unwrap();
        assert_eq!(parsed.len(), 1024);
        assert_eq!(parsed[512], 0.5);
        // Without the optional fields too.
        let body = json!({"embedding": vec![0.0; 1024]});
        assert!(parse_response(body.to_string().as_bytes()).is_ok());
    }

    #[test]
    fn wrong_lengths_and_values_are_permanent() {
        let err = parse_response(json!({"embedding": vec![0.1; 384]}).to_string().as_bytes())
            .unwrap_err();
        assert_eq!(err.name.as_str(), "Permanent");
        assert_eq!(err.cause, "Bedrock returned 384 floats, expected 1024");

        let mut embedding = vec![json!(0.1); 1024];
        embedding[7] = json!(1e300);
        let err =
            parse_response(json!({ "embedding": embedding }).to_string().as_bytes()).unwrap_err();
        assert!(err.cause.contains("component 7"), "{}", err.cause);

        let err = parse_response(b"<html>").unwrap_err();
        assert_eq!(err.name.as_str(), "Permanent");
        assert!(err.cause.contains("not a Titan embedding"), "{}", err.cause);
    }

    #[test]
    fn model_messages_are_told_from_image_messages() {
        assert!(mentions_the_model(
            "The provided model identifier is invalid."
        ));
        assert!(!mentions_the_model("Unable to process provided image"));
    }
}
