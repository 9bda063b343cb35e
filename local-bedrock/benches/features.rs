//! The cost of local-bedrock's image features (harness-less: prints a report, exits
//! non-zero when the target is missed). `cargo bench -p local-bedrock --bench features`
//!
//! For a 320×240 product photo (what the tests and the demo embed) and a 2048×1536 one
//! (Titan's largest side), best of 20 runs each, in the same run: decoding the JPEG alone
//! (the baseline: every embedding starts with it) against the whole feature vector
//! (decode, shrink, backdrop separation, the descriptors and the projection to 1024).
//! Target: the 320×240 photo's embedding in at most 5 ms.

use std::io::Cursor;
use std::process::ExitCode;
use std::time::Instant;

use image::ImageFormat;
use image::imageops::FilterType;

/// The most a 320×240 photo's embedding may take, in milliseconds.
const TARGET_MS: f64 = 5.0;
const RUNS: usize = 20;

fn best_ms(mut f: impl FnMut()) -> f64 {
    (0..RUNS)
        .map(|_| {
            let start = Instant::now();
            f();
            start.elapsed().as_secs_f64() * 1000.0
        })
        .fold(f64::INFINITY, f64::min)
}

fn main() -> ExitCode {
    let small = local_bedrock::product_photo(5, 2);
    let mut large = Vec::new();
    image::load_from_memory(&small)
        .expect("decodes")
        .resize_exact(2048, 1536, FilterType::Triangle)
        .write_to(&mut Cursor::new(&mut large), ImageFormat::Jpeg)
        .expect("encodes");

    println!("local-bedrock image features (best of {RUNS})");
    println!(
        "{:>10} {:>12} {:>14} {:>14}",
        "photo", "JPEG bytes", "decode (ms)", "embed (ms)"
    );
    let mut failed = false;
    for (label, bytes) in [("320×240", &small), ("2048×1536", &large)] {
        let decode = best_ms(|| {
            std::hint::black_box(image::load_from_memory(bytes).expect("decodes"));
        });
        let embed = best_ms(|| {
            std::hint::black_box(local_bedrock::embed_image(bytes, 1024).expect("embeds"));
        });
        println!(
            "{label:>10} {:>12} {decode:>14.2} {embed:>14.2}",
            bytes.len()
        );
        if label == "320×240" && embed > TARGET_MS {
            eprintln!("a 320×240 photo took {embed:.2} ms, wanted at most {TARGET_MS} ms");
            failed = true;
        }
    }
    if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}
