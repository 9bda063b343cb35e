//! Every SQL text of `QuerySales`, both dialects side by side: the `sales` table's DDL,
//! the window query and a parameterised insert (for the demo and the tests).
//!
//! PostgreSQL and SQLite need different text in exactly one place, the timestamp: in
//! PostgreSQL `sold_at` is a `TIMESTAMPTZ`, in SQLite an RFC 3339 `TEXT`. Everything
//! else — the tenant filter (a JSON array parameter read with `jsonb_array_elements_text`
//! / `json_each`, so one statement serves any number of tenants), the ordering, the
//! selected columns and their types — is the same shape, and the Rust code that binds
//! the parameters and decodes the rows is shared (`sqlx`'s `Any` driver). Keeping both
//! texts next to each other here makes a change to one visibly a change to the other.
//!
//! Both statements return `sold_at` as UTC text that the Rust side parses and normalises
//! to RFC 3339 (`2026-11-23T14:03:00Z`, a fraction only when there is one), so both
//! databases produce byte-identical manifests for the same sales (SQLite keeps
//! milliseconds, PostgreSQL microseconds; sales are recorded to the second):
//!
//! - PostgreSQL compares the `TIMESTAMPTZ` with the bound RFC 3339 window bounds cast to
//!   `timestamptz` (an index on `(tenant_id, sold_at)` serves it) and formats it in UTC
//!   with microseconds.
//! - SQLite compares `strftime('%Y-%m-%dT%H:%M:%fZ', …)` of both sides: SQLite's own
//!   normalisation of any date-time text it understands (a `Z` or `±hh:mm` suffix is
//!   converted to UTC; a space instead of `T` is accepted) to millisecond UTC text, which
//!   orders correctly as text. A plain text comparison would misplace
//!   `2026-11-23T23:30:00-02:00` (in UTC the next day). Text SQLite cannot read as a
//!   date-time normalises to NULL and so falls in no window: the SQLite schema's `CHECK`
//!   keeps such text out.
//! - Ordering is `(tenant_id, sold_at, sale_id)` with byte-wise text order on both sides
//!   (`COLLATE "C"` in PostgreSQL, whose default collation follows the locale; SQLite's
//!   default `BINARY`), the order Rust's `String` has too.
//!
//! Parameters are `$1` the tenants as a JSON array of strings, `$2` the window start and
//! `$3` the window end (exclusive), both RFC 3339 text. No value is ever formatted into
//! SQL text.

/// The database dialect, from the URL's scheme.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// `postgres://` or `postgresql://`.
    Postgres,
    /// `sqlite:`.
    Sqlite,
}

impl Dialect {
    /// The dialect of a database URL, `None` for another scheme. Looks at the scheme
    /// only.
    pub fn of_url(url: &str) -> Option<Dialect> {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Some(Dialect::Postgres)
        } else if url.starts_with("sqlite:") {
            Some(Dialect::Sqlite)
        } else {
            None
        }
    }

    /// How causes name the database: `PostgreSQL` or `SQLite`.
    pub fn label(self) -> &'static str {
        match self {
            Dialect::Postgres => "PostgreSQL",
            Dialect::Sqlite => "SQLite",
        }
    }

    /// The window query ([`POSTGRES_SELECT_SALES`] or [`SQLITE_SELECT_SALES`]).
    pub fn select_sales(self) -> &'static str {
        match self {
            Dialect::Postgres => POSTGRES_SELECT_SALES,
            Dialect::Sqlite => SQLITE_SELECT_SALES,
        }
    }

    /// The `sales` table's DDL ([`POSTGRES_SCHEMA`] or [`SQLITE_SCHEMA`]).
    pub fn schema(self) -> &'static str {
        match self {
            Dialect::Postgres => POSTGRES_SCHEMA,
            Dialect::Sqlite => SQLITE_SCHEMA,
        }
    }

    /// The insert of one sale ([`POSTGRES_INSERT_SALE`] or [`SQLITE_INSERT_SALE`]).
    pub fn insert_sale(self) -> &'static str {
        match self {
            Dialect::Postgres => POSTGRES_INSERT_SALE,
            Dialect::Sqlite => SQLITE_INSERT_SALE,
        }
    }
}

/// The name of the table the export reads.
pub const SALES_TABLE: &str = "sales";

/// The SmartGo `sales` table in PostgreSQL, with the index the window query uses (what
/// the demo and the tests create; production already has it). Two statements: run it
/// with `sqlx::raw_sql`.
pub const POSTGRES_SCHEMA: &str = "\
CREATE TABLE sales (
    sale_id          TEXT PRIMARY KEY,
    tenant_id        TEXT NOT NULL,
    product_id       TEXT NOT NULL,
    sold_at          TIMESTAMPTZ NOT NULL,
    quantity         INTEGER NOT NULL,
    unit_price_cents BIGINT NOT NULL,
    currency         TEXT NOT NULL,
    image_url        TEXT NOT NULL
);
CREATE INDEX sales_tenant_sold_at ON sales (tenant_id, sold_at);
";

/// The SmartGo `sales` table in SQLite: `sold_at` is RFC 3339 text in UTC
/// (`2026-11-23T14:03:00Z`), checked to be a date-time SQLite can read. Two statements:
/// run it with `sqlx::raw_sql`.
pub const SQLITE_SCHEMA: &str = "\
CREATE TABLE sales (
    sale_id          TEXT PRIMARY KEY,
    tenant_id        TEXT NOT NULL,
    product_id       TEXT NOT NULL,
    sold_at          TEXT NOT NULL CHECK (julianday(sold_at) IS NOT NULL),
    quantity         INTEGER NOT NULL,
    unit_price_cents BIGINT NOT NULL,
    currency         TEXT NOT NULL,
    image_url        TEXT NOT NULL
);
CREATE INDEX sales_tenant_sold_at ON sales (tenant_id, sold_at);
";

/// The window query in PostgreSQL (see the module docs for the parameters).
pub const POSTGRES_SELECT_SALES: &str = r#"
SELECT sale_id, tenant_id, product_id,
       to_char(sold_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS sold_at,
       quantity, unit_price_cents, currency, image_url
FROM sales
WHERE tenant_id IN (SELECT jsonb_array_elements_text(CAST($1 AS jsonb)))
  AND sold_at >= CAST($2 AS timestamptz)
  AND sold_at <  CAST($3 AS timestamptz)
ORDER BY tenant_id COLLATE "C", sales.sold_at, sale_id COLLATE "C"
"#;

/// The window query in SQLite (see the module docs for the parameters).
pub const SQLITE_SELECT_SALES: &str = r#"
SELECT sale_id, tenant_id, product_id,
       strftime('%Y-%m-%dT%H:%M:%fZ', sold_at) AS sold_at,
       quantity, unit_price_cents, currency, image_url
FROM sales
WHERE tenant_id IN (SELECT value FROM json_each($1))
  AND strftime('%Y-%m-%dT%H:%M:%fZ', sold_at) >= strftime('%Y-%m-%dT%H:%M:%fZ', $2)
  AND strftime('%Y-%m-%dT%H:%M:%fZ', sold_at) <  strftime('%Y-%m-%dT%H:%M:%fZ', $3)
ORDER BY tenant_id, strftime('%Y-%m-%dT%H:%M:%fZ', sales.sold_at), sale_id
"#;

/// Inserts one sale in PostgreSQL; parameters in [`crate::sales::Sale`]'s field order,
/// `sold_at` as RFC 3339 text.
pub const POSTGRES_INSERT_SALE: &str = "\
INSERT INTO sales (sale_id, tenant_id, product_id, sold_at, quantity, unit_price_cents, currency, image_url)
VALUES ($1, $2, $3, CAST($4 AS timestamptz), $5, $6, $7, $8)";

/// Inserts one sale in SQLite; parameters in [`crate::sales::Sale`]'s field order,
/// `sold_at` as RFC 3339 text.
pub const SQLITE_INSERT_SALE: &str = "\
INSERT INTO sales (sale_id, tenant_id, product_id, sold_at, quantity, unit_price_cents, currency, image_url)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_dialect_comes_from_the_scheme() {
        assert_eq!(
            Dialect::of_url("postgres://u:p@h/db"),
            Some(Dialect::Postgres)
        );
        assert_eq!(
            Dialect::of_url("postgresql://h/db"),
            Some(Dialect::Postgres)
        );
        assert_eq!(
            Dialect::of_url("sqlite:///var/smartgo.db"),
            Some(Dialect::Sqlite)
        );
        assert_eq!(Dialect::of_url("sqlite::memory:"), Some(Dialect::Sqlite));
        assert_eq!(Dialect::of_url("mysql://h/db"), None);
    }

    #[test]
    fn both_statements_take_the_same_parameters_and_columns() {
        for dialect in [Dialect::Postgres, Dialect::Sqlite] {
            let sql = dialect.select_sales();
            for p in ["$1", "$2", "$3"] {
                assert!(sql.contains(p), "{dialect:?} lacks {p}");
            }
            assert!(!sql.contains("$4"), "{dialect:?}");
            assert!(sql.contains("FROM sales"), "{dialect:?}");
            assert!(dialect.schema().contains("CREATE TABLE sales"));
            assert!(dialect.insert_sale().contains("$8"));
        }
    }
}
