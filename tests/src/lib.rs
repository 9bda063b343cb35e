//! Support for the integration tests: local services started on free loopback ports and
//! stopped when dropped, and unique resource names so tests can share a server.
//!
//! Everything here is test scaffolding: it must not be used by the product crates and
//! must not reach anything but loopback services it started itself.

pub mod clustering;
pub mod group_images_world;
pub mod iceberg;
pub mod jobs_api;
pub mod latency_s3;
mod moto;
pub mod postgres;
pub mod sold_sync;
pub mod vector_lake;
pub mod world;

use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

pub use moto::{ACCESS_KEY_ID, MotoError, MotoServer, REGION, SECRET_ACCESS_KEY, workspace_root};

/// A name no other test (in this process or another) uses:
/// `/stepwise-test/<label>/<pid>-<time>-<counter>`. Valid as an SSM parameter name; use
/// [`unique_id`] where slashes are not allowed.
pub fn unique_name(label: &str) -> String {
    format!("/stepwise-test/{label}/{}", unique_id())
}

/// A short unique token of digits and hyphens (bucket-, table- and
/// key-safe): `<pid>-<time>-<counter>`.
pub fn unique_id() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let micros = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_micros() % 1_000_000_000)
        .unwrap_or_default();
    format!("{}-{micros}-{n}", std::process::id())
}

/// The debug `stepwise` binary (`target/debug/stepwise`), built once per test process.
///
/// Built as `cargo build --workspace --bins`: the feature set `cargo test --workspace`
/// resolved, so after it this builds nothing. `-p stepwise-cli` alone resolves other
/// features (the tests crate enables aws-credential-types' `hardcoded-credentials`) and
/// rebuilt the AWS SDK crates under the running tests — minutes and a gigabyte of disk.
/// Without the variables `cargo test` sets for the test process, so it is the same build
/// as the test command's.
///
/// # Panics
/// When cargo cannot build it: the tests that run it cannot pass without it.
pub fn stepwise_bin() -> PathBuf {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| {
        let root = workspace_root();
        let mut cargo = Command::new(env!("CARGO"));
        cargo
            .args(["build", "--locked", "--workspace", "--bins"])
            .current_dir(&root);
        // Not the variables `cargo test` gives this process: ring's build script reruns when
        // CARGO_MANIFEST_DIR changes, so with them this build compiled ring, parquet and
        // iceberg again, and the test command's own `cargo build --workspace --bins` (no
        // such variables) compiled them back.
        for (name, _) in std::env::vars_os() {
            let name = name.to_string_lossy();
            let set_by_cargo_test = matches!(
                name.as_ref(),
                "CARGO_MANIFEST_DIR"
                    | "CARGO_MANIFEST_PATH"
                    | "CARGO_CRATE_NAME"
                    | "CARGO_BIN_NAME"
                    | "CARGO_PRIMARY_PACKAGE"
                    | "CARGO_TARGET_TMPDIR"
            ) || name.starts_with("CARGO_PKG_")
                || name.starts_with("CARGO_BIN_EXE_");
            if set_by_cargo_test {
                cargo.env_remove(name.as_ref());
            }
        }
        let status = cargo.status().expect("cargo runs");
        assert!(status.success(), "building the stepwise binary failed");
        root.join("target/debug/stepwise")
    })
    .clone()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unique_names_differ() {
        let a = unique_name("x");
        let b = unique_name("x");
        assert_ne!(a, b);
        assert!(a.starts_with("/stepwise-test/x/"), "{a}");
        assert!(unique_id().chars().all(|c| c.is_ascii_digit() || c == '-'));
    }
}
