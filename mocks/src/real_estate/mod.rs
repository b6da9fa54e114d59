//! Mock real-estate registration centre (不动产登记中心): a government system answering courts'
//! 权利人查询 (inquiry by right holder) over XML, authenticated by a static `X-BDC-Token`.
//!
//! - `wire`: the XML request / response shapes and the registry's result codes.
//! - `api`: the endpoint and its validation; `auth`: the token check.
//! - `data`: what the registry holds for a debtor (properties, mortgages, seals), derived from
//!   the population; `locale`: the cities, districts and courts it files property under;
//!   `date`: its date formats and clock.

mod api;
mod auth;
pub mod data;
pub mod date;
pub mod locale;
pub mod wire;

#[cfg(test)]
mod tests;

pub use api::INQUIRY_PATH;
pub use auth::TOKEN_HEADER;

use crate::{Knobs, Population};
use axum::routing::post;
use axum::Router;
use serde::Deserialize;
use std::sync::Arc;

/// A registry's own settings.
#[derive(Debug, Clone, Deserialize)]
pub struct Settings {
    /// The registry's name, e.g. `武汉市不动产登记中心`; a name starting with a known city
    /// makes it file property in that city.
    pub registry_name: String,
    /// The access token courts must present in `X-BDC-Token`.
    pub token: String,
}

impl Settings {
    /// Settings of the demo instance number `instance`: 0 is Wuhan's registry, 1 Shenzhen's,
    /// further instances the other known cities.
    pub fn demo(instance: usize) -> Self {
        let locale = &locale::LOCALES[instance % locale::LOCALES.len()];
        let round = instance / locale::LOCALES.len();
        let suffix = if round == 0 {
            String::new()
        } else {
            format!("-{round}")
        };
        Self {
            registry_name: format!("{}不动产登记中心", locale.city),
            token: format!("bdc-{}-demo-token{suffix}", locale.pinyin),
        }
    }
}

/// The registry's API for the instance `name` (its records depend on the name).
pub fn router(
    name: &str,
    settings: &Settings,
    population: Arc<Population>,
    knobs: Arc<Knobs>,
) -> Router {
    let registry = api::Registry {
        name: name.to_string(),
        settings: settings.clone(),
        locale: locale::for_registry(&settings.registry_name),
        population,
        knobs,
    };
    Router::new()
        .route(INQUIRY_PATH, post(api::inquiry))
        .with_state(Arc::new(registry))
}
