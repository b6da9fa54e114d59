//! Walking the hash chain: [`AuditLog::verify`] checks every entry from the first up to the
//! head; [`AuditLog::verify_since`] checks only what follows an entry whose number and hash are
//! known (a checkpoint's), which is what a new checkpoint must extend. Both read the head
//! first, so entries appended meanwhile are left for the next run. Also the head and the point
//! lookup that checkpoints are judged by. Reads only; appending is `store`'s business.

use super::chain::{self, GENESIS};
use super::store::{record_from, SELECT_RECORD};
use super::{AuditError, AuditLog, VerifyReport};
use sqlx::Row;

/// Entries read per query while verifying.
const PAGE: i64 = 500;

impl AuditLog {
    /// The head row: the newest entry's number and hash.
    pub async fn head(&self) -> Result<(u64, String), AuditError> {
        let head = sqlx::query("SELECT last_seq, last_hash FROM audit_head WHERE id = 1")
            .fetch_optional(self.pool())
            .await?
            .ok_or_else(|| AuditError::Corrupt("the audit head row is missing".into()))?;
        let head_seq: i64 = head.try_get(0)?;
        let head_hash: String = head.try_get(1)?;
        let head_seq = u64::try_from(head_seq)
            .map_err(|_| AuditError::Corrupt(format!("the head's number {head_seq}")))?;
        Ok((head_seq, head_hash))
    }

    /// The first stored entry numbered `seq` or above, as (number, stored hash): entry `seq`
    /// itself when it exists.
    pub async fn entry_at_or_after(&self, seq: u64) -> Result<Option<(u64, String)>, AuditError> {
        let seq = i64::try_from(seq).unwrap_or(i64::MAX);
        let row =
            sqlx::query("SELECT seq, hash FROM audit_log WHERE seq >= $1 ORDER BY seq LIMIT 1")
                .bind(seq)
                .fetch_optional(self.pool())
                .await?;
        let Some(row) = row else {
            return Ok(None);
        };
        let found: i64 = row.try_get(0)?;
        let found = u64::try_from(found)
            .map_err(|_| AuditError::Corrupt(format!("entry number {found}")))?;
        Ok(Some((found, row.try_get(1)?)))
    }

    /// Walks the chain in order up to the head and names the first broken entry: a gap in the
    /// numbers (an entry deleted), a `prev_hash` that is not the previous entry's hash
    /// (deleted or reordered), a hash that does not match the content (edited), or a head
    /// that the last entry does not match (the newest entries deleted).
    pub async fn verify(&self) -> Result<VerifyReport, AuditError> {
        self.verify_since(0, GENESIS).await
    }

    /// Like [`verify`](Self::verify), but only the entries after #`from_seq`, whose hash is
    /// taken to be `from_hash` (0 and [`GENESIS`]: the whole log). `entries_checked` counts
    /// the entries walked.
    pub async fn verify_since(
        &self,
        from_seq: u64,
        from_hash: &str,
    ) -> Result<VerifyReport, AuditError> {
        let (head_seq, head_hash) = self.head().await?;
        let broken = |seq: u64, reason: String, checked: u64| VerifyReport {
            entries_checked: checked,
            first_broken: Some((seq, reason)),
            head_seq,
            head_hash: head_hash.clone(),
        };
        if from_seq > head_seq {
            let reason = format!(
                "head: the head records #{head_seq}, before #{from_seq} (newest entries deleted)"
            );
            return Ok(broken(head_seq + 1, reason, 0));
        }
        let mut checked = 0u64;
        let mut prev_seq = from_seq;
        let mut prev_hash = from_hash.to_string();
        loop {
            let rows = sqlx::query(&format!(
                "{SELECT_RECORD} WHERE seq > $1 AND seq <= $2 ORDER BY seq LIMIT $3"
            ))
            .bind(prev_seq as i64)
            .bind(head_seq as i64)
            .bind(PAGE)
            .fetch_all(self.pool())
            .await?;
            if rows.is_empty() {
                break;
            }
            for row in &rows {
                let record = record_from(row)?;
                let expected = prev_seq + 1;
                if record.seq != expected {
                    let reason = if expected == 1 {
                        format!(
                            "gap: the log starts at #{} instead of #1 (entries deleted)",
                            record.seq
                        )
                    } else {
                        format!("gap: #{} follows #{prev_seq} (entries deleted)", record.seq)
                    };
                    return Ok(broken(record.seq, reason, checked));
                }
                if record.prev_hash != prev_hash {
                    let reason = if expected == 1 {
                        "prev_hash is not the chain's start (entries deleted or reordered)"
                            .to_string()
                    } else if prev_seq == from_seq {
                        format!(
                            "prev_hash does not match the hash #{prev_seq} had when it was checkpointed (entries up to #{prev_seq} rewritten)"
                        )
                    } else {
                        format!(
                            "prev_hash does not match the hash of #{prev_seq} (entries deleted or reordered)"
                        )
                    };
                    return Ok(broken(record.seq, reason, checked));
                }
                let hash = chain::entry_hash(&record.prev_hash, record.seq, &record.entry);
                if record.hash != hash {
                    let reason = "hash does not match the entry's content (entry edited)";
                    return Ok(broken(record.seq, reason.to_string(), checked));
                }
                checked += 1;
                prev_seq = record.seq;
                prev_hash = record.hash;
            }
        }
        if prev_seq != head_seq {
            let reason = format!(
                "head: the head records #{head_seq} but the log ends at #{prev_seq} (newest entries deleted)"
            );
            return Ok(broken(prev_seq + 1, reason, checked));
        }
        if prev_hash != head_hash {
            let reason = if head_seq == 0 {
                "head: the head of the empty log is not the chain's start (head altered)"
                    .to_string()
            } else {
                "head: the head's hash does not match the last entry (entry replaced or head altered)"
                    .to_string()
            };
            return Ok(broken(head_seq, reason, checked.saturating_sub(1)));
        }
        Ok(VerifyReport {
            entries_checked: checked,
            first_broken: None,
            head_seq,
            head_hash,
        })
    }
}
