//! Revoked tokens: by token id (`jti`) or by subject (every token of it issued up to the
//! revocation). Kept in the ledger (`token_revocations`) so every hub sharing it honours them,
//! and in memory, so the check on every call is a lookup: a revocation this hub records applies
//! to the next call; one recorded by another hub once this hub next reads the table (every
//! `auth.revocation_poll_ms`, [`Revocations::poll_every`]).

use super::claims::Claims;
use super::token::TokenError;
use sqlx::{AnyPool, Row};
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, RwLock};
use std::time::Duration;

/// What is revoked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// One token, by its `jti`.
    Jti(String),
    /// Every token of a subject issued (`iat`) up to the revocation.
    Subject(String),
}

impl Target {
    fn kind(&self) -> &'static str {
        match self {
            Self::Jti(_) => "jti",
            Self::Subject(_) => "subject",
        }
    }

    fn value(&self) -> &str {
        match self {
            Self::Jti(v) | Self::Subject(v) => v,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Revocation {
    pub issuer: String,
    pub target: Target,
    pub reason: String,
    pub revoked_by: String,
    /// Unix seconds.
    pub revoked_at: i64,
}

#[derive(Default)]
struct Known {
    /// (issuer, jti).
    jtis: HashSet<(String, String)>,
    /// (issuer, subject) → revoked at.
    subjects: HashMap<(String, String), i64>,
}

impl Known {
    fn apply(&mut self, issuer: &str, target: &Target, at: i64) {
        match target {
            Target::Jti(jti) => {
                self.jtis.insert((issuer.to_string(), jti.clone()));
            }
            Target::Subject(sub) => {
                let entry = self
                    .subjects
                    .entry((issuer.to_string(), sub.clone()))
                    .or_insert(at);
                *entry = (*entry).max(at);
            }
        }
    }
}

pub struct Revocations {
    pool: AnyPool,
    known: RwLock<Known>,
}

impl Revocations {
    /// Reads the ledger's revocations.
    pub async fn load(pool: AnyPool) -> Result<Arc<Self>, sqlx::Error> {
        let revocations = Arc::new(Self {
            pool,
            known: RwLock::default(),
        });
        revocations.refresh().await?;
        Ok(revocations)
    }

    /// Reads the table again (revocations other hubs recorded); returns how many there are.
    pub async fn refresh(&self) -> Result<usize, sqlx::Error> {
        let rows = sqlx::query("SELECT kind, issuer, value, revoked_at FROM token_revocations")
            .fetch_all(&self.pool)
            .await?;
        let mut known = Known::default();
        for row in &rows {
            let kind: String = row.try_get(0)?;
            let value: String = row.try_get(2)?;
            let target = match kind.as_str() {
                "jti" => Target::Jti(value),
                _ => Target::Subject(value),
            };
            known.apply(&row.try_get::<String, _>(1)?, &target, row.try_get(3)?);
        }
        *self.known.write().unwrap_or_else(|p| p.into_inner()) = known;
        Ok(rows.len())
    }

    /// Refuses a revoked token.
    pub fn check(&self, claims: &Claims) -> Result<(), TokenError> {
        let known = self.known.read().unwrap_or_else(|p| p.into_inner());
        let key = |v: &str| (claims.iss.clone(), v.to_string());
        if !claims.jti.is_empty() && known.jtis.contains(&key(&claims.jti)) {
            return Err(TokenError::Revoked(format!("token {}", claims.jti)));
        }
        if let Some(at) = known.subjects.get(&key(&claims.sub)) {
            if claims.iat <= *at {
                return Err(TokenError::Revoked(format!(
                    "every token of {} issued up to {at}",
                    claims.sub
                )));
            }
        }
        Ok(())
    }

    /// Records `revocation` in the ledger, then applies it here at once.
    pub async fn revoke(&self, revocation: &Revocation) -> Result<(), sqlx::Error> {
        let r = revocation;
        sqlx::query(
            "INSERT INTO token_revocations (kind, issuer, value, reason, revoked_by, revoked_at) \
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (kind, issuer, value) DO UPDATE SET \
             reason = excluded.reason, revoked_by = excluded.revoked_by, revoked_at = excluded.revoked_at",
        )
        .bind(r.target.kind())
        .bind(&r.issuer)
        .bind(r.target.value())
        .bind(&r.reason)
        .bind(&r.revoked_by)
        .bind(r.revoked_at)
        .execute(&self.pool)
        .await?;
        self.known.write().unwrap_or_else(|p| p.into_inner()).apply(
            &r.issuer,
            &r.target,
            r.revoked_at,
        );
        Ok(())
    }

    /// Reads the table every `every`, forever (a failed read is logged and retried next time).
    pub async fn poll_every(self: Arc<Self>, every: Duration) {
        let mut ticks = tokio::time::interval(every);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticks.tick().await;
            if let Err(e) = self.refresh().await {
                tracing::warn!(error = %e, "cannot read token revocations; keeping the known ones");
            }
        }
    }
}

#[cfg(test)]
#[path = "revoke_tests.rs"]
mod tests;
