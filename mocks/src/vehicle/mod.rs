//! Mock vehicle administration (车管所): a provincial 公安 traffic-management system answering
//! courts' judicial vehicle queries and control instructions over JSON with pinyin field names,
//! authenticated by an app key and a SHA-256 signature over key, timestamp and secret
//! (headers `appKey`, `timestamp` in Unix ms, `sign`; see `auth`).
//!
//! Endpoints (all signed; answers `{"code":1,"message":"成功","data":{…}}`, `data: null` on
//! errors):
//! - `GET /vehicle/judicial/query?sfzmhm&xm&ah&lsh`: the debtor's vehicles (see `wire`); seals
//!   and queued seals placed through the control endpoints are listed in `cfxx` (`cflx` `1`
//!   查封 / `2` 轮候查封, `cfjg` the court code, `cfwh` the case, `cfrq` since, `jfrq` until,
//!   null while queued) and mark the vehicle `K` 查封.
//! - `POST /vehicle/judicial/seal` (查封), `/watch` (布控), `/release` (解封 / 撤控), `/renew`
//!   (续封 / 续控), JSON body: `qqbh` 请求编号 (idempotency key), `ah` 案号, `cdswh` 裁定书文号,
//!   `cbr` 承办人, `fydm` 执行法院代码 (must be the case's court), `clsbdh` VIN, `sfzmhm`, `xm`
//!   (the debtor; the vehicle must be theirs), `jzrq` 截止日期 `yyyy-MM-dd` (seal, watch,
//!   renew; at most 2 years ahead, a renewal at most 2 years past the current end), `kzbh`
//!   控制编号 (release, renew), and the court's electronic seal (电子签章, DOMAIN rule 8): `qzmy`
//!   签章密钥编号 (key id), `qzsj` 签章时间 (Unix seconds, a JSON number) and `qzz` 签章值
//!   (base64 Ed25519 over `SignedFields::canonical`). Answer data: `kzbh`, `kzzt` (`0` 待处理, `1` 在控, `2` 轮候,
//!   `3` 已解除, `4` 已到期, `5` 已退回, `6` 已执行完毕), `pdxh` 排队序号 (queued only), `jzrq`,
//!   `bz` remark. A repeated `qqbh` answers the hold's current state and never acts twice.
//! - `GET /vehicle/judicial/control?qqbh=…`: the instruction's current answer (same data), or
//!   code 2003 when the administration never received that request number.
//! - `GET /vehicle/judicial/sightings?cursor=<序号>` ("" or 0 from the start): sightings after
//!   the cursor in order, data `{"cursor":"<last 序号>","total":n,"rows":[{"xh","kzbh","hphm",
//!   "clsbdh","dd" 地点,"sj" ISO 8601 time}]}`, at most 500 per page.
//! - Admin (unsigned, no latency or faults): `POST /__admin/vehicle/sightings`
//!   `{"plate":"鄂A12345","place":"…"}` records a sighting for every watch in force on the
//!   plate (404 when none). With `sighting_interval_ms` set, every watched vehicle is also seen
//!   at a random car park each interval.
//!
//! Electronic seal: after the fields are checked (4001) and before anything else (the debtor,
//! the hold register, an idempotent replay), the administration rebuilds the signed fields from
//! the request exactly as the hub signs them (request number, normalised case and its court,
//! ruling, officer, the VIN as sent, debtor number and name, action word, amount 0, hold, ISO end
//! date) and verifies the seal against its `instruction_keys` (the demo hub's key when none are
//! configured), using the system clock in Unix seconds (the knobs' day offset is not applied).
//! Refusals, HTTP 200 and nothing done: 3007 unsigned, 3008 invalid (altered on the way,
//! malformed, or an unknown / another key), 3009 signed more than `FRESHNESS_SECS` (300 s) from
//! the administration's clock. Replays: the same sealed request resent within the window is an
//! idempotent replay (same 请求编号: the original answer, nothing done twice); resent later it
//! is refused 3009; the seal covers the request number, so it cannot be reused for another one.
//!
//! Codes: 1 成功; 2001 no record, 2002 name mismatch, 2003 unknown request number; control
//! refusals (HTTP 200): 3001 vehicle not the debtor's, 3002 no such hold on the vehicle, 3003
//! state does not allow it, 3004 request number used for another instruction, 3005 end date
//! out of range, 3006 hold of another court, 3007 / 3008 / 3009 seal missing / invalid / stale; 4001 bad request (400), 4011/4012/4013
//! authentication (401), 5000 internal.
//!
//! - `wire`: the JSON shapes and the administration's result codes.
//! - `api`: the inquiry endpoint and its validation; `auth`: the signature check.
//! - `control`: the control and status endpoints over the shared hold register; `order`:
//!   a control request's fields and checks; `esign`: the electronic seal and trusted keys; `sightings`: the sightings feed, the admin route and the periodic sightings.
//! - `data`: what the administration holds for a debtor (vehicles, seals, mortgages), derived
//!   from the population; `catalogue`: models, plate letters, lenders and status codes;
//!   `vin`: VINs with their check digit; `date`: its date format and clock.

mod api;
mod auth;
pub mod catalogue;
mod control;
pub mod data;
pub mod date;
mod esign;
mod order;
mod sightings;
pub mod vin;
pub mod wire;

#[cfg(test)]
mod control_tests;
#[cfg(test)]
mod tests;

pub use api::QUERY_PATH;
pub use auth::{sign, APP_KEY_HEADER, SIGN_HEADER, TIMESTAMP_HEADER};
pub use control::{RELEASE_PATH, RENEW_PATH, SEAL_PATH, STATUS_PATH, WATCH_PATH};
pub use esign::InstructionKey;
pub use sightings::{REPORT_PATH, SIGHTINGS_PATH};

use crate::{HoldBook, Knobs, Population};
use axum::routing::{get, post};
use axum::Router;
use serde::Deserialize;
use std::sync::Arc;
use std::time::Duration;

/// An administration's own settings.
#[derive(Debug, Clone, Deserialize)]
pub struct Settings {
    /// The administration's name, e.g. `湖北省公安厅交通管理局车管所`.
    pub administration_name: String,
    /// The app key issued to the court gateway (`appKey` header).
    pub app_key: String,
    /// The secret the gateway signs with.
    pub app_secret: String,
    /// When set, every watched vehicle is sighted at a random car park this often.
    #[serde(default)]
    pub sighting_interval_ms: Option<u64>,
    /// Keys the court system seals control instructions with; empty: the demo hub's key
    /// (`demo_keys::trusted_keys`).
    #[serde(default)]
    pub instruction_keys: Vec<InstructionKey>,
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
            sighting_interval_ms: Some(20_000),
            instruction_keys: Vec::new(),
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
    let administration = Arc::new(api::Administration {
        name: name.to_string(),
        settings: settings.clone(),
        population,
        book: HoldBook::new(&hold_prefix(settings), knobs.clone()),
        knobs,
        feed: sightings::Feed::default(),
        trusted: esign::trusted(name, &settings.instruction_keys),
    });
    administration.knobs.attach_register(&administration.book);
    if let Some(ms) = settings.sighting_interval_ms.filter(|ms| *ms > 0) {
        sightings::spawn_periodic(&administration, Duration::from_millis(ms));
    }
    Router::new()
        .route(QUERY_PATH, get(api::query))
        .route(SEAL_PATH, post(control::seal))
        .route(WATCH_PATH, post(control::watch))
        .route(RELEASE_PATH, post(control::release))
        .route(RENEW_PATH, post(control::renew))
        .route(STATUS_PATH, get(control::status))
        .route(SIGHTINGS_PATH, get(sightings::feed))
        .route(REPORT_PATH, post(sightings::report))
        .with_state(administration)
}

/// Hold ids of an administration: its province code from the app key and `CG` (车管), e.g.
/// `HBCG000001`.
fn hold_prefix(settings: &Settings) -> String {
    let short: String = settings
        .app_key
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric())
        .take(4)
        .collect();
    format!("{}CG", short.to_ascii_uppercase())
}
