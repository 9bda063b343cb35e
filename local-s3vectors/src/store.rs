//! The in-memory state: vector buckets, their indexes, and the bucket and index
//! operations (create, get, list, delete) with the service's checks and errors. The
//! vector operations on an index are in [`crate::vectors`].

use std::collections::{BTreeMap, BTreeSet};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::error::ApiError;
use crate::knn::DistanceMetric;
use crate::limits::{
    MAX_BUCKETS, MAX_DIMENSION, MAX_INDEXES_PER_BUCKET, MAX_LIST_BUCKETS, MAX_LIST_INDEXES,
    MAX_NON_FILTERABLE_KEY_LEN, MAX_NON_FILTERABLE_KEYS, MAX_PREFIX_LEN, MIN_DIMENSION,
};
use crate::names::{
    bucket_arn, bucket_from_arn, check_bucket_name, check_index_name, index_arn, index_from_arn,
};
use crate::paging;
use crate::vectors::Stored;
use crate::wire::{
    BucketRef, CreateIndexRequest, CreateVectorBucketRequest, EncryptionConfiguration, IndexBody,
    IndexRef, IndexSummary, ListRequest, MetadataConfiguration, VectorBucketBody,
    VectorBucketSummary,
};

/// A vector bucket.
#[derive(Debug)]
pub struct Bucket {
    /// Its ARN.
    pub arn: String,
    /// Creation time, epoch seconds.
    pub created: f64,
    /// Its encryption settings (`AES256` unless given).
    pub encryption: EncryptionConfiguration,
    /// Its indexes by name.
    pub indexes: BTreeMap<String, Index>,
}

/// A vector index.
#[derive(Debug)]
pub struct Index {
    /// Its bucket's name.
    pub bucket: String,
    /// Its name.
    pub name: String,
    /// Its ARN.
    pub arn: String,
    /// Creation time, epoch seconds.
    pub created: f64,
    /// Values per vector.
    pub dimension: u32,
    /// The distance metric.
    pub metric: DistanceMetric,
    /// Keys stored but invisible to filters.
    pub non_filterable: BTreeSet<String>,
    /// The configuration as given (returned by GetIndex).
    pub metadata_configuration: Option<MetadataConfiguration>,
    /// Encryption settings as given.
    pub encryption: Option<EncryptionConfiguration>,
    /// The vectors by key (ordered: listing pages through them).
    pub vectors: BTreeMap<String, Stored>,
}

/// Every bucket, and the account and region their ARNs name.
#[derive(Debug)]
pub struct Store {
    account: String,
    region: String,
    buckets: BTreeMap<String, Bucket>,
}

fn now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or_default()
}

fn bucket_not_found() -> ApiError {
    ApiError::not_found("The specified vector bucket could not be found")
}

fn index_not_found() -> ApiError {
    ApiError::not_found("The specified index could not be found")
}

/// A required string member.
pub(crate) fn required<'a>(member: &str, value: &'a Option<String>) -> Result<&'a str, ApiError> {
    value.as_deref().ok_or_else(|| {
        ApiError::validation(
            member,
            format!("1 validation error detected. Value null at '{member}' failed to satisfy constraint: Member must not be null"),
        )
    })
}

/// The page size: `max_results` within `1..=max`, `default` when absent.
pub(crate) fn page_size(
    max_results: Option<i64>,
    max: u32,
    default: u32,
) -> Result<usize, ApiError> {
    match max_results {
        None => Ok(default as usize),
        Some(n) if (1..=i64::from(max)).contains(&n) => Ok(n as usize),
        Some(_) => Err(ApiError::validation(
            "/maxResults",
            format!(
                "1 validation error detected. Value at '/maxResults' failed to satisfy constraint: Member must be between 1 and {max}, inclusive"
            ),
        )),
    }
}

impl Store {
    /// An empty store whose ARNs name `account` and `region`.
    pub fn new(account: impl Into<String>, region: impl Into<String>) -> Self {
        Store {
            account: account.into(),
            region: region.into(),
            buckets: BTreeMap::new(),
        }
    }

    /// The bucket name a request names (by name or ARN, not both).
    fn bucket_name(&self, r: &BucketRef) -> Result<String, ApiError> {
        match (&r.vector_bucket_name, &r.vector_bucket_arn) {
            (Some(name), None) => Ok(name.clone()),
            (None, Some(arn)) => bucket_from_arn("/vectorBucketArn", arn),
            _ => Err(ApiError::invalid_request(
                "Must specify either vectorBucketName or vectorBucketArn but not both",
            )),
        }
    }

    /// The bucket and index names a request names (both names, or the index ARN).
    fn index_names(r: &IndexRef) -> Result<(String, String), ApiError> {
        match (&r.vector_bucket_name, &r.index_name, &r.index_arn) {
            (Some(bucket), Some(index), None) => Ok((bucket.clone(), index.clone())),
            (None, None, Some(arn)) => index_from_arn("/indexArn", arn),
            _ => Err(ApiError::invalid_request(
                "Must specify either indexArn or both vectorBucketName and indexName",
            )),
        }
    }

    /// The index a request names, or `NotFoundException`.
    pub fn index(&self, r: &IndexRef) -> Result<&Index, ApiError> {
        let (bucket, index) = Self::index_names(r)?;
        self.buckets
            .get(&bucket)
            .ok_or_else(index_not_found)?
            .indexes
            .get(&index)
            .ok_or_else(index_not_found)
    }

    /// The index a request names, for writing.
    pub fn index_mut(&mut self, r: &IndexRef) -> Result<&mut Index, ApiError> {
        let (bucket, index) = Self::index_names(r)?;
        self.buckets
            .get_mut(&bucket)
            .ok_or_else(index_not_found)?
            .indexes
            .get_mut(&index)
            .ok_or_else(index_not_found)
    }

    /// CreateVectorBucket: the new bucket's ARN.
    pub fn create_bucket(&mut self, req: CreateVectorBucketRequest) -> Result<String, ApiError> {
        let name = required("/vectorBucketName", &req.vector_bucket_name)?;
        check_bucket_name("/vectorBucketName", name)?;
        let encryption = check_encryption(req.encryption_configuration)?;
        if self.buckets.contains_key(name) {
            return Err(ApiError::conflict(
                "A vector bucket with the specified name already exists",
            ));
        }
        if self.buckets.len() >= MAX_BUCKETS {
            return Err(ApiError::quota_exceeded(format!(
                "an account holds at most {MAX_BUCKETS} vector buckets per Region"
            )));
        }
        let arn = bucket_arn(&self.region, &self.account, name);
        self.buckets.insert(
            name.to_string(),
            Bucket {
                arn: arn.clone(),
                created: now(),
                encryption: encryption.unwrap_or(EncryptionConfiguration {
                    sse_type: Some("AES256".to_string()),
                    kms_key_arn: None,
                }),
                indexes: BTreeMap::new(),
            },
        );
        Ok(arn)
    }

    /// GetVectorBucket.
    pub fn get_bucket(&self, r: &BucketRef) -> Result<VectorBucketBody, ApiError> {
        let name = self.bucket_name(r)?;
        let bucket = self.buckets.get(&name).ok_or_else(bucket_not_found)?;
        Ok(VectorBucketBody {
            vector_bucket_name: name,
            vector_bucket_arn: bucket.arn.clone(),
            creation_time: bucket.created,
            encryption_configuration: bucket.encryption.clone(),
        })
    }

    /// ListVectorBuckets: a page of buckets in name order, and the next page's token.
    pub fn list_buckets(
        &self,
        req: &ListRequest,
    ) -> Result<(Vec<VectorBucketSummary>, Option<String>), ApiError> {
        let size = page_size(req.max_results, MAX_LIST_BUCKETS, MAX_LIST_BUCKETS)?;
        let prefix = check_prefix(req.prefix.as_deref())?;
        let scope = format!("buckets:{prefix}");
        let after = paging::decode(req.next_token.as_deref(), &scope)?;
        let (page, next) = page_of(&self.buckets, prefix, after.as_deref(), size, &scope);
        let summaries = page
            .into_iter()
            .map(|(name, bucket)| VectorBucketSummary {
                vector_bucket_name: name.clone(),
                vector_bucket_arn: bucket.arn.clone(),
                creation_time: bucket.created,
            })
            .collect();
        Ok((summaries, next))
    }

    /// DeleteVectorBucket: only an empty bucket (`ConflictException` otherwise).
    pub fn delete_bucket(&mut self, r: &BucketRef) -> Result<(), ApiError> {
        let name = self.bucket_name(r)?;
        let bucket = self.buckets.get(&name).ok_or_else(bucket_not_found)?;
        if !bucket.indexes.is_empty() {
            return Err(ApiError::conflict(
                "The specified vector bucket is not empty",
            ));
        }
        self.buckets.remove(&name);
        Ok(())
    }

    /// CreateIndex: the new index's ARN.
    pub fn create_index(&mut self, req: CreateIndexRequest) -> Result<String, ApiError> {
        let bucket_name = self.bucket_name(&BucketRef {
            vector_bucket_name: req.vector_bucket_name.clone(),
            vector_bucket_arn: req.vector_bucket_arn.clone(),
        })?;
        let name = required("/indexName", &req.index_name)?;
        check_index_name("/indexName", name)?;
        match required("/dataType", &req.data_type)? {
            "float32" => {}
            _ => {
                return Err(ApiError::validation(
                    "/dataType",
                    "1 validation error detected. Value at '/dataType' failed to satisfy constraint: Member must satisfy enum value set: [float32]",
                ));
            }
        }
        let dimension = match req.dimension {
            Some(d) if (i64::from(MIN_DIMENSION)..=i64::from(MAX_DIMENSION)).contains(&d) => {
                d as u32
            }
            Some(_) => {
                return Err(ApiError::validation(
                    "/dimension",
                    format!(
                        "1 validation error detected. Value at '/dimension' failed to satisfy constraint: Member must be between {MIN_DIMENSION} and {MAX_DIMENSION}, inclusive"
                    ),
                ));
            }
            None => {
                return Err(ApiError::validation(
                    "/dimension",
                    "1 validation error detected. Value null at '/dimension' failed to satisfy constraint: Member must not be null",
                ));
            }
        };
        let metric_name = required("/distanceMetric", &req.distance_metric)?;
        let metric = DistanceMetric::parse(metric_name).ok_or_else(|| {
            ApiError::validation(
                "/distanceMetric",
                "1 validation error detected. Value at '/distanceMetric' failed to satisfy constraint: Member must satisfy enum value set: [euclidean, cosine]",
            )
        })?;
        let non_filterable = check_metadata_configuration(req.metadata_configuration.as_ref())?;
        let encryption = check_encryption(req.encryption_configuration)?;
        let arn = index_arn(&self.region, &self.account, &bucket_name, name);
        let bucket = self
            .buckets
            .get_mut(&bucket_name)
            .ok_or_else(bucket_not_found)?;
        if bucket.indexes.contains_key(name) {
            return Err(ApiError::conflict(
                "An index with the specified name already exists",
            ));
        }
        if bucket.indexes.len() >= MAX_INDEXES_PER_BUCKET {
            return Err(ApiError::quota_exceeded(format!(
                "a vector bucket holds at most {MAX_INDEXES_PER_BUCKET} indexes"
            )));
        }
        bucket.indexes.insert(
            name.to_string(),
            Index {
                bucket: bucket_name.clone(),
                name: name.to_string(),
                arn: arn.clone(),
                created: now(),
                dimension,
                metric,
                non_filterable,
                metadata_configuration: req.metadata_configuration,
                encryption,
                vectors: BTreeMap::new(),
            },
        );
        Ok(arn)
    }

    /// GetIndex.
    pub fn get_index(&self, r: &IndexRef) -> Result<IndexBody, ApiError> {
        let index = self.index(r)?;
        Ok(IndexBody {
            vector_bucket_name: index.bucket.clone(),
            index_name: index.name.clone(),
            index_arn: index.arn.clone(),
            creation_time: index.created,
            data_type: "float32",
            dimension: index.dimension,
            distance_metric: index.metric.as_str(),
            metadata_configuration: index.metadata_configuration.clone(),
            encryption_configuration: index.encryption.clone(),
        })
    }

    /// ListIndexes: a page of a bucket's indexes in name order, and the next token.
    pub fn list_indexes(
        &self,
        req: &ListRequest,
    ) -> Result<(Vec<IndexSummary>, Option<String>), ApiError> {
        let bucket_name = self.bucket_name(&BucketRef {
            vector_bucket_name: req.vector_bucket_name.clone(),
            vector_bucket_arn: req.vector_bucket_arn.clone(),
        })?;
        let size = page_size(req.max_results, MAX_LIST_INDEXES, MAX_LIST_INDEXES)?;
        let prefix = check_prefix(req.prefix.as_deref())?;
        let bucket = self
            .buckets
            .get(&bucket_name)
            .ok_or_else(bucket_not_found)?;
        let scope = format!("indexes:{bucket_name}:{prefix}");
        let after = paging::decode(req.next_token.as_deref(), &scope)?;
        let (page, next) = page_of(&bucket.indexes, prefix, after.as_deref(), size, &scope);
        let summaries = page
            .into_iter()
            .map(|(_, index)| IndexSummary {
                vector_bucket_name: index.bucket.clone(),
                index_name: index.name.clone(),
                index_arn: index.arn.clone(),
                creation_time: index.created,
            })
            .collect();
        Ok((summaries, next))
    }

    /// DeleteIndex, with its vectors: the deleted index's ARN.
    pub fn delete_index(&mut self, r: &IndexRef) -> Result<String, ApiError> {
        let (bucket, index) = Self::index_names(r)?;
        let bucket = self.buckets.get_mut(&bucket).ok_or_else(index_not_found)?;
        let removed = bucket.indexes.remove(&index).ok_or_else(index_not_found)?;
        Ok(removed.arn)
    }
}

/// One page of `map`'s entries whose names start with `prefix`, after `after`, and the
/// token of the next page when more remain.
fn page_of<'a, V>(
    map: &'a BTreeMap<String, V>,
    prefix: &str,
    after: Option<&str>,
    size: usize,
    scope: &str,
) -> (Vec<(&'a String, &'a V)>, Option<String>) {
    use std::ops::Bound;
    let start = match after {
        Some(after) => Bound::Excluded(after.to_string()),
        None => Bound::Included(prefix.to_string()),
    };
    let mut entries = map
        .range((start, Bound::Unbounded))
        .take_while(|(name, _)| name.starts_with(prefix));
    let page: Vec<_> = entries.by_ref().take(size).collect();
    let next = match (entries.next(), page.last()) {
        (Some(_), Some((last, _))) => Some(paging::encode(last, scope)),
        _ => None,
    };
    (page, next)
}

fn check_prefix(prefix: Option<&str>) -> Result<&str, ApiError> {
    match prefix {
        None => Ok(""),
        Some(p) if !p.is_empty() && p.chars().count() <= MAX_PREFIX_LEN => Ok(p),
        Some(p) => Err(ApiError::validation(
            "/prefix",
            format!(
                "1 validation error detected. Value with length {} at '/prefix' failed to satisfy constraint: Member must have length between 1 and {MAX_PREFIX_LEN}, inclusive",
                p.chars().count()
            ),
        )),
    }
}

fn check_encryption(
    config: Option<EncryptionConfiguration>,
) -> Result<Option<EncryptionConfiguration>, ApiError> {
    let Some(config) = config else {
        return Ok(None);
    };
    match (config.sse_type.as_deref(), config.kms_key_arn.as_deref()) {
        (None | Some("AES256"), None) => Ok(Some(EncryptionConfiguration {
            sse_type: Some("AES256".to_string()),
            kms_key_arn: None,
        })),
        (Some("aws:kms"), Some(_)) => Ok(Some(config)),
        (Some("aws:kms"), None) => Err(ApiError::validation(
            "/encryptionConfiguration/kmsKeyArn",
            "kmsKeyArn is required when sseType is aws:kms",
        )),
        (None | Some("AES256"), Some(_)) => Err(ApiError::validation(
            "/encryptionConfiguration/kmsKeyArn",
            "kmsKeyArn is only allowed when sseType is aws:kms",
        )),
        (Some(_), _) => Err(ApiError::validation(
            "/encryptionConfiguration/sseType",
            "1 validation error detected. Value at '/encryptionConfiguration/sseType' failed to satisfy constraint: Member must satisfy enum value set: [AES256, aws:kms]",
        )),
    }
}

fn check_metadata_configuration(
    config: Option<&MetadataConfiguration>,
) -> Result<BTreeSet<String>, ApiError> {
    let Some(config) = config else {
        return Ok(BTreeSet::new());
    };
    let keys = &config.non_filterable_metadata_keys;
    let member = "/metadataConfiguration/nonFilterableMetadataKeys";
    if keys.is_empty() || keys.len() > MAX_NON_FILTERABLE_KEYS {
        return Err(ApiError::validation(
            member,
            format!(
                "an index has 1 to {MAX_NON_FILTERABLE_KEYS} non-filterable metadata keys, not {}",
                keys.len()
            ),
        ));
    }
    for (i, key) in keys.iter().enumerate() {
        let len = key.chars().count();
        if len == 0 || len > MAX_NON_FILTERABLE_KEY_LEN {
            return Err(ApiError::validation(
                format!("{member}/{i}"),
                format!(
                    "a non-filterable metadata key is 1 to {MAX_NON_FILTERABLE_KEY_LEN} characters, not {len}"
                ),
            ));
        }
    }
    Ok(keys.iter().cloned().collect())
}
