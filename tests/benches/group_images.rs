//! group-images benchmarks (harness-less: prints a report, exits non-zero when a target
//! is missed). `cargo bench -p stepwise-tests --bench group_images`
//!
//! - ClusterImages' clustering against scikit-learn's `AgglomerativeClustering(metric=
//!   "cosine", linkage="average", distance_threshold=t)` on the same seeded 1024-d
//!   vectors at 500, 2,000 and 5,000 (median wall time of 5 runs for ours, of 3 for
//!   scikit-learn's, 1 at 5,000; the same partition required; at least 5× faster at
//!   2,000).
//! - FetchEmbeddings' concurrent fetch (32 in flight) against one-by-one, 100 and 1,000
//!   stored embeddings through a loopback S3 with 10 ms added per request
//!   (`stepwise_tests::latency_s3`, loaded from moto; at least 10× faster).

use std::time::{Duration, Instant};

use aws_sdk_s3::primitives::ByteStream;
use stepwise_embeddings::encode_vector;
use stepwise_group_images::cluster::cluster;
use stepwise_group_images::fetch::{FetchRequest, fetch_embeddings};
use stepwise_tests::clustering::{same_partition, sklearn, synthetic};
use stepwise_tests::latency_s3::LatencyS3;
use stepwise_tests::{MotoServer, unique_id};

/// The middle value (the upper one of an even count).
fn median(mut seconds: Vec<f64>) -> f64 {
    seconds.sort_by(f64::total_cmp);
    seconds[seconds.len() / 2]
}

/// `f`'s last value and the median of `runs` wall times.
fn timed<T>(runs: usize, mut f: impl FnMut() -> T) -> (T, f64) {
    let mut seconds = Vec::with_capacity(runs);
    let mut out = None;
    for _ in 0..runs {
        let start = Instant::now();
        let value = f();
        seconds.push(start.elapsed().as_secs_f64());
        out = Some(value);
    }
    (out.expect("at least one run"), median(seconds))
}

fn clustering(failures: &mut Vec<String>) {
    let dir = tempfile::tempdir().expect("temp dir");
    println!(
        "ClusterImages' clustering vs scikit-learn (1024-d, average linkage, cosine, threshold 0.5)"
    );
    // Other work on the machine skews both sides: say how much there was.
    if let Ok(load) = std::fs::read_to_string("/proc/loadavg") {
        let load: Vec<&str> = load.split_whitespace().take(3).collect();
        println!(
            "load average {} on {} CPUs",
            load.join(" "),
            std::thread::available_parallelism().map_or(1, |n| n.get())
        );
    }
    println!(
        "{:>6} {:>12} {:>14} {:>8} {:>10}",
        "n", "ours (s)", "sklearn (s)", "ratio", "partition"
    );
    for n in [500, 2000, 5000] {
        let (vectors, _) = synthetic(n, 1024, n / 20, 0.02, n as u64);
        let rows: Vec<&[f32]> = vectors.iter().map(Vec::as_slice).collect();
        let (ours, ours_s) = timed(5, || cluster(&rows, 0.5).labels(n));
        let repeat = if n > 2000 { 1 } else { 3 };
        let (theirs, seconds) =
            sklearn(&vectors, 0.5, repeat, dir.path()).expect("scikit-learn runs");
        let theirs_s = median(seconds);
        let same = same_partition(&ours, &theirs);
        let ratio = theirs_s / ours_s;
        println!(
            "{n:>6} {ours_s:>12.3} {theirs_s:>14.3} {ratio:>7.1}× {:>10}",
            if same { "same" } else { "DIFFERS" }
        );
        if !same {
            failures.push(format!("n={n}: the partition differs from scikit-learn's"));
        }
        if n == 2000 && ratio < 5.0 {
            failures.push(format!(
                "n=2000: {ratio:.1}× faster than scikit-learn, wanted at least 5×"
            ));
        }
    }
}

async fn fetching(failures: &mut Vec<String>) {
    let moto = MotoServer::shared();
    let config = moto.sdk_config();
    let s3 = aws_sdk_s3::Client::new(&config);
    let bucket = format!("gi-bench-{}", unique_id());
    s3.create_bucket()
        .bucket(&bucket)
        .send()
        .await
        .expect("bucket");
    let vector: Vec<f32> = (0..1024).map(|i| (i as f32 * 0.01).sin()).collect();
    for i in 0..1000 {
        s3.put_object()
            .bucket(&bucket)
            .key(format!("embeddings/m/1024/{i:064}"))
            .body(ByteStream::from(encode_vector(&vector)))
            .send()
            .await
            .expect("put");
    }
    let proxy = LatencyS3::load(&s3, &bucket, "embeddings/", Duration::from_millis(10))
        .await
        .expect("proxy");
    let client = proxy.client(&config);
    println!();
    println!("FetchEmbeddings' fetch through a loopback S3 with 10 ms per request");
    println!(
        "{:>7} {:>16} {:>16} {:>8}",
        "objects", "32 in flight (s)", "one by one (s)", "ratio"
    );
    for n in [100, 1000] {
        let requests = || {
            (0..n)
                .map(|i| FetchRequest {
                    id: i.to_string(),
                    key: format!("embeddings/m/1024/{i:064}"),
                })
                .collect::<Vec<_>>()
        };
        let start = Instant::now();
        let concurrent = fetch_embeddings(&client, &bucket, requests(), 32).await;
        let concurrent_s = start.elapsed().as_secs_f64();
        let start = Instant::now();
        let serial = fetch_embeddings(&client, &bucket, requests(), 1).await;
        let serial_s = start.elapsed().as_secs_f64();
        assert_eq!(concurrent.metrics.found, n, "{:?}", concurrent.metrics);
        assert_eq!(serial.metrics.found, n);
        let ratio = serial_s / concurrent_s;
        println!("{n:>7} {concurrent_s:>16.3} {serial_s:>16.3} {ratio:>7.1}×");
        if ratio < 10.0 {
            failures.push(format!(
                "{n} objects: {ratio:.1}× faster than one by one, wanted at least 10×"
            ));
        }
    }
}

fn main() {
    let mut failures = Vec::new();
    clustering(&mut failures);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(fetching(&mut failures));
    if !failures.is_empty() {
        for f in &failures {
            eprintln!("MISSED: {f}");
        }
        std::process::exit(1);
    }
}
