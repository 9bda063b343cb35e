//! The HTTP side: Bedrock Runtime's `InvokeModel` (`POST /model/{modelId}/invoke`) for
//! Titan Multimodal Embeddings G1, with Bedrock's error shapes.
//!
//! Errors are what the AWS SDK parses for a restJson1 service: the status code, the error
//! code in the `x-amzn-ErrorType` header and `{"message": "..."}` as the body. Requests
//! are not authenticated (the SDK signs them; nothing checks the signature).

use std::collections::HashMap;
use std::future::Future;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use base64::prelude::*;
use serde::{Deserialize, Serialize};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

use crate::features::{
    DEFAULT_OUTPUT_LENGTH, ImageProblem, MAX_IMAGE_BYTES, MODEL_ID, OUTPUT_LENGTHS, combine,
    embed_image, embed_text, token_count,
};

/// The largest request body accepted: a 25 MB image in base64 plus the JSON around it.
const MAX_BODY_BYTES: usize = 40 * 1024 * 1024;
/// Titan Multimodal Embeddings G1's longest text, in tokens (counted here as words).
const MAX_TEXT_TOKENS: usize = 256;

/// A Titan Multimodal Embeddings G1 request body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TitanRequest {
    /// Text to embed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input_text: Option<String>,
    /// A JPEG or PNG image, base64-encoded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input_image: Option<String>,
    /// The output length.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub embedding_config: Option<EmbeddingConfig>,
}

/// `embeddingConfig` of a [`TitanRequest`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EmbeddingConfig {
    /// 256, 384 or 1024.
    pub output_embedding_length: usize,
}

/// A Titan Multimodal Embeddings G1 response body. (Titan documents a `message` field
/// for generation errors; a successful answer here has none.)
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TitanResponse {
    /// The embedding, L2-normalised.
    pub embedding: Vec<f32>,
    /// Tokens of the input text (words here), 0 without text.
    pub input_text_token_count: usize,
}

/// A Bedrock error: HTTP status, error code, message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BedrockError {
    /// The HTTP status.
    pub status: StatusCode,
    /// The error code (`ValidationException`, …), sent as `x-amzn-ErrorType`.
    pub code: &'static str,
    /// The message, sent as `{"message": ...}`.
    pub message: String,
}

impl BedrockError {
    /// A 400 `ValidationException`.
    pub fn validation(message: impl Into<String>) -> Self {
        BedrockError {
            status: StatusCode::BAD_REQUEST,
            code: "ValidationException",
            message: message.into(),
        }
    }
}

impl IntoResponse for BedrockError {
    fn into_response(self) -> Response {
        let body = serde_json::json!({ "message": self.message }).to_string();
        (
            self.status,
            [
                (
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("application/json"),
                ),
                (
                    header::HeaderName::from_static("x-amzn-errortype"),
                    HeaderValue::from_static(self.code),
                ),
                (
                    header::HeaderName::from_static("x-amzn-requestid"),
                    request_id(),
                ),
            ],
            body,
        )
            .into_response()
    }
}

/// How many `InvokeModel` requests reached the model, in all and per image: what a test
/// counts to show that every image was embedded once (not merely that every result was
/// written once).
#[derive(Debug, Default)]
pub struct Invocations {
    total: AtomicU64,
    per_image: Mutex<HashMap<u64, u64>>,
}

impl Invocations {
    /// Well-formed requests for the Titan model, whatever their outcome.
    pub fn total(&self) -> u64 {
        self.total.load(Ordering::Relaxed)
    }

    /// How many distinct images were sent.
    pub fn images(&self) -> usize {
        self.per_image
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .len()
    }

    /// The most requests any one image got.
    pub fn most_for_one_image(&self) -> u64 {
        self.per_image
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .values()
            .copied()
            .max()
            .unwrap_or(0)
    }

    fn record(&self, request: &TitanRequest) {
        self.total.fetch_add(1, Ordering::Relaxed);
        let mut hasher = DefaultHasher::new();
        request.input_image.hash(&mut hasher);
        request.input_text.hash(&mut hasher);
        *self
            .per_image
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .entry(hasher.finish())
            .or_insert(0) += 1;
    }
}

/// The routes: `POST /model/{modelId}/invoke`; anything else is
/// `UnknownOperationException`.
pub fn router() -> Router {
    counting_router(Arc::default())
}

/// [`router`], counting requests in `invocations`.
pub fn counting_router(invocations: Arc<Invocations>) -> Router {
    Router::new()
        .route("/model/{model_id}/invoke", post(invoke))
        .fallback(|| async {
            BedrockError {
                status: StatusCode::NOT_FOUND,
                code: "UnknownOperationException",
                message: "local-bedrock serves only POST /model/{modelId}/invoke".to_string(),
            }
        })
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(invocations)
}

/// Serves [`router`] on `listener` until the future is dropped or fails.
pub async fn serve(listener: TcpListener) -> io::Result<()> {
    axum::serve(listener, router()).await
}

/// Serves [`router`] on `listener` until `shutdown` completes, then finishes the requests
/// in flight and returns.
pub async fn serve_with_shutdown(
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> io::Result<()> {
    axum::serve(listener, router())
        .with_graceful_shutdown(shutdown)
        .await
}

/// The endpoint served in-process on a free loopback port, stopped when dropped: for
/// tests (`Aws::with_bedrock_endpoint(bedrock.endpoint())`).
#[derive(Debug)]
pub struct LocalBedrock {
    addr: SocketAddr,
    task: JoinHandle<io::Result<()>>,
    invocations: Arc<Invocations>,
}

impl LocalBedrock {
    /// Binds `127.0.0.1:0` and serves on the current Tokio runtime.
    pub async fn start() -> io::Result<Self> {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await?;
        let addr = listener.local_addr()?;
        let invocations = Arc::new(Invocations::default());
        let app = counting_router(invocations.clone());
        let task = tokio::spawn(async move { axum::serve(listener, app).await });
        Ok(LocalBedrock {
            addr,
            task,
            invocations,
        })
    }

    /// The requests served so far.
    pub fn invocations(&self) -> &Invocations {
        &self.invocations
    }

    /// The address served.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT`: the value of `AWS_ENDPOINT_URL_BEDROCK_RUNTIME`.
    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }
}

impl Drop for LocalBedrock {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn invoke(
    State(invocations): State<Arc<Invocations>>,
    Path(model_id): Path<String>,
    body: Bytes,
) -> Result<Response, BedrockError> {
    if !is_titan_multimodal(&model_id) {
        return Err(BedrockError::validation(
            "The provided model identifier is invalid.",
        ));
    }
    let request: TitanRequest = serde_json::from_slice(&body).map_err(|e| {
        BedrockError::validation(format!(
            "Malformed input request: {e}, please reformat your input and try again."
        ))
    })?;
    invocations.record(&request);
    let response = tokio::task::spawn_blocking(move || embed(request))
        .await
        .map_err(|e| BedrockError {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            code: "InternalServerException",
            message: format!("embedding failed: {e}"),
        })??;
    let tokens = response.input_text_token_count;
    let json = serde_json::to_vec(&response).map_err(|e| BedrockError {
        status: StatusCode::INTERNAL_SERVER_ERROR,
        code: "InternalServerException",
        message: format!("could not encode the response: {e}"),
    })?;
    Ok((
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            ),
            (
                header::HeaderName::from_static("x-amzn-requestid"),
                request_id(),
            ),
            (
                header::HeaderName::from_static("x-amzn-bedrock-input-token-count"),
                HeaderValue::from(tokens),
            ),
        ],
        json,
    )
        .into_response())
}

/// Whether `model_id` names Titan Multimodal Embeddings G1 (its id or a foundation-model
/// ARN of it).
fn is_titan_multimodal(model_id: &str) -> bool {
    model_id == MODEL_ID
        || (model_id.starts_with("arn:")
            && model_id.ends_with(&format!(":foundation-model/{MODEL_ID}")))
}

/// Checks a request and computes its embedding.
pub fn embed(request: TitanRequest) -> Result<TitanResponse, BedrockError> {
    let length = match &request.embedding_config {
        None => DEFAULT_OUTPUT_LENGTH,
        Some(config) if OUTPUT_LENGTHS.contains(&config.output_embedding_length) => {
            config.output_embedding_length
        }
        Some(config) => {
            return Err(BedrockError::validation(format!(
                "Malformed input request: #/embeddingConfig/outputEmbeddingLength: {} is not a valid enum value (256, 384, 1024), please reformat your input and try again.",
                config.output_embedding_length
            )));
        }
    };
    let text = match request.input_text.as_deref() {
        Some(text) if text.trim().is_empty() => {
            return Err(BedrockError::validation(
                "Malformed input request: #/inputText: expected minLength: 1, please reformat your input and try again.",
            ));
        }
        Some(text) if token_count(text) > MAX_TEXT_TOKENS => {
            return Err(BedrockError::validation(format!(
                "The input text has {} tokens; the maximum is {MAX_TEXT_TOKENS}.",
                token_count(text)
            )));
        }
        other => other,
    };
    let image = match request.input_image.as_deref() {
        None => None,
        Some(b64) => {
            let bytes = BASE64_STANDARD.decode(b64.trim()).map_err(|e| {
                BedrockError::validation(format!(
                    "Malformed input request: #/inputImage: not valid base64 ({e}), please reformat your input and try again."
                ))
            })?;
            if bytes.len() > MAX_IMAGE_BYTES {
                return Err(BedrockError::validation(format!(
                    "The provided image is {} bytes; the maximum is {MAX_IMAGE_BYTES}.",
                    bytes.len()
                )));
            }
            Some(
                embed_image(&bytes, length)
                    .map_err(|e: ImageProblem| BedrockError::validation(e.to_string()))?,
            )
        }
    };
    let embedding = match (image, text) {
        (None, None) => {
            return Err(BedrockError::validation(
                "Malformed input request: at least one of inputText and inputImage is required, please reformat your input and try again.",
            ));
        }
        (Some(image), None) => image,
        (None, Some(text)) => embed_text(text, length),
        (Some(image), Some(text)) => combine(&image, &embed_text(text, length)),
    };
    Ok(TitanResponse {
        embedding,
        input_text_token_count: text.map(token_count).unwrap_or(0),
    })
}

/// A fresh request id for a response header.
fn request_id() -> HeaderValue {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    HeaderValue::from_str(&format!("local-bedrock-{}-{n}", std::process::id()))
        .unwrap_or_else(|_| HeaderValue::from_static("local-bedrock"))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::product_photo;

    fn image_request(length: Option<usize>) -> TitanRequest {
        TitanRequest {
            input_text: None,
            input_image: Some(BASE64_STANDARD.encode(product_photo(0, 0))),
            embedding_config: length.map(|n| EmbeddingConfig {
                output_embedding_length: n,
            }),
        }
    }

    #[test]
    fn the_request_and_response_use_titans_field_names() {
        let request: TitanRequest = serde_json::from_value(json!({
            "inputText": "a red shoe",
            "inputImage": "AAAA",
            "embeddingConfig": {"outputEmbeddingLength": 384}
        }))
        .unwrap();
        assert_eq!(request.input_text.as_deref(), Some("a red shoe"));
        assert_eq!(
            request.embedding_config.unwrap().output_embedding_length,
            384
        );
        let response = TitanResponse {
            embedding: vec![0.5, 0.5],
            input_text_token_count: 3,
        };
        assert_eq!(
            serde_json::to_value(response).unwrap(),
            json!({"embedding": [0.5, 0.5], "inputTextTokenCount": 3})
        );
        assert!(serde_json::from_value::<TitanRequest>(json!({"inputImg": "x"})).is_err());
    }

    #[test]
    fn images_texts_and_both_are_embedded() {
        let image = embed(image_request(None)).unwrap();
        assert_eq!(image.embedding.len(), 1024);
        assert_eq!(image.input_text_token_count, 0);
        assert_eq!(
            embed(image_request(Some(256))).unwrap().embedding.len(),
            256
        );
        let text = embed(TitanRequest {
            input_text: Some("red round product".into()),
            input_image: None,
            embedding_config: None,
        })
        .unwrap();
        assert_eq!(text.input_text_token_count, 3);
        let mut both = image_request(Some(1024));
        both.input_text = Some("red round product".into());
        let both = embed(both).unwrap();
        assert_eq!(both.input_text_token_count, 3);
        assert_ne!(both.embedding, image.embedding);
    }

    #[test]
    fn bad_requests_are_validation_exceptions() {
        for request in [
            image_request(Some(512)),
            TitanRequest {
                input_text: None,
                input_image: None,
                embedding_config: None,
            },
            TitanRequest {
                input_text: None,
                input_image: Some("%%%".into()),
                embedding_config: None,
            },
            TitanRequest {
                input_text: None,
                input_image: Some(BASE64_STANDARD.encode(b"not an image")),
                embedding_config: None,
            },
            TitanRequest {
                input_text: Some(" ".into()),
                input_image: None,
                embedding_config: None,
            },
        ] {
            let err = embed(request.clone()).unwrap_err();
            assert_eq!(err.code, "ValidationException", "{request:?}");
            assert_eq!(err.status, StatusCode::BAD_REQUEST);
        }
    }

    #[test]
    fn only_titan_multimodal_is_served() {
        assert!(is_titan_multimodal("amazon.titan-embed-image-v1"));
        assert!(is_titan_multimodal(
            "arn:aws:bedrock:us-east-1::foundation-model/amazon.titan-embed-image-v1"
        ));
        assert!(!is_titan_multimodal("amazon.titan-embed-text-v2:0"));
        assert!(!is_titan_multimodal("anthropic.claude-v2"));
    }
}
