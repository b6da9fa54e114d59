//! The administration's control endpoints and sightings feed over HTTP, signed like the
//! inquiry: seal, watch, renew, release, status by request number, queued seals of a second
//! court, replays and refusals, inquiries showing the register's seals, and sightings.

use super::data::{self, VehicleRecord};
use super::{
    sign, Settings, APP_KEY_HEADER, QUERY_PATH, RELEASE_PATH, RENEW_PATH, REPORT_PATH, SEAL_PATH,
    SIGHTINGS_PATH, SIGN_HEADER, STATUS_PATH, TIMESTAMP_HEADER, WATCH_PATH,
};
use crate::population::{DEMO_COMPANY_ID, DEMO_COMPANY_NAME, DEMO_PERSON_ID, DEMO_PERSON_NAME};
use crate::server::{start, RunningAgency};
use crate::{AgencyConfig, FamilySettings, Population};
use assethub_connectors::domain::CivilDate;
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
    let population = Arc::new(Population::generate(6, 50));
    let config = AgencyConfig {
        name: NAME.into(),
        host: "127.0.0.1".into(),
        port: 0,
        latency_ms: 0,
        jitter_ms: 0,
        settings: FamilySettings::Vehicle(Settings {
            sighting_interval_ms,
            ..Settings::demo(0)
        }),
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

    async fn send(&self, path: &str, body: Value) -> Value {
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
