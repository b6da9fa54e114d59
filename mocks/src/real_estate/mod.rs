//! Mock real-estate registration centre (不动产登记中心): a government system answering courts'
//! 权利人查询 (inquiry by right holder) and 查控 (seal, release, renew) over XML, authenticated by
//! a static `X-BDC-Token`.
//!
//! Inquiry: `POST /bdc/api/cx/qlrcx` (see `wire`). Each property's `Cfxx` list shows, after
//! the registry's older records, the seals of its hold register: `Cflx` 查封 (in force, with
//! `Cfjssj`) or 轮候查封 (queued, no end date), `Cfjg` the court's code (e.g. `鄂0116`), `Cfwh`
//! the case number, `Cfqssj` the day it was registered.
//!
//! Control, all `POST` with `Content-Type: application/xml` and `X-BDC-Token`:
//! - `/bdc/api/kz/cf` 查封登记 (seal), `/bdc/api/kz/jf` 解封登记 (release),
//!   `/bdc/api/kz/xf` 续封登记 (renew):
//!   ```xml
//!   <KzRequest>
//!     <Head><Qqbh>request id</Qqbh><Ywlsh>idempotency key</Ywlsh><Ajh>(2024)鄂0116执1234号</Ajh>
//!       <Fy>鄂0116</Fy><Cdwh>(2024)鄂0116执1234号之一</Cdwh><Cbr>officer</Cbr>
//!       <Qz><Mybh>demo-1</Mybh><Qzsj>1731650000</Qzsj><Qzz>base64 signature</Qzz></Qz></Head>
//!     <Body><Bdcqzh>鄂(2021)武汉市不动产权第0123456号</Bdcqzh><Qlrmc>张伟</Qlrmc><Zjzl>1</Zjzl>
//!       <Zjh>11010519491231002X</Zjh><Cfbh>seal id (jf, xf)</Cfbh><Cfjssj>20271115 (cf, xf)</Cfjssj></Body>
//!   </KzRequest>
//!   ```
//!   `Ywlsh` 业务流水号 is the idempotency key: the same key with the same request answers the
//!   original result again (nothing is done twice); with a different request it is refused
//!   (4004). `Cdwh` 裁定书文号 and `Cbr` 承办人 are required; `Fy` must be the case's court.
//!   `Qz` 电子签章 is the court system's seal on the instruction (DOMAIN rule 8): `Mybh` 密钥编号
//!   (key id), `Qzsj` 签章时间 (Unix seconds), `Qzz` 签章值 (base64 Ed25519 over
//!   `SignedFields::canonical`).
//! - `/bdc/api/kz/jgcx` 办理结果查询: the same `Head` (no `Cdwh` / `Cbr` needed, `Body` optional);
//!   answers the seal's current state for that `Ywlsh`, or code `1003` when the registry never
//!   received it.
//!
//! Answer: `<KzResponse><Head>` `Code`, `Msg`, echoed `Qqbh` and `Ywlsh`, `Cxjg`, `Fksj`
//! `</Head>` and on success `<Body>` `Cfbh` 查封编号 (the hold id), `Zt` status (`已查封`,
//! `轮候查封` with `Lhsx` 轮候顺序 = queue position from 1, `已解封`, `已到期`, also `办理中`,
//! `不予办理`, `已处分`), `Cfjssj` end date `yyyyMMdd`, `Sm` 说明 (may be empty) `</Body>`.
//! Codes: `0` success; HTTP 200 `1003` key never received, `4001` the property is not
//! registered to that right holder (number and name), `4002` no such seal on that property,
//! `4003` state does not allow it (released, expired, another case's seal, renewal not
//! extending the term), `4004` key reused, `4005` / `4006` / `4007` seal missing / invalid /
//! stale (below); HTTP 400 `2001` bad request, `2002` bad case number, `2003` court not the
//! case's, `2004` end date not `yyyyMMdd`, in the past, or beyond
//! 3 years (from today for a seal, from the current end for a renewal); HTTP 403 `3001` token.
//!
//! Electronic seal: after the token and the fields are checked (2001–2003, 2004 for an unreadable
//! date) and before anything
//! else (the right holder, the seal register, an idempotent replay), the registry rebuilds the
//! signed fields from the request exactly as the hub signs them (`Ywlsh` as the key, the
//! normalised case and its court, `Cdwh`, `Cbr`, `Bdcqzh` as the asset, `Zjh`, `Qlrmc`, the
//! action word `seal` / `release` / `renew`, amount 0, `Cfbh`, `Cfjssj` as ISO `yyyy-MM-dd`)
//! and verifies `Qz` against its `instruction_keys` (the demo hub's key when none are
//! configured), using the system clock in Unix seconds (the knobs' day offset is not applied).
//! Refusals, HTTP 200 and nothing registered: `4005` unsigned, `4006` invalid (altered on the
//! way, malformed, or an unknown / another key), `4007` signed more than `FRESHNESS_SECS`
//! (300 s) from the registry's clock. Replays: the same sealed request resent within the window
//! is an idempotent replay (same `Ywlsh`: the original answer, nothing done twice); resent later
//! it is refused `4007`; the seal covers `Ywlsh`, so it cannot be reused for another business.
//! The result query (`jgcx`) needs no seal.
//!
//! A seal on a property another case's seal holds is queued (轮候) and takes effect when the
//! earlier seals are released or expire.
//!
//! - `wire`: the inquiry's XML shapes and the registry's result codes; `control_wire`: the
//!   control XML shapes and status words.
//! - `api`: the inquiry endpoint and the shared validation; `control`: the control endpoints;
//!   `control_order`: control request validation and seal terms; `esign`: the electronic seal
//!   and trusted keys; `auth`: the token check.
//! - `data`: what the registry holds for a debtor (properties, mortgages, seals), derived from
//!   the population; `locale`: the cities, districts and courts it files property under;
//!   `date`: its date formats and clock.

mod api;
mod auth;
mod control;
mod control_order;
pub mod control_wire;
pub mod data;
pub mod date;
mod esign;
pub mod locale;
pub mod wire;

#[cfg(test)]
mod control_tests;
#[cfg(test)]
mod tests;

pub use api::INQUIRY_PATH;
pub use auth::TOKEN_HEADER;
pub use control_wire::{RELEASE_PATH, RENEW_PATH, SEAL_PATH, STATUS_PATH};
pub use esign::InstructionKey;

use crate::population::fnv;
use crate::{HoldBook, Knobs, Population};
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
    /// Keys the court system seals control instructions with; empty: the demo hub's key
    /// (`demo_keys::trusted_keys`).
    #[serde(default)]
    pub instruction_keys: Vec<InstructionKey>,
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
            instruction_keys: Vec::new(),
        }
    }
}

/// The registry's API for the instance `name` (its records depend on the name). Its seal
/// register lives as long as the router; seal ids look like `CF1234-000001`, the number after
/// `CF` derived from the instance name.
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
        book: HoldBook::new(&format!("CF{:04}-", fnv(name) % 10_000), knobs.clone()),
        knobs,
        trusted: esign::trusted(name, &settings.instruction_keys),
    };
    registry.knobs.attach_register(&registry.book);
    Router::new()
        .route(INQUIRY_PATH, post(api::inquiry))
        .route(SEAL_PATH, post(control::seal))
        .route(RELEASE_PATH, post(control::release))
        .route(RENEW_PATH, post(control::renew))
        .route(STATUS_PATH, post(control::status))
        .with_state(Arc::new(registry))
}
