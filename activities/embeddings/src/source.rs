//! Where an image comes from and how it is fetched: `s3://bucket/key` through the shared
//! S3 client, `https://` through one process-wide HTTP client. Both stop reading as soon
//! as the body passes `max_bytes` (after checking the announced length), so an oversized
//! image is never held whole.
//!
//! HTTP statuses map like AWS errors do: 404/410 `NotFound`, 429 `Throttled`, 408 and 5xx
//! `Transient`, other failures `Permanent`; connection failures and timeouts are
//! `Transient`. Redirects are followed (at most 5) only to `https://` (or, for a loopback
//! `http://` request, to the same kind of address).

use std::net::IpAddr;
use std::sync::OnceLock;
use std::time::Duration;

use aws_sdk_s3::operation::get_object::GetObjectError;
use reqwest::header::CONTENT_TYPE;
use reqwest::{StatusCode, Url, redirect};

use crate::IMAGE_TOO_LARGE;
use stepwise_runtime::aws::errors::classify;
use stepwise_runtime::{ActivityError, Context};

/// How long connecting to an image host may take (the whole fetch has its own limit).
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// The most redirects followed.
const MAX_REDIRECTS: usize = 5;

/// A parsed `image_url`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ImageSource {
    /// An S3 object.
    S3 {
        /// The bucket.
        bucket: String,
        /// The key (as written: S3 URIs are not percent-encoded).
        key: String,
    },
    /// An `https://` URL (or a loopback `http://` one when allowed).
    Http(Url),
}

/// A fetched image: its bytes and the content type its source declared.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Fetched {
    /// The body, at most `max_bytes` long.
    pub bytes: Vec<u8>,
    /// `Content-Type` (HTTP) or `ContentType` (S3), when given.
    pub content_type: Option<String>,
}

/// Parses an `image_url`. The error says why it cannot be fetched.
pub(crate) fn parse(url: &str, allow_loopback_http: bool) -> Result<ImageSource, String> {
    let url = url.trim();
    if url.is_empty() {
        return Err("is empty (expected s3://bucket/key or https://...)".to_string());
    }
    if let Some(rest) = url.strip_prefix("s3://") {
        return match rest.split_once('/') {
            Some((bucket, key)) if !bucket.is_empty() && !key.is_empty() => Ok(ImageSource::S3 {
                bucket: bucket.to_string(),
                key: key.to_string(),
            }),
            _ => Err("is not s3://bucket/key (bucket or key missing)".to_string()),
        };
    }
    let parsed = Url::parse(url).map_err(|e| format!("is not a URL ({e})"))?;
    match parsed.scheme() {
        "https" if parsed.host().is_some() => Ok(ImageSource::Http(parsed)),
        "http" if allow_loopback_http && is_loopback(&parsed) => Ok(ImageSource::Http(parsed)),
        "http" => Err("plain http:// is not allowed (use https:// or s3://)".to_string()),
        scheme => Err(format!(
            "scheme {scheme}:// is not supported (use s3:// or https://)"
        )),
    }
}

/// Whether a URL's host is a loopback address or `localhost`.
pub(crate) fn is_loopback(url: &Url) -> bool {
    let Some(host) = url.host_str() else {
        return false;
    };
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    match bare.parse::<IpAddr>() {
        Ok(ip) => ip.is_loopback(),
        Err(_) => host.eq_ignore_ascii_case("localhost"),
    }
}

impl ImageSource {
    /// Fetches the image, refusing bodies over `max_bytes` (`ImageTooLarge`).
    pub(crate) async fn fetch(
        &self,
        ctx: &Context,
        max_bytes: u64,
    ) -> Result<Fetched, ActivityError> {
        match self {
            ImageSource::S3 { bucket, key } => fetch_s3(ctx, bucket, key, max_bytes).await,
            ImageSource::Http(url) => fetch_http(url, max_bytes).await,
        }
    }
}

fn too_large(url: &str, max_bytes: u64, what: String) -> ActivityError {
    ActivityError::new(
        IMAGE_TOO_LARGE,
        format!("image {url} {what}, over image_limits.max_bytes ({max_bytes} bytes)"),
    )
}

/// Appends `chunk` to `bytes` unless that passes `max_bytes`.
fn append(
    bytes: &mut Vec<u8>,
    chunk: &[u8],
    url: &str,
    max_bytes: u64,
) -> Result<(), ActivityError> {
    let total = bytes.len() as u64 + chunk.len() as u64;
    if total > max_bytes {
        return Err(too_large(
            url,
            max_bytes,
            format!("has more than {max_bytes} bytes"),
        ));
    }
    bytes.extend_from_slice(chunk);
    Ok(())
}

async fn fetch_s3(
    ctx: &Context,
    bucket: &str,
    key: &str,
    max_bytes: u64,
) -> Result<Fetched, ActivityError> {
    let url = format!("s3://{bucket}/{key}");
    let result = ctx
        .aws()
        .s3()
        .await
        .get_object()
        .bucket(bucket)
        .key(key)
        .send()
        .await;
    let mut object = match result {
        Ok(object) => object,
        Err(err) => {
            let classified = classify("S3", "GetObject", &err);
            return Err(match err.as_service_error() {
                Some(GetObjectError::NoSuchKey(_)) => ActivityError::not_found(format!(
                    "image {url} does not exist ({})",
                    classified.cause
                )),
                _ => ActivityError::new(
                    classified.name,
                    format!("image {url}: {}", classified.cause),
                ),
            });
        }
    };
    if let Some(length) = object
        .content_length()
        .filter(|n| u64::try_from(*n).is_ok_and(|n| n > max_bytes))
    {
        return Err(too_large(&url, max_bytes, format!("is {length} bytes")));
    }
    let content_type = object.content_type().map(str::to_string);
    let mut bytes =
        Vec::with_capacity(object.content_length().unwrap_or(0).clamp(0, 1 << 24) as usize);
    while let Some(chunk) = object.body.next().await {
        let chunk = chunk.map_err(|e| {
            ActivityError::transient(format!("image {url}: reading the object failed: {e}"))
        })?;
        append(&mut bytes, &chunk, &url, max_bytes)?;
    }
    Ok(Fetched {
        bytes,
        content_type,
    })
}

/// The process-wide HTTP client (connection pools and TLS set up once).
fn http_client() -> Result<&'static reqwest::Client, ActivityError> {
    static CLIENT: OnceLock<Result<reqwest::Client, String>> = OnceLock::new();
    CLIENT
        .get_or_init(|| {
            reqwest::Client::builder()
                .connect_timeout(CONNECT_TIMEOUT)
                .redirect(redirect::Policy::custom(|attempt| {
                    let started_on_loopback_http = attempt
                        .previous()
                        .first()
                        .is_some_and(|first| first.scheme() == "http" && is_loopback(first));
                    let next = attempt.url().clone();
                    let allowed = next.scheme() == "https"
                        || (started_on_loopback_http
                            && next.scheme() == "http"
                            && is_loopback(&next));
                    if attempt.previous().len() > MAX_REDIRECTS {
                        attempt.error(format!("more than {MAX_REDIRECTS} redirects"))
                    } else if allowed {
                        attempt.follow()
                    } else {
                        attempt.error(format!("redirected to {next}, which is not https://"))
                    }
                }))
                .user_agent(concat!("stepwise-embed-image/", env!("CARGO_PKG_VERSION")))
                .build()
                .map_err(|e| format!("{e}"))
        })
        .as_ref()
        .map_err(|e| ActivityError::permanent(format!("the HTTP client could not be built: {e}")))
}

async fn fetch_http(url: &Url, max_bytes: u64) -> Result<Fetched, ActivityError> {
    let shown = url.as_str();
    let mut response = http_client()?
        .get(url.clone())
        .send()
        .await
        .map_err(|e| http_error(shown, &e))?;
    let status = response.status();
    if !status.is_success() {
        return Err(status_error(shown, status));
    }
    if let Some(length) = response.content_length().filter(|n| *n > max_bytes) {
        return Err(too_large(
            shown,
            max_bytes,
            format!("is {length} bytes (Content-Length)"),
        ));
    }
    let content_type = response
        .headers()
        .get(CONTENT_TYPE)
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
    let mut bytes = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(|e| http_error(shown, &e))? {
        append(&mut bytes, &chunk, shown, max_bytes)?;
    }
    Ok(Fetched {
        bytes,
        content_type,
    })
}

/// The error of an HTTP status that is not a success.
pub(crate) fn status_error(url: &str, status: StatusCode) -> ActivityError {
    let cause = format!("image {url}: HTTP {status}");
    match status.as_u16() {
        404 | 410 => ActivityError::not_found(cause),
        429 => ActivityError::throttled(cause),
        408 | 500..=599 => ActivityError::transient(cause),
        _ => ActivityError::permanent(cause),
    }
}

/// The error of a failed HTTP exchange.
fn http_error(url: &str, err: &reqwest::Error) -> ActivityError {
    let mut detail = err.to_string();
    let mut source = std::error::Error::source(err);
    while let Some(inner) = source {
        let text = inner.to_string();
        if !detail.contains(&text) {
            detail.push_str(": ");
            detail.push_str(&text);
        }
        source = inner.source();
    }
    if err.is_redirect() {
        ActivityError::new(crate::INVALID_IMAGE, format!("image {url}: {detail}"))
    } else if err.is_timeout() {
        ActivityError::transient(format!("image {url}: timed out: {detail}"))
    } else if err.is_builder() {
        ActivityError::permanent(format!(
            "image {url}: the request could not be built: {detail}"
        ))
    } else {
        // Connecting, TLS, a reset connection, a body cut short: another attempt may work.
        ActivityError::transient(format!("image {url}: {detail}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use stepwise_contract::errors;

    #[test]
    fn s3_and_https_urls_parse() {
        assert_eq!(
            parse("s3://images/products/p 1.jpg", false),
            Ok(ImageSource::S3 {
                bucket: "images".into(),
                key: "products/p 1.jpg".into()
            })
        );
        assert!(matches!(
            parse(" https://cdn.example.com/p1.png?v=2 ", false),
            Ok(ImageSource::Http(url)) if url.as_str() == "https://cdn.example.com/p1.png?v=2"
        ));
    }

    #[test]
    fn other_urls_say_why_they_are_refused() {
        for (url, why) in [
            ("", "is empty"),
            ("   ", "is empty"),
            ("s3://bucket", "bucket or key missing"),
            ("s3:///key", "bucket or key missing"),
            ("s3://bucket/", "bucket or key missing"),
            ("http://cdn.example.com/p.jpg", "plain http://"),
            ("http://127.0.0.1:8080/p.jpg", "plain http://"),
            ("ftp://cdn.example.com/p.jpg", "scheme ftp://"),
            ("file:///etc/passwd", "scheme file://"),
            ("/images/p.jpg", "is not a URL"),
        ] {
            let err = parse(url, false).unwrap_err();
            assert!(err.contains(why), "{url}: {err}");
        }
    }

    #[test]
    fn loopback_http_only_when_allowed() {
        for url in [
            "http://127.0.0.1:8080/p.jpg",
            "http://localhost/p.jpg",
            "http://[::1]:9/p.png",
            "http://127.1.2.3/x",
        ] {
            assert!(
                matches!(parse(url, true), Ok(ImageSource::Http(_))),
                "{url}"
            );
            assert!(parse(url, false).is_err(), "{url}");
        }
        assert!(parse("http://10.0.0.1/p.jpg", true).is_err());
        assert!(parse("http://example.com/p.jpg", true).is_err());
    }

    #[test]
    fn statuses_map_like_aws_errors() {
        for (status, name) in [
            (404, errors::NOT_FOUND),
            (410, errors::NOT_FOUND),
            (429, errors::THROTTLED),
            (408, errors::TRANSIENT),
            (500, errors::TRANSIENT),
            (503, errors::TRANSIENT),
            (403, errors::PERMANENT),
            (401, errors::PERMANENT),
        ] {
            let err = status_error("https://x/p.jpg", StatusCode::from_u16(status).unwrap());
            assert_eq!(err.name, name, "{status}");
            assert!(err.cause.contains(&status.to_string()), "{}", err.cause);
        }
    }

    #[test]
    fn the_body_cap_stops_at_the_first_byte_over() {
        let mut bytes = Vec::new();
        append(&mut bytes, &[1; 6], "s3://b/k", 10).unwrap();
        append(&mut bytes, &[2; 4], "s3://b/k", 10).unwrap();
        let err = append(&mut bytes, &[3], "s3://b/k", 10).unwrap_err();
        assert_eq!(err.name, IMAGE_TOO_LARGE);
        assert!(
            err.cause.contains("image_limits.max_bytes (10 bytes)"),
            "{}",
            err.cause
        );
        assert_eq!(bytes.len(), 10, "the refused chunk was kept");
    }
}
