//! The administration's control endpoints and sightings feed over HTTP, signed like the
//! inquiry: seal, watch, renew, release, status by request number, queued seals of a second
//! court, replays and refusals, inquiries showing the register's seals, sightings, and the
//! electronic seal: unsigned, altered, stale and foreign-key instructions are refused.

use super::data::{self, VehicleRecord};
use super::{
    sign, InstructionKey, Settings, APP_KEY_HEADER, QUERY_PATH, RELEASE_PATH, RENEW_PATH,
    REPORT_PATH, SEAL_PATH, SIGHTINGS_PATH, SIGN_HEADER, STATUS_PATH, TIMESTAMP_HEADER, WATCH_PATH,
};
use crate::population::{DEMO_COMPANY_ID, DEMO_COMPANY_NAME, DEMO_PERSON_ID, DEMO_PERSON_NAME};
use crate::server::{start, RunningAgency};
use crate::{AgencyConfig, FamilySettings, Population};
use assethub_connectors::domain::{CaseNumber, CivilDate, Debtor, DebtorId};
use assethub_connectors::signature::{InstructionSigner, FRESHNESS_SECS};
use assethub_connectors::{ControlAction, ControlInstruction};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

const NAME: &str = "vehicle-test";
const KEY: &str = "hb-vehicle-demo";
const SECRET: &str = "hb-vehicle-secret";
const CASE: &str = "(2024)鄂0116执1234号";
const OTHER_CASE: &str = "(2025)鄂0102执88号";

struct Fixture {
    agency: RunningAgency,
    population: Arc<Population>,
}

async fn administration(sighting_interval_ms: Option<u64>) -> Fixture {
    administration_with(Settings {
        sighting_interval_ms,
        ..Settings::demo(0)
    })
    .await
}

async fn administration_with(settings: Settings) -> Fixture {
    let population = Arc::new(Population::generate(6, 50));
    let config = AgencyConfig {
        name: NAME.into(),
        host: "127.0.0.1".into(),
        port: 0,
        latency_ms: 0,
        jitter_ms: 0,
        settings: FamilySettings::Vehicle(settings),
    };
    let agency = start(&config, population.clone())
        .await
        .expect("administration starts");
    Fixture { agency, population }
}

impl Fixture {
    /// A vehicle of the demo person without seals of its own, not deregistered.
    fn car(&self) -> VehicleRecord {
        data::holdings_for(NAME, &self.population, DEMO_PERSON_ID)
            .unwrap_or_default()
            .into_iter()
            .find(|v| v.seals.is_empty() && !v.status_codes().contains('E'))
            .expect("the demo person has a plain car")
    }

    /// Posts `body` sealed now with the demo hub's key (see [`sealed`]).
    async fn send(&self, path: &str, body: Value) -> Value {
        self.send_raw(
            path,
            sealed(
                path,
                body,
                &crate::demo_keys::instruction_signer(),
                now_secs(),
            ),
        )
        .await
    }

    /// Posts `body` as it is.
    async fn send_raw(&self, path: &str, body: Value) -> Value {
        let ts = now_ms();
        let response = reqwest::Client::new()
            .post(format!("{}{path}", self.agency.base_url()))
            .header(APP_KEY_HEADER, KEY)
            .header(TIMESTAMP_HEADER, &ts)
            .header(SIGN_HEADER, sign(KEY, &ts, SECRET))
            .json(&body)
            .send()
            .await
            .expect("administration answers");
        let status = response.status().as_u16();
        let body: Value = response.json().await.expect("JSON body");
        assert!(
            status == 200 || body["code"] == 4001,
            "HTTP {status}: {body}"
        );
        body
    }

    async fn get(&self, path: &str, params: &[(&str, &str)]) -> Value {
        let ts = now_ms();
        reqwest::Client::new()
            .get(format!("{}{path}", self.agency.base_url()))
            .query(params)
            .header(APP_KEY_HEADER, KEY)
            .header(TIMESTAMP_HEADER, &ts)
            .header(SIGN_HEADER, sign(KEY, &ts, SECRET))
            .send()
            .await
            .expect("administration answers")
            .json()
            .await
            .expect("JSON body")
    }

    /// The inquiry's row for `vin`.
    async fn row(&self, vin: &str) -> Value {
        let body = self
            .get(
                QUERY_PATH,
                &[
                    ("sfzmhm", DEMO_PERSON_ID),
                    ("xm", DEMO_PERSON_NAME),
                    ("ah", CASE),
                    ("lsh", "1"),
                ],
            )
            .await;
        body["data"]["rows"]
            .as_array()
            .and_then(|rows| rows.iter().find(|r| r["clsbdh"] == vin).cloned())
            .expect("the vehicle is listed")
    }
}

fn now_ms() -> String {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis())
        .unwrap_or(0)
        .to_string()
}

fn now_secs() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// `body` with the seal (`qzmy`, `qzsj`, `qzz`) `signer` puts on the instruction it carries
/// at `at`, built from the body's own fields the way the hub builds them; a body too broken
/// to be an instruction (the administration refuses it with 4001 first) is left unsealed.
fn sealed(path: &str, mut body: Value, signer: &InstructionSigner, at: i64) -> Value {
    let text = |name: &str| body[name].as_str().unwrap_or("").to_string();
    let until = CivilDate::parse(&text("jzrq"));
    let action = match (path, until) {
        (SEAL_PATH, Ok(until)) => ControlAction::Seal { until },
        (WATCH_PATH, Ok(until)) => ControlAction::Watch { until },
        (RENEW_PATH, Ok(until)) => ControlAction::Renew {
            hold: text("kzbh"),
            until,
        },
        (RELEASE_PATH, _) => ControlAction::Release { hold: text("kzbh") },
        _ => return body,
    };
    let (Ok(case), Ok(id)) = (
        CaseNumber::parse(&text("ah")),
        DebtorId::parse(&text("sfzmhm")),
    ) else {
        return body;
    };
    let instruction = ControlInstruction {
        key: text("qqbh"),
        case,
        ruling: text("cdswh"),
        officer: text("cbr"),
        asset: text("clsbdh"),
        debtor: Debtor {
            id,
            name: text("xm"),
        },
        action,
        signature: None,
    };
    let seal = signer.sign(&instruction, at);
    body["qzmy"] = json!(seal.key_id);
    body["qzsj"] = json!(seal.signed_at);
    body["qzz"] = json!(seal.signature);
    body
}

fn in_days(days: i64) -> String {
    CivilDate::today().plus_days(days).to_string()
}

/// A control request for the demo person's vehicle `vin`.
fn order(key: &str, case: &str, vin: &str, until: Option<&str>, hold: Option<&str>) -> Value {
    let court = assethub_connectors::domain::CaseNumber::parse(case)
        .map(|c| c.court().to_string())
        .unwrap_or_default();
    json!({
        "qqbh": key, "ah": case, "cdswh": format!("{case}之一"), "cbr": "王法官",
        "fydm": court, "clsbdh": vin, "sfzmhm": DEMO_PERSON_ID, "xm": DEMO_PERSON_NAME,
        "jzrq": until, "kzbh": hold,
    })
}

#[tokio::test]
async fn seal_renew_and_release_show_in_the_inquiry() {
    let f = administration(None).await;
    let car = f.car();
    let until = in_days(300);
    let sealed = f
        .send(
            SEAL_PATH,
            order("k-seal", CASE, &car.vin, Some(&until), None),
        )
        .await;
    assert_eq!(sealed["code"], 1, "{sealed}");
    assert_eq!(sealed["data"]["kzzt"], "1");
    assert_eq!(sealed["data"]["jzrq"], until.as_str());
    let hold = sealed["data"]["kzbh"].as_str().unwrap_or("").to_string();
    assert!(hold.starts_with("HBCG"), "{hold}");

    let row = f.row(&car.vin).await;
    assert_eq!(row["cfzt"], "1");
    assert!(row["zt"].as_str().is_some_and(|zt| zt.contains('K')));
    let seal = row["cfxx"].as_array().and_then(|s| s.last()).cloned();
    let seal = seal.expect("a seal is listed");
    assert_eq!(seal["cflx"], "1");
    assert_eq!(seal["cfjg"], "鄂0116");
    assert_eq!(seal["cfwh"], CASE);
    assert_eq!(seal["cfrq"], in_days(0).as_str());
    assert_eq!(seal["jfrq"], until.as_str());

    let later = in_days(600);
    let renewed = f
        .send(
            RENEW_PATH,
            order("k-renew", CASE, &car.vin, Some(&later), Some(&hold)),
        )
        .await;
    assert_eq!(
        (
            renewed["data"]["kzbh"].as_str(),
            renewed["data"]["kzzt"].as_str()
        ),
        (Some(hold.as_str()), Some("1")),
        "{renewed}"
    );
    assert_eq!(renewed["data"]["jzrq"], later.as_str());
    let status = f.get(STATUS_PATH, &[("qqbh", "k-seal")]).await;
    assert_eq!(status["data"]["jzrq"], later.as_str(), "{status}");

    let released = f
        .send(
            RELEASE_PATH,
            order("k-release", CASE, &car.vin, None, Some(&hold)),
        )
        .await;
    assert_eq!(released["data"]["kzzt"], "3", "{released}");
    let row = f.row(&car.vin).await;
    assert_eq!(row["cfzt"], "0");
    assert!(row["cfxx"].as_array().is_some_and(Vec::is_empty));
    let again = f
        .send(
            RENEW_PATH,
            order(
                "k-renew-2",
                CASE,
                &car.vin,
                Some(&in_days(700)),
                Some(&hold),
            ),
        )
        .await;
    assert_eq!(again["code"], 3003, "{again}");
}

#[tokio::test]
async fn refuses_what_is_not_the_debtors_and_bad_requests() {
    let f = administration(None).await;
    let car = f.car();
    let until = in_days(100);
    let fleet = data::holdings_for(NAME, &f.population, DEMO_COMPANY_ID).unwrap_or_default();
    let theirs = order("k1", CASE, &fleet[0].vin, Some(&until), None);
    assert_eq!(f.send(SEAL_PATH, theirs).await["code"], 3001);
    let mut wrong_name = order("k2", CASE, &car.vin, Some(&until), None);
    wrong_name["xm"] = json!("李四");
    assert_eq!(f.send(SEAL_PATH, wrong_name).await["code"], 3001);
    let mut company = order("k3", CASE, &car.vin, Some(&until), None);
    company["sfzmhm"] = json!(DEMO_COMPANY_ID);
    company["xm"] = json!(DEMO_COMPANY_NAME);
    assert_eq!(f.send(SEAL_PATH, company).await["code"], 3001);
    let too_long = order("k4", CASE, &car.vin, Some(&in_days(900)), None);
    assert_eq!(f.send(SEAL_PATH, too_long).await["code"], 3005);
    let past = order("k5", CASE, &car.vin, Some(&in_days(-1)), None);
    assert_eq!(f.send(WATCH_PATH, past).await["code"], 3005);
    let no_hold = order("k6", CASE, &car.vin, None, Some("HBCG999999"));
    assert_eq!(f.send(RELEASE_PATH, no_hold).await["code"], 3002);
    let mut wrong_court = order("k7", CASE, &car.vin, Some(&until), None);
    wrong_court["fydm"] = json!("鄂0102");
    assert_eq!(f.send(SEAL_PATH, wrong_court).await["code"], 4001);
    let no_date = order("k8", CASE, &car.vin, None, None);
    assert_eq!(f.send(SEAL_PATH, no_date).await["code"], 4001);
    let unknown = f.get(STATUS_PATH, &[("qqbh", "never-sent")]).await;
    assert_eq!(unknown["code"], 2003, "{unknown}");
    assert!(unknown["data"].is_null());
    for key in ["k1", "k4", "k7"] {
        assert_eq!(f.get(STATUS_PATH, &[("qqbh", key)]).await["code"], 2003);
    }
    let unsigned = reqwest::Client::new()
        .post(format!("{}{SEAL_PATH}", f.agency.base_url()))
        .json(&order("k9", CASE, &car.vin, Some(&until), None))
        .send()
        .await
        .expect("answers");
    assert_eq!(unsigned.status().as_u16(), 401);
}

#[tokio::test]
async fn a_replay_answers_the_same_hold_and_a_reused_key_is_refused() {
    let f = administration(None).await;
    let car = f.car();
    let until = in_days(200);
    let first = f
        .send(
            SEAL_PATH,
            order("k-once", CASE, &car.vin, Some(&until), None),
        )
        .await;
    let second = f
        .send(
            SEAL_PATH,
            order("k-once", CASE, &car.vin, Some(&until), None),
        )
        .await;
    assert_eq!(first["data"], second["data"]);
    let row = f.row(&car.vin).await;
    assert_eq!(row["cfxx"].as_array().map(Vec::len), Some(1), "sealed once");
    let other = order("k-once", CASE, &car.vin, Some(&in_days(201)), None);
    let reused = f.send(SEAL_PATH, other).await;
    assert_eq!(reused["code"], 3004, "{reused}");
}

#[tokio::test]
async fn a_second_courts_seal_queues_and_takes_effect_on_release() {
    let f = administration(None).await;
    let car = f.car();
    let until = in_days(365);
    let first = f
        .send(SEAL_PATH, order("k-a", CASE, &car.vin, Some(&until), None))
        .await;
    let hold = first["data"]["kzbh"].as_str().unwrap_or("").to_string();
    let second = f
        .send(
            SEAL_PATH,
            order("k-b", OTHER_CASE, &car.vin, Some(&until), None),
        )
        .await;
    assert_eq!(second["data"]["kzzt"], "2", "{second}");
    assert_eq!(second["data"]["pdxh"], 1);
    let row = f.row(&car.vin).await;
    let kinds: Vec<&str> = row["cfxx"]
        .as_array()
        .map(|s| s.iter().filter_map(|c| c["cflx"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(kinds, ["1", "2"]);
    assert!(row["cfxx"][1]["jfrq"].is_null());
    let not_theirs = order("k-b-rel", OTHER_CASE, &car.vin, None, Some(&hold));
    assert_eq!(f.send(RELEASE_PATH, not_theirs).await["code"], 3006);
    f.send(
        RELEASE_PATH,
        order("k-a-rel", CASE, &car.vin, None, Some(&hold)),
    )
    .await;
    let now = f.get(STATUS_PATH, &[("qqbh", "k-b")]).await;
    assert_eq!(now["data"]["kzzt"], "1", "{now}");
    assert!(now["data"]["pdxh"].is_null());
}

#[tokio::test]
async fn a_watched_vehicle_is_sighted_and_the_feed_moves_on() {
    let f = administration(None).await;
    let car = f.car();
    let report = |plate: &str| {
        reqwest::Client::new()
            .post(format!("{}{REPORT_PATH}", f.agency.base_url()))
            .json(&json!({"plate": plate, "place": "武汉天地停车场"}))
            .send()
    };
    let none = report(&car.plate).await.expect("answers");
    assert_eq!(none.status().as_u16(), 404, "no watch yet");
    let watched = f
        .send(
            WATCH_PATH,
            order("k-w", CASE, &car.vin, Some(&in_days(30)), None),
        )
        .await;
    assert_eq!(watched["data"]["kzzt"], "1", "{watched}");
    let hold = watched["data"]["kzbh"].clone();
    let seen = report(&car.plate).await.expect("answers");
    assert_eq!(seen.status().as_u16(), 200);
    let page = f.get(SIGHTINGS_PATH, &[("cursor", "")]).await;
    assert_eq!(page["code"], 1, "{page}");
    assert_eq!(page["data"]["total"], 1);
    let row = &page["data"]["rows"][0];
    assert_eq!(row["kzbh"], hold);
    assert_eq!(row["hphm"], car.plate.as_str());
    assert_eq!(row["dd"], "武汉天地停车场");
    assert!(row["sj"].as_str().is_some_and(|t| t.ends_with("+08:00")));
    let cursor = page["data"]["cursor"].as_str().unwrap_or("").to_string();
    let next = f.get(SIGHTINGS_PATH, &[("cursor", &cursor)]).await;
    assert_eq!(next["data"]["total"], 0);
    assert_eq!(next["data"]["cursor"], cursor.as_str());
    let bad = f.get(SIGHTINGS_PATH, &[("cursor", "abc")]).await;
    assert_eq!(bad["code"], 4001);
    let row = f.row(&car.vin).await;
    assert_eq!(row["cfzt"], "0", "a watch is not a seal");
}

#[tokio::test]
async fn watched_vehicles_are_sighted_periodically_when_configured() {
    let f = administration(Some(20)).await;
    let car = f.car();
    f.send(
        WATCH_PATH,
        order("k-w", CASE, &car.vin, Some(&in_days(30)), None),
    )
    .await;
    for _ in 0..100 {
        let page = f.get(SIGHTINGS_PATH, &[("cursor", "0")]).await;
        if page["data"]["total"].as_u64().unwrap_or(0) > 0 {
            assert_eq!(page["data"]["rows"][0]["hphm"], car.plate.as_str());
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("no periodic sighting within two seconds");
}

/// No hold was placed under `key`: the status query does not know it and the car shows no seal.
async fn nothing_done(f: &Fixture, key: &str, vin: &str) {
    let status = f.get(STATUS_PATH, &[("qqbh", key)]).await;
    assert_eq!(status["code"], 2003, "{status}");
    let row = f.row(vin).await;
    assert!(row["cfxx"].as_array().is_some_and(Vec::is_empty), "{row}");
}

#[tokio::test]
async fn an_unsigned_instruction_is_refused_and_nothing_is_done() {
    let f = administration(None).await;
    let car = f.car();
    let body = order("k-bare", CASE, &car.vin, Some(&in_days(100)), None);
    let answer = f.send_raw(SEAL_PATH, body.clone()).await;
    assert_eq!(answer["code"], 3007, "{answer}");
    assert!(answer["data"].is_null());
    nothing_done(&f, "k-bare", &car.vin).await;
    // Part of a seal is no seal either.
    let mut partial = sealed(
        SEAL_PATH,
        body,
        &crate::demo_keys::instruction_signer(),
        now_secs(),
    );
    partial["qzz"] = json!("");
    assert_eq!(f.send_raw(SEAL_PATH, partial).await["code"], 3008);
    nothing_done(&f, "k-bare", &car.vin).await;
}

#[tokio::test]
async fn an_instruction_altered_after_signing_is_refused_and_nothing_is_done() {
    let f = administration(None).await;
    let car = f.car();
    let signer = crate::demo_keys::instruction_signer();
    let signed = sealed(
        SEAL_PATH,
        order("k-alt", CASE, &car.vin, Some(&in_days(100)), None),
        &signer,
        now_secs(),
    );
    let mut longer = signed.clone();
    longer["jzrq"] = json!(in_days(700));
    let mut respelt_vin = signed.clone();
    respelt_vin["clsbdh"] = json!(car.vin.to_ascii_lowercase());
    let mut other_officer = signed.clone();
    other_officer["cbr"] = json!("李法官");
    let mut garbled = signed.clone();
    garbled["qzz"] = json!("not base64!");
    let mut moved = signed.clone();
    // A second before the seal's own time, not the clock's (a second may have passed).
    moved["qzsj"] = json!(signed["qzsj"].as_i64().expect("seal time") - 1);
    for tampered in [longer, respelt_vin, other_officer, garbled, moved] {
        let answer = f.send_raw(SEAL_PATH, tampered).await;
        assert_eq!(answer["code"], 3008, "{answer}");
        assert!(answer["data"].is_null());
    }
    // A watch sealed as a seal is another instruction.
    let as_watch = f.send_raw(WATCH_PATH, signed.clone()).await;
    assert_eq!(as_watch["code"], 3008, "{as_watch}");
    nothing_done(&f, "k-alt", &car.vin).await;
    // The untouched request goes through.
    let answer = f.send_raw(SEAL_PATH, signed).await;
    assert_eq!(answer["data"]["kzzt"], "1", "{answer}");
}

#[tokio::test]
async fn a_stale_or_replayed_late_instruction_is_refused() {
    let f = administration(None).await;
    let car = f.car();
    let signer = crate::demo_keys::instruction_signer();
    let body = order("k-old", CASE, &car.vin, Some(&in_days(100)), None);
    let old = sealed(
        SEAL_PATH,
        body.clone(),
        &signer,
        now_secs() - FRESHNESS_SECS - 60,
    );
    let answer = f.send_raw(SEAL_PATH, old).await;
    assert_eq!(answer["code"], 3009, "{answer}");
    let future = sealed(
        SEAL_PATH,
        body.clone(),
        &signer,
        now_secs() + FRESHNESS_SECS + 60,
    );
    assert_eq!(f.send_raw(SEAL_PATH, future).await["code"], 3009);
    nothing_done(&f, "k-old", &car.vin).await;
    // Resent within the window, the same sealed request is an idempotent replay.
    let fresh = sealed(SEAL_PATH, body, &signer, now_secs());
    let first = f.send_raw(SEAL_PATH, fresh.clone()).await;
    let again = f.send_raw(SEAL_PATH, fresh).await;
    assert_eq!(first["code"], 1, "{first}");
    assert_eq!(first["data"], again["data"]);
    let row = f.row(&car.vin).await;
    assert_eq!(row["cfxx"].as_array().map(Vec::len), Some(1), "sealed once");
}

#[tokio::test]
async fn an_instruction_signed_with_another_key_is_refused() {
    let f = administration(None).await;
    let car = f.car();
    let body = order("k-key", CASE, &car.vin, Some(&in_days(100)), None);
    let impostor = InstructionSigner::from_seed("demo-1", &B64.encode([7u8; 32])).expect("key");
    let stranger = InstructionSigner::from_seed("court-2", &B64.encode([7u8; 32])).expect("key");
    for signer in [impostor, stranger] {
        let answer = f
            .send_raw(
                SEAL_PATH,
                sealed(SEAL_PATH, body.clone(), &signer, now_secs()),
            )
            .await;
        assert_eq!(answer["code"], 3008, "{answer}");
    }
    nothing_done(&f, "k-key", &car.vin).await;
}

#[tokio::test]
async fn configured_instruction_keys_replace_the_demo_key() {
    let rotated = InstructionSigner::from_seed("court-2", &B64.encode([7u8; 32])).expect("key");
    let f = administration_with(Settings {
        sighting_interval_ms: None,
        instruction_keys: vec![InstructionKey {
            key_id: "court-2".into(),
            public_key: rotated.public_key(),
        }],
        ..Settings::demo(0)
    })
    .await;
    let car = f.car();
    let body = order("k-rot", CASE, &car.vin, Some(&in_days(100)), None);
    let demo = f.send(SEAL_PATH, body.clone()).await;
    assert_eq!(demo["code"], 3008, "{demo}");
    let answer = f
        .send_raw(SEAL_PATH, sealed(SEAL_PATH, body, &rotated, now_secs()))
        .await;
    assert_eq!(answer["data"]["kzzt"], "1", "{answer}");
}
