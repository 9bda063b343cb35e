//! The SmartGo database connection: one `sqlx` pool per database URL per process, and
//! `sqlx` errors mapped to error names with causes that never show the URL.
//!
//! Pools live in a process-wide map keyed by the SHA-256 of the URL (the URL itself is
//! not kept as a key, so nothing that prints the map can show it). A warm Lambda or a
//! long-running worker reuses the pool, and with it open connections, across
//! invocations. A rotated password is a new URL and so a new pool; the old one closes its
//! connections after [`IDLE_TIMEOUT`] unused (the pool keeps no minimum), so an abandoned
//! pool holds no connection. A pool's connections belong to the Tokio runtime that opened
//! them: a process runs one runtime (Lambda, the worker, the CLI).
//!
//! This module must not log, and must not put the database URL, its user info or its
//! password into an error: every cause built from a driver message is scrubbed of them.

use std::collections::HashMap;
use std::str::FromStr;
use std::sync::{Mutex, OnceLock, PoisonError};
use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};
use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyPool, Error as SqlxError};
use stepwise_contract::ErrorName;
use stepwise_contract::errors;

use super::sql::{Dialect, SALES_TABLE};
use stepwise_runtime::ActivityError;

/// Connections one process opens to one database at most: each invocation streams one
/// query on one connection; a few cover an in-process executor running executions side
/// by side.
pub const MAX_CONNECTIONS: u32 = 4;
/// How long an invocation waits for a connection (including connecting: `sqlx` tries a
/// refused connection again within this time) before failing with `Transient`.
pub const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(10);
/// How long an unused connection stays open.
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(60);

/// A database the export reads: its dialect, its pool, and what error causes must not
/// show.
#[derive(Clone)]
pub(crate) struct Database {
    /// PostgreSQL or SQLite.
    pub dialect: Dialect,
    /// The shared pool.
    pub pool: AnyPool,
    /// The SSM parameter the URL came from (named in causes).
    pub parameter: String,
    key: [u8; 32],
    secrets: Vec<String>,
}

impl std::fmt::Debug for Database {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Database")
            .field("dialect", &self.dialect)
            .field("parameter", &self.parameter)
            .finish_non_exhaustive()
    }
}

type Pools = Mutex<HashMap<[u8; 32], AnyPool>>;

fn pools() -> std::sync::MutexGuard<'static, HashMap<[u8; 32], AnyPool>> {
    static POOLS: OnceLock<Pools> = OnceLock::new();
    // The lock is never held across an await and a panic while holding it cannot leave
    // the map inconsistent, so a poisoned lock is used as is.
    POOLS
        .get_or_init(Pools::default)
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
}

impl Database {
    /// The database at `url` (read from SSM parameter `parameter`): the process's pool
    /// for that URL, created (without connecting) on first use. An unsupported scheme or
    /// an unparsable URL is `Permanent` (the configuration must change), without the URL.
    pub fn open(url: &SecretString, parameter: &str) -> Result<Database, ActivityError> {
        let url = url.expose_secret();
        let secrets = url_secrets(url);
        let dialect = Dialect::of_url(url).ok_or_else(|| {
            ActivityError::permanent(format!(
                "SmartGo database: database_url in SSM parameter {parameter} is neither a postgres:// nor a sqlite: URL (value not shown: it is secret)"
            ))
        })?;
        let key: [u8; 32] = Sha256::digest(url.as_bytes()).into();
        let mut pools = pools();
        let pool = match pools.get(&key) {
            Some(pool) if !pool.is_closed() => pool.clone(),
            _ => {
                sqlx::any::install_default_drivers();
                let options = AnyConnectOptions::from_str(url).map_err(|e| {
                    ActivityError::permanent(format!(
                        "SmartGo database ({}): database_url in SSM parameter {parameter} is not a valid URL: {}",
                        dialect.label(),
                        redact(&e.to_string(), &secrets)
                    ))
                })?;
                let pool = AnyPoolOptions::new()
                    .max_connections(MAX_CONNECTIONS)
                    .min_connections(0)
                    .acquire_timeout(ACQUIRE_TIMEOUT)
                    .idle_timeout(IDLE_TIMEOUT)
                    .test_before_acquire(true)
                    .connect_lazy_with(options);
                pools.insert(key, pool.clone());
                pool
            }
        };
        Ok(Database {
            dialect,
            pool,
            parameter: parameter.to_string(),
            key,
            secrets,
        })
    }

    /// Drops this database's pool from the process-wide map (after the database refused
    /// the credentials, so a corrected URL is not shadowed), closing it in the
    /// background.
    pub fn forget(&self) {
        if let Some(pool) = pools().remove(&self.key) {
            tokio::spawn(async move { pool.close().await });
        }
    }

    /// Maps a `sqlx` error to an [`ActivityError`] (see [`classify`]), scrubbed of the
    /// URL's secrets.
    pub fn error(&self, err: &SqlxError) -> ActivityError {
        let failure = classify(err, self.dialect);
        let hint = match failure.kind {
            Kind::Credentials => format!(
                " (check the credentials in database_url of SSM parameter {})",
                self.parameter
            ),
            Kind::MissingTable | Kind::MissingColumn | Kind::NoDatabase => format!(
                " (check that database_url in SSM parameter {} points at the SmartGo database)",
                self.parameter
            ),
            Kind::Unavailable | Kind::Other => String::new(),
        };
        ActivityError::new(
            failure.name,
            format!(
                "SmartGo database ({}): {}{hint}",
                self.dialect.label(),
                redact(&failure.cause, &self.secrets)
            ),
        )
    }
}

/// What kind of database failure an error is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// The `sales` table does not exist.
    MissingTable,
    /// A column of `sales` does not exist.
    MissingColumn,
    /// The database refused the credentials.
    Credentials,
    /// The database named in the URL does not exist.
    NoDatabase,
    /// The database could not be reached, was busy, or the connection broke.
    Unavailable,
    /// Anything else.
    Other,
}

/// A classified failure, before scrubbing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Failure {
    /// The error name.
    pub name: ErrorName,
    /// What kind of failure it is.
    pub kind: Kind,
    /// The explanation (may still contain secrets from driver messages).
    pub cause: String,
}

/// SQLSTATE classes and codes (PostgreSQL) that a later attempt may not meet: connection
/// exceptions, insufficient resources, operator intervention (shutdown, cannot connect
/// now, query canceled by a timeout), transaction rollbacks (serialization failure,
/// deadlock) and a lock not available.
fn postgres_transient(code: &str) -> bool {
    ["08", "53", "57", "40"]
        .iter()
        .any(|class| code.starts_with(class))
        || code == "55P03"
}

/// SQLite primary result codes a later attempt may not meet: `SQLITE_BUSY` (5) and
/// `SQLITE_LOCKED` (6).
fn sqlite_transient(code: i32) -> bool {
    matches!(code & 0xff, 5 | 6)
}

/// Maps a `sqlx` error by what it means:
///
/// | what happened | name |
/// | --- | --- |
/// | the `sales` table or one of its columns is missing, any other SQL error | `Permanent` |
/// | the credentials were refused, the database does not exist, a bad URL or TLS setup | `Permanent` |
/// | no connection within [`ACQUIRE_TIMEOUT`], connection refused or broken, I/O error | `Transient` |
/// | PostgreSQL SQLSTATE `08…`, `53…`, `57…`, `40…`, `55P03`; SQLite `BUSY`, `LOCKED` | `Transient` |
/// | a row that does not decode (the table has other column types) | `Permanent` |
pub(crate) fn classify(err: &SqlxError, dialect: Dialect) -> Failure {
    let failure = |name, kind, cause: String| Failure { name, kind, cause };
    let permanent = |cause: String| failure(errors::PERMANENT, Kind::Other, cause);
    let unavailable = |cause: String| failure(errors::TRANSIENT, Kind::Unavailable, cause);
    match err {
        SqlxError::Database(db) => {
            let message = db.message().to_string();
            let code = db.code().map(|c| c.into_owned()).unwrap_or_default();
            match dialect {
                Dialect::Postgres => {
                    let detail = format!("{message} (SQLSTATE {code})");
                    match code.as_str() {
                        "42P01" => failure(
                            errors::PERMANENT,
                            Kind::MissingTable,
                            format!("there is no table \"{SALES_TABLE}\": {detail}"),
                        ),
                        "42703" => failure(
                            errors::PERMANENT,
                            Kind::MissingColumn,
                            format!("the table \"{SALES_TABLE}\" lacks a column: {detail}"),
                        ),
                        c if c.starts_with("28") => failure(
                            errors::PERMANENT,
                            Kind::Credentials,
                            format!("the database refused the credentials: {detail}"),
                        ),
                        "3D000" => failure(
                            errors::PERMANENT,
                            Kind::NoDatabase,
                            format!("the database does not exist: {detail}"),
                        ),
                        c if postgres_transient(c) => {
                            unavailable(format!("the database is unavailable: {detail}"))
                        }
                        _ => permanent(format!("the query failed: {detail}")),
                    }
                }
                Dialect::Sqlite => {
                    let number: i32 = code.parse().unwrap_or_default();
                    let detail = format!("{message} (SQLite code {code})");
                    if message.starts_with("no such table") {
                        failure(
                            errors::PERMANENT,
                            Kind::MissingTable,
                            format!("there is no table \"{SALES_TABLE}\": {detail}"),
                        )
                    } else if message.starts_with("no such column") {
                        failure(
                            errors::PERMANENT,
                            Kind::MissingColumn,
                            format!("the table \"{SALES_TABLE}\" lacks a column: {detail}"),
                        )
                    } else if number & 0xff == 14 {
                        failure(
                            errors::PERMANENT,
                            Kind::NoDatabase,
                            format!("the database file cannot be opened: {detail}"),
                        )
                    } else if sqlite_transient(number) {
                        unavailable(format!("the database is busy: {detail}"))
                    } else {
                        permanent(format!("the query failed: {detail}"))
                    }
                }
            }
        }
        SqlxError::PoolTimedOut => unavailable(format!(
            "no connection within {}s (the database is unreachable or every connection is busy)",
            ACQUIRE_TIMEOUT.as_secs()
        )),
        SqlxError::Io(e) => unavailable(format!("could not reach the database: {e}")),
        SqlxError::Protocol(e) => unavailable(format!("the connection broke: {e}")),
        SqlxError::PoolClosed | SqlxError::WorkerCrashed => {
            unavailable(format!("the connection was lost: {err}"))
        }
        SqlxError::Tls(e) => permanent(format!("the TLS connection failed: {e}")),
        SqlxError::Configuration(e) => permanent(format!("the URL is not usable: {e}")),
        SqlxError::ColumnDecode { .. }
        | SqlxError::ColumnNotFound(_)
        | SqlxError::Decode(_)
        | SqlxError::TypeNotFound { .. }
        | SqlxError::AnyDriverError(_) => permanent(format!(
            "a row does not match the expected \"{SALES_TABLE}\" columns: {err}"
        )),
        other => permanent(format!("the query failed: {other}")),
    }
}

/// The secret parts of a database URL: the URL itself, its user info and its password,
/// each also percent-decoded.
pub(crate) fn url_secrets(url: &str) -> Vec<String> {
    let mut secrets = vec![url.to_string()];
    if let Some((_, rest)) = url.split_once("://") {
        let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
        if let Some((userinfo, _host)) = authority.rsplit_once('@') {
            secrets.push(userinfo.to_string());
            if let Some((_user, password)) = userinfo.split_once(':') {
                secrets.push(password.to_string());
            }
        }
    }
    let decoded: Vec<String> = secrets.iter().map(|s| percent_decode(s)).collect();
    secrets.extend(decoded);
    secrets.retain(|s| !s.is_empty());
    // Longest first, so the URL goes before the password inside it.
    secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
    secrets.dedup();
    secrets
}

/// `text` with every secret replaced by `***`.
pub(crate) fn redact(text: &str, secrets: &[String]) -> String {
    secrets
        .iter()
        .fold(text.to_string(), |out, secret| out.replace(secret, "***"))
}

/// `%XX` sequences decoded (invalid ones kept as written; invalid UTF-8 replaced).
fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (byte, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use std::io;

    use super::*;

    #[test]
    fn url_secrets_cover_the_credentials_encoded_and_decoded() {
        let secrets = url_secrets("postgres://export:p%40ss@db:5432/smartgo");
        assert!(secrets.contains(&"p%40ss".to_string()), "{secrets:?}");
        assert!(secrets.contains(&"p@ss".to_string()), "{secrets:?}");
        assert!(
            secrets.contains(&"export:p%40ss".to_string()),
            "{secrets:?}"
        );
        assert_eq!(secrets[0], "postgres://export:p%40ss@db:5432/smartgo");
        assert_eq!(url_secrets("sqlite:///x.db"), ["sqlite:///x.db"]);
        assert_eq!(
            redact(
                "url postgres://export:p%40ss@db:5432/smartgo or p@ss",
                &secrets
            ),
            "url *** or ***"
        );
    }

    #[test]
    fn connection_failures_are_transient() {
        let refused = SqlxError::Io(io::Error::new(
            io::ErrorKind::ConnectionRefused,
            "connection refused",
        ));
        let failure = classify(&refused, Dialect::Postgres);
        assert_eq!(failure.name, errors::TRANSIENT);
        assert_eq!(failure.kind, Kind::Unavailable);
        assert_eq!(
            classify(&SqlxError::PoolTimedOut, Dialect::Sqlite).name,
            errors::TRANSIENT
        );
        assert_eq!(
            classify(&SqlxError::Protocol("eof".into()), Dialect::Postgres).name,
            errors::TRANSIENT
        );
    }

    #[test]
    fn configuration_and_decoding_problems_are_permanent() {
        let config = SqlxError::Configuration("bad sslmode".into());
        assert_eq!(classify(&config, Dialect::Postgres).name, errors::PERMANENT);
        let decode = SqlxError::ColumnNotFound("sold_at".into());
        let failure = classify(&decode, Dialect::Sqlite);
        assert_eq!(failure.name, errors::PERMANENT);
        assert!(failure.cause.contains("\"sales\""), "{}", failure.cause);
    }

    #[test]
    fn transient_codes() {
        for code in [
            "08006", "53300", "57P01", "57014", "40001", "40P01", "55P03",
        ] {
            assert!(postgres_transient(code), "{code}");
        }
        for code in ["42P01", "28P01", "3D000", "22P02"] {
            assert!(!postgres_transient(code), "{code}");
        }
        assert!(sqlite_transient(5) && sqlite_transient(6) && sqlite_transient(261));
        assert!(!sqlite_transient(1) && !sqlite_transient(14));
    }

    #[test]
    fn unsupported_schemes_are_permanent_without_the_url() {
        let err = Database::open(&SecretString::from("mysql://u:hunter2@db/smartgo"), "/cfg")
            .unwrap_err();
        assert_eq!(err.name, errors::PERMANENT);
        assert!(err.cause.contains("/cfg"), "{}", err.cause);
        assert!(!err.cause.contains("hunter2"), "{}", err.cause);
    }
}
