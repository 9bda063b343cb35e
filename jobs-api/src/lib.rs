//! `stepwise-jobs-api`: the jobs API of group-images (issue 17) — start a job with one
//! POST, poll it with GET — tenant-safe (the tenant comes from the verified token) and
//! one contract for AWS and the local server.
//!
//! | module | what |
//! | --- | --- |
//! | [`contract`] | the request, answer and error types: the contract, once |
//! | [`openapi`] | the OpenAPI 3.0 document built from them (`stepwise generate` writes it) |
//! | [`body`] | a POST body checked against the request schema, each problem named |
//! | [`claims`] | a token's tenant: the rules (signature, `exp`, issuer, audience, tenant claim) |
//! | [`jwt`] | the local issuer's ES256 key: `stepwise token` signs, the local server verifies |
//! | [`authorizer`] | the Lambda authorizer for any OIDC issuer (keys from its JWKS) in AWS |
//! | [`limit`] | per-tenant token buckets (429) |
//! | [`records`] | the job records in the jobs table, the result's groups and presigned URL |
//! | [`status`] | the GET's answer, once for the local route and the status function |
//! | [`function`] | the status function: the GET in AWS (a handler of the Lambda artifact) |
//! | [`routes`] | `POST /group-images`, `GET /group-images/{jobId}` |
//! | [`local`] | the routes on `stepwise serve --jobs-api`, the workflow created there |
//!
//! Without the default `server` feature only `contract`, `claims`, `records`, `status`,
//! `function` and `authorizer` are built: what the Lambda artifact links.

pub mod authorizer;
#[cfg(feature = "server")]
pub mod body;
pub mod claims;
pub mod contract;
pub mod function;
#[cfg(feature = "server")]
pub mod jwt;
#[cfg(feature = "server")]
pub mod limit;
#[cfg(feature = "server")]
pub mod local;
#[cfg(feature = "server")]
pub mod openapi;
pub mod records;
#[cfg(feature = "server")]
pub mod routes;
pub mod status;
