//! [`MotoServer`]: moto server (local S3, DynamoDB, SSM, …) on a free loopback port,
//! stopped when dropped.
//!
//! moto comes from the project's virtualenv (`scripts/python-env.sh` creates it). The
//! server is started through the venv's interpreter with a small watchdog that exits
//! when its stdin closes: the test process holds the other end, so the server also goes
//! away when a test binary is killed before it can run `Drop` (and a shared server ends
//! with its test process). Its output goes to a log file that start-up errors quote.
//!
//! This module must not touch anything but the moto process it started: no fixed ports,
//! no shared state on disk, no global process cleanup.

use std::fs::File;
use std::io::{self, Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::OnceLock;
use std::thread;
use std::time::{Duration, Instant};

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::Credentials;
use aws_credential_types::provider::SharedCredentialsProvider;
use tempfile::NamedTempFile;

/// The region every client of the local services uses.
pub const REGION: &str = "us-east-1";
/// The static access key id of the local services (moto accepts any).
pub const ACCESS_KEY_ID: &str = "testing";
/// The static secret access key of the local services.
pub const SECRET_ACCESS_KEY: &str = "testing";

/// How long moto may take to answer after it was started.
const START_TIMEOUT: Duration = Duration::from_secs(30);
/// How many ports are tried when another process takes the free port first.
const PORT_ATTEMPTS: u32 = 5;
/// How much of moto's output an error quotes (its end).
const LOG_TAIL: usize = 4000;

/// Runs moto's entry point after starting a thread that ends the process when stdin
/// reaches end of file (the test process closed it or died).
///
/// It also corrects two deviations of moto 5.2.5's S3 Tables that the SDK cannot parse
/// (so every call would fail): `GetTable` answers `managedByService` as a JSON boolean,
/// where AWS sends the managing service's name or nothing (a customer's table: a table
/// is created with none); `UpdateTableMetadataLocation` answers `namespace` as a string,
/// where AWS sends a list (`["lake"]`).
///
/// And one of its Step Functions parser: the ASL preprocessor keeps its stack of
/// query-language scopes in a class attribute shared by every parse, so one definition
/// rejected inside a JSONata scope leaves that scope behind and every later JSONPath
/// definition with `Parameters` or `ItemsPath` is refused ("Unsupported declaration in
/// QueryLanguage=JSONPath block") for the rest of the process — which made the
/// conformance suite's moto results depend on the order its tests ran in. Each parse
/// gets its own stack.
const BOOTSTRAP: &str = "\
import os, sys, threading
def _watch():
    sys.stdin.buffer.read()
    os._exit(0)
threading.Thread(target=_watch, daemon=True).start()
import moto.s3tables.models as _s3tables
_table_init = _s3tables.Table.__init__
def _customer_table(self, *args, **kwargs):
    _table_init(self, *args, **kwargs)
    self.managed_by_service = None
_s3tables.Table.__init__ = _customer_table
import json as _json
import moto.s3tables.responses as _s3tables_api
_update_location = _s3tables_api.S3TablesResponse.update_table_metadata_location
def _namespace_list(self):
    status, headers, body = _update_location(self)
    answer = _json.loads(body)
    answer['namespace'] = [answer['namespace']]
    return status, headers, _json.dumps(answer)
_s3tables_api.S3TablesResponse.update_table_metadata_location = _namespace_list
import moto.stepfunctions.parser.asl.parse.preprocessor as _asl_preprocessor
_preprocessor_init = _asl_preprocessor.Preprocessor.__init__
def _own_scopes(self, *args, **kwargs):
    _preprocessor_init(self, *args, **kwargs)
    self._query_language_per_scope = []
_asl_preprocessor.Preprocessor.__init__ = _own_scopes
from moto.server import main
sys.exit(main(sys.argv[1:]))
";

/// Why moto server could not be started.
#[derive(Debug, thiserror::Error)]
pub enum MotoError {
    /// The virtualenv has no moto server.
    #[error(
        "moto server is not installed at {path}: run scripts/python-env.sh (make test does it)"
    )]
    NotInstalled {
        /// Where it was looked for.
        path: PathBuf,
    },
    /// A local I/O step failed (log file, free port, spawning).
    #[error("moto server: {what}: {source}")]
    Io {
        /// What was being done.
        what: String,
        /// The I/O error.
        source: io::Error,
    },
    /// The process ended before it answered.
    #[error("moto server on port {port} exited ({status}) before answering; its output:\n{log}")]
    Exited {
        /// The port it was given.
        port: u16,
        /// How it ended.
        status: ExitStatus,
        /// The end of its output.
        log: String,
    },
    /// The process did not answer in time.
    #[error("moto server on port {port} did not answer within {timeout:?}; its output:\n{log}")]
    Timeout {
        /// The port it was given.
        port: u16,
        /// How long it was given.
        timeout: Duration,
        /// The end of its output.
        log: String,
    },
    /// Every free port found was taken by another process before moto could bind it.
    #[error(
        "moto server: every free port was taken before moto bound it ({attempts} attempts); last output:\n{log}"
    )]
    NoFreePort {
        /// How many ports were tried.
        attempts: u32,
        /// The end of the last attempt's output.
        log: String,
    },
}

fn io_err(what: impl Into<String>) -> impl FnOnce(io::Error) -> MotoError {
    let what = what.into();
    move |source| MotoError::Io { what, source }
}

/// A running moto server on `127.0.0.1`, killed when dropped.
#[derive(Debug)]
pub struct MotoServer {
    child: Child,
    /// Held open for the watchdog; closing it (or dying) ends the server.
    stdin: Option<ChildStdin>,
    port: u16,
    log: NamedTempFile,
}

impl MotoServer {
    /// Where the project's moto server is: `<workspace>/.venv/bin/moto_server`.
    pub fn program() -> PathBuf {
        workspace_root().join(".venv/bin/moto_server")
    }

    /// Starts a server of its own on a free port and waits until it answers.
    pub fn start() -> Result<Self, MotoError> {
        let program = Self::program();
        if !program.is_file() {
            return Err(MotoError::NotInstalled { path: program });
        }
        let python = program.with_file_name("python");
        let mut last_log = String::new();
        for _ in 0..PORT_ATTEMPTS {
            let port = free_port()?;
            match Self::start_on(&python, port) {
                Err(MotoError::Exited { log, .. }) if log.contains("Address already in use") => {
                    last_log = log;
                }
                result => return result,
            }
        }
        Err(MotoError::NoFreePort {
            attempts: PORT_ATTEMPTS,
            log: last_log,
        })
    }

    /// One server shared by every test of the process (resources need unique names, see
    /// [`crate::unique_name`]). It ends with the process.
    ///
    /// # Panics
    /// When the server cannot be started (the message says why).
    pub fn shared() -> &'static MotoServer {
        static SHARED: OnceLock<Result<MotoServer, String>> = OnceLock::new();
        match SHARED.get_or_init(|| MotoServer::start().map_err(|e| e.to_string())) {
            Ok(server) => server,
            Err(message) => panic!("{message}"),
        }
    }

    fn start_on(python: &Path, port: u16) -> Result<Self, MotoError> {
        let log = NamedTempFile::new().map_err(io_err("creating the log file"))?;
        let stdout = log.reopen().map_err(io_err("opening the log file"))?;
        let stderr = log.reopen().map_err(io_err("opening the log file"))?;
        let mut child = Command::new(python)
            .arg("-c")
            .arg(BOOTSTRAP)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdin(Stdio::piped())
            .stdout(stdout)
            .stderr(stderr)
            .spawn()
            .map_err(io_err(format!("starting {}", python.display())))?;
        let stdin = child.stdin.take();
        let mut server = MotoServer {
            child,
            stdin,
            port,
            log,
        };
        server.wait_until_ready()?;
        Ok(server)
    }

    fn wait_until_ready(&mut self) -> Result<(), MotoError> {
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            if let Some(status) = self
                .child
                .try_wait()
                .map_err(io_err("waiting for moto server"))?
            {
                return Err(MotoError::Exited {
                    port: self.port,
                    status,
                    log: self.log_tail(),
                });
            }
            if answers(self.port) {
                return Ok(());
            }
            if Instant::now() >= deadline {
                return Err(MotoError::Timeout {
                    port: self.port,
                    timeout: START_TIMEOUT,
                    log: self.log_tail(),
                });
            }
            thread::sleep(Duration::from_millis(50));
        }
    }

    /// The server's port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The server's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The endpoint URL, `http://127.0.0.1:<port>`: the value of `AWS_ENDPOINT_URL`.
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// An SDK configuration for this server: its endpoint, region `us-east-1`, static
    /// test credentials, and no SDK retries (like production's: the state machine
    /// retries, so a test must see the first throttle).
    pub fn sdk_config(&self) -> SdkConfig {
        let credentials =
            Credentials::new(ACCESS_KEY_ID, SECRET_ACCESS_KEY, None, None, "moto-test");
        SdkConfig::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new(REGION))
            .endpoint_url(self.endpoint())
            .credentials_provider(SharedCredentialsProvider::new(credentials))
            .retry_config(aws_config::retry::RetryConfig::disabled())
            .build()
    }

    /// The standard environment variables that point an SDK at this server
    /// (`AWS_ENDPOINT_URL`, `AWS_REGION`, static credentials), for child processes.
    pub fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("AWS_ENDPOINT_URL", self.endpoint()),
            ("AWS_REGION", REGION.to_string()),
            ("AWS_ACCESS_KEY_ID", ACCESS_KEY_ID.to_string()),
            ("AWS_SECRET_ACCESS_KEY", SECRET_ACCESS_KEY.to_string()),
        ]
    }

    /// Turns on moto's ASL interpreter (`POST /moto-api/config` with
    /// `{"stepfunctions": {"execute_state_machine": true}}`), so StartExecution runs the
    /// definition instead of only recording it. The response does not echo the setting.
    pub fn enable_asl_execution(&self) -> Result<(), MotoError> {
        let body = r#"{"stepfunctions": {"execute_state_machine": true}}"#;
        let request = format!(
            "POST /moto-api/config HTTP/1.0\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
        let mut stream = TcpStream::connect((Ipv4Addr::LOCALHOST, self.port))
            .map_err(io_err("connecting to moto"))?;
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .map_err(io_err("setting a timeout"))?;
        stream
            .write_all(request.as_bytes())
            .map_err(io_err("sending moto's config"))?;
        let mut response = String::new();
        stream
            .read_to_string(&mut response)
            .map_err(io_err("reading moto's answer"))?;
        let status_line = response.lines().next().unwrap_or_default();
        if status_line.contains(" 200") || status_line.contains(" 201") {
            Ok(())
        } else {
            Err(MotoError::Io {
                what: format!("moto refused the stepfunctions config: {status_line}"),
                source: io::Error::other(status_line.to_string()),
            })
        }
    }

    /// The end of the server's output so far.
    pub fn log_tail(&self) -> String {
        let mut text = String::new();
        if let Ok(mut file) = File::open(self.log.path()) {
            let mut bytes = Vec::new();
            if file.read_to_end(&mut bytes).is_ok() {
                text = String::from_utf8_lossy(&bytes).into_owned();
            }
        }
        match text.char_indices().rev().nth(LOG_TAIL) {
            Some((cut, _)) => format!("…{}", &text[cut..]),
            None => text,
        }
    }
}

impl Drop for MotoServer {
    fn drop(&mut self) {
        // Closing stdin alone would end it through the watchdog; kill it outright and
        // reap it so no process or zombie is left behind.
        drop(self.stdin.take());
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The workspace root (this crate's parent directory).
pub fn workspace_root() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().unwrap_or(manifest).to_path_buf()
}

/// A port nothing listens on right now (bound on `127.0.0.1:0`, then released).
fn free_port() -> Result<u16, MotoError> {
    let listener =
        TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).map_err(io_err("finding a free port"))?;
    let port = listener
        .local_addr()
        .map_err(io_err("finding a free port"))?
        .port();
    Ok(port)
}

/// Whether moto answers `GET /moto-api/` with 200 on `port`.
fn answers(port: u16) -> bool {
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let Ok(mut stream) = TcpStream::connect_timeout(&addr, Duration::from_millis(200)) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
    let _ = stream.set_write_timeout(Some(Duration::from_secs(2)));
    let request = "GET /moto-api/ HTTP/1.0\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
    if stream.write_all(request.as_bytes()).is_err() {
        return false;
    }
    let mut head = [0u8; 16];
    let mut read = 0;
    while read < head.len() {
        match stream.read(&mut head[read..]) {
            Ok(0) | Err(_) => break,
            Ok(n) => read += n,
        }
    }
    let status_line = String::from_utf8_lossy(&head[..read]);
    status_line.starts_with("HTTP/1.") && status_line.get(9..12) == Some("200")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn starts_answers_and_stops_on_drop() {
        let server = MotoServer::start().unwrap();
        let port = server.port();
        let pid = server.pid();
        assert!(answers(port));
        assert_eq!(server.endpoint(), format!("http://127.0.0.1:{port}"));
        drop(server);
        assert!(!answers(port), "moto still answers on {port}");
        assert!(
            !Path::new(&format!("/proc/{pid}")).exists(),
            "moto process {pid} still exists"
        );
    }

    #[test]
    fn a_server_whose_stdin_closes_exits_by_itself() {
        let mut server = MotoServer::start().unwrap();
        drop(server.stdin.take());
        let deadline = Instant::now() + Duration::from_secs(10);
        while server.child.try_wait().unwrap().is_none() {
            assert!(Instant::now() < deadline, "moto ignored the closed stdin");
            thread::sleep(Duration::from_millis(20));
        }
    }

    #[test]
    fn a_taken_port_is_reported_with_motos_output() {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
        let port = listener.local_addr().unwrap().port();
        let python = MotoServer::program().with_file_name("python");
        let err = MotoServer::start_on(&python, port).unwrap_err();
        assert!(
            matches!(&err, MotoError::Exited { log, .. } if log.contains("Address already in use")),
            "{err}"
        );
    }
}
