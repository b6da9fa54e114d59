//! Error classification: the agency is told (through `/__admin/faults`) to answer every
//! business request with one fault, the known debtor is queried once, and the connector's
//! error must carry the class the hub acts on. The rules are cleared after each check,
//! whatever happened.
//!
//! | fault at the agency | class expected |
//! | --- | --- |
//! | HTTP 400 | `rejected` |
//! | HTTP 500, HTTP 503 | `server` |
//! | HTTP 429 with `Retry-After: 7` | `rate_limited`, `retry_after` = 7 s |
//! | a body that does not parse (same status and content type) | `malformed` |
//! | a body cut in half (full `Content-Length` declared, connection closed) | `malformed` or `connect` |
//!
//! A truncated body is either: the HTTP client may notice the short body first (the
//! connection closed early: `connect`) or hand over what arrived and fail to parse it
//! (`malformed`). The hub retries a `connect` error and not a `malformed` one; the kit accepts
//! either (the agency may have acted, so neither is wrong) and says which it saw.

use crate::admin::AdminError;
use crate::kit::Kit;
use crate::outcome::Outcome;
use assethub_connectors::{Capability, ErrorClass, QueryAnswer};
use serde_json::{json, Value};
use std::time::Duration;

/// The `Retry-After` the 429 check asks the agency to send, in seconds.
pub const RETRY_AFTER_SECS: u64 = 7;

/// One fault to inject and what the connector must make of it.
#[derive(Debug, Clone, Copy)]
pub enum Fault {
    Status(u16, ErrorClass),
    Throttle,
    Malformed,
    Truncated,
}

pub const FAULTS: [(&str, Fault); 6] = [
    ("error-400", Fault::Status(400, ErrorClass::Rejected)),
    ("error-500", Fault::Status(500, ErrorClass::Server)),
    ("error-503", Fault::Status(503, ErrorClass::Server)),
    ("error-429", Fault::Throttle),
    ("error-malformed", Fault::Malformed),
    ("error-truncated", Fault::Truncated),
];

fn rule(fault: Fault) -> Value {
    match fault {
        Fault::Status(status, _) => json!({ "error_rate": 1.0, "error_status": status }),
        Fault::Throttle => json!({ "throttle_rate": 1.0, "retry_after_secs": RETRY_AFTER_SECS }),
        Fault::Malformed => json!({ "malformed_rate": 1.0 }),
        Fault::Truncated => json!({ "truncated_rate": 1.0 }),
    }
}

pub async fn classify(kit: &mut Kit, fault: Fault) -> Outcome {
    if !kit.supports(Capability::Query) {
        return Outcome::Skip("the connector does not declare query".into());
    }
    match kit.admin.inject(rule(fault)).await {
        Ok(()) => {}
        Err(AdminError::Missing(what)) => {
            return Outcome::Skip(format!("the agency does not serve {what}"))
        }
        Err(e) => return Outcome::Fail(format!("could not inject the fault: {e}")),
    }
    let debtor = kit.fixture.known.clone();
    let result = kit.query_once("fault", &debtor).await;
    if let Err(e) = kit.admin.clear_faults().await {
        return Outcome::Fail(format!("could not clear the fault rules: {e}"));
    }
    let error = match result {
        Ok(answer) => {
            let what = match answer {
                QueryAnswer::Found(_) => "Found",
                QueryAnswer::NotFound => "NotFound",
                QueryAnswer::NameMismatch => "NameMismatch",
                QueryAnswer::Pending { .. } => "Pending",
            };
            return Outcome::Fail(format!("expected an error, the connector answered {what}"));
        }
        Err(e) => e,
    };
    let class = error.class.as_str();
    match fault {
        Fault::Status(status, want) if error.class == want => {
            Outcome::Pass(format!("HTTP {status} → {class}"))
        }
        Fault::Status(status, want) => Outcome::Fail(format!(
            "HTTP {status} → {class}, expected {} ({})",
            want.as_str(),
            error.message
        )),
        Fault::Throttle => {
            let want = Duration::from_secs(RETRY_AFTER_SECS);
            match (error.class, error.retry_after) {
                (ErrorClass::RateLimited, Some(after)) if after == want => Outcome::Pass(format!(
                    "429 → rate_limited, retry_after {}s",
                    after.as_secs()
                )),
                (ErrorClass::RateLimited, after) => Outcome::Fail(format!(
                    "429 with Retry-After: {RETRY_AFTER_SECS} → rate_limited but retry_after {after:?}"
                )),
                _ => Outcome::Fail(format!(
                    "429 → {class}, expected rate_limited ({})",
                    error.message
                )),
            }
        }
        Fault::Malformed if error.class == ErrorClass::Malformed => {
            Outcome::Pass("unparseable body → malformed".into())
        }
        Fault::Malformed => Outcome::Fail(format!(
            "unparseable body → {class}, expected malformed ({})",
            error.message
        )),
        Fault::Truncated if matches!(error.class, ErrorClass::Malformed | ErrorClass::Connect) => {
            Outcome::Pass(format!("truncated body → {class}"))
        }
        Fault::Truncated => Outcome::Fail(format!(
            "truncated body → {class}, expected malformed or connect ({})",
            error.message
        )),
    }
}
