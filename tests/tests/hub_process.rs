//! The hub as a separate process: it serves a query, keeps a second process off its embedded
//! ledger, dies on SIGKILL, comes back on the same address with its in-memory cache gone and
//! its ledger kept, and exits 0 on SIGTERM.
#![cfg(unix)]

use assethub_mocks::population::DEFAULT_SEED;
use assethub_mocks::Population;
use assethub_proto::v1 as pb;
use assethub_tests::hub_process::HubProcess;
use assethub_tests::{
    clients_as, config_for, demo_person_query, instant_agencies, register_standard_cases, Role,
    COURT,
};
use std::sync::Arc;
use tonic::transport::Channel;

async fn connect(hub: &HubProcess) -> Channel {
    Channel::from_shared(hub.url())
        .expect("hub url")
        .connect()
        .await
        .expect("client connects")
}

/// Queries the demo person; every source answers, and whether from the cache.
async fn query(channel: &Channel) -> Result<Vec<bool>, tonic::Status> {
    let (mut client, _) = clients_as(channel, Role::Judge, COURT);
    let response = client.query(demo_person_query()).await?.into_inner();
    assert_eq!(response.sources.len(), 6);
    for source in &response.sources {
        assert_eq!(
            source.status,
            pb::SourceStatus::Ok as i32,
            "{}: {}",
            source.source,
            source.reason
        );
    }
    Ok(response.sources.iter().map(|s| s.cached).collect())
}

#[tokio::test]
async fn a_killed_hub_restarts_on_its_address_and_a_terminated_one_exits_cleanly() {
    let population = Arc::new(Population::generate(DEFAULT_SEED, 200));
    let agencies = instant_agencies(population.clone()).await;
    let dir = tempfile::tempdir().expect("temporary directory");
    let mut config = config_for(&agencies);
    // Relative to the hub's working directory, which is `dir`.
    config.ledger.url = "sqlite://data/ledger.db".into();

    let mut hub = HubProcess::start(&config, "127.0.0.1:0".parse().unwrap(), dir.path()).await;
    let addr = hub.addr();
    assert_ne!(addr.port(), 0);
    assert!(
        hub.rss_kib().is_some_and(|kib| kib > 1_000),
        "a live hub has an RSS"
    );
    let channel = connect(&hub).await;
    register_standard_cases(&channel, &population).await;
    assert_eq!(query(&channel).await.unwrap(), vec![false; 6]);
    assert_eq!(
        query(&channel).await.unwrap(),
        vec![true; 6],
        "second answer cached"
    );

    let first_pid = hub.pid();
    // A second process on the same embedded ledger is refused before it touches it, naming
    // the one that holds it; the first keeps serving.
    let mut second = std::process::Command::new(assethub_tests::hub_process::binary())
        .arg("--config")
        .arg(hub.config_path())
        .arg("--listen")
        .arg("127.0.0.1:0")
        .current_dir(dir.path())
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("the second hub runs");
    let started = std::time::Instant::now();
    while second.try_wait().expect("the second hub").is_none() {
        if started.elapsed() > std::time::Duration::from_secs(20) {
            second.kill().expect("the second hub is stopped");
            panic!("a second hub on one SQLite ledger is still running after 20 s");
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let second = second.wait_with_output().expect("the second hub's output");
    let said = String::from_utf8_lossy(&second.stderr);
    assert!(
        !second.status.success(),
        "a second hub on one SQLite ledger starts: {said}"
    );
    assert!(
        said.contains(&format!(
            "the embedded ledger data/ledger.db is in use by another hub process (pid {first_pid})"
        )),
        "{said}"
    );
    assert_eq!(query(&channel).await.unwrap(), vec![true; 6]);
    hub.kill();
    assert!(!hub.is_running());
    assert_eq!(hub.rss_kib(), None);
    let down = query(&channel)
        .await
        .expect_err("nobody serves after SIGKILL");
    // The first call on the old connection may see the broken pipe itself (Unknown, "transport
    // error"); once the channel notices, calls fail as Unavailable.
    assert!(
        matches!(down.code(), tonic::Code::Unavailable | tonic::Code::Unknown),
        "{down:?}"
    );
    let down = query(&channel).await.expect_err("still nobody");
    assert_eq!(down.code(), tonic::Code::Unavailable, "{down:?}");

    hub.restart().await;
    assert_eq!(hub.addr(), addr);
    assert_ne!(hub.pid(), first_pid);
    assert!(dir.path().join("data/ledger.db").exists());
    let channel = connect(&hub).await;
    assert_eq!(
        query(&channel).await.unwrap(),
        vec![false; 6],
        "a new process starts with an empty cache"
    );

    let status = hub.terminate().await;
    assert_eq!(status.code(), Some(0), "SIGTERM drains and exits 0");
    let log = std::fs::read_to_string(hub.log_path()).expect("the hub's log");
    assert_eq!(
        log.matches("assethub-under-test listening on").count(),
        2,
        "the log is appended across restarts:\n{log}"
    );
}
