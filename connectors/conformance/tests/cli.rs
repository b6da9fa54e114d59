//! The binary as an integrator runs it: files on disk, the table on stdout, exit 0 when
//! nothing failed, 1 when a check failed, 2 when it could not start; `--help` says how to
//! point it at a connector.

mod common;

use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_assethub-conformance");

#[tokio::test]
async fn a_passing_run_exits_zero_and_a_failing_one_exits_one() {
    let (agency, connector) = common::agency("real_estate").await;
    let dir = tempfile::tempdir().expect("a temporary directory");
    let connector_file = dir.path().join("connector.toml");
    let fixture_file = dir.path().join("fixture.toml");
    std::fs::write(&connector_file, &connector).unwrap();
    std::fs::write(&fixture_file, common::fixture("real_estate")).unwrap();

    let run = |fixture: &std::path::Path| {
        let connector_file = connector_file.clone();
        let fixture = fixture.to_path_buf();
        // The binary runs on a blocking thread; the runtime keeps serving the mock meanwhile.
        tokio::task::spawn_blocking(move || {
            Command::new(BIN)
                .arg("--connector")
                .arg(&connector_file)
                .arg("--fixture")
                .arg(&fixture)
                .output()
                .expect("the binary runs")
        })
    };
    let out = run(&fixture_file).await.unwrap();
    let table = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{table}");
    assert!(table.contains("15 passed, 0 failed, 0 skipped"), "{table}");

    // An asset the known debtor does not hold: the known-debtor check fails, the control
    // checks have nothing to hold and skip.
    let wrong = dir.path().join("wrong.toml");
    let text = format!(
        "{}\n[control]\nasset = \"no-such-certificate\"\n",
        common::fixture("real_estate")
    );
    std::fs::write(&wrong, text).unwrap();
    let out = run(&wrong).await.unwrap();
    let table = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{table}");
    assert!(table.contains("known-debtor         FAIL"), "{table}");
    drop(agency);
}

#[test]
fn help_says_how_to_point_it_at_a_connector() {
    let out = Command::new(BIN).arg("--help").output().expect("runs");
    assert!(out.status.success());
    let help = String::from_utf8_lossy(&out.stdout);
    for needle in [
        "--connector",
        "--fixture",
        "--admin",
        "type = \"remote\"",
        "In process",
        "/__admin/holds",
    ] {
        assert!(help.contains(needle), "--help lacks {needle}:\n{help}");
    }
}

#[test]
fn a_missing_file_exits_two() {
    let out = Command::new(BIN)
        .args([
            "--connector",
            "/nonexistent/c.toml",
            "--fixture",
            "/nonexistent/f.toml",
        ])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
}
