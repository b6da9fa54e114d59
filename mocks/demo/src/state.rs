//! Where a demo keeps what it knows, relative to the folder it runs in: the ledger, the signed
//! audit checkpoints and the mock agencies' hold registers; `--fresh` clears them together.

use assethub_hub::config::HubConfig;
use std::path::PathBuf;

/// Where a demo keeps what it knows (relative to the folder it runs in): the ledger, the
/// signed audit checkpoints and the mock agencies' hold registers, which must be kept or
/// cleared together — a ledger whose agencies forgot their holds cannot release them.
pub struct DemoState {
    ledger: Option<PathBuf>,
    checkpoints: PathBuf,
    pub registers: PathBuf,
}

impl DemoState {
    pub fn of(config: &HubConfig) -> Self {
        let ledger = config
            .ledger
            .url
            .strip_prefix("sqlite://")
            .map(PathBuf::from);
        let checkpoints = config.audit.checkpoint_file.clone();
        let data = ledger
            .as_ref()
            .and_then(|l| l.parent())
            .map_or_else(|| PathBuf::from("data"), PathBuf::from);
        Self {
            ledger,
            checkpoints,
            registers: data.join("agencies"),
        }
    }

    /// Deletes the demo's state (only its own files).
    pub fn clear(&self) -> std::io::Result<()> {
        let mut files = vec![self.checkpoints.clone()];
        if let Some(ledger) = &self.ledger {
            for suffix in ["", "-wal", "-shm"] {
                let mut name = ledger.clone().into_os_string();
                name.push(suffix);
                files.push(name.into());
            }
        }
        for file in files {
            match std::fs::remove_file(&file) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e),
                _ => {}
            }
        }
        match std::fs::remove_dir_all(&self.registers) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
            _ => Ok(()),
        }
    }

    pub fn describe(&self, fresh: bool) {
        let ledger = self
            .ledger
            .as_ref()
            .map_or_else(|| "(not a file)".to_string(), |l| l.display().to_string());
        println!(
            "demo state{}: ledger {ledger}, audit checkpoints {}, agencies' hold registers {}/",
            if fresh { " (started afresh)" } else { "" },
            self.checkpoints.display(),
            self.registers.display()
        );
        println!("  kept across restarts; `assethub-demo --fresh` starts from nothing");
    }
}
