//! What the kit's tests share: one mock agency of a family started in process (as the tests
//! crate starts them, with no latency), the connector file pointing at it, and the fixture
//! naming the demo person (whom every mock family knows), someone no mock knows, and the demo
//! hub's instruction key (which the mocks trust).

#![allow(dead_code)]

use assethub_mocks::demo_keys::{INSTRUCTION_KEY_ID, INSTRUCTION_KEY_SEED};
use assethub_mocks::population::{
    DEFAULT_SEED, DEMO_COMPANY_ID, DEMO_COMPANY_NAME, DEMO_PERSON_ID, DEMO_PERSON_NAME,
};
use assethub_mocks::{bank, payment, real_estate, vehicle};
use assethub_mocks::{AgencyConfig, FamilySettings, Population, RunningAgency};
use std::sync::Arc;

/// A resident identity number (valid check character) of a region no mock draws from.
pub const NOBODY_ID: &str = "110101198001010010";

/// The fixture every test runs with: the demo person, except at the vehicle administration,
/// where the demo person's only vehicle is sealed by another court outside the register (a
/// seal that never lifts, so nothing could be promoted): there the demo company.
pub fn fixture(family: &str) -> String {
    let (known_id, known_name) = match family {
        "vehicle" => (DEMO_COMPANY_ID, DEMO_COMPANY_NAME),
        _ => (DEMO_PERSON_ID, DEMO_PERSON_NAME),
    };
    format!(
        r#"
[known]
id = "{known_id}"
name = "{known_name}"
wrong_name = "张三"

[unknown]
id = "{NOBODY_ID}"
name = "赵无名"

[signing]
key_id = "{INSTRUCTION_KEY_ID}"
seed = "{INSTRUCTION_KEY_SEED}"
"#
    )
}

/// Starts the mock agency of connector type `family` and gives the connector file for it.
pub async fn agency(family: &str) -> (RunningAgency, String) {
    let (settings, connector_settings) = match family {
        "bank" => {
            let s = bank::Settings {
                freeze_decision_ms: 50,
                ..bank::Settings::demo(0)
            };
            let file = format!("api_key = {:?}\napi_secret = {:?}", s.api_key, s.api_secret);
            (FamilySettings::Bank(s), file)
        }
        "real_estate" => {
            let s = real_estate::Settings::demo(0);
            let file = format!("token = {:?}", s.token);
            (FamilySettings::RealEstate(s), file)
        }
        "vehicle" => {
            let s = vehicle::Settings::demo(0);
            let file = format!("app_key = {:?}\napp_secret = {:?}", s.app_key, s.app_secret);
            (FamilySettings::Vehicle(s), file)
        }
        "payment" => {
            let s = payment::Settings::demo(0);
            let file = format!(
                "client_id = {:?}\nclient_secret = {:?}",
                s.client_id, s.client_secret
            );
            (FamilySettings::Payment(s), file)
        }
        other => panic!("no mock family for connector type {other}"),
    };
    let config = AgencyConfig {
        name: format!("{}-under-test", family.replace('_', "-")),
        host: "127.0.0.1".into(),
        port: 0,
        latency_ms: 0,
        jitter_ms: 0,
        settings,
    };
    let population = Arc::new(Population::generate(DEFAULT_SEED, 50));
    let running = assethub_mocks::server::start(&config, population)
        .await
        .expect("the mock agency starts");
    let file = format!(
        "id = {:?}\ntype = {family:?}\nbase_url = {:?}\ntimeout_ms = 3000\n# a hub key, ignored by the kit\nmax_concurrency = 4\n{connector_settings}\n",
        config.name,
        running.base_url()
    );
    (running, file)
}
