//! Story: the files that hold identity numbers, names and bearer tokens are the hub's user's
//! alone. A fresh hub creates its ledger (and SQLite's `-wal`/`-shm`), its audit checkpoints
//! and their directories owner-only; a ledger left world-readable by an older version is
//! narrowed when the hub starts; the credentials file is written owner-only.
#![cfg(unix)]

use assethub_client::credentials::{Credential, CredentialsFile};
use assethub_proto::v1 as pb;
use assethub_proto::v1::audit_client::AuditClient;
use assethub_tests::{bearer, token, Role, World, WorldOptions, COURT};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .permissions()
        .mode()
        & 0o777
}

fn with_suffix(path: &Path, suffix: &str) -> std::path::PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    name.into()
}

#[tokio::test]
async fn the_ledger_checkpoints_and_their_directories_are_owner_only() {
    let root = tempfile::tempdir().unwrap();
    let state = root.path().join("state");
    let (ledger_url, checkpoints) = (
        format!("sqlite://{}/ledger/ledger.db", state.display()),
        state.join("audit/checkpoints.jsonl"),
    );
    let ledger = state.join("ledger/ledger.db");
    let mut world = World::start_with(WorldOptions {
        ledger_url: Some(ledger_url),
        tweak: Box::new({
            let checkpoints = checkpoints.clone();
            move |config| config.audit.checkpoint_file = checkpoints
        }),
        ..Default::default()
    })
    .await;
    AuditClient::with_interceptor(world.channel.clone(), bearer(&token(Role::Auditor, COURT)))
        .checkpoint_audit(pb::CheckpointAuditRequest { sign_now: true })
        .await
        .expect("a checkpoint is signed");
    for file in [
        ledger.clone(),
        with_suffix(&ledger, "-wal"),
        with_suffix(&ledger, "-shm"),
        checkpoints.clone(),
    ] {
        assert_eq!(mode(&file), 0o600, "{}", file.display());
    }
    for dir in [state.clone(), state.join("ledger"), state.join("audit")] {
        assert_eq!(mode(&dir), 0o700, "{}", dir.display());
    }

    // An older hub left them readable by everyone: the next start narrows them.
    for file in [&ledger, &with_suffix(&ledger, "-wal"), &checkpoints] {
        std::fs::set_permissions(file, std::fs::Permissions::from_mode(0o644)).unwrap();
    }
    world.restart_hub().await;
    for file in [&ledger, &with_suffix(&ledger, "-wal"), &checkpoints] {
        assert_eq!(mode(file), 0o600, "{}", file.display());
    }
}

#[test]
fn the_credentials_file_is_written_owner_only() {
    let root = tempfile::tempdir().unwrap();
    let path = root.path().join("config/assethub/credentials.toml");
    let mut demo = CredentialsFile::default();
    demo.put(Credential {
        issuer: "demo".into(),
        court: COURT.into(),
        role: Role::Judge,
        officer: "王法官".into(),
        token: token(Role::Judge, COURT),
    });
    demo.save(&path).unwrap();
    assert_eq!(mode(&path), 0o600);
    assert_eq!(mode(&root.path().join("config/assethub")), 0o700);
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    CredentialsFile::load(&path).unwrap().save(&path).unwrap();
    assert_eq!(mode(&path), 0o600);
    assert_eq!(CredentialsFile::load(&path).unwrap(), demo);
}
