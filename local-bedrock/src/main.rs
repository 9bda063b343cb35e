//! `local-bedrock --port N`: serves the Titan-compatible endpoint on `127.0.0.1:N` (0 picks
//! a free port) and prints `listening on http://127.0.0.1:PORT` as its first line.
//!
//! It stops on SIGINT or SIGTERM, and when its standard input is a pipe that closes (so
//! it goes away with the parent holding the pipe). A standard input that is a terminal,
//! a file or `/dev/null` is not watched.

use std::io::Write;
use std::net::Ipv4Addr;
use std::process::ExitCode;

use clap::Parser;
use tokio::net::TcpListener;
use tokio::sync::oneshot;

/// A Titan-compatible Bedrock InvokeModel endpoint on loopback; its embeddings are
/// deterministic image features, not a neural model.
#[derive(Debug, Parser)]
#[command(name = "local-bedrock", version)]
struct Args {
    /// Port on 127.0.0.1 (0 picks a free one).
    #[arg(long, default_value_t = 0)]
    port: u16,
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    let listener = match TcpListener::bind((Ipv4Addr::LOCALHOST, args.port)).await {
        Ok(listener) => listener,
        Err(e) => {
            eprintln!(
                "local-bedrock: cannot listen on 127.0.0.1:{}: {e}",
                args.port
            );
            return ExitCode::FAILURE;
        }
    };
    let addr = match listener.local_addr() {
        Ok(addr) => addr,
        Err(e) => {
            eprintln!("local-bedrock: {e}");
            return ExitCode::FAILURE;
        }
    };
    let mut stdout = std::io::stdout();
    if writeln!(stdout, "listening on http://{addr}")
        .and_then(|()| stdout.flush())
        .is_err()
    {
        // Nobody reads the address: serving would be pointless.
        return ExitCode::FAILURE;
    }
    match local_bedrock::serve_with_shutdown(listener, shutdown()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("local-bedrock: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Completes on SIGINT, SIGTERM, or end of file on a piped standard input.
async fn shutdown() {
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
