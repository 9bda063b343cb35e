//! `local-shutdown`: when a local emulator binary should stop serving — SIGINT, SIGTERM, or
//! end of file on a piped standard input (so a parent that dies, or a test harness that
//! drops the pipe, never leaves the server behind). Shared by `local-bedrock` and
//! `local-s3vectors`; it knows nothing about what they serve. [`harness`] is the other
//! side: starting such a binary and stopping it (their tests use it).

pub mod harness;

use tokio::sync::oneshot;

/// Completes on SIGINT, SIGTERM, or end of file on a piped standard input.
pub async fn shutdown() {
    let stdin_closed = stdin_closed();
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        () = terminate => {}
        () = stdin_closed => {}
    }
}

/// Completes when a piped standard input reaches end of file; never otherwise. A plain
/// thread reads it (a blocking read would keep a Tokio runtime from shutting down).
async fn stdin_closed() {
    if !stdin_is_pipe() {
        return std::future::pending().await;
    }
    let (tx, rx) = oneshot::channel();
    std::thread::spawn(move || {
        let _ = std::io::copy(&mut std::io::stdin().lock(), &mut std::io::sink());
        let _ = tx.send(());
    });
    let _ = rx.await;
}

#[cfg(unix)]
fn stdin_is_pipe() -> bool {
    use std::os::fd::AsFd;
    use std::os::unix::fs::FileTypeExt;
    let Ok(fd) = std::io::stdin().as_fd().try_clone_to_owned() else {
        return false;
    };
    std::fs::File::from(fd)
        .metadata()
        .map(|m| m.file_type().is_fifo() || m.file_type().is_socket())
        .unwrap_or(false)
}

#[cfg(not(unix))]
fn stdin_is_pipe() -> bool {
    false
}
