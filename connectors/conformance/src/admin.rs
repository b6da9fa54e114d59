//! The agency's admin endpoints the kit drives, over HTTP: fault rules (`/__admin/faults`),
//! the hold register (`/__admin/holds`), a clerk's lift at the counter
//! (`/__admin/holds/lift`) and the agency's calendar (`/__admin/knobs`, `clock_offset_days`).
//! Every mock agency serves them; a third party's test agency joins the kit by serving the same.
//!
//! Owns no checking logic; an endpoint the agency does not serve is reported as
//! [`AdminError::Missing`], so the checks that need it can SKIP with that reason.

use crate::register::RegisterExport;
use serde_json::{json, Value};
use std::time::Duration;

/// A client of one agency's admin API.
#[derive(Debug, Clone)]
pub struct Admin {
    base: String,
    http: reqwest::Client,
}

/// Why an admin call did not do what was asked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AdminError {
    /// The agency does not serve this endpoint (404 or 405).
    Missing(String),
    /// Anything else (connection refused, a 5xx, an unreadable body).
    Failed(String),
}

impl std::fmt::Display for AdminError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Missing(what) => write!(f, "the agency does not serve {what}"),
            Self::Failed(why) => f.write_str(why),
        }
    }
}

impl Admin {
    /// The admin API under `base` (e.g. `http://127.0.0.1:18081`; `/__admin/...` is appended).
    pub fn new(base: &str) -> Self {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .build()
            .unwrap_or_default();
        Self {
            base: base.trim_end_matches('/').to_string(),
            http,
        }
    }

    pub fn base(&self) -> &str {
        &self.base
    }

    /// Replaces every fault rule with `rule` (a JSON object, see the mocks' fault rules),
    /// applying to every business endpoint unless the rule names one.
    pub async fn inject(&self, rule: Value) -> Result<(), AdminError> {
        let body = json!({ "rules": [rule], "replace": true });
        self.send(
            self.http.post(self.url("/__admin/faults")).json(&body),
            "/__admin/faults",
        )
        .await
        .map(drop)
    }

    /// Removes every fault rule.
    pub async fn clear_faults(&self) -> Result<(), AdminError> {
        self.send(
            self.http.delete(self.url("/__admin/faults")),
            "/__admin/faults",
        )
        .await
        .map(drop)
    }

    /// The hold register now.
    pub async fn holds(&self) -> Result<RegisterExport, AdminError> {
        let body = self
            .send(self.http.get(self.url("/__admin/holds")), "/__admin/holds")
            .await?;
        serde_json::from_str(&body).map_err(|e| {
            AdminError::Failed(format!("/__admin/holds is not the export format: {e}"))
        })
    }

    /// A clerk lifts hold `id` at the counter.
    pub async fn lift(&self, id: &str) -> Result<(), AdminError> {
        let body = json!({ "hold": id });
        let path = "/__admin/holds/lift";
        self.send(self.http.post(self.url(path)).json(&body), path)
            .await
            .map(drop)
    }

    /// Moves the agency's calendar `days` from the real date.
    pub async fn set_clock_offset_days(&self, days: i64) -> Result<(), AdminError> {
        let body = json!({ "clock_offset_days": days });
        let path = "/__admin/knobs";
        let answer = self
            .send(self.http.post(self.url(path)).json(&body), path)
            .await?;
        // An agency that takes the call but has no calendar to move says so by not echoing it.
        let echoed: Value = serde_json::from_str(&answer).unwrap_or(Value::Null);
        match echoed.get("clock_offset_days").and_then(Value::as_i64) {
            Some(now) if now == days => Ok(()),
            _ => Err(AdminError::Missing(
                "clock_offset_days on /__admin/knobs".into(),
            )),
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    async fn send(
        &self,
        request: reqwest::RequestBuilder,
        what: &str,
    ) -> Result<String, AdminError> {
        let response = request
            .send()
            .await
            .map_err(|e| AdminError::Failed(format!("{what}: {e}")))?;
        let status = response.status();
        let body = response
            .text()
            .await
            .map_err(|e| AdminError::Failed(format!("{what}: {e}")))?;
        match status.as_u16() {
            200..=299 => Ok(body),
            404 | 405 => Err(AdminError::Missing(what.to_string())),
            other => Err(AdminError::Failed(format!(
                "{what} answered {other}: {}",
                body.chars().take(200).collect::<String>()
            ))),
        }
    }
}
