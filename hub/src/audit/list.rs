//! Listing entries for an auditor: oldest first after a number, filtered by case, method and
//! time, in pages bounded by a number of entries and by bytes (so a page of long entries, e.g.
//! ones written before entries were bounded, cannot grow without limit). Portable SQL with
//! `$n` parameters; the lookups are indexed (`0005_audit_lookup.sql`). Reads only.

use super::store::{record_from, SELECT_RECORD};
use super::{AuditError, AuditLog, AuditRecord};
use futures::TryStreamExt;

/// `limit` 0 means this many entries.
pub const DEFAULT_LIMIT: u32 = 100;
/// The most entries one page holds.
pub const MAX_LIMIT: u32 = 1000;
/// The most bytes of entries one page holds (and the default); a page always holds at least
/// one entry when there is one.
pub const MAX_PAGE_BYTES: u32 = 1024 * 1024;

/// What to list. The default lists the first [`DEFAULT_LIMIT`] entries.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListQuery {
    /// Entries numbered above this.
    pub after_seq: u64,
    /// At most this many (0: [`DEFAULT_LIMIT`]; at most [`MAX_LIMIT`]).
    pub limit: u32,
    /// At most about this many bytes of entries (0: [`MAX_PAGE_BYTES`]; at most that).
    pub max_bytes: u32,
    /// Only this case (either parenthesis form, ASCII or full-width); empty: every case.
    pub case_number: String,
    /// Only this method, exactly as recorded ("PlaceHold", "agency:bank-a:freeze"); empty:
    /// every method.
    pub method: String,
    /// Only entries at or after this Unix millisecond (0: no bound) ...
    pub since_ms: i64,
    /// ... and before this one (0: no bound).
    pub until_ms: i64,
}

/// One page of entries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListPage {
    pub records: Vec<AuditRecord>,
    /// Pass as `after_seq` (with the same filters) for the next page: the last entry's
    /// number, or the query's `after_seq` when the page is empty.
    pub next_after_seq: u64,
    /// Whether entries matching the query follow this page.
    pub more: bool,
}

/// A bound parameter of the listing query.
enum Param {
    Int(i64),
    Text(String),
}

impl AuditLog {
    /// Entries numbered above `after_seq`, oldest first; `limit` 0 means [`DEFAULT_LIMIT`],
    /// and at most [`MAX_LIMIT`] are returned.
    pub async fn list(&self, after_seq: u64, limit: u32) -> Result<Vec<AuditRecord>, AuditError> {
        let query = ListQuery {
            after_seq,
            limit,
            ..ListQuery::default()
        };
        Ok(self.list_page(&query).await?.records)
    }

    /// One page of the entries `query` asks for.
    pub async fn list_page(&self, query: &ListQuery) -> Result<ListPage, AuditError> {
        let limit = match query.limit {
            0 => DEFAULT_LIMIT,
            n => n.min(MAX_LIMIT),
        } as usize;
        let budget = match query.max_bytes {
            0 => MAX_PAGE_BYTES,
            n => n.min(MAX_PAGE_BYTES),
        } as usize;
        let mut params = vec![Param::Int(
            i64::try_from(query.after_seq).unwrap_or(i64::MAX),
        )];
        let mut sql = format!("{SELECT_RECORD} WHERE seq > $1");
        let mut add = |sql: &mut String, condition: &str, param: Param| {
            params.push(param);
            sql.push_str(&condition.replace("$?", &format!("${}", params.len())));
        };
        if !query.case_number.is_empty() {
            let [ascii, full_width] = case_forms(&query.case_number);
            add(&mut sql, " AND case_number IN ($?", Param::Text(ascii));
            add(&mut sql, ", $?)", Param::Text(full_width));
        }
        if !query.method.is_empty() {
            add(
                &mut sql,
                " AND method = $?",
                Param::Text(query.method.clone()),
            );
        }
        if query.since_ms != 0 {
            add(&mut sql, " AND at_ms >= $?", Param::Int(query.since_ms));
        }
        if query.until_ms != 0 {
            add(&mut sql, " AND at_ms < $?", Param::Int(query.until_ms));
        }
        // One more than the page holds: whether more follow.
        add(
            &mut sql,
            " ORDER BY seq LIMIT $?",
            Param::Int(limit as i64 + 1),
        );
        let mut statement = sqlx::query(&sql);
        for param in params {
            statement = match param {
                Param::Int(v) => statement.bind(v),
                Param::Text(v) => statement.bind(v),
            };
        }
        let mut rows = statement.fetch(self.pool());
        let (mut records, mut used, mut more) = (Vec::new(), 0usize, false);
        while let Some(row) = rows.try_next().await? {
            let record = record_from(&row)?;
            let size = wire_size(&record);
            if records.len() == limit || (!records.is_empty() && used + size > budget) {
                more = true;
                break;
            }
            used += size;
            records.push(record);
        }
        let next_after_seq = records.last().map_or(query.after_seq, |r| r.seq);
        Ok(ListPage {
            records,
            next_after_seq,
            more,
        })
    }
}

/// Roughly the bytes `record` takes in a response: its text plus framing.
fn wire_size(record: &AuditRecord) -> usize {
    let e = &record.entry;
    [
        &e.actor,
        &e.court,
        &e.role,
        &e.method,
        &e.case_number,
        &e.debtor_ref,
        &e.decision,
        &e.outcome,
        &e.detail,
        &record.prev_hash,
        &record.hash,
    ]
    .iter()
    .map(|text| text.len() + 3)
    .sum::<usize>()
        + 32
}

/// The case number with ASCII parentheses and with full-width ones: callers write either, and
/// the log keeps what they wrote.
fn case_forms(case: &str) -> [String; 2] {
    let case = case.trim();
    [
        case.replace('（', "(").replace('）', ")"),
        case.replace('(', "（").replace(')', "）"),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_parenthesis_forms_are_looked_up() {
        let [ascii, full] = case_forms(" （2024）鄂0116执1234号 ");
        assert_eq!(ascii, "(2024)鄂0116执1234号");
        assert_eq!(full, "（2024）鄂0116执1234号");
        assert_eq!(case_forms("(2024)鄂0116执1234号"), [ascii, full]);
    }
}
