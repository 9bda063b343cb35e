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
    match local_bedrock::serve_with_shutdown(listener, local_shutdown::shutdown()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("local-bedrock: {e}");
            ExitCode::FAILURE
        }
    }
}
