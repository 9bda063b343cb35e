//! WritePartition's Parquet encoding against pyarrow writing the same table, in the same
//! run.
//!
//! 10,000 sales of one tenant (about 10 products, 2 currencies) with 1024-float
//! embeddings (normalised pseudo-random vectors from a fixed seed) are generated once.
//! The Arrow table is handed to Python as an Arrow IPC file, loaded before its clock
//! starts; each side then times only the encoding to bytes in memory, over several
//! iterations after a warm-up:
//!
//! - `encode_partition` — the activity's function: rows → Parquet bytes, written column
//!   by column (it does more than pyarrow: it gathers every row's embedding first);
//! - parquet-rs' `ArrowWriter` from the already-built Arrow batch with the same
//!   properties — what `encode_partition` replaced, for reference;
//! - `pyarrow.parquet.write_table` with the same settings: zstd at the same explicit
//!   level, dictionary encoding on the same columns, statistics on the same columns, the
//!   same row group and data page sizes, data page v1, the Arrow schema stored.
//!
//! Both outputs are then read by `scripts/check_parquet.py` to show they hold the same
//! schema, rows and encodings. Reported: median time, rows/s and file size of each, and
//! the ratios against the targets (rows/s at least pyarrow's, size within 10%).
//!
//! pyarrow runs twice: with its default memory pool (mimalloc, which keeps freed memory
//! for reuse) — the target — and with the system allocator (glibc malloc, what the Rust
//! side uses), to show how much of a difference is the allocator's rather than the
//! encoder's.
//!
//! Run with `cargo bench -p stepwise-tests --bench parquet_vs_pyarrow` (release build);
//! needs the project venv with pyarrow (`scripts/python-env.sh`).

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use arrow::array::RecordBatch;
use arrow::ipc::writer::FileWriter;
use chrono::NaiveDate;
use parquet::arrow::ArrowWriter;
use serde_json::Value;
use stepwise_daily_sales_export::write_partition::{
    DATA_PAGE_BYTES, DICTIONARY_COLUMNS, ENCODE_CHUNK_ROWS, NO_STATISTICS_COLUMNS, ROW_GROUP_ROWS,
    ZSTD_LEVEL, encode_partition, partition_batch, partition_schema, writer_properties,
};
use stepwise_embeddings::EMBEDDING_DIM;
use stepwise_lake::Sale;
use stepwise_tests::workspace_root;

const ROWS: usize = 10_000;
const ITERATIONS: usize = 7;
const PRODUCTS: usize = 10;
const SEED: u64 = 0x5EED_2026_0309;

/// Loads the IPC file (untimed), then times `pq.write_table` into memory. Prints JSON.
const PYTHON: &str = r#"
import json, sys, time
import pyarrow as pa, pyarrow.ipc as ipc, pyarrow.parquet as pq
path, out, iterations, level, row_group, page, dictionary, no_stats = sys.argv[1:9]
with pa.memory_map(path) as source:
    table = ipc.open_file(source).read_all()
dictionary = [c for c in dictionary.split(",") if c]
no_stats = set(c for c in no_stats.split(",") if c)
statistics = [name for name in table.schema.names if name not in no_stats]
def write(sink):
    pq.write_table(table, sink, compression="zstd", compression_level=int(level),
                   use_dictionary=dictionary, write_statistics=statistics,
                   row_group_size=int(row_group), data_page_size=int(page),
                   version="2.6", data_page_version="1.0", store_schema=True)
write(pa.BufferOutputStream())  # warm-up
seconds, size = [], 0
for _ in range(int(iterations)):
    sink = pa.BufferOutputStream()
    start = time.perf_counter()
    write(sink)
    seconds.append(time.perf_counter() - start)
    size = sink.getvalue().size
write(out)
print(json.dumps({"seconds": seconds, "bytes": size, "rows": table.num_rows, "version": pa.__version__,
                  "allocator": pa.default_memory_pool().backend_name}))
"#;

/// SplitMix64: a small, fixed-seed generator (no dependency, same data every run).
struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Standard normal (Box–Muller).
    fn normal(&mut self) -> f64 {
        let u = self.unit().max(f64::MIN_POSITIVE);
        let v = self.unit();
        (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
    }
}

/// The benchmark's sales: one tenant's day, unit-length embeddings like Titan's.
fn rows() -> Vec<(Sale, Vec<f32>)> {
    let mut rng = SplitMix(SEED);
    (0..ROWS)
        .map(|i| {
            let product = (rng.next() % PRODUCTS as u64) as usize;
            let second = rng.next() % 86_400;
            let sale = Sale {
                sale_id: format!("S-{:08}", 1_000_000 + i),
                tenant_id: "acme".to_string(),
                product_id: format!("P-{product:04}"),
                sold_at: format!(
                    "2026-03-09T{:02}:{:02}:{:02}Z",
                    second / 3600,
                    second / 60 % 60,
                    second % 60
                ),
                quantity: 1 + (rng.next() % 5) as i64,
                unit_price_cents: 499 + 250 * product as i64,
                currency: if product.is_multiple_of(3) {
                    "USD"
                } else {
                    "EUR"
                }
                .to_string(),
                image_url: format!("s3://smartgo-images/products/P-{product:04}.jpg"),
            };
            let raw: Vec<f64> = (0..EMBEDDING_DIM).map(|_| rng.normal()).collect();
            let norm = raw.iter().map(|x| x * x).sum::<f64>().sqrt();
            let embedding = raw.iter().map(|x| (x / norm) as f32).collect();
            (sale, embedding)
        })
        .collect()
}

/// parquet-rs' `ArrowWriter` on the whole batch, in slices of [`ENCODE_CHUNK_ROWS`]
/// rows, with the partition's writer properties.
fn arrow_writer(batch: &RecordBatch) -> Vec<u8> {
    let mut writer = ArrowWriter::try_new(Vec::new(), batch.schema(), Some(writer_properties()))
        .expect("ArrowWriter");
    let mut offset = 0;
    while offset < batch.num_rows() {
        let len = ENCODE_CHUNK_ROWS.min(batch.num_rows() - offset);
        writer.write(&batch.slice(offset, len)).expect("write");
        offset += len;
    }
    writer.into_inner().expect("close")
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

/// Times `f` over [`ITERATIONS`] runs after one warm-up; returns the median and the
/// size of what it produced. Every run must produce the same bytes as the warm-up.
fn time(mut f: impl FnMut() -> Vec<u8>) -> (Duration, usize) {
    let first = f();
    let samples = (0..ITERATIONS)
        .map(|_| {
            let start = Instant::now();
            let bytes = f();
            let elapsed = start.elapsed();
            assert!(
                bytes == first,
                "the encoding is deterministic: same input, same bytes"
            );
            elapsed
        })
        .collect();
    (median(samples), first.len())
}

fn rate(rows: usize, time: Duration) -> f64 {
    rows as f64 / time.as_secs_f64()
}

fn mib(bytes: usize) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

fn check(root: &Path, python: &Path, files: &[&Path]) -> Vec<Value> {
    let output = Command::new(python)
        .arg(root.join("scripts/check_parquet.py"))
        .args(files)
        .output()
        .expect("check_parquet.py");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let summary: Value = serde_json::from_slice(&output.stdout).expect("JSON");
    summary["files"].as_array().cloned().unwrap_or_default()
}

fn main() {
    let root = workspace_root();
    let python = root.join(".venv/bin/python");
    assert!(
        python.is_file(),
        "no {} (run scripts/python-env.sh)",
        python.display()
    );
    let dir = tempfile::tempdir().expect("temp dir");
    let date = NaiveDate::from_ymd_opt(2026, 3, 9).expect("a date");

    let rows = rows();
    let batch = partition_batch(&rows, date).expect("a batch");
    let ipc = dir.path().join("sales.arrow");
    {
        let file = std::fs::File::create(&ipc).expect("IPC file");
        let mut writer = FileWriter::try_new(file, &partition_schema()).expect("IPC writer");
        writer.write(&batch).expect("IPC batch");
        writer.finish().expect("IPC footer");
    }

    let (rows_time, rows_size) = time(|| encode_partition(&rows, date).expect("encode_partition"));
    let (batch_time, batch_size) = time(|| arrow_writer(&batch));
    let rust_file = dir.path().join("rust.parquet");
    std::fs::write(&rust_file, encode_partition(&rows, date).expect("encode")).expect("write");

    let py_file = dir.path().join("pyarrow.parquet");
    let pyarrow = |allocator: Option<&str>| -> (Duration, usize, String, String) {
        let mut command = Command::new(&python);
        command
            .arg("-c")
            .arg(PYTHON)
            .arg(&ipc)
            .arg(&py_file)
            .arg(ITERATIONS.to_string())
            .arg(ZSTD_LEVEL.to_string())
            .arg(ROW_GROUP_ROWS.to_string())
            .arg(DATA_PAGE_BYTES.to_string())
            .arg(DICTIONARY_COLUMNS.join(","))
            .arg(NO_STATISTICS_COLUMNS.join(","));
        if let Some(allocator) = allocator {
            command.env("ARROW_DEFAULT_MEMORY_POOL", allocator);
        }
        let output = command.output().expect("python");
        assert!(
            output.status.success(),
            "pyarrow side failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let py: Value = serde_json::from_slice(&output.stdout).expect("pyarrow's JSON");
        assert_eq!(py["rows"].as_u64(), Some(ROWS as u64));
        let samples: Vec<Duration> = py["seconds"]
            .as_array()
            .expect("seconds")
            .iter()
            .filter_map(Value::as_f64)
            .map(Duration::from_secs_f64)
            .collect();
        let text = |field: &str| py[field].as_str().unwrap_or("?").to_string();
        (
            median(samples),
            py["bytes"].as_u64().expect("bytes") as usize,
            text("version"),
            text("allocator"),
        )
    };
    let (system_time, system_size, _, system_allocator) = pyarrow(Some("system"));
    let (py_time, py_size, py_version, py_allocator) = pyarrow(None);

    let summaries = check(&root, &python, &[&rust_file, &py_file]);
    let (rust, pyarrow) = (&summaries[0], &summaries[1]);
    for field in [
        "schema",
        "num_rows",
        "num_row_groups",
        "compression",
        "dictionary_columns",
        "statistics_columns",
    ] {
        assert_eq!(
            rust[field], pyarrow[field],
            "{field} differs between the two files"
        );
    }

    let uncompressed = ROWS * EMBEDDING_DIM * 4;
    println!(
        "Parquet encoding of {ROWS} sales × {EMBEDDING_DIM} f32 (embeddings {:.1} MiB raw), zstd level {ZSTD_LEVEL}, \
         row groups of {ROW_GROUP_ROWS}, pages of {} KiB, dictionary on {}; median of {ITERATIONS}",
        mib(uncompressed),
        DATA_PAGE_BYTES / 1024,
        DICTIONARY_COLUMNS.join("/"),
    );
    println!(
        "{:<44} {:>10} {:>14} {:>11}",
        "encoder", "time (ms)", "rows/s", "size (MiB)"
    );
    let line = |name: &str, t: Duration, size: usize| {
        println!(
            "{name:<44} {:>10.1} {:>14.0} {:>11.2}",
            t.as_secs_f64() * 1e3,
            rate(ROWS, t),
            mib(size)
        );
    };
    line(
        "parquet-rs encode_partition (rows → bytes)",
        rows_time,
        rows_size,
    );
    line(
        "parquet-rs ArrowWriter (Arrow → bytes)",
        batch_time,
        batch_size,
    );
    line(
        &format!("pyarrow {py_version} write_table ({py_allocator})"),
        py_time,
        py_size,
    );
    line(
        &format!("pyarrow {py_version} write_table ({system_allocator})"),
        system_time,
        system_size,
    );
    let speed = |ours: Duration, theirs: Duration| theirs.as_secs_f64() / ours.as_secs_f64();
    let verdict = |met: bool| if met { "met" } else { "MISSED" };
    let rows_speed = speed(rows_time, py_time);
    println!(
        "rows/s vs pyarrow ({py_allocator}): encode_partition {rows_speed:.2}x, ArrowWriter {:.2}x \
         (target ≥ 1.00x): {}",
        speed(batch_time, py_time),
        verdict(rows_speed >= 1.0)
    );
    println!(
        "rows/s vs pyarrow ({system_allocator}, the same allocator as Rust): encode_partition {:.2}x, \
         ArrowWriter {:.2}x",
        speed(rows_time, system_time),
        speed(batch_time, system_time)
    );
    let size_ratio = rows_size as f64 / py_size as f64;
    println!(
        "size vs pyarrow: {size_ratio:.4} (target within ±10%): {}",
        verdict((size_ratio - 1.0).abs() <= 0.10)
    );
    let columns: Vec<&str> = rust["dictionary_columns"]
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    println!(
        "both files: {} rows, {} row groups, dictionary-encoded: {}",
        rust["num_rows"],
        rust["num_row_groups"],
        columns.join(", ")
    );
}
