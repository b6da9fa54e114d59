//! Registered cases in the ledger's database (tables `cases`, `case_debtors`, `case_versions`
//! of migration 0004; portable SQL on SQLite and PostgreSQL). Registration is idempotent;
//! every change is a new version written in the same transaction as the case. The case's
//! reservation (`reserved_fen`) is the orders ledger's business: this store only seeds it at
//! registration from orders an earlier version of the hub recorded.

use super::model::{CaseChange, CaseDebtor, CaseRecord, CaseState, NewCase};
use crate::clock::now_ms;
use sqlx::{AnyPool, Row};

#[derive(Debug, thiserror::Error)]
pub enum CaseError {
    #[error("case database: {0}")]
    Db(#[from] sqlx::Error),
    /// Registered before with other content (its current version).
    #[error("case {0} is registered with other content (version {1}); change it with UpdateCase")]
    Differs(String, i64),
    #[error("case {0} is not registered")]
    NotFound(String),
    /// The change was based on another version than the current one.
    #[error("case {case} is at version {current}, not {expected}; read it again")]
    VersionMoved {
        case: String,
        current: i64,
        expected: i64,
    },
    #[error("{0}")]
    Refused(String),
    #[error("stored case unreadable: {0}")]
    Corrupt(String),
}

/// One version of a case as its history shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseVersion {
    pub version: i64,
    pub at_ms: i64,
    pub actor: String,
    pub state: CaseState,
    pub claim_fen: i64,
    pub account: String,
    pub change: String,
}

#[derive(Clone)]
pub struct CaseStore {
    pool: AnyPool,
}

const SELECT_CASE: &str = "SELECT case_number, court, state, claim_fen, account, reserved_fen, version, created_at_ms, updated_at_ms, updated_by FROM cases";

impl CaseStore {
    pub fn new(pool: AnyPool) -> Self {
        Self { pool }
    }

    /// Registers `new` by `actor`: `Ok(true)` when created, `Ok(false)` when the same content
    /// was registered before, [`CaseError::Differs`] when other content was.
    pub async fn register(&self, new: &NewCase, actor: &str) -> Result<bool, CaseError> {
        match self.try_register(new, actor).await {
            // Another hub registered the same number meanwhile: compare with what it wrote.
            Err(CaseError::Db(sqlx::Error::Database(e))) if e.is_unique_violation() => {
                self.try_register(new, actor).await
            }
            other => other,
        }
    }

    async fn try_register(&self, new: &NewCase, actor: &str) -> Result<bool, CaseError> {
        let mut tx = crate::db::begin_write(&self.pool).await?;
        if let Some(existing) = read(&mut tx, new.case.as_str()).await? {
            return if new.same_as(&existing) {
                Ok(false)
            } else {
                Err(CaseError::Differs(existing.case_number, existing.version))
            };
        }
        let now = now_ms();
        let case = new.case.as_str();
        // Orders recorded before cases were registered count against the claim from now on.
        let reserved: i64 = sqlx::query(
            "SELECT CAST(COALESCE(SUM(reserved_fen), 0) AS BIGINT) FROM control_orders WHERE case_number = $1",
        )
        .bind(case)
        .fetch_one(&mut *tx)
        .await?
        .try_get(0)?;
        sqlx::query(
            "INSERT INTO cases (case_number, court, state, claim_fen, account, reserved_fen, version, created_at_ms, updated_at_ms, updated_by) VALUES ($1, $2, 'open', $3, $4, $5, 1, $6, $6, $7)",
        )
        .bind(case)
        .bind(new.case.court())
        .bind(new.claim_fen)
        .bind(&new.account)
        .bind(reserved)
        .bind(now)
        .bind(actor)
        .execute(&mut *tx)
        .await?;
        for debtor in &new.debtors {
            insert_debtor(&mut tx, case, debtor, 1).await?;
        }
        let masked: Vec<String> = new.debtors.iter().map(CaseDebtor::masked).collect();
        let change = format!(
            "registered: claim {} yuan, {} debtor(s) {}",
            yuan(new.claim_fen),
            new.debtors.len(),
            masked.join(", ")
        );
        insert_version(
            &mut tx,
            case,
            1,
            actor,
            CaseState::Open,
            new.claim_fen,
            &new.account,
            &change,
        )
        .await?;
        crate::db::notify_peers(&mut tx, crate::db::CASES_CHANNEL, case).await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Applies `change` by `actor` as a new version (none when it changes nothing) and returns
    /// the case as it then stands.
    pub async fn update(&self, change: &CaseChange, actor: &str) -> Result<CaseRecord, CaseError> {
        let mut tx = crate::db::begin_write(&self.pool).await?;
        // Takes the row's write lock first (PostgreSQL; SQLite has one writer), so concurrent
        // changes are applied one after the other on the version they read.
        sqlx::query("UPDATE cases SET version = version WHERE case_number = $1")
            .bind(&change.case_number)
            .execute(&mut *tx)
            .await?;
        let Some(current) = read(&mut tx, &change.case_number).await? else {
            return Err(CaseError::NotFound(change.case_number.clone()));
        };
        if change.expected_version != 0 && change.expected_version != current.version {
            return Err(CaseError::VersionMoved {
                case: current.case_number,
                current: current.version,
                expected: change.expected_version,
            });
        }
        let mut next = current.clone();
        let mut said = Vec::new();
        if let Some(claim) = change.claim_fen.filter(|c| *c != current.claim_fen) {
            said.push(format!(
                "claim {} -> {} yuan",
                yuan(current.claim_fen),
                yuan(claim)
            ));
            next.claim_fen = claim;
        }
        if let Some(account) = change.account.as_ref().filter(|a| **a != current.account) {
            // Where a case's money goes does not move while money or assets are held for it or
            // a deduction is under way: one credential must not re-point held money.
            let busy = sqlx::query(
                "SELECT 1 FROM control_orders WHERE case_number = $1 AND ((action IN ('freeze', 'seal', 'watch') AND state IN ('awaiting_approval', 'requested', 'awaiting_agency', 'effective', 'partial', 'queued')) OR (action = 'deduct' AND state IN ('awaiting_approval', 'requested', 'awaiting_agency')))",
            )
            .bind(&current.case_number)
            .fetch_optional(&mut *tx)
            .await?;
            if busy.is_some() {
                return Err(CaseError::Refused(format!(
                    "case {} holds assets or has deductions under way: its account cannot change until they are released or done",
                    current.case_number
                )));
            }
            said.push(format!("account {} -> {account}", current.account));
            next.account = account.clone();
        }
        if let Some(state) = change.state.filter(|s| *s != current.state) {
            if current.state == CaseState::Closed {
                return Err(CaseError::Refused(format!(
                    "case {} is closed; a closed case is not reopened (register the resumed case, 执恢, instead)",
                    current.case_number
                )));
            }
            said.push(format!(
                "state {} -> {}",
                current.state.as_str(),
                state.as_str()
            ));
            next.state = state;
        }
        let added: Vec<&CaseDebtor> = change
            .add_debtors
            .iter()
            .filter(|d| !current.debtors.iter().any(|c| c.id == d.id))
            .collect();
        if let Some(clash) = change.add_debtors.iter().find(|d| {
            current
                .debtors
                .iter()
                .any(|c| c.id == d.id && c.name != d.name)
        }) {
            return Err(CaseError::Refused(format!(
                "debtor {} is already a party under another name",
                clash.masked()
            )));
        }
        if current.debtors.len() + added.len() > super::model::MAX_DEBTORS {
            return Err(CaseError::Refused(format!(
                "a case has at most {} debtors",
                super::model::MAX_DEBTORS
            )));
        }
        if !added.is_empty() {
            let masked: Vec<String> = added.iter().map(|d| d.masked()).collect();
            said.push(format!("debtor(s) added {}", masked.join(", ")));
        }
        if said.is_empty() {
            return Ok(current);
        }
        next.version = current.version + 1;
        next.updated_at_ms = now_ms();
        next.updated_by = actor.to_string();
        let case = current.case_number.as_str();
        sqlx::query(
            "UPDATE cases SET state = $1, claim_fen = $2, account = $3, version = $4, updated_at_ms = $5, updated_by = $6 WHERE case_number = $7",
        )
        .bind(next.state.as_str())
        .bind(next.claim_fen)
        .bind(&next.account)
        .bind(next.version)
        .bind(next.updated_at_ms)
        .bind(actor)
        .bind(case)
        .execute(&mut *tx)
        .await?;
        for debtor in &added {
            insert_debtor(&mut tx, case, debtor, next.version).await?;
            next.debtors.push((*debtor).clone());
        }
        let mut text = said.join("; ");
        if !change.reason.is_empty() {
            text = format!("{text}: {}", change.reason);
        }
        insert_version(
            &mut tx,
            case,
            next.version,
            actor,
            next.state,
            next.claim_fen,
            &next.account,
            &text,
        )
        .await?;
        crate::db::notify_peers(&mut tx, crate::db::CASES_CHANNEL, case).await?;
        tx.commit().await?;
        Ok(next)
    }

    pub async fn get(&self, case: &str) -> Result<Option<CaseRecord>, CaseError> {
        let mut conn = self.pool.acquire().await?;
        read(&mut conn, case).await
    }

    /// Cases of `court` after `after` (by number), in `states` (all when empty).
    pub async fn list(
        &self,
        court: &str,
        states: &[CaseState],
        after: &str,
        limit: u32,
    ) -> Result<Vec<CaseRecord>, CaseError> {
        let mut sql = format!("{SELECT_CASE} WHERE court = $1 AND case_number > $2");
        if !states.is_empty() {
            let list: Vec<String> = (0..states.len()).map(|i| format!("${}", i + 3)).collect();
            sql += &format!(" AND state IN ({})", list.join(", "));
        }
        sql += &format!(" ORDER BY case_number LIMIT ${}", states.len() + 3);
        let mut query = sqlx::query(&sql).bind(court).bind(after);
        for state in states {
            query = query.bind(state.as_str());
        }
        let mut conn = self.pool.acquire().await?;
        let rows = query.bind(i64::from(limit)).fetch_all(&mut *conn).await?;
        let mut cases = Vec::with_capacity(rows.len());
        for row in &rows {
            let mut case = case_from(row)?;
            case.debtors = debtors(&mut conn, &case.case_number).await?;
            cases.push(case);
        }
        Ok(cases)
    }

    /// The case's versions, oldest first.
    pub async fn history(&self, case: &str) -> Result<Vec<CaseVersion>, CaseError> {
        let rows = sqlx::query(
            "SELECT version, at_ms, actor, state, claim_fen, account, change_text FROM case_versions WHERE case_number = $1 ORDER BY version",
        )
        .bind(case)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let state: String = r.try_get(3)?;
                Ok(CaseVersion {
                    version: r.try_get(0)?,
                    at_ms: r.try_get(1)?,
                    actor: r.try_get(2)?,
                    state: CaseState::parse(&state)
                        .ok_or_else(|| CaseError::Corrupt(format!("state {state:?}")))?,
                    claim_fen: r.try_get(4)?,
                    account: r.try_get(5)?,
                    change: r.try_get(6)?,
                })
            })
            .collect()
    }
}

fn yuan(fen: i64) -> String {
    assethub_connectors::domain::Fen(fen).to_yuan_string()
}

async fn read(conn: &mut sqlx::AnyConnection, case: &str) -> Result<Option<CaseRecord>, CaseError> {
    let row = sqlx::query(&format!("{SELECT_CASE} WHERE case_number = $1"))
        .bind(case)
        .fetch_optional(&mut *conn)
        .await?;
    let Some(row) = row else { return Ok(None) };
    let mut case = case_from(&row)?;
    case.debtors = debtors(conn, &case.case_number).await?;
    Ok(Some(case))
}

async fn debtors(conn: &mut sqlx::AnyConnection, case: &str) -> Result<Vec<CaseDebtor>, CaseError> {
    let rows = sqlx::query(
        "SELECT debtor_id, debtor_name FROM case_debtors WHERE case_number = $1 ORDER BY since_version, debtor_id",
    )
    .bind(case)
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(CaseDebtor {
                id: r.try_get(0)?,
                name: r.try_get(1)?,
            })
        })
        .collect()
}

fn case_from(row: &sqlx::any::AnyRow) -> Result<CaseRecord, CaseError> {
    let state: String = row.try_get(2)?;
    Ok(CaseRecord {
        case_number: row.try_get(0)?,
        court: row.try_get(1)?,
        state: CaseState::parse(&state)
            .ok_or_else(|| CaseError::Corrupt(format!("state {state:?}")))?,
        claim_fen: row.try_get(3)?,
        account: row.try_get(4)?,
        reserved_fen: row.try_get(5)?,
        version: row.try_get(6)?,
        created_at_ms: row.try_get(7)?,
        updated_at_ms: row.try_get(8)?,
        updated_by: row.try_get(9)?,
        debtors: Vec::new(),
    })
}

async fn insert_debtor(
    conn: &mut sqlx::AnyConnection,
    case: &str,
    debtor: &CaseDebtor,
    version: i64,
) -> Result<(), CaseError> {
    sqlx::query(
        "INSERT INTO case_debtors (case_number, debtor_id, debtor_name, since_version) VALUES ($1, $2, $3, $4)",
    )
    .bind(case)
    .bind(&debtor.id)
    .bind(&debtor.name)
    .bind(version)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

#[allow(clippy::too_many_arguments)]
async fn insert_version(
    conn: &mut sqlx::AnyConnection,
    case: &str,
    version: i64,
    actor: &str,
    state: CaseState,
    claim_fen: i64,
    account: &str,
    change: &str,
) -> Result<(), CaseError> {
    sqlx::query(
        "INSERT INTO case_versions (case_number, version, at_ms, actor, state, claim_fen, account, change_text) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(case)
    .bind(version)
    .bind(now_ms())
    .bind(actor)
    .bind(state.as_str())
    .bind(claim_fen)
    .bind(account)
    .bind(change)
    .execute(&mut *conn)
    .await?;
    Ok(())
}
