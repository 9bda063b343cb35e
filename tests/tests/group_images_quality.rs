//! group-images' clustering quality: on a labelled set of generated product photos
//! embedded through the local Bedrock endpoint, the groups follow the true products
//! (adjusted Rand index ≥ 0.9 at the default threshold, for the generator's plain views
//! and for edited photos: cropped, turned, relit, on another backdrop, smaller in the
//! frame; the README gives the sweep); and on seeded synthetic 1024-d
//! vectors the partition is exactly scikit-learn's `AgglomerativeClustering(metric=
//! "cosine", linkage="average", distance_threshold=t)`.

use std::io::Cursor;

use image::imageops::FilterType;
use image::{DynamicImage, ImageFormat, Rgb, RgbImage};
use local_bedrock::LocalBedrock;
use stepwise_embeddings::{BedrockConfig, ImageLimits, embed_image};
use stepwise_group_images::cluster::cluster;
use stepwise_group_images::config::DEFAULT_THRESHOLD;
use stepwise_runtime::aws::Aws;
use stepwise_runtime::{Context, Services};
use stepwise_tests::clustering::{Rng, adjusted_rand_index, same_partition, sklearn, synthetic};
use stepwise_tests::{MotoServer, unique_id};

/// Products in the labelled set: 32 of the generator's distinct ones and 12 recoloured.
const PRODUCTS: usize = 44;

/// Photo `k` of `product`: a generator view (moved, scaled, exposed and noisy), edited
/// when `edited` depending on `k`: a crop, a quarter or half turn, other lighting
/// (brighter or darker, more or less contrast), another backdrop colour, or the product
/// smaller in the frame.
fn photo(product: usize, k: usize, edited: bool, rng: &mut Rng) -> Vec<u8> {
    let base = product % 32;
    let jpeg = local_bedrock::product_photo(base, k);
    let mut image = image::load_from_memory(&jpeg).expect("decodes").to_rgb8();
    if product >= 32 {
        // Recoloured products: the channels rotated (the grey backdrop stays grey).
        for p in image.pixels_mut() {
            *p = Rgb([p[1], p[2], p[0]]);
        }
    }
    let (w, h) = image.dimensions();
    let mut out = DynamicImage::ImageRgb8(image);
    match if edited { k % 6 } else { 0 } {
        1 => {
            // A crop of 80–95 % of the frame (it may cut the product), scaled back up.
            let f = 0.8 + 0.15 * rng.unit();
            let (cw, ch) = ((w as f64 * f) as u32, (h as f64 * f) as u32);
            let x = (rng.unit() * f64::from(w - cw)) as u32;
            let y = (rng.unit() * f64::from(h - ch)) as u32;
            out = out
                .crop_imm(x, y, cw, ch)
                .resize_exact(w, h, FilterType::Triangle);
        }
        2 => {
            out = match (rng.unit() * 3.0) as u32 {
                0 => out.rotate90(),
                1 => out.rotate180(),
                _ => out.rotate270(),
            }
        }
        3 => {
            out = out.brighten(if rng.unit() < 0.5 { -22 } else { 22 });
            out = out.adjust_contrast(if rng.unit() < 0.5 { -15.0 } else { 15.0 });
        }
        4 => {
            // Another backdrop: light, unsaturated pixels tinted beige, blue or green.
            let tint = [[1.0, 0.93, 0.8], [0.82, 0.9, 1.0], [0.85, 1.0, 0.85]]
                [(rng.unit() * 3.0) as usize];
            let mut rgb = out.to_rgb8();
            for p in rgb.pixels_mut() {
                let (max, min) = (
                    p.0.iter().max().copied().unwrap_or(0),
                    p.0.iter().min().copied().unwrap_or(0),
                );
                if max - min < 24 && max > 150 {
                    *p = Rgb(tint.map(|t: f32| (f32::from(max) * t) as u8));
                }
            }
            out = DynamicImage::ImageRgb8(rgb);
        }
        5 => {
            // The product smaller: the photo shrunk to 60–75 % on a plain fill of its
            // border's mean colour.
            let f = 0.6 + 0.15 * rng.unit();
            let rgb = out.to_rgb8();
            let border: Vec<&Rgb<u8>> = rgb
                .enumerate_pixels()
                .filter(|(x, y, _)| *x == 0 || *y == 0 || *x == w - 1 || *y == h - 1)
                .map(|(_, _, p)| p)
                .collect();
            let fill = Rgb([0, 1, 2].map(|c| {
                (border.iter().map(|p| u64::from(p[c])).sum::<u64>() / border.len() as u64) as u8
            }));
            let small = out
                .resize_exact(
                    (f64::from(w) * f) as u32,
                    (f64::from(h) * f) as u32,
                    FilterType::Triangle,
                )
                .to_rgb8();
            let mut canvas = RgbImage::from_pixel(w, h, fill);
            let x = (rng.unit() * f64::from(w - small.width())) as i64;
            let y = (rng.unit() * f64::from(h - small.height())) as i64;
            image::imageops::overlay(&mut canvas, &small, x, y);
            out = DynamicImage::ImageRgb8(canvas);
        }
        _ => {}
    }
    let mut bytes = Cursor::new(Vec::new());
    out.write_to(&mut bytes, ImageFormat::Jpeg)
        .expect("encodes");
    bytes.into_inner()
}

/// The labelled set's vectors (through moto and the local Bedrock endpoint) and their
/// true products.
async fn labelled_set(edited: bool) -> (Vec<Vec<f32>>, Vec<usize>) {
    let moto = MotoServer::shared();
    let bedrock = LocalBedrock::start().await.expect("local bedrock");
    let services = Services::with_aws(
        Aws::with_config(moto.sdk_config()).with_bedrock_endpoint(bedrock.endpoint()),
    );
    let ctx = Context::new(services.clone());
    let bucket = format!("gi-quality-{}", unique_id());
    let s3 = services.aws.s3().await;
    s3.create_bucket()
        .bucket(&bucket)
        .send()
        .await
        .expect("bucket");
    let mut rng = Rng::new(40);
    let mut truth = Vec::new();
    let mut vectors = Vec::new();
    for product in 0..PRODUCTS {
        for k in 0..3 + product % 4 {
            let key = format!("products/P-{product}/{k}.jpg");
            s3.put_object()
                .bucket(&bucket)
                .key(&key)
                .content_type("image/jpeg")
                .body(photo(product, k, edited, &mut rng).into())
                .send()
                .await
                .expect("put");
            let embedded = embed_image(
                &ctx,
                &format!("s3://{bucket}/{key}"),
                &ImageLimits::default(),
                &BedrockConfig::default(),
                false,
            )
            .await
            .expect("embedded");
            vectors.push(embedded.vector);
            truth.push(product);
        }
    }
    assert_eq!(bedrock.invocations().total() as usize, vectors.len());
    (vectors, truth)
}

/// The ARI at each threshold of a sweep (printed) and at the default.
fn sweep(label: &str, vectors: &[Vec<f32>], truth: &[usize]) -> f64 {
    let rows: Vec<&[f32]> = vectors.iter().map(Vec::as_slice).collect();
    let ari = |t: f64| adjusted_rand_index(&cluster(&rows, t).labels(rows.len()), truth);
    let mut line = format!(
        "{label}, {} photos of {PRODUCTS} products, ARI by threshold:",
        rows.len()
    );
    for t in [0.01, 0.015, 0.02, 0.025, 0.03, 0.04, 0.05, 0.06] {
        line += &format!(" {t}: {:.3}", ari(t));
    }
    eprintln!("{line}");
    ari(DEFAULT_THRESHOLD)
}

#[tokio::test]
async fn generated_product_photos_group_by_product_at_the_default_threshold() {
    let (vectors, truth) = labelled_set(false).await;
    assert!(vectors.len() >= PRODUCTS * 3);
    let plain = sweep("plain views", &vectors, &truth);
    assert!(plain >= 0.9, "ARI {plain} at {DEFAULT_THRESHOLD}");

    let (vectors, truth) = labelled_set(true).await;
    let edited = sweep(
        "cropped, turned, relit, other backdrop, smaller",
        &vectors,
        &truth,
    );
    assert!(edited >= 0.9, "ARI {edited} at {DEFAULT_THRESHOLD}");
}

#[test]
fn the_partition_is_scikit_learns_on_synthetic_vectors() {
    let dir = tempfile::tempdir().expect("temp dir");
    for (n, clusters, noise, threshold, seed) in [
        (300, 25, 0.02, 0.5, 1),
        (400, 60, 0.025, 0.55, 2),
        (250, 10, 0.03, 0.7, 3),
        // Thresholds inside the linkage: most pairs of clusters are linked by some pair
        // of points closer than the threshold (one component of 400, or two), and only
        // the averages keep the clusters apart.
        (400, 60, 0.03, 0.95, 7),
        (400, 20, 0.05, 0.9, 7),
    ] {
        let (vectors, truth) = synthetic(n, 1024, clusters, noise, seed);
        let rows: Vec<&[f32]> = vectors.iter().map(Vec::as_slice).collect();
        let ours = cluster(&rows, threshold).labels(n);
        let (theirs, _) = sklearn(&vectors, threshold, 1, dir.path()).expect("scikit-learn runs");
        assert!(
            same_partition(&ours, &theirs),
            "n={n} threshold={threshold}: partitions differ"
        );
        // Not a trivial partition: the clusters are found.
        let ari = adjusted_rand_index(&ours, &truth);
        assert!(ari > 0.5, "n={n}: ARI {ari} against the generated clusters");
    }
}
