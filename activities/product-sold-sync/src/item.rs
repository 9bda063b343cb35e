//! The sales-history item (DynamoDB) and the lake row of one valid sale, and the values
//! derived for both: shard, discount, quarter, season, TTL.
//!
//! # The item
//!
//! | attribute | type | value |
//! | --- | --- | --- |
//! | `PK` | S | `TENANT#{tenantId}#PRODUCT#{productId}` |
//! | `SK` | S | `SALE#{soldDate}#{saleId}` — two sales of one product on one day are two items |
//! | `GSI2PK` | S | `TENANT#{tenantId}#EMBEDDING#{shard}`, shard 0–4 stable from the sale id ([`shard_of`]) |
//! | `GSI2SK` | S | `DATE#{soldDate}` |
//! | `listed_price`, `sale_price`, `discount_percent`, `days_to_sell` | N | |
//! | `quarter`, `season`, `sold_date`, `listed_date`, ids, text fields | S | |
//! | `embedding` | B | 1024 little-endian `f32` (4,096 bytes), when the event has one |
//! | `ttl` | N | epoch seconds, two years after the sale day |
//!
//! Nothing in the item depends on when it was written, so every delivery of one event
//! puts the identical item.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use chrono::{Datelike, Months, NaiveDate};
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};
use stepwise_embeddings::encode_vector;
use stepwise_lake::SoldSale;

use crate::event::{ProductSoldEvent, ValidSale};

/// How many shards spread a tenant's embeddings over GSI2.
pub const EMBEDDING_SHARDS: u64 = 5;
/// How long a sales-history item lives after its sale day, in months.
pub const ITEM_TTL_MONTHS: u32 = 24;

/// The stable shard (0 to [`EMBEDDING_SHARDS`] − 1) of a sale: the first eight bytes of
/// the SHA-256 of its id, modulo the shard count.
pub fn shard_of(sale_id: &str) -> u64 {
    let digest = Sha256::digest(sale_id.as_bytes());
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    u64::from_be_bytes(first) % EMBEDDING_SHARDS
}

/// `(listed − sold) / listed × 100`, rounded to two decimals; 0 when the listed price is 0.
/// Negative when it sold above its listed price.
pub fn discount_percent(listed: f64, sold: f64) -> f64 {
    if listed <= 0.0 {
        return 0.0;
    }
    ((listed - sold) / listed * 10_000.0).round() / 100.0
}

/// `YYYY-Qn`.
pub fn quarter(day: NaiveDate) -> String {
    format!("{}-Q{}", day.year(), (day.month() - 1) / 3 + 1)
}

/// The meteorological season in the northern hemisphere: December to February `winter`,
/// then `spring`, `summer`, `autumn`.
pub fn season(day: NaiveDate) -> &'static str {
    match day.month() {
        12 | 1 | 2 => "winter",
        3..=5 => "spring",
        6..=8 => "summer",
        _ => "autumn",
    }
}

/// Currency units to cents, rounded.
pub fn cents(value: f64) -> i64 {
    (value * 100.0).round() as i64
}

/// The TTL: epoch seconds of 00:00 UTC, [`ITEM_TTL_MONTHS`] after the sale day.
pub fn item_ttl(sold: NaiveDate) -> i64 {
    let end = sold
        .checked_add_months(Months::new(ITEM_TTL_MONTHS))
        .unwrap_or(sold);
    end.and_hms_opt(0, 0, 0)
        .map(|t| t.and_utc().timestamp())
        .unwrap_or_default()
}

/// The lake row of a valid sale.
pub fn lake_row(event: &ProductSoldEvent, valid: &ValidSale) -> SoldSale {
    let d = &event.detail;
    SoldSale {
        sale_id: valid.sale_id.clone(),
        tenant_id: d.tenant_id.clone(),
        product_id: d.product_id.clone(),
        event_id: event.id.clone(),
        sold_date: valid.sold_date.to_string(),
        listed_date: valid.listed_date.map(|l| l.to_string()),
        unit_price_cents: cents(d.sale_price),
        listed_price_cents: cents(d.listed_price),
        discount_percent: discount_percent(d.listed_price, d.sale_price),
        days_to_sell: i32::try_from(valid.days_to_sell).unwrap_or(i32::MAX),
        quarter: quarter(valid.sold_date),
        season: season(valid.sold_date).into(),
        category: d.category.clone(),
        brand: d.brand.clone(),
        condition: d.condition.clone(),
        description: d.description.clone(),
        image_s3_key: d.image_s3_key.clone(),
        embedding_id: d.embedding_id.clone(),
        vendor_id: d.vendor_id.clone(),
        embedding: d.embedding.clone(),
    }
}

fn s(value: &str) -> Value {
    json!({ "S": value })
}

fn n(value: impl ToString) -> Value {
    json!({ "N": value.to_string() })
}

/// The sales-history item of a valid sale, as DynamoDB attribute values (the JSON the
/// `dynamodb:putItem` integration takes as `Item`).
pub fn sales_history_item(event: &ProductSoldEvent, valid: &ValidSale) -> Value {
    let d = &event.detail;
    let day = valid.sold_date;
    let mut item = Map::new();
    let mut put = |k: &str, v: Value| {
        item.insert(k.to_string(), v);
    };
    put(
        "PK",
        s(&format!("TENANT#{}#PRODUCT#{}", d.tenant_id, d.product_id)),
    );
    put("SK", s(&format!("SALE#{day}#{}", valid.sale_id)));
    put(
        "GSI2PK",
        s(&format!(
            "TENANT#{}#EMBEDDING#{}",
            d.tenant_id,
            shard_of(&valid.sale_id)
        )),
    );
    put("GSI2SK", s(&format!("DATE#{day}")));
    put("tenant_id", s(&d.tenant_id));
    put("product_id", s(&d.product_id));
    put("sale_id", s(&valid.sale_id));
    put("event_id", s(&event.id));
    put("category", s(&d.category));
    put("brand", s(&d.brand));
    put("condition", s(&d.condition));
    put("description", s(&d.description));
    put("listed_price", n(d.listed_price));
    put("sale_price", n(d.sale_price));
    put(
        "discount_percent",
        n(discount_percent(d.listed_price, d.sale_price)),
    );
    put("sold_date", s(&day.to_string()));
    if let Some(listed) = valid.listed_date {
        put("listed_date", s(&listed.to_string()));
    }
    put("days_to_sell", n(valid.days_to_sell));
    put("quarter", s(&quarter(day)));
    put("season", s(season(day)));
    put("image_s3_key", s(&d.image_s3_key));
    put("embedding_id", s(&d.embedding_id));
    put("vendor_id", s(&d.vendor_id));
    if let Some(e) = &d.embedding {
        put(
            "embedding",
            json!({ "B": STANDARD.encode(encode_vector(e)) }),
        );
    }
    put("ttl", n(item_ttl(day)));
    Value::Object(item)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn derived_values() {
        assert_eq!(discount_percent(120.0, 89.99), 25.01);
        assert_eq!(discount_percent(0.0, 5.0), 0.0);
        assert_eq!(discount_percent(100.0, 110.0), -10.0);
        assert_eq!(quarter(day("2026-11-30")), "2026-Q4");
        assert_eq!(quarter(day("2026-01-01")), "2026-Q1");
        assert_eq!(season(day("2026-12-01")), "winter");
        assert_eq!(season(day("2026-04-01")), "spring");
        assert_eq!(season(day("2026-07-01")), "summer");
        assert_eq!(season(day("2026-10-01")), "autumn");
        assert_eq!(item_ttl(day("2026-11-30")), 1_859_155_200); // 2028-11-30T00:00:00Z
        assert_eq!(cents(89.99), 8_999);
    }

    #[test]
    fn shards_are_stable_and_spread() {
        let shards: std::collections::BTreeSet<u64> =
            (0..200).map(|i| shard_of(&format!("S-{i}"))).collect();
        assert_eq!(shards.into_iter().collect::<Vec<_>>(), vec![0, 1, 2, 3, 4]);
        assert_eq!(shard_of("S-1"), shard_of("S-1"));
    }

    #[test]
    fn the_item_has_its_keys_and_a_binary_embedding() {
        let mut event = ProductSoldEvent::example();
        event.detail.embedding = Some(vec![0.25; 1024]);
        let valid = event.validate().unwrap();
        let item = sales_history_item(&event, &valid);
        assert_eq!(item["PK"]["S"], "TENANT#acme#PRODUCT#P-1042");
        assert_eq!(item["SK"]["S"], "SALE#2026-11-30#S-2026-11-30-0001");
        assert_eq!(item["GSI2SK"]["S"], "DATE#2026-11-30");
        assert!(
            item["GSI2PK"]["S"]
                .as_str()
                .unwrap()
                .starts_with("TENANT#acme#EMBEDDING#")
        );
        let b = STANDARD
            .decode(item["embedding"]["B"].as_str().unwrap())
            .unwrap();
        assert_eq!(b.len(), 4096);
        assert_eq!(item["ttl"]["N"], "1859155200");
        assert_eq!(item["discount_percent"]["N"], "25.01");
    }
}
