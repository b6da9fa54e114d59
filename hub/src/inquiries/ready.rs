//! Agencies that say when an answer is ready (a remote connector's `query_ready`
//! notifications): their notifications are read on a cadence, only for sources with open
//! inquiries, and each ready ticket wakes its inquiry's follower to ask for the answer at
//! once instead of at its next poll. A source whose connector does not offer notifications is
//! not asked again (its inquiries are polled). Cursors are kept per source in memory: after a
//! restart the feed is read from its oldest notification, which only wakes followers early.

use super::Inquiries;
use assethub_connectors::ErrorClass;
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;
use tokio::time::Instant;

/// Where the reading of each source's notifications stands.
#[derive(Debug, Default)]
pub struct Listening {
    cursors: HashMap<String, String>,
    /// Sources whose connectors offer no notifications.
    silent: HashSet<String>,
}

impl Inquiries {
    /// Reads the notifications every `every`, for as long as it runs.
    pub async fn listen_forever(self: Arc<Self>, every: Duration) {
        let mut listening = Listening::default();
        loop {
            tokio::time::sleep(every).await;
            self.listen_once(&mut listening).await;
        }
    }

    /// One round, on the hub that leads: every source with open inquiries that notifies is
    /// read once; returns how many followers were woken.
    pub async fn listen_once(&self, listening: &mut Listening) -> usize {
        if !self.leads() {
            return 0; // the leading hub reads them
        }
        let mut sources: Vec<String> = self
            .lock_open()
            .keys()
            .map(|k| k.source.to_string())
            .filter(|s| !listening.silent.contains(s))
            .collect();
        sources.sort();
        sources.dedup();
        let mut woken = 0;
        for id in sources {
            let Some(source) = self.source(&id) else {
                continue;
            };
            let cursor = listening.cursors.get(&id).cloned().unwrap_or_default();
            let deadline = Instant::now() + self.policy.call_deadline;
            let page = crate::registry::call(&source, deadline, || {
                source.connector.ready_tickets(&cursor)
            })
            .await;
            match page {
                Ok(page) => {
                    for ticket in &page.tickets {
                        woken += usize::from(self.ready(&id, ticket));
                    }
                    listening.cursors.insert(id, page.cursor);
                }
                Err(e) if e.class == ErrorClass::Unsupported => {
                    listening.silent.insert(id);
                }
                Err(e) => {
                    tracing::warn!(source = %id, error = %e, "cannot read the agency's notifications; its inquiries are polled meanwhile");
                }
            }
        }
        woken
    }
}
