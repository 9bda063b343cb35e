//! `local-s3vectors --port N`: serves S3 Vectors' API on `127.0.0.1:N` (0 picks a free
//! port) and prints `listening on http://127.0.0.1:PORT` as its first line.
//!
//! `--latency-ms`, `--write-rate`, `--write-requests-rate`, `--fault-rate`,
//! `--fault-status` and `--fault-seed` set the [`local_s3vectors::Options`]. It stops on
//! SIGINT or SIGTERM, and when its standard input is a pipe that closes (so it goes away
//! with the parent holding the pipe). A standard input that is a terminal, a file or
//! `/dev/null` is not watched.

use std::io::Write;
use std::net::Ipv4Addr;
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use local_s3vectors::{FaultKind, Faults, Options};
use tokio::net::TcpListener;

/// Amazon S3 Vectors' API on loopback: exact k-NN, metadata filters, the documented
/// limits; in memory, nothing persists.
#[derive(Debug, Parser)]
#[command(name = "local-s3vectors", version)]
struct Args {
    /// Port on 127.0.0.1 (0 picks a free one).
    #[arg(long, default_value_t = 0)]
    port: u16,
    /// Milliseconds added to every request.
    #[arg(long, default_value_t = 0)]
    latency_ms: u64,
    /// Vectors written (inserted or deleted) per second per index; 0 is unlimited.
    #[arg(long, default_value_t = local_s3vectors::limits::WRITE_VECTORS_PER_SECOND)]
    write_rate: u32,
    /// PutVectors and DeleteVectors requests per second per index; 0 is unlimited.
    #[arg(long, default_value_t = local_s3vectors::limits::WRITE_REQUESTS_PER_SECOND)]
    write_requests_rate: u32,
    /// Fraction (0 to 1) of PutVectors requests failed before anything is written.
    #[arg(long, default_value_t = 0.0, value_parser = fraction)]
    fault_rate: f64,
    /// The failed requests' status: 429 (TooManyRequestsException) or 503
    /// (ServiceUnavailableException).
    #[arg(long, default_value_t = 429, value_parser = fault_status)]
    fault_status: u16,
    /// Seed choosing which requests fail.
    #[arg(long, default_value_t = 0)]
    fault_seed: u64,
}

fn fraction(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(f) if (0.0..=1.0).contains(&f) => Ok(f),
        _ => Err(format!("{text:?} is not a fraction between 0 and 1")),
    }
}

fn options(args: &Args) -> Options {
    let limit = |n: u32| (n > 0).then_some(n);
    let mut options = Options::default()
        .with_latency(Duration::from_millis(args.latency_ms))
        .with_write_rate(limit(args.write_rate))
        .with_write_requests_rate(limit(args.write_requests_rate));
    if args.fault_rate > 0.0 {
        options = options.with_faults(Faults {
            fraction: args.fault_rate,
            kind: if args.fault_status == 503 {
                FaultKind::ServiceUnavailable
            } else {
                FaultKind::TooManyRequests
            },
            seed: args.fault_seed,
        });
    }
    options
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    let listener = match TcpListener::bind((Ipv4Addr::LOCALHOST, args.port)).await {
        Ok(listener) => listener,
        Err(e) => {
            eprintln!(
                "local-s3vectors: cannot listen on 127.0.0.1:{}: {e}",
                args.port
            );
            return ExitCode::FAILURE;
        }
    };
    let addr = match listener.local_addr() {
        Ok(addr) => addr,
        Err(e) => {
            eprintln!("local-s3vectors: {e}");
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
    match local_s3vectors::serve_with_shutdown(listener, options(&args), local_shutdown::shutdown())
        .await
    {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("local-s3vectors: {e}");
            ExitCode::FAILURE
        }
    }
}

fn fault_status(text: &str) -> Result<u16, String> {
    match text {
        "429" => Ok(429),
        "503" => Ok(503),
        _ => Err(format!("{text:?} is not 429 or 503")),
    }
}
