//! Sightings of watched vehicles (布控发现): kept in memory in order, each with a sequence
//! number; served by the signed feed `GET /vehicle/judicial/sightings?cursor=<序号>`; produced
//! by the admin route `POST /__admin/vehicle/sightings` (`{"plate":"…","place":"…"}`, one
//! sighting per watch in force on the plate, 404 when none) and, when
//! `Settings.sighting_interval_ms` is set, periodically for every watch in force at a random
//! car park.

use super::api::{reply, Administration};
use super::wire::{Code, SightingRow, SightingsData, SightingsParams};
use crate::holds::HoldKind;
use assethub_connectors::domain::civil::{beijing_time_at, now_unix_ms};
use assethub_connectors::domain::CivilDate;
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use rand::Rng;
use serde::Deserialize;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

/// Path of the sightings feed.
pub const SIGHTINGS_PATH: &str = "/vehicle/judicial/sightings";
/// Path of the admin route reporting a sighting (under the knobs' admin prefix).
pub const REPORT_PATH: &str = "/__admin/vehicle/sightings";
/// Most sightings in one page of the feed.
const PAGE: usize = 500;

/// Car parks where the periodic sightings happen.
const CAR_PARKS: [&str; 8] = [
    "武汉天地停车场",
    "汉街万达广场地下停车场",
    "光谷步行街P2停车场",
    "武汉站东广场停车场",
    "天河机场T3航站楼停车楼",
    "王家墩中央商务区地下停车场",
    "江汉路步行街停车场",
    "东湖绿道磨山停车场",
];

/// The sightings so far and the plates of watched vehicles (by VIN).
#[derive(Debug, Default)]
pub struct Feed {
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    rows: Vec<SightingRow>,
    plates: HashMap<String, String>,
}

impl Feed {
    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Notes the plate of a vehicle put on watch, so sightings by plate find its watches.
    pub fn remember_plate(&self, vin: &str, plate: &str) {
        self.lock()
            .plates
            .insert(vin.to_string(), plate.to_string());
    }

    /// Sightings after sequence number `cursor`, at most a page, and the cursor after them.
    fn after(&self, cursor: u64) -> (Vec<SightingRow>, u64) {
        let inner = self.lock();
        let rows: Vec<SightingRow> = inner
            .rows
            .iter()
            .filter(|r| r.xh > cursor)
            .take(PAGE)
            .cloned()
            .collect();
        let next = rows.last().map_or(cursor, |r| r.xh);
        (rows, next)
    }
}

impl Administration {
    /// Records a sighting for every watch in force whose vehicle carries `plate` (every watch
    /// when `plate` is None), at the place `place` picks; returns the new sightings.
    fn record_sightings(
        &self,
        plate: Option<&str>,
        mut place: impl FnMut() -> String,
    ) -> Vec<SightingRow> {
        let watches = self.book.in_force(HoldKind::Watch);
        let seen_at = now_iso(self.knobs.today());
        let mut inner = self.feed.lock();
        let mut recorded = Vec::new();
        for watch in watches {
            let Some(watched) = inner.plates.get(&watch.asset).cloned() else {
                continue;
            };
            if plate.is_some_and(|p| p != watched) {
                continue;
            }
            let row = SightingRow {
                xh: inner.rows.len() as u64 + 1,
                kzbh: watch.id,
                hphm: watched,
                clsbdh: watch.asset,
                dd: place(),
                sj: seen_at.clone(),
            };
            inner.rows.push(row.clone());
            recorded.push(row);
        }
        recorded
    }
}

/// `GET /vehicle/judicial/sightings?cursor=<序号>` ("" or 0: from the beginning).
pub async fn feed(
    State(admin): State<Arc<Administration>>,
    headers: HeaderMap,
    params: Result<Query<SightingsParams>, QueryRejection>,
) -> Response {
    if let Some(refused) = admin.authenticate(&headers) {
        return refused;
    }
    let cursor = match params {
        Ok(Query(p)) => match p.cursor.as_deref().map(str::trim).unwrap_or("") {
            "" => Ok(0),
            text => text.parse::<u64>().map_err(|_| "游标 cursor 格式错误"),
        },
        Err(_) => Err("查询参数格式错误"),
    };
    let cursor = match cursor {
        Ok(cursor) => cursor,
        Err(message) => {
            return reply::<SightingsData>(StatusCode::BAD_REQUEST, Code::BadRequest, message, None)
        }
    };
    let (rows, next) = admin.feed.after(cursor);
    let data = SightingsData {
        cursor: next.to_string(),
        total: rows.len(),
        rows,
    };
    reply(StatusCode::OK, Code::Success, "成功", Some(data))
}

/// Body of the admin route.
#[derive(Debug, Deserialize)]
pub struct Report {
    pub plate: String,
    pub place: String,
}

/// `POST /__admin/vehicle/sightings`: the sightings recorded, or 404 without a watch in force.
pub async fn report(
    State(admin): State<Arc<Administration>>,
    body: Result<Json<Report>, JsonRejection>,
) -> Response {
    let Ok(Json(report)) = body else {
        let error =
            serde_json::json!({"error": "expected {\"plate\": \"...\", \"place\": \"...\"}"});
        return (StatusCode::BAD_REQUEST, Json(error)).into_response();
    };
    let (plate, place) = (report.plate.trim(), report.place.trim());
    if plate.is_empty() || place.is_empty() {
        let error = serde_json::json!({"error": "plate and place must not be empty"});
        return (StatusCode::BAD_REQUEST, Json(error)).into_response();
    }
    let rows = admin.record_sightings(Some(plate), || place.to_string());
    if rows.is_empty() {
        let error = serde_json::json!({"error": "no watch in force on this plate"});
        return (StatusCode::NOT_FOUND, Json(error)).into_response();
    }
    (
        StatusCode::OK,
        Json(serde_json::json!({ "sightings": rows })),
    )
        .into_response()
}

/// Every `interval`, a sighting of each watched vehicle at a random car park; stops when the
/// administration is dropped. Does nothing outside a Tokio runtime.
pub fn spawn_periodic(admin: &Arc<Administration>, interval: Duration) {
    let Ok(runtime) = tokio::runtime::Handle::try_current() else {
        return;
    };
    let admin: Weak<Administration> = Arc::downgrade(admin);
    runtime.spawn(async move {
        let mut ticks = tokio::time::interval(interval);
        ticks.tick().await;
        loop {
            ticks.tick().await;
            let Some(admin) = admin.upgrade() else { break };
            let recorded = admin.record_sightings(None, || {
                CAR_PARKS[rand::rng().random_range(0..CAR_PARKS.len())].to_string()
            });
            if !recorded.is_empty() {
                tracing::debug!(agency = %admin.name, sightings = recorded.len(), "vehicles sighted");
            }
        }
    });
}

/// Now as ISO 8601 in Beijing time (`2025-01-02T10:20:30+08:00`), on the agency's calendar.
fn now_iso(today: CivilDate) -> String {
    let shift_ms = CivilDate::today()
        .days_until(today)
        .saturating_mul(86_400_000);
    iso_at(now_unix_ms().saturating_add(shift_ms))
}

/// The instant `unix_ms` as ISO 8601 in Beijing time.
fn iso_at(unix_ms: i64) -> String {
    beijing_time_at(unix_ms)
        .strftime("%Y-%m-%dT%H:%M:%S%:z")
        .to_string()
}

#[cfg(test)]
mod tests {
    #[test]
    fn sightings_are_stamped_in_beijing_time() {
        // 2026-12-31T16:30:00Z (Unix ms computed with Python) is 00:30 on 1 January in Beijing.
        assert_eq!(
            super::iso_at(1_798_734_600_000),
            "2027-01-01T00:30:00+08:00"
        );
    }
}
