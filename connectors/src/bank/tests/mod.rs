//! Tests of the bank connector: against the mock bank started in-process on port 0
//! (`against_mock`), against a fixed-answer server for broken or unusual answers
//! (`broken_answers`), the exact conversion of accounts (`conversion`), configuration
//! errors (`config`) and control actions (`control`).

mod against_mock;
mod broken_answers;
mod config;
mod connections;
mod control;
mod conversion;
mod fixed_server;

use super::build;
use crate::domain::{CaseNumber, Debtor, DebtorId, SourceId};
use crate::{CallContext, Connector};
use std::sync::Arc;

pub const SOURCE: &str = "bank-gongxin";
pub const CASE: &str = "(2024)鄂0116执1234号";
pub const REQUEST_ID: &str = "test-req-0001";

pub fn source_id() -> SourceId {
    SourceId::new(SOURCE).expect("valid source id")
}

pub fn ctx() -> CallContext {
    CallContext {
        case: CaseNumber::parse(CASE).expect("valid case number"),
        request_id: REQUEST_ID.into(),
    }
}

pub fn debtor(id: &str, name: &str) -> Debtor {
    Debtor {
        id: DebtorId::parse(id).expect("valid identifier"),
        name: name.into(),
    }
}

/// A settings table written exactly as in the hub's configuration file.
pub fn settings(base_url: &str, api_key: &str, api_secret: &str) -> toml::Table {
    let text = format!(
        "base_url = \"{base_url}\"\napi_key = \"{api_key}\"\napi_secret = \"{api_secret}\"\n\
         timeout_ms = 3000\n"
    );
    toml::from_str(&text).expect("valid TOML")
}

/// A connector with the demo(0) credentials pointed at `base_url`.
pub fn connector(base_url: &str) -> Arc<dyn Connector> {
    build(
        source_id(),
        settings(base_url, "gx-demo-key", "gx-demo-secret"),
    )
    .expect("connector builds")
}
