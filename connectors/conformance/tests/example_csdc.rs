//! The kit against the example outside Rust: the csdc securities depository (Python, in
//! `connectors/examples/csdc`), its mock agency and its `assethub.connector.v1` connector
//! started as processes, the kit connecting as `type = "remote"`. Freezes count in shares
//! there, so this is the kit's run of a freeze by quantity.
//!
//! Needs python3 with `connectors/examples/csdc/requirements.txt`: `$ASSETHUB_CSDC_PYTHON`
//! (which must then work; `.ci/run` sets it and runs this test after installing the example's
//! packages), else the example's `.venv`, else `python3`; without any the test says so and
//! passes, as the demo does.

use assethub_conformance::{run, Fixture, Outcome, Target};
use assethub_mocks::demo_keys::{INSTRUCTION_KEY_ID, INSTRUCTION_KEY_SEED};
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

/// A child process killed when the test ends, however it ends.
struct Process(Child);

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn example_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../examples/csdc")
}

fn python() -> Option<PathBuf> {
    let works = |python: &PathBuf| {
        Command::new(python)
            .args(["-c", "import grpc, grpc_tools, grpc_status, cryptography"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    };
    // An interpreter named explicitly (as .ci/run does) must work: no silent pass there.
    if let Some(named) = std::env::var_os("ASSETHUB_CSDC_PYTHON").map(PathBuf::from) {
        assert!(
            works(&named),
            "ASSETHUB_CSDC_PYTHON={} lacks the example's requirements",
            named.display()
        );
        return Some(named);
    }
    [
        example_dir().join(".venv/bin/python"),
        PathBuf::from("python3"),
    ]
    .into_iter()
    .find(works)
}

/// Starts `script` with `args`; its first line of output ends with the address it serves.
async fn start(python: &PathBuf, script: &str, args: &[&str]) -> (Process, String) {
    let mut child = Command::new(python)
        .arg(example_dir().join(script))
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("the example starts");
    let stdout = child.stdout.take().expect("its output");
    let process = Process(child);
    let line = tokio::time::timeout(
        std::time::Duration::from_secs(60),
        tokio::task::spawn_blocking(move || {
            let mut line = String::new();
            BufReader::new(stdout).read_line(&mut line).map(|_| line)
        }),
    )
    .await
    .expect("the example says where it listens within a minute")
    .expect("reading its output")
    .expect("its first line");
    let addr = line
        .split_whitespace()
        .last()
        .unwrap_or_else(|| panic!("{script} printed {line:?}"))
        .to_string();
    (process, addr)
}

#[tokio::test]
async fn the_python_depository_passes() {
    let Some(python) = python() else {
        eprintln!(
            "csdc example not checked: python3 with connectors/examples/csdc/requirements.txt needed"
        );
        return;
    };
    let (_agency, agency_url) = start(&python, "agency.py", &["--port", "0", "--demo-key"]).await;
    let (_connector, addr) = start(
        &python,
        "connector.py",
        &["--port", "0", "--agency-url", &agency_url],
    )
    .await;
    let file = format!(
        "id = \"csdc\"\ntype = \"remote\"\naddress = \"http://{addr}\"\n[settings]\nagency_url = \"{agency_url}\"\n"
    );
    let connector = Target::parse(&file)
        .expect("the connector file reads")
        .build()
        .await
        .expect("the csdc connector describes itself");
    // The example's demo data: 张伟 holds 600000 and 000001; 张卫 is not his name.
    // The agency trusts the demo hub key (--demo-key).
    let fixture = Fixture::parse(&format!(
        r#"
[known]
id = "11010519491231002X"
name = "张伟"
wrong_name = "张卫"
[unknown]
id = "110105198001010016"
name = "赵无名"
[signing]
key_id = "{INSTRUCTION_KEY_ID}"
seed = "{INSTRUCTION_KEY_SEED}"
"#
    ))
    .expect("the fixture reads");
    let report = run(connector, &agency_url, fixture).await;
    println!("{}", report.table());
    assert!(report.passed(), "{}", report.table());
    let skipped: Vec<_> = report
        .results
        .iter()
        .filter(|r| matches!(r.outcome, Outcome::Skip(_)))
        .map(|r| r.name)
        .collect();
    assert!(
        skipped.is_empty(),
        "skipped {skipped:?}\n{}",
        report.table()
    );
}
