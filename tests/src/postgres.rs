//! [`PostgresServer`]: a throw-away PostgreSQL server from Debian's packages, on a free
//! loopback port, stopped and deleted when dropped.
//!
//! `scripts/postgres-env.sh` installs the `postgresql` package (make test runs it); this
//! module finds its programs (`initdb`, `postgres`, `pg_isready`, `psql`, `createdb`) in
//! the newest `/usr/lib/postgresql/<version>/bin`, or through an `initdb` on `PATH`.
//! Each server gets a fresh data directory in a temporary directory (`initdb -A trust`,
//! UTF-8, C locale), listens on `127.0.0.1` only, and keeps its Unix socket in that
//! directory, so it never touches a system cluster or a fixed port.
//!
//! PostgreSQL refuses to run as root: when the tests run as root, every server program
//! runs as the unprivileged `postgres` system user the Debian package creates, and the
//! temporary directory is handed to that user.
//!
//! Authentication: the superuser `postgres` is trusted (no password) on loopback; every
//! other role authenticates with a password (`scram-sha-256`), so a test can create a role
//! with [`PostgresServer::psql`] and prove that a wrong password fails.
//!
//! The server is started through a small shell wrapper that holds a pipe to the test
//! process: when the pipe closes (the server is dropped, or the test process ends — also
//! the case for [`PostgresServer::shared`], which is never dropped — or is killed), it
//! stops PostgreSQL with a fast shutdown and deletes the directory.
//!
//! This module must not touch anything but the server it started: no fixed ports, no
//! system clusters, no global process cleanup.

use std::fs::{self, File};
use std::io::{self, Read};
use std::net::{Ipv4Addr, TcpListener};
use std::os::unix::fs::MetadataExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, ExitStatus, Output, Stdio};
use std::sync::OnceLock;
use std::thread;
use std::time::{Duration, Instant};

use tempfile::TempDir;

/// The superuser every server has (trusted on loopback, no password).
pub const SUPERUSER: &str = "postgres";
/// The database [`PostgresServer::url`] points at, created at start.
pub const DATABASE: &str = "stepwise";
/// The system user PostgreSQL runs as when the tests run as root.
const SYSTEM_USER: &str = "postgres";
/// How long the server may take to accept connections after it was started.
const START_TIMEOUT: Duration = Duration::from_secs(60);
/// How long a fast shutdown may take before the server is killed.
const STOP_TIMEOUT: Duration = Duration::from_secs(10);
/// How many ports are tried when another process takes the free port first.
const PORT_ATTEMPTS: u32 = 5;
/// How much of the server's log an error quotes (its end).
const LOG_TAIL: usize = 4000;

/// The wrapper PostgreSQL is started through (as `sh -c WRAPPER sh POSTGRES DATA SOCKET
/// PORT ROOT`). It keeps the pipe on its stdin in fd 3 for a detached watcher, then
/// becomes `postgres` itself (same pid). The watcher waits for the pipe to close, asks
/// for a fast shutdown (SIGINT), waits for the server to exit and deletes the directory.
const WRAPPER: &str = r#"
exec 3<&0 </dev/null
( ( cat <&3 >/dev/null 2>&1
    kill -INT $$ 2>/dev/null
    while kill -0 $$ 2>/dev/null; do sleep 0.1; done
    rm -rf "$5" ) & )
exec "$1" -D "$2" -k "$3" -h 127.0.0.1 -p "$4" \
  -c fsync=off -c synchronous_commit=off -c full_page_writes=off \
  -c shared_buffers=32MB -c max_connections=50 -c logging_collector=off 3<&-
"#;

/// The client authentication rules: the superuser is trusted, everyone else needs a
/// password; local (Unix socket) connections are trusted as `initdb -A trust` set them.
const PG_HBA: &str = "\
# Written by stepwise-tests (tests/src/postgres.rs).
local all all trust
host all postgres 127.0.0.1/32 trust
host all all 127.0.0.1/32 scram-sha-256
";

/// Why a PostgreSQL server could not be started or used.
#[derive(Debug, thiserror::Error)]
pub enum PostgresError {
    /// The server programs are not installed.
    #[error(
        "PostgreSQL is not installed (no initdb, postgres and pg_ctl in {searched}): run scripts/postgres-env.sh (make test does it)"
    )]
    NotInstalled {
        /// Where the programs were looked for.
        searched: String,
    },
    /// Running as root, but the unprivileged system user is missing.
    #[error(
        "PostgreSQL cannot run as root and there is no \"{SYSTEM_USER}\" system user: run scripts/postgres-env.sh (make test does it)"
    )]
    NoSystemUser,
    /// A local I/O step failed (temporary directory, log file, spawning).
    #[error("PostgreSQL: {what}: {source}")]
    Io {
        /// What was being done.
        what: String,
        /// The I/O error.
        source: io::Error,
    },
    /// A server program (`initdb`, `createdb`, `psql`) failed.
    #[error("PostgreSQL: {what} failed ({status}):\n{output}")]
    Command {
        /// What was being done.
        what: String,
        /// How it ended.
        status: ExitStatus,
        /// Its standard output and error.
        output: String,
    },
    /// The server ended before it accepted connections.
    #[error(
        "PostgreSQL on port {port} exited ({status}) before accepting connections; its log:\n{log}"
    )]
    Exited {
        /// The port it was given.
        port: u16,
        /// How it ended.
        status: ExitStatus,
        /// The end of its log.
        log: String,
    },
    /// The server did not accept connections in time.
    #[error(
        "PostgreSQL on port {port} did not accept connections within {timeout:?}; its log:\n{log}"
    )]
    Timeout {
        /// The port it was given.
        port: u16,
        /// How long it was given.
        timeout: Duration,
        /// The end of its log.
        log: String,
    },
    /// Every free port found was taken by another process before PostgreSQL bound it.
    #[error(
        "PostgreSQL: every free port was taken before the server bound it ({attempts} attempts); last log:\n{log}"
    )]
    NoFreePort {
        /// How many ports were tried.
        attempts: u32,
        /// The end of the last attempt's log.
        log: String,
    },
}

fn io_err(what: impl Into<String>) -> impl FnOnce(io::Error) -> PostgresError {
    let what = what.into();
    move |source| PostgresError::Io { what, source }
}

/// Who the server programs run as: `None` to stay the current (unprivileged) user.
type RunAs = Option<(u32, u32)>;

/// A running PostgreSQL server on `127.0.0.1`, stopped (and its directory deleted) when
/// dropped.
#[derive(Debug)]
pub struct PostgresServer {
    /// The server (the wrapper became `postgres`, same pid).
    child: Child,
    /// Held open for the wrapper's watcher; closing it (or dying) stops the server.
    stdin: Option<ChildStdin>,
    port: u16,
    bindir: PathBuf,
    run_as: RunAs,
    /// Holds `data/` (the cluster), the Unix socket and `postgres.log`.
    dir: TempDir,
}

impl PostgresServer {
    /// The directory holding `initdb`, `pg_ctl` and `postgres`: the newest
    /// `/usr/lib/postgresql/<version>/bin` (where Debian installs them), else the
    /// directory an `initdb` on `PATH` resolves into.
    pub fn bindir() -> Result<PathBuf, PostgresError> {
        let complete = |dir: &Path| {
            ["initdb", "pg_ctl", "postgres"]
                .iter()
                .all(|p| dir.join(p).is_file())
        };
        let mut versions: Vec<(u32, PathBuf)> = fs::read_dir("/usr/lib/postgresql")
            .into_iter()
            .flatten()
            .flatten()
            .filter_map(|entry| {
                let version = entry.file_name().to_str()?.parse().ok()?;
                Some((version, entry.path().join("bin")))
            })
            .collect();
        versions.sort();
        if let Some((_, dir)) = versions.into_iter().rev().find(|(_, dir)| complete(dir)) {
            return Ok(dir);
        }
        let on_path = std::env::var_os("PATH")
            .map(|path| std::env::split_paths(&path).collect::<Vec<_>>())
            .unwrap_or_default()
            .into_iter()
            .map(|dir| dir.join("initdb"))
            .find(|initdb| initdb.is_file())
            .and_then(|initdb| fs::canonicalize(initdb).ok())
            .and_then(|initdb| initdb.parent().map(Path::to_path_buf));
        match on_path {
            Some(dir) if complete(&dir) => Ok(dir),
            _ => Err(PostgresError::NotInstalled {
                searched: "/usr/lib/postgresql/*/bin and PATH".into(),
            }),
        }
    }

    /// Starts a server of its own: `initdb` into a fresh temporary directory, `postgres`
    /// on a free loopback port, then waits until it accepts connections and creates the
    /// database [`DATABASE`].
    pub fn start() -> Result<Self, PostgresError> {
        let bindir = Self::bindir()?;
        let run_as = run_as()?;
        let dir = tempfile::Builder::new()
            .prefix("stepwise-postgres-")
            .tempdir()
            .map_err(io_err("creating the temporary directory"))?;
        if let Some((uid, gid)) = run_as {
            std::os::unix::fs::chown(dir.path(), Some(uid), Some(gid)).map_err(io_err(
                "handing the temporary directory to the postgres user",
            ))?;
        }
        let data = dir.path().join("data");
        let initdb = program(&bindir, "initdb", run_as, dir.path())
            .arg("-D")
            .arg(&data)
            .args(["-A", "trust", "-U", SUPERUSER, "-E", "UTF8", "--no-locale"])
            .args(["--no-sync", "--no-instructions"])
            .output()
            .map_err(io_err("running initdb"))?;
        check("initdb", &initdb)?;
        let hba = data.join("pg_hba.conf");
        fs::write(&hba, PG_HBA).map_err(io_err("writing pg_hba.conf"))?;
        if let Some((uid, gid)) = run_as {
            std::os::unix::fs::chown(&hba, Some(uid), Some(gid))
                .map_err(io_err("handing pg_hba.conf to the postgres user"))?;
        }

        let mut last_log = String::new();
        for _ in 0..PORT_ATTEMPTS {
            let port = free_port()?;
            match Self::start_on(&bindir, run_as, &dir, port) {
                Ok((child, stdin)) => {
                    let server = PostgresServer {
                        child,
                        stdin: Some(stdin),
                        port,
                        bindir,
                        run_as,
                        dir,
                    };
                    server.createdb(DATABASE)?;
                    return Ok(server);
                }
                Err(PostgresError::Exited { log, .. }) if log.contains("already in use") => {
                    last_log = log;
                }
                Err(e) => return Err(e),
            }
        }
        Err(PostgresError::NoFreePort {
            attempts: PORT_ATTEMPTS,
            log: last_log,
        })
    }

    /// One server shared by every test of the process (give each test its own database,
    /// see [`PostgresServer::create_database`]). It stops when the process ends.
    ///
    /// # Panics
    /// When the server cannot be started (the message says why).
    pub fn shared() -> &'static PostgresServer {
        static SHARED: OnceLock<Result<PostgresServer, String>> = OnceLock::new();
        match SHARED.get_or_init(|| PostgresServer::start().map_err(|e| e.to_string())) {
            Ok(server) => server,
            Err(message) => panic!("{message}"),
        }
    }

    /// Starts `postgres` on `port` through [`WRAPPER`] and waits until it accepts
    /// connections; on failure the process is gone.
    fn start_on(
        bindir: &Path,
        run_as: RunAs,
        dir: &TempDir,
        port: u16,
    ) -> Result<(Child, ChildStdin), PostgresError> {
        let log_path = dir.path().join("postgres.log");
        let log = File::create(&log_path).map_err(io_err("creating the log file"))?;
        let stderr = log.try_clone().map_err(io_err("opening the log file"))?;
        let mut command = Command::new("sh");
        if let Some((uid, gid)) = run_as {
            command.uid(uid).gid(gid);
        }
        let mut child = command
            .current_dir(dir.path())
            .env("HOME", dir.path())
            .arg("-c")
            .arg(WRAPPER)
            .arg("sh")
            .arg(bindir.join("postgres"))
            .arg(dir.path().join("data"))
            .arg(dir.path())
            .arg(port.to_string())
            .arg(dir.path())
            .stdin(Stdio::piped())
            .stdout(log)
            .stderr(stderr)
            .spawn()
            .map_err(io_err("starting postgres"))?;
        let Some(stdin) = child.stdin.take() else {
            let _ = child.kill();
            let _ = child.wait();
            return Err(PostgresError::Io {
                what: "starting postgres".into(),
                source: io::Error::other("no stdin pipe"),
            });
        };
        let deadline = Instant::now() + START_TIMEOUT;
        let failure = loop {
            match child.try_wait() {
                Err(e) => break io_err("waiting for postgres")(e),
                Ok(Some(status)) => {
                    break PostgresError::Exited {
                        port,
                        status,
                        log: tail(&log_path),
                    };
                }
                Ok(None) => {}
            }
            let ready = program(bindir, "pg_isready", run_as, dir.path())
                .args(["-h", "127.0.0.1", "-p", &port.to_string(), "-U", SUPERUSER])
                .args(["-d", "postgres", "-t", "1"])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status();
            if ready.is_ok_and(|s| s.success()) {
                return Ok((child, stdin));
            }
            if Instant::now() >= deadline {
                break PostgresError::Timeout {
                    port,
                    timeout: START_TIMEOUT,
                    log: tail(&log_path),
                };
            }
            thread::sleep(Duration::from_millis(50));
        };
        drop(stdin);
        let _ = child.kill();
        let _ = child.wait();
        Err(failure)
    }

    /// The server's port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The server's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The data directory.
    pub fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    /// The URL of [`DATABASE`] as the superuser:
    /// `postgres://postgres@127.0.0.1:<port>/stepwise`.
    pub fn url(&self) -> String {
        self.url_for(DATABASE)
    }

    /// The URL of `database` as the superuser: `postgres://postgres@127.0.0.1:<port>/<database>`.
    pub fn url_for(&self, database: &str) -> String {
        format!("postgres://{SUPERUSER}@127.0.0.1:{}/{database}", self.port)
    }

    /// Creates database `name` (letters, digits, `_` and `-`) and returns its URL.
    pub fn create_database(&self, name: &str) -> Result<String, PostgresError> {
        self.createdb(name)?;
        Ok(self.url_for(name))
    }

    /// Runs `sql` (one or more statements) in `database` as the superuser with `psql`,
    /// stopping at the first error, and returns what it printed (unaligned, tuples only).
    pub fn psql(&self, database: &str, sql: &str) -> Result<String, PostgresError> {
        let output = self
            .client("psql")
            .args([
                "-d",
                database,
                "-v",
                "ON_ERROR_STOP=1",
                "-X",
                "-q",
                "-A",
                "-t",
            ])
            .arg("-c")
            .arg(sql)
            .output()
            .map_err(io_err("running psql"))?;
        check("psql", &output)?;
        Ok(String::from_utf8_lossy(&output.stdout).into_owned())
    }

    /// The end of the server's log so far.
    pub fn log_tail(&self) -> String {
        tail(&self.dir.path().join("postgres.log"))
    }

    fn createdb(&self, name: &str) -> Result<(), PostgresError> {
        let output = self
            .client("createdb")
            .arg(name)
            .output()
            .map_err(io_err("running createdb"))?;
        check(&format!("createdb {name}"), &output)
    }

    /// A client program connected to this server as the superuser over TCP.
    fn client(&self, name: &str) -> Command {
        let mut command = program(&self.bindir, name, self.run_as, self.dir.path());
        command.args([
            "-h",
            "127.0.0.1",
            "-p",
            &self.port.to_string(),
            "-U",
            SUPERUSER,
        ]);
        command
    }
}

impl Drop for PostgresServer {
    fn drop(&mut self) {
        // Closing the pipe makes the wrapper's watcher ask for a fast shutdown; give it a
        // moment, then kill it outright, and reap it so no process is left behind. The
        // directory goes with `self.dir`.
        drop(self.stdin.take());
        let deadline = Instant::now() + STOP_TIMEOUT;
        while matches!(self.child.try_wait(), Ok(None)) && Instant::now() < deadline {
            thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The user the server programs run as: the `postgres` system user when this process is
/// root (PostgreSQL refuses to run as root), else nobody else.
fn run_as() -> Result<RunAs, PostgresError> {
    let me = fs::metadata("/proc/self")
        .map_err(io_err("finding the current user"))?
        .uid();
    if me != 0 {
        return Ok(None);
    }
    let passwd = fs::read_to_string("/etc/passwd").map_err(io_err("reading /etc/passwd"))?;
    passwd
        .lines()
        .map(|line| line.split(':').collect::<Vec<_>>())
        .find(|fields| fields.first() == Some(&SYSTEM_USER))
        .and_then(|fields| Some((fields.get(2)?.parse().ok()?, fields.get(3)?.parse().ok()?)))
        .map(Some)
        .ok_or(PostgresError::NoSystemUser)
}

/// One of the server programs, run as `run_as`, in `dir`.
fn program(bindir: &Path, name: &str, run_as: RunAs, dir: &Path) -> Command {
    let mut command = Command::new(bindir.join(name));
    if let Some((uid, gid)) = run_as {
        command.uid(uid).gid(gid);
    }
    command
        .current_dir(dir)
        .env("HOME", dir)
        .env_remove("PGPASSWORD")
        .env_remove("PGSERVICE")
        .stdin(Stdio::null());
    command
}

/// Fails with the program's output when it did not succeed.
fn check(what: &str, output: &Output) -> Result<(), PostgresError> {
    if output.status.success() {
        return Ok(());
    }
    Err(PostgresError::Command {
        what: what.to_string(),
        status: output.status,
        output: format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        ),
    })
}

/// The end of a log file.
fn tail(path: &Path) -> String {
    let mut bytes = Vec::new();
    if let Ok(mut file) = File::open(path) {
        let _ = file.read_to_end(&mut bytes);
    }
    let text = String::from_utf8_lossy(&bytes).into_owned();
    match text.char_indices().rev().nth(LOG_TAIL) {
        Some((cut, _)) => format!("…{}", &text[cut..]),
        None => text,
    }
}

/// A port nothing listens on right now (bound on `127.0.0.1:0`, then released).
fn free_port() -> Result<u16, PostgresError> {
    let listener =
        TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).map_err(io_err("finding a free port"))?;
    Ok(listener
        .local_addr()
        .map_err(io_err("finding a free port"))?
        .port())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn starts_answers_sql_and_stops_on_drop() {
        let server = PostgresServer::start().unwrap();
        let (port, pid, dir) = (server.port(), server.pid(), server.dir.path().to_path_buf());
        assert_eq!(
            server.url(),
            format!("postgres://postgres@127.0.0.1:{port}/stepwise")
        );
        assert_eq!(server.psql(DATABASE, "SELECT 1 + 1").unwrap().trim(), "2");
        let url = server.create_database("other-db").unwrap();
        assert!(url.ends_with("/other-db"), "{url}");
        let err = server.psql("other-db", "SELECT * FROM nope").unwrap_err();
        assert!(err.to_string().contains("\"nope\" does not exist"), "{err}");
        drop(server);
        assert!(
            !Path::new(&format!("/proc/{pid}")).exists(),
            "postgres {pid} still runs"
        );
        assert!(TcpListener::bind((Ipv4Addr::LOCALHOST, port)).is_ok());
        assert!(!dir.exists(), "{} was not deleted", dir.display());
    }

    #[test]
    fn a_server_whose_pipe_closes_stops_and_cleans_up_by_itself() {
        let mut server = PostgresServer::start().unwrap();
        let dir = server.dir.path().to_path_buf();
        drop(server.stdin.take());
        let deadline = Instant::now() + STOP_TIMEOUT;
        while server.child.try_wait().unwrap().is_none() {
            assert!(
                Instant::now() < deadline,
                "postgres ignored the closed pipe"
            );
            thread::sleep(Duration::from_millis(20));
        }
        let deadline = Instant::now() + Duration::from_secs(5);
        while dir.join("data").exists() {
            assert!(
                Instant::now() < deadline,
                "the watcher left the data behind"
            );
            thread::sleep(Duration::from_millis(20));
        }
    }

    #[test]
    fn the_binaries_are_found() {
        let dir = PostgresServer::bindir().unwrap();
        assert!(dir.join("postgres").is_file(), "{}", dir.display());
    }
}
