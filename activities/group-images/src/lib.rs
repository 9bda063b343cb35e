//! `stepwise-group-images`: the activities of the group-images pipeline — which photos
//! of a tenant's list show the same product — with its input type and configuration.
//!
//! | module | what |
//! | --- | --- |
//! | [`input`] | [`GroupImagesInput`]: the job as the API (or an operator) starts it |
//! | [`config`] | the pipeline configuration (SSM) and `LoadGroupImagesConfig` |
//! | [`keys`] | where a job's files, thumbnails and embeddings live in S3 |
//! | [`matrix`] | the packed embedding matrix format (ids + `f32` rows) |
//! | [`fetch`] | [`fetch::fetch_embeddings`]: many stored embeddings read concurrently |
//! | [`fetch_embeddings`] | `FetchEmbeddings`: what is already embedded, the Map's manifest and the packed matrix |
//! | [`thumbnail`] | `MakeThumbnail`: the Map item's thumbnail (decode, EXIF orientation, resize) |
//! | [`embed`] | `EmbedGroupImage`: the Map item's embedding, through the shared content-hash store |
//! | [`distance`] | cosine distances: unit rows, the condensed matrix, the components below a threshold |
//! | `kernel` | the blocked Gram-matrix kernel behind them (AVX-512, AVX2 + FMA, portable) |
//! | [`cluster`] | agglomerative clustering (average linkage, cosine distance, threshold) |
//! | [`map_results`] | the Map's per-item outcomes, read back from its ResultWriter export |
//! | [`cluster_images`] | `ClusterImages`: the groups, representatives, cohesion; the result in S3 |
//!
//! It builds on `stepwise-runtime` and the shared `stepwise-embeddings` (one embedding
//! implementation and one content-hash key scheme for every pipeline). It must not
//! depend on another pipeline's crate, retry (the state machine does), or put image
//! bytes or vectors into an output, an error or a log line.

pub mod cluster;
pub mod cluster_images;
pub mod config;
pub mod distance;
pub mod embed;
pub mod fetch;
pub mod fetch_embeddings;
pub mod input;
mod kernel;
pub mod keys;
pub mod map_results;
pub mod matrix;
pub mod thumbnail;

pub use input::{GroupImagesInput, ImageRef, MAX_IMAGES};
use stepwise_runtime::Registry;

/// This pipeline's activities, as deployed.
pub fn register(registry: Registry) -> Registry {
    registry
        .with(config::LoadGroupImagesConfig)
        .with(fetch_embeddings::FetchEmbeddings::new())
        .with(thumbnail::MakeThumbnail::new())
        .with(embed::EmbedGroupImage::new())
        .with(cluster_images::ClusterImages)
}

/// A registry of this pipeline's activities alone (for its own tests).
#[cfg(test)]
pub(crate) fn registry() -> Registry {
    register(Registry::new())
}
