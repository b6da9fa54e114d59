//! [`Checkpointer`]: signs checkpoints of the running hub's audit log (on demand, and at a
//! fixed interval when the log grew), keeps them in the checkpoint file, and judges
//! checkpoints an auditor kept against the log as it is now.
//!
//! Before signing, the hub checks that the log still extends its previous checkpoint: the
//! entries after it link to its head hash and hash to the head (the whole chain for the
//! first; the whole chain too when an auditor asks for one now). So it never signs over a
//! rewrite, and a rewrite made between two checkpoints is refused loudly (DATA_LOSS) instead
//! of being blessed. A hub whose checkpoint file is gone while its log has entries says so
//! in every verification (a warning: it cannot prove what was lost).
//!
//! A kept checkpoint (N entries, head hash H) is judged: its signature must be the hub's;
//! the log must still have entry #N (else TRUNCATED), with the stored hash H (else
//! REWRITTEN), and the chain must be intact up to #N (else REWRITTEN).

use super::checkpoint::{Checkpoint, CheckpointKey};
use super::checkpoint_file::CheckpointFile;
use super::{AuditError, AuditLog, VerifyReport, GENESIS};
use crate::clock::now_ms;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Mutex;

/// Signs, keeps and judges checkpoints. Cheap to clone.
#[derive(Clone)]
pub struct Checkpointer {
    inner: Arc<Inner>,
}

struct Inner {
    log: AuditLog,
    key: CheckpointKey,
    file: CheckpointFile,
    /// The newest checkpoint this hub signed (outer `None`: not read from the file yet).
    /// Signing holds the lock, so the interval and on-demand signing take turns.
    latest: Mutex<Option<Option<Checkpoint>>>,
}

#[derive(Debug, thiserror::Error)]
pub enum CheckpointError {
    #[error(transparent)]
    Audit(#[from] AuditError),
    #[error("audit checkpoint file {path}: {source}")]
    File {
        path: String,
        source: std::io::Error,
    },
    /// The log no longer extends the previous checkpoint: nothing was signed.
    #[error("refusing to sign: the audit log no longer extends the checkpoint of {entries} entries: entry #{seq}: {reason}")]
    NotExtending {
        entries: u64,
        seq: u64,
        reason: String,
    },
}

/// What became of one checkpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Signed by the hub and extended by the log.
    Ok,
    /// Not signed by the hub's checkpoint key as it is (altered, or another key).
    BadSignature,
    /// The log is shorter than the checkpoint: its newest entries were deleted.
    Truncated,
    /// The log no longer holds what the checkpoint covers: entries up to its number were
    /// changed (hashes recomputed), deleted or reordered.
    Rewritten,
}

/// One checkpoint and its verdict.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Judged {
    pub checkpoint: Checkpoint,
    pub verdict: Verdict,
    /// Why, when not [`Verdict::Ok`].
    pub reason: String,
    /// The newest checkpoint of the hub's own file (not one the caller presented).
    pub from_hub_file: bool,
}

/// The chain walk, every checkpoint's verdict, and what looks wrong without proof.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Judgement {
    pub chain: VerifyReport,
    pub checkpoints: Vec<Judged>,
    pub warnings: Vec<String>,
}

impl Judgement {
    /// The chain is intact and every checkpoint is extended by it.
    pub fn intact(&self) -> bool {
        self.chain.intact() && self.checkpoints.iter().all(|c| c.verdict == Verdict::Ok)
    }
}

impl Checkpointer {
    pub fn new(log: AuditLog, key: CheckpointKey, file: CheckpointFile) -> Self {
        Self {
            inner: Arc::new(Inner {
                log,
                key,
                file,
                latest: Mutex::new(None),
            }),
        }
    }

    pub fn key(&self) -> &CheckpointKey {
        &self.inner.key
    }

    pub fn file(&self) -> &CheckpointFile {
        &self.inner.file
    }

    /// The newest checkpoint this hub signed (from its file at first), or a new one when there
    /// is none yet; and whether it was signed now.
    pub async fn latest_or_sign(&self) -> Result<(Checkpoint, bool), CheckpointError> {
        let mut latest = self.inner.latest.lock().await;
        match self.loaded(&mut latest).await? {
            Some(checkpoint) => Ok((checkpoint, false)),
            None => Ok((self.sign_locked(&mut latest, None).await?, true)),
        }
    }

    /// Signs a checkpoint of the log as it is now, after walking the whole chain (an auditor
    /// asked: the log must be intact from its first entry, not only since the last checkpoint).
    pub async fn sign_now(&self) -> Result<Checkpoint, CheckpointError> {
        let mut latest = self.inner.latest.lock().await;
        let previous = self.loaded(&mut latest).await?;
        let whole = self.inner.log.verify().await?;
        if let Some((seq, reason)) = whole.first_broken {
            return Err(CheckpointError::NotExtending {
                entries: 0,
                seq,
                reason,
            });
        }
        self.sign_locked(&mut latest, previous).await
    }

    /// Signs a checkpoint when the log has grown since the newest one (or has shrunk, which
    /// is refused as [`CheckpointError::NotExtending`]); `None` when nothing changed.
    pub async fn sign_if_grown(&self) -> Result<Option<Checkpoint>, CheckpointError> {
        let mut latest = self.inner.latest.lock().await;
        let previous = self.loaded(&mut latest).await?;
        let (head_seq, _) = self.inner.log.head().await?;
        if head_seq == previous.as_ref().map_or(0, |p| p.entries) {
            return Ok(None);
        }
        self.sign_locked(&mut latest, previous).await.map(Some)
    }

    /// Signs at every `every` (the first after one interval) when the log grew; a refusal
    /// or failure is logged loudly and tried again at the next interval. Runs until aborted.
    pub async fn run_every(self, every: Duration) {
        let mut ticks = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticks.tick().await;
            match self.sign_if_grown().await {
                Ok(Some(checkpoint)) => {
                    tracing::debug!(entries = checkpoint.entries, "audit checkpoint signed")
                }
                Ok(None) => {}
                Err(e @ CheckpointError::NotExtending { .. }) => {
                    tracing::error!(error = %e, "AUDIT LOG TAMPERED? no checkpoint signed")
                }
                Err(e) => tracing::error!(error = %e, "audit checkpoint not signed"),
            }
        }
    }

    /// Walks the chain and judges each of `presented`, then the newest checkpoint of the
    /// hub's own file (read before the walk, so one signed meanwhile is not mistaken for a
    /// truncation).
    pub async fn judge(&self, presented: Vec<Checkpoint>) -> Result<Judgement, CheckpointError> {
        let own = self.read_file().await?;
        let chain = self.inner.log.verify().await?;
        let mut warnings = Vec::new();
        if own.is_none() && chain.head_seq > 0 {
            warnings.push(format!(
                "the hub's checkpoint file {} holds no checkpoint although the log has {} entries: it was deleted, or none was signed yet; compare with checkpoints kept elsewhere",
                self.inner.file.path().display(),
                chain.head_seq
            ));
        }
        let mut checkpoints = Vec::with_capacity(presented.len() + 1);
        let all = presented
            .into_iter()
            .map(|c| (c, false))
            .chain(own.map(|c| (c, true)));
        for (checkpoint, from_hub_file) in all {
            let (verdict, reason) = self.verdict(&checkpoint, &chain).await?;
            checkpoints.push(Judged {
                checkpoint,
                verdict,
                reason,
                from_hub_file,
            });
        }
        Ok(Judgement {
            chain,
            checkpoints,
            warnings,
        })
    }

    async fn verdict(
        &self,
        checkpoint: &Checkpoint,
        chain: &VerifyReport,
    ) -> Result<(Verdict, String), CheckpointError> {
        if let Err(problem) = self.inner.key.verify(checkpoint) {
            return Ok((Verdict::BadSignature, problem.to_string()));
        }
        let n = checkpoint.entries;
        if n > chain.head_seq {
            let reason = format!(
                "the checkpoint covers {n} entries but the log's head records only {}: the newest entries were deleted",
                chain.head_seq
            );
            return Ok((Verdict::Truncated, reason));
        }
        let stored = if n == 0 {
            Some((0, GENESIS.to_string()))
        } else {
            self.inner.log.entry_at_or_after(n).await?
        };
        let reason = match stored {
            None => {
                let reason = format!("entry #{n} and every later one are gone: the newest entries were deleted");
                return Ok((Verdict::Truncated, reason));
            }
            Some((seq, _)) if seq != n => format!("entry #{n} is gone (deleted)"),
            Some((_, hash)) if hash != checkpoint.head_hash => format!(
                "entry #{n}'s hash is not the checkpoint's: entries up to #{n} were rewritten (later hashes recomputed)"
            ),
            Some(_) => match &chain.first_broken {
                Some((seq, reason)) if *seq <= n => format!(
                    "the chain is broken at #{seq}, within the {n} entries the checkpoint covers: {reason}"
                ),
                _ => return Ok((Verdict::Ok, String::new())),
            },
        };
        Ok((Verdict::Rewritten, reason))
    }

    /// The newest checkpoint, read from the file the first time.
    async fn loaded(
        &self,
        latest: &mut Option<Option<Checkpoint>>,
    ) -> Result<Option<Checkpoint>, CheckpointError> {
        if latest.is_none() {
            let from_file = self.read_file().await?.filter(|c| {
                let usable = self.inner.key.verify(c).is_ok();
                if !usable {
                    tracing::error!(
                        path = %self.inner.file.path().display(),
                        "the newest audit checkpoint in the file is not signed by this hub's checkpoint key: checking the whole chain instead"
                    );
                }
                usable
            });
            *latest = Some(from_file);
        }
        Ok(latest.clone().flatten())
    }

    /// Checks that the log extends `previous` (or the whole chain), signs its head, keeps it.
    async fn sign_locked(
        &self,
        latest: &mut Option<Option<Checkpoint>>,
        previous: Option<Checkpoint>,
    ) -> Result<Checkpoint, CheckpointError> {
        let log = &self.inner.log;
        let (from, from_hash) = previous
            .as_ref()
            .map_or((0, GENESIS), |p| (p.entries, p.head_hash.as_str()));
        let report = log.verify_since(from, from_hash).await?;
        if let Some((seq, reason)) = report.first_broken {
            return Err(CheckpointError::NotExtending {
                entries: from,
                seq,
                reason,
            });
        }
        let checkpoint = self
            .inner
            .key
            .sign(report.head_seq, &report.head_hash, now_ms());
        let file = self.inner.file.clone();
        let written = checkpoint.clone();
        tokio::task::spawn_blocking(move || file.append(&written))
            .await
            .map_err(|e| self.file_error(std::io::Error::other(e)))?
            .map_err(|e| self.file_error(e))?;
        *latest = Some(Some(checkpoint.clone()));
        Ok(checkpoint)
    }

    async fn read_file(&self) -> Result<Option<Checkpoint>, CheckpointError> {
        let file = self.inner.file.clone();
        tokio::task::spawn_blocking(move || file.latest())
            .await
            .map_err(|e| self.file_error(std::io::Error::other(e)))?
            .map_err(|e| self.file_error(e))
    }

    fn file_error(&self, source: std::io::Error) -> CheckpointError {
        CheckpointError::File {
            path: self.inner.file.path().display().to_string(),
            source,
        }
    }
}
