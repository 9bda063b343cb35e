//! `local-bedrock`: a Titan-compatible Bedrock Runtime `InvokeModel` endpoint on loopback,
//! so local runs and tests call Bedrock through `aws-sdk-bedrockruntime` exactly as in AWS
//! (`AWS_ENDPOINT_URL_BEDROCK_RUNTIME=http://127.0.0.1:PORT`).
//!
//! **The embeddings are not a neural model.** They are deterministic image features of
//! the product separated from its backdrop — colour, where each colour sits around the
//! centre, radial profile, edge orientations and outline harmonics, all unchanged by the
//! product's position, size, a turn and the lighting — projected to 1024 numbers by a
//! fixed random matrix and L2-normalised (see [`features`]). Photos of the same product
//! land close together; nothing here understands what a photo shows.
//! Use it to exercise the pipeline, never to judge embedding quality.
//!
//! What is served: `POST /model/amazon.titan-embed-image-v1/invoke` with Titan Multimodal
//! Embeddings G1's body (`inputImage` base64 JPEG/PNG, `inputText`, or both;
//! `embeddingConfig.outputEmbeddingLength` 256, 384 or 1024) and Titan's answer
//! (`{"embedding": [...], "inputTextTokenCount": n}`). Bad requests, images that are not
//! a decodable JPEG or PNG (a WebP is refused, as Titan refuses it), images over
//! 2048×2048 pixels or 25 MB and other model ids get Bedrock's 400
//! `ValidationException` (code in `x-amzn-ErrorType`, `{"message": ...}` body). It does
//! not check signatures, inject faults or limit rates.
//!
//! [`product_photo`] draws the synthetic product photos the nearest-neighbour test and the
//! demo use.

pub mod features;
mod photo;
mod segment;
mod server;

pub use features::{MODEL_ID, cosine, embed_image, embed_text};
pub use photo::{PHOTO_HEIGHT, PHOTO_WIDTH, product_photo};
pub use server::{
    BedrockError, EmbeddingConfig, Invocations, LocalBedrock, TitanRequest, TitanResponse,
    counting_router, embed, router, serve, serve_with_shutdown,
};
