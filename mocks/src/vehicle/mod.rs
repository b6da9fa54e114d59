//! Mock vehicle administration (车管所): a provincial 公安 traffic-management system answering
//! courts' judicial vehicle queries over JSON with pinyin field names, authenticated by an app
//! key and a SHA-256 signature over key, timestamp and secret.
//!
//! - `wire`: the JSON shapes and the administration's result codes.
//! - `api`: the endpoint and its validation; `auth`: the signature check.
//! - `data`: what the administration holds for a debtor (vehicles, seals, mortgages), derived
//!   from the population; `catalogue`: models, plate letters, lenders and status codes;
//!   `vin`: VINs with their check digit; `date`: its date format and clock.

mod api;
mod auth;
pub mod catalogue;
pub mod data;
pub mod date;
pub mod vin;
pub mod wire;

#[cfg(test)]
mod tests;

pub use api::QUERY_PATH;
pub use auth::{sign, APP_KEY_HEADER, SIGN_HEADER, TIMESTAMP_HEADER};

use crate::{Knobs, Population};
use axum::routing::get;
use axum::Router;
use serde::Deserialize;
use std::sync::Arc;

/// An administration's own settings.
#[derive(Debug, Clone, Deserialize)]
pub struct Settings {
    /// The administration's name, e.g. `湖北省公安厅交通管理局车管所`.
    pub administration_name: String,
    /// The app key issued to the court gateway (`appKey` header).
    pub app_key: String,
    /// The secret the gateway signs with.
    pub app_secret: String,
}

/// Demo administrations: province name and its short romanisation for credentials.
const DEMO_PROVINCES: [(&str, &str); 5] = [
    ("湖北省", "hb"),
    ("广东省", "gd"),
    ("浙江省", "zj"),
    ("四川省", "sc"),
    ("江苏省", "js"),
];

impl Settings {
    /// Settings of the demo instance number `instance`: 0 is Hubei's administration, 1
    /// Guangdong's, further instances other provinces'.
    pub fn demo(instance: usize) -> Self {
        let (province, short) = DEMO_PROVINCES[instance % DEMO_PROVINCES.len()];
        let round = instance / DEMO_PROVINCES.len();
        let suffix = if round == 0 {
            String::new()
        } else {
            format!("-{round}")
        };
        Self {
            administration_name: format!("{province}公安厅交通管理局车管所"),
            app_key: format!("{short}-vehicle-demo{suffix}"),
            app_secret: format!("{short}-vehicle-secret{suffix}"),
        }
    }
}

/// The administration's API for the instance `name` (its records depend on the name).
pub fn router(
    name: &str,
    settings: &Settings,
    population: Arc<Population>,
    knobs: Arc<Knobs>,
) -> Router {
    let administration = api::Administration {
        name: name.to_string(),
        settings: settings.clone(),
        population,
        knobs,
    };
    Router::new()
        .route(QUERY_PATH, get(api::query))
        .with_state(Arc::new(administration))
}
