//! The series a source's reports land in, resolved once per source and report shape (kind,
//! outcome, error class, cache result) and kept: recording a report is then atomic adds on
//! shared handles, not six label sets hashed and looked up under their families' locks (it
//! was about 5 % of a cached query's CPU). Also the source ids as label values, allocated once
//! per source. Only ids of configured sources are recorded, so this holds one entry per
//! source and a handful of shapes each.

use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::histogram::Histogram;
use std::collections::HashMap;
use std::sync::{Arc, RwLock};

/// What a report is, as the series label it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Shape {
    pub kind: &'static str,
    pub outcome: &'static str,
    /// The error class for `outcome="error"`, empty otherwise.
    pub class: &'static str,
    /// The cache's part: hit, miss or bypass.
    pub result: &'static str,
}

/// The series of one shape of one source's reports (handles sharing the families' atomics).
pub(super) struct Series {
    pub kind_duration: Histogram,
    pub kind_outcome: Counter,
    pub kind_cache: Counter,
    /// Per-source series, when exported for this shape.
    pub duration: Option<Histogram>,
    pub outcome: Option<Counter>,
    pub cache: Option<Counter>,
}

/// One source: its id as a label value and its series by shape.
pub(super) struct SourceEntry {
    pub name: Arc<str>,
    shapes: RwLock<Vec<(Shape, Arc<Series>)>>,
}

impl SourceEntry {
    /// The series of `shape`, resolved by `resolve` the first time.
    pub fn series(&self, shape: Shape, resolve: impl FnOnce() -> Series) -> Arc<Series> {
        let found = |shapes: &[(Shape, Arc<Series>)]| {
            shapes
                .iter()
                .find(|(s, _)| *s == shape)
                .map(|(_, series)| series.clone())
        };
        if let Some(series) = found(&self.shapes.read().unwrap_or_else(|e| e.into_inner())) {
            return series;
        }
        let mut shapes = self.shapes.write().unwrap_or_else(|e| e.into_inner());
        if let Some(series) = found(&shapes) {
            return series;
        }
        let series = Arc::new(resolve());
        shapes.push((shape, series.clone()));
        series
    }
}

/// Every recorded source, by id.
#[derive(Default)]
pub(super) struct Sources(RwLock<HashMap<Arc<str>, Arc<SourceEntry>>>);

impl Sources {
    pub fn get(&self, id: &str) -> Arc<SourceEntry> {
        if let Some(entry) = self.0.read().unwrap_or_else(|e| e.into_inner()).get(id) {
            return entry.clone();
        }
        let mut known = self.0.write().unwrap_or_else(|e| e.into_inner());
        known
            .entry(id.into())
            .or_insert_with_key(|name| {
                Arc::new(SourceEntry {
                    name: name.clone(),
                    shapes: RwLock::default(),
                })
            })
            .clone()
    }

    /// The id of source `id` as a label value.
    pub fn name(&self, id: &str) -> Arc<str> {
        self.get(id).name.clone()
    }
}
