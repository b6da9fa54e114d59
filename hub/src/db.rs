//! The ledger database's shared helpers, for every store living in it (orders, cases,
//! inquiries, sweeps, the audit log): how a write transaction begins, and where an embedded
//! (SQLite) ledger's file is. A leaf: imports nothing of the hub.

use sqlx::AnyPool;

/// A transaction that will write, on any store in the ledger's database. On SQLite it is
/// `BEGIN IMMEDIATE`: the write lock is taken first (waiting for it under the busy timeout), so
/// a transaction that reads before it writes cannot find its snapshot overtaken by another
/// connection's commit (the audit writer's, another process's) and fail with SQLITE_BUSY.
/// Elsewhere a plain `BEGIN` (PostgreSQL locks rows as they are written).
pub async fn begin_write(
    pool: &AnyPool,
) -> Result<sqlx::Transaction<'static, sqlx::Any>, sqlx::Error> {
    if pool.connect_options().database_url.scheme() == "sqlite" {
        pool.begin_with("BEGIN IMMEDIATE").await
    } else {
        pool.begin().await
    }
}

/// The file of a `sqlite:` ledger URL, or `None` (PostgreSQL, or an in-memory database).
pub fn sqlite_file(url: &str) -> Option<std::path::PathBuf> {
    let rest = url.strip_prefix("sqlite:")?;
    let rest = rest.strip_prefix("//").unwrap_or(rest);
    let path = rest.split('?').next().unwrap_or_default();
    (!path.is_empty() && !path.starts_with(":memory:")).then(|| std::path::PathBuf::from(path))
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_file_of_an_embedded_ledger_is_read_from_its_url() {
        let cases = [
            (
                "sqlite:///tmp/a/ledger.db?mode=rwc",
                Some("/tmp/a/ledger.db"),
            ),
            ("sqlite://data/ledger.db", Some("data/ledger.db")),
            ("sqlite:ledger.db?mode=rwc", Some("ledger.db")),
            ("sqlite::memory:", None),
            ("sqlite://:memory:", None),
            ("postgres://postgres@127.0.0.1/x", None),
        ];
        for (url, want) in cases {
            assert_eq!(
                super::sqlite_file(url),
                want.map(std::path::PathBuf::from),
                "{url}"
            );
        }
    }
}
