//! group-images' clustering quality: on a labelled set of generated product photos
//! embedded through the local Bedrock endpoint, the groups match the true products
//! (adjusted Rand index ≥ 0.9 at the default threshold); and on seeded synthetic 1024-d
//! vectors the partition is exactly scikit-learn's `AgglomerativeClustering(metric=
//! "cosine", linkage="average", distance_threshold=t)`.

use std::io::Cursor;
use std::sync::Arc;

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

/// Photo `k` of `product`: a generator view, then a crop, a half turn, other lighting or
/// another backdrop, depending on `k`.
fn photo(product: usize, k: usize, rng: &mut Rng) -> Vec<u8> {
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
    match k % 5 {
        1 => {
            // A crop of 85–95 % of the frame, scaled back up.
            let f = 0.85 + 0.1 * rng.unit();
            let (cw, ch) = ((w as f64 * f) as u32, (h as f64 * f) as u32);
            let x = (rng.unit() * f64::from(w - cw)) as u32;
            let y = (rng.unit() * f64::from(h - ch)) as u32;
            out = out.crop_imm(x, y, cw, ch).resize_exact(
                w,
                h,
                image::imageops::FilterType::Triangle,
            );
        }
        2 => out = out.rotate180(),
        3 => out = out.brighten(if rng.unit() < 0.5 { -22 } else { 22 }),
        4 => {
            // Another backdrop: light, unsaturated pixels tinted beige.
            let mut rgb = out.to_rgb8();
            for p in rgb.pixels_mut() {
                let (max, min) = (
                    p.0.iter().max().copied().unwrap_or(0),
                    p.0.iter().min().copied().unwrap_or(0),
                );
                if max - min < 24 && max > 150 {
                    *p = Rgb([
                        max,
                        (f32::from(max) * 0.93) as u8,
                        (f32::from(max) * 0.8) as u8,
                    ]);
                }
            }
            out = DynamicImage::ImageRgb8(rgb);
        }
        _ => {}
    }
    let mut bytes = Cursor::new(Vec::new());
    out.write_to(&mut bytes, ImageFormat::Jpeg)
        .expect("encodes");
    bytes.into_inner()
}

#[tokio::test]
async fn generated_product_photos_group_by_product_at_the_default_threshold() {
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
                .body(photo(product, k, &mut rng).into())
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
    assert!(vectors.len() >= PRODUCTS * 3);
    let rows: Vec<&[f32]> = vectors.iter().map(Vec::as_slice).collect();
    let ari = |t: f64| adjusted_rand_index(&cluster(&rows, t).labels(rows.len()), &truth);
    for t in [0.02, 0.04, 0.06, 0.08, 0.1, 0.12, 0.15, 0.2, 0.25, 0.3] {
        eprintln!("threshold {t:.2}: ARI {:.3}", ari(t));
    }
    let at_default = ari(DEFAULT_THRESHOLD);
    eprintln!(
        "{} photos of {PRODUCTS} products: ARI {at_default:.3} at the default threshold {DEFAULT_THRESHOLD}",
        rows.len()
    );
    assert!(at_default >= 0.9, "ARI {at_default} at {DEFAULT_THRESHOLD}");
    let _ = Arc::strong_count(&services);
}

#[test]
fn the_partition_is_scikit_learns_on_synthetic_vectors() {
    let dir = tempfile::tempdir().expect("temp dir");
    for (n, clusters, noise, threshold, seed) in [
        (300, 25, 0.02, 0.5, 1),
        (400, 60, 0.025, 0.55, 2),
        (250, 10, 0.03, 0.7, 3),
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
