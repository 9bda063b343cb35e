//! Every byte the CLI writes to stdout or stderr goes through here.
//!
//! `print!` panics when stdout is closed or full, and a buffered `println!` whose flush
//! fails at exit is silently lost. Instead each write is flushed and its error returned:
//! a closed pipe (`EPIPE`, e.g. `stepwise fmt x.json | head -c1`) means the reader has had
//! enough, and the program ends quietly (exit 0, like `yes | head`); any other
//! failure (`> /dev/full`, a closed descriptor) is an error (exit 1).

use std::io::{self, Write};
use std::sync::atomic::{AtomicBool, Ordering};

/// Whether stdout / stderr were closed descriptors when the program started.
static STDOUT_CLOSED: AtomicBool = AtomicBool::new(false);
static STDERR_CLOSED: AtomicBool = AtomicBool::new(false);

/// Records which of stdout and stderr are closed descriptors (`>&-`). It must run before
/// Rust's runtime starts: that runtime quietly reopens closed standard descriptors on
/// `/dev/null`, after which a closed stdout looks like a sink that accepts everything and
/// `exec` would "succeed" with its result lost. So it is an ELF constructor, which the
/// loader runs before `main` and before Rust's own start-up.
#[cfg(target_os = "linux")]
extern "C" fn probe_standard_descriptors() {
    // SAFETY: fcntl(F_GETFD) only reads the descriptor's flags; it touches no memory.
    let closed = |fd| unsafe { libc::fcntl(fd, libc::F_GETFD) } == -1;
    STDOUT_CLOSED.store(closed(1), Ordering::Relaxed);
    STDERR_CLOSED.store(closed(2), Ordering::Relaxed);
}

#[cfg(target_os = "linux")]
#[used]
#[unsafe(link_section = ".init_array")]
static PROBE: extern "C" fn() = probe_standard_descriptors;

/// Fails when stdout was closed at start-up, so a command refuses to run rather than
/// lose its result. Call first thing in `main`.
pub fn check_streams() -> Result<(), OutputError> {
    if STDOUT_CLOSED.load(Ordering::Relaxed) {
        return Err(closed_error("stdout"));
    }
    Ok(())
}

fn closed_error(stream: &'static str) -> OutputError {
    OutputError::Failed {
        stream,
        source: io::Error::from_raw_os_error(9),
    }
}

/// A failed write to stdout or stderr.
#[derive(Debug, thiserror::Error)]
pub enum OutputError {
    /// The reader closed the pipe: stop quietly.
    #[error("the reader closed the pipe")]
    Closed,
    /// Any other failure, e.g. a full disk or a closed descriptor.
    #[error("cannot write to {stream}: {source}")]
    Failed {
        /// `stdout` or `stderr`.
        stream: &'static str,
        /// Why.
        source: io::Error,
    },
}

fn write_to(mut w: impl Write, stream: &'static str, text: &str) -> Result<(), OutputError> {
    w.write_all(text.as_bytes())
        .and_then(|()| w.flush())
        .map_err(|source| {
            if source.kind() == io::ErrorKind::BrokenPipe {
                OutputError::Closed
            } else {
                OutputError::Failed { stream, source }
            }
        })
}

/// Writes `text` to stdout and flushes it.
pub fn out(text: &str) -> Result<(), OutputError> {
    if STDOUT_CLOSED.load(Ordering::Relaxed) {
        return Err(closed_error("stdout"));
    }
    write_to(io::stdout().lock(), "stdout", text)
}

/// Writes `text` and a newline to stdout.
pub fn outln(text: &str) -> Result<(), OutputError> {
    out(&format!("{text}\n"))
}

/// Writes `text` to stderr.
pub fn err(text: &str) -> Result<(), OutputError> {
    if STDERR_CLOSED.load(Ordering::Relaxed) {
        return Err(closed_error("stderr"));
    }
    write_to(io::stderr().lock(), "stderr", text)
}

/// Writes `text` and a newline to stderr.
pub fn errln(text: &str) -> Result<(), OutputError> {
    err(&format!("{text}\n"))
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Failing(io::ErrorKind);

    impl Write for Failing {
        fn write(&mut self, _: &[u8]) -> io::Result<usize> {
            Err(io::Error::from(self.0))
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_closed_pipe_is_quiet_and_other_failures_are_errors() {
        assert!(matches!(
            write_to(Failing(io::ErrorKind::BrokenPipe), "stdout", "x"),
            Err(OutputError::Closed)
        ));
        let e = write_to(Failing(io::ErrorKind::StorageFull), "stdout", "x").unwrap_err();
        assert!(e.to_string().starts_with("cannot write to stdout: "), "{e}");
        let mut ok = Vec::new();
        write_to(&mut ok, "stdout", "hello").unwrap();
        assert_eq!(ok, b"hello");
    }
}
