//! The vector operations on an index: PutVectors, GetVectors, ListVectors (pages and
//! segments), DeleteVectors and QueryVectors (exact k-NN with a metadata filter), with
//! the service's limits and errors.
//!
//! Values are stored as f32 ("you must provide the vector data as float32 … S3 Vectors
//! converts the values to 32-bit floating point before storing them", PutVectors API
//! reference). Data must match the index's dimension, be finite, and not be all zeros
//! for a cosine index (PutInputVector API reference).

use std::collections::BTreeSet;
use std::ops::Bound;

use serde_json::{Map, Value};

use crate::error::ApiError;
use crate::filter::Filter;
use crate::knn::{DistanceMetric, Neighbour, norm, top_k};
use crate::limits::{
    DEFAULT_LIST_VECTORS, MAX_DELETE_VECTORS, MAX_GET_VECTORS, MAX_KEY_LEN, MAX_LIST_VECTORS,
    MAX_PUT_VECTORS, MAX_SEGMENTS, MAX_TOP_K,
};
use crate::metadata;
use crate::paging;
use crate::store::{Index, Store, page_size};
use crate::wire::{
    DeleteVectorsRequest, GetVectorsRequest, ListVectorsRequest, NamesIndex, OutputVector,
    PutVectorsRequest, QueryOutputVector, QueryVectorsRequest, VectorData,
};

/// A stored vector.
#[derive(Debug, Clone)]
pub struct Stored {
    /// Its values.
    pub data: Box<[f32]>,
    /// Its L2 norm (for cosine).
    pub norm: f64,
    /// Its metadata.
    pub metadata: Option<Map<String, Value>>,
}

/// A check run just before a write changes anything, given the index's ARN and how
/// many vectors the write touches: the rate limit and fault injection.
pub type BeforeWrite<'a> = &'a mut dyn FnMut(&str, u32) -> Result<(), ApiError>;

fn check_key(member: &str, key: &str) -> Result<(), ApiError> {
    let len = key.chars().count();
    if len == 0 || len > MAX_KEY_LEN {
        return Err(ApiError::validation(
            member,
            format!(
                "1 validation error detected. Value with length {len} at '{member}' failed to satisfy constraint: Member must have length between 1 and {MAX_KEY_LEN}, inclusive"
            ),
        ));
    }
    Ok(())
}

fn check_keys(keys: &Option<Vec<String>>, max: usize) -> Result<&[String], ApiError> {
    let keys = keys.as_deref().ok_or_else(|| {
        ApiError::validation(
            "/keys",
            "1 validation error detected. Value null at '/keys' failed to satisfy constraint: Member must not be null",
        )
    })?;
    if keys.is_empty() || keys.len() > max {
        return Err(ApiError::validation(
            "/keys",
            format!(
                "1 validation error detected. Value with {} items at '/keys' failed to satisfy constraint: Member must have between 1 and {max} items",
                keys.len()
            ),
        ));
    }
    for (i, key) in keys.iter().enumerate() {
        check_key(&format!("/keys/{i}"), key)?;
    }
    Ok(keys)
}

/// Checks vector values for an index of `dimension` and `metric`.
fn check_data(
    member: &str,
    key: &str,
    data: &[f32],
    dimension: u32,
    metric: DistanceMetric,
) -> Result<f64, ApiError> {
    if data.len() != dimension as usize {
        return Err(ApiError::validation(
            member,
            format!(
                "Invalid record for key '{key}': vector must have length {dimension}, but has length {}",
                data.len()
            ),
        ));
    }
    if let Some(i) = data.iter().position(|x| !x.is_finite()) {
        return Err(ApiError::validation(
            format!("{member}/{i}"),
            format!(
                "Invalid record for key '{key}': value {i} is not a finite float32 (NaN, Infinity and values beyond float32's range are not allowed)"
            ),
        ));
    }
    let n = norm(data);
    if metric == DistanceMetric::Cosine && n == 0.0 {
        return Err(ApiError::validation(
            member,
            format!(
                "Invalid record for key '{key}': zero vectors are not allowed for the cosine distance metric"
            ),
        ));
    }
    Ok(n)
}

fn output_metadata(stored: &Stored, wanted: bool) -> Option<Map<String, Value>> {
    if wanted {
        Some(stored.metadata.clone().unwrap_or_default())
    } else {
        None
    }
}

impl Store {
    /// PutVectors: checks every vector, runs `before_write`, then stores them all
    /// (overwriting existing keys). Returns how many were written.
    pub fn put_vectors(
        &mut self,
        req: PutVectorsRequest,
        before_write: BeforeWrite<'_>,
    ) -> Result<u32, ApiError> {
        let index_ref = req.index_ref();
        let vectors = req.vectors.ok_or_else(|| {
            ApiError::validation(
                "/vectors",
                "1 validation error detected. Value null at '/vectors' failed to satisfy constraint: Member must not be null",
            )
        })?;
        if vectors.is_empty() || vectors.len() > MAX_PUT_VECTORS {
            return Err(ApiError::validation(
                "/vectors",
                format!(
                    "1 validation error detected. Value with {} items at '/vectors' failed to satisfy constraint: Member must have between 1 and {MAX_PUT_VECTORS} items",
                    vectors.len()
                ),
            ));
        }
        let index = self.index_mut(&index_ref)?;
        let mut checked = Vec::with_capacity(vectors.len());
        for (i, vector) in vectors.into_iter().enumerate() {
            let key = vector.key.ok_or_else(|| {
                ApiError::validation(format!("/vectors/{i}/key"), "every vector needs a key")
            })?;
            check_key(&format!("/vectors/{i}/key"), &key)?;
            let VectorData { float32 } = vector.data.ok_or_else(|| {
                ApiError::validation(
                    format!("/vectors/{i}/data"),
                    format!("Invalid record for key '{key}': data is required"),
                )
            })?;
            let norm = check_data(
                &format!("/vectors/{i}/data/float32"),
                &key,
                &float32,
                index.dimension,
                index.metric,
            )?;
            let metadata = metadata::validate(
                &format!("/vectors/{i}/metadata"),
                vector.metadata,
                &index.non_filterable,
            )?;
            checked.push((
                key,
                Stored {
                    data: float32.into_boxed_slice(),
                    norm,
                    metadata,
                },
            ));
        }
        let count = checked.len() as u32;
        before_write(&index.arn, count)?;
        index.vectors.extend(checked);
        Ok(count)
    }

    /// GetVectors: the vectors of the keys that exist, in the order asked (each key once).
    pub fn get_vectors(&self, req: &GetVectorsRequest) -> Result<Vec<OutputVector>, ApiError> {
        let keys = check_keys(&req.keys, MAX_GET_VECTORS)?;
        let index = self.index(&req.index_ref())?;
        let mut seen = BTreeSet::new();
        Ok(keys
            .iter()
            .filter(|key| seen.insert(key.as_str()))
            .filter_map(|key| {
                index.vectors.get(key).map(|stored| OutputVector {
                    key: key.clone(),
                    data: req.return_data.then(|| VectorData {
                        float32: stored.data.to_vec(),
                    }),
                    metadata: output_metadata(stored, req.return_metadata),
                })
            })
            .collect())
    }

    /// ListVectors: a page of vectors in key order (of one segment, when asked), and
    /// the next page's token.
    pub fn list_vectors(
        &self,
        req: &ListVectorsRequest,
    ) -> Result<(Vec<OutputVector>, Option<String>), ApiError> {
        let size = page_size(req.max_results, MAX_LIST_VECTORS, DEFAULT_LIST_VECTORS)?;
        let segment = segment(req.segment_count, req.segment_index)?;
        let index = self.index(&req.index_ref())?;
        let scope = match segment {
            Some((i, n)) => format!("vectors:{}:segment:{i}/{n}", index.arn),
            None => format!("vectors:{}", index.arn),
        };
        let after = paging::decode(req.next_token.as_deref(), &scope)?;
        let start = match &after {
            Some(after) => Bound::Excluded(after.as_str()),
            None => Bound::Unbounded,
        };
        let mut entries = index
            .vectors
            .range::<str, _>((start, Bound::Unbounded))
            .filter(|(key, _)| segment.is_none_or(|(i, n)| segment_of(key, n) == i));
        let page: Vec<_> = entries.by_ref().take(size).collect();
        let next = match (entries.next(), page.last()) {
            (Some(_), Some((last, _))) => Some(paging::encode(last, &scope)),
            _ => None,
        };
        let vectors = page
            .into_iter()
            .map(|(key, stored)| OutputVector {
                key: key.clone(),
                data: req.return_data.then(|| VectorData {
                    float32: stored.data.to_vec(),
                }),
                metadata: output_metadata(stored, req.return_metadata),
            })
            .collect();
        Ok((vectors, next))
    }

    /// DeleteVectors: runs `before_write`, then removes the keys (missing keys are no
    /// error). Returns how many keys were named.
    pub fn delete_vectors(
        &mut self,
        req: &DeleteVectorsRequest,
        before_write: BeforeWrite<'_>,
    ) -> Result<u32, ApiError> {
        let keys = check_keys(&req.keys, MAX_DELETE_VECTORS)?;
        let index = self.index_mut(&req.index_ref())?;
        before_write(&index.arn, keys.len() as u32)?;
        for key in keys {
            index.vectors.remove(key);
        }
        Ok(keys.len() as u32)
    }

    /// QueryVectors: the `topK` nearest vectors that match the filter, nearest first,
    /// and the index's distance metric.
    pub fn query_vectors(
        &self,
        req: &QueryVectorsRequest,
    ) -> Result<(Vec<QueryOutputVector>, DistanceMetric), ApiError> {
        let k = match req.top_k {
            Some(k) if (1..=i64::from(MAX_TOP_K)).contains(&k) => k as usize,
            Some(_) => {
                return Err(ApiError::validation(
                    "/topK",
                    format!(
                        "1 validation error detected. Value at '/topK' failed to satisfy constraint: Member must be between 1 and {MAX_TOP_K}, inclusive"
                    ),
                ));
            }
            None => {
                return Err(ApiError::validation(
                    "/topK",
                    "1 validation error detected. Value null at '/topK' failed to satisfy constraint: Member must not be null",
                ));
            }
        };
        if req.next_token.is_some() {
            return Err(ApiError::validation(
                "/nextToken",
                "local-s3vectors answers every query in one page; it issues no nextToken to continue",
            ));
        }
        let query = req.query_vector.as_ref().ok_or_else(|| {
            ApiError::validation(
                "/queryVector",
                "1 validation error detected. Value null at '/queryVector' failed to satisfy constraint: Member must not be null",
            )
        })?;
        let filter = req.filter.as_ref().map(Filter::parse).transpose()?;
        let index = self.index(&req.index_ref())?;
        let query_norm = check_data(
            "/queryVector/float32",
            "queryVector",
            &query.float32,
            index.dimension,
            index.metric,
        )?;
        Ok((
            nearest(index, &query.float32, query_norm, filter.as_ref(), k, req),
            index.metric,
        ))
    }
}

fn nearest(
    index: &Index,
    query: &[f32],
    query_norm: f64,
    filter: Option<&Filter>,
    k: usize,
    req: &QueryVectorsRequest,
) -> Vec<QueryOutputVector> {
    let candidates = index
        .vectors
        .iter()
        .filter(|(_, stored)| {
            filter.is_none_or(|f| f.matches(stored.metadata.as_ref(), &index.non_filterable))
        })
        .map(|(key, stored)| Neighbour {
            distance: index
                .metric
                .distance(query, query_norm, &stored.data, stored.norm),
            key,
        });
    top_k(candidates, k)
        .into_iter()
        .map(|n| QueryOutputVector {
            key: n.key.to_string(),
            distance: req.return_distance.then_some(n.distance as f32),
            metadata: req.return_metadata.then(|| {
                index
                    .vectors
                    .get(n.key)
                    .and_then(|s| s.metadata.clone())
                    .unwrap_or_default()
            }),
        })
        .collect()
}

/// `(segmentIndex, segmentCount)` when listing one segment; both or neither are given.
fn segment(count: Option<i64>, index: Option<i64>) -> Result<Option<(u32, u32)>, ApiError> {
    match (count, index) {
        (None, None) => Ok(None),
        (Some(n), Some(i)) => {
            if !(1..=i64::from(MAX_SEGMENTS)).contains(&n) {
                return Err(ApiError::validation(
                    "/segmentCount",
                    format!(
                        "1 validation error detected. Value at '/segmentCount' failed to satisfy constraint: Member must be between 1 and {MAX_SEGMENTS}, inclusive"
                    ),
                ));
            }
            if !(0..n).contains(&i) {
                return Err(ApiError::validation(
                    "/segmentIndex",
                    format!(
                        "segmentIndex must be between 0 and segmentCount - 1 ({}), not {i}",
                        n - 1
                    ),
                ));
            }
            Ok(Some((i as u32, n as u32)))
        }
        _ => Err(ApiError::invalid_request(
            "segmentCount and segmentIndex must be given together",
        )),
    }
}

/// The segment (of `count`) a key is listed in: a stable hash (FNV-1a) of the key.
fn segment_of(key: &str, count: u32) -> u32 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in key.bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    (hash % u64::from(count)) as u32
}
