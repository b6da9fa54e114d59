//! Mock bank agency (placeholder until implemented).

use crate::{Knobs, Population};
use axum::Router;
use serde::Deserialize;
use std::sync::Arc;

#[derive(Debug, Clone, Deserialize)]
pub struct Settings {}

impl Settings {
    /// Settings of the demo instance number `instance`.
    pub fn demo(_instance: usize) -> Self {
        Self {}
    }
}

pub fn router(
    _name: &str,
    _settings: &Settings,
    _population: Arc<Population>,
    _knobs: Arc<Knobs>,
) -> Router {
    Router::new()
}
