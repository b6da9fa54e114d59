//! The checkpoint file: signed checkpoints appended as JSON lines (`[audit] checkpoint_file`),
//! outside the ledger's database, so an insider who can write the database still cannot make
//! the hub forget what it signed. The file is created with mode 0600 (its directory 0700, when
//! missing; see [`crate::private_files`]); each line is written, flushed and fsynced before the checkpoint is handed out.
//! Blocking file I/O: callers in async code run it on the blocking pool.
//!
//! Only the newest line matters to the hub, so only the file's tail is read; earlier lines
//! stay for people and tools to keep.

use super::checkpoint::Checkpoint;
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

/// How much of the file's end is read to find the newest checkpoint (a line is ~250 bytes).
const TAIL: u64 = 64 * 1024;

/// The checkpoint file at one path.
#[derive(Debug, Clone)]
pub struct CheckpointFile {
    path: PathBuf,
}

impl CheckpointFile {
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Self { path: path.into() }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Creates the file's directory if it is missing (mode 0700) and narrows a file left
    /// wider than 0600 (at start, so a bad path fails early).
    pub fn prepare(&self) -> io::Result<()> {
        if let Some(dir) = self.path.parent() {
            crate::private_files::create_dir(dir)?;
        }
        crate::private_files::narrow(&self.path)
    }

    /// Appends `checkpoint` as one line and syncs it to disk. A torn last line (a crash in
    /// the middle of a write) is ended first, so the new line stays readable.
    pub fn append(&self, checkpoint: &Checkpoint) -> io::Result<()> {
        self.prepare()?;
        let created = !self.path.exists();
        let mut file = open_append(&self.path)?;
        let mut line = String::new();
        if !created && !ends_with_newline(&mut file)? {
            line.push('\n');
        }
        line.push_str(&checkpoint.to_json_line());
        line.push('\n');
        file.write_all(line.as_bytes())?;
        file.flush()?;
        file.sync_all()?;
        if created {
            sync_dir(&self.path);
        }
        Ok(())
    }

    /// The newest well-formed checkpoint in the file; `None` when there is no file or no
    /// checkpoint in it. Lines that do not read as a checkpoint are skipped.
    pub fn latest(&self) -> io::Result<Option<Checkpoint>> {
        let mut file = match File::open(&self.path) {
            Ok(file) => file,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e),
        };
        let len = file.metadata()?.len();
        file.seek(SeekFrom::Start(len.saturating_sub(TAIL)))?;
        let mut tail = Vec::new();
        file.take(TAIL).read_to_end(&mut tail)?;
        let text = String::from_utf8_lossy(&tail);
        Ok(text
            .lines()
            .rev()
            .filter(|line| !line.trim().is_empty())
            .find_map(|line| Checkpoint::from_json_line(line).ok()))
    }
}

/// Opens the file to append (created 0600); a file created by someone else with a wider mode
/// is narrowed: only the hub's user reads what it signed.
fn open_append(path: &Path) -> io::Result<File> {
    let file = crate::private_files::options()
        .create(true)
        .append(true)
        .read(true)
        .open(path)?;
    crate::private_files::narrow(path)?;
    Ok(file)
}

fn ends_with_newline(file: &mut File) -> io::Result<bool> {
    let len = file.metadata()?.len();
    if len == 0 {
        return Ok(true);
    }
    file.seek(SeekFrom::Start(len - 1))?;
    let mut last = [0u8; 1];
    file.read_exact(&mut last)?;
    Ok(last[0] == b'\n')
}

/// Makes a new file's directory entry durable too (best effort: not every platform can).
fn sync_dir(path: &Path) {
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    if let Ok(dir) = File::open(dir) {
        let _ = dir.sync_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::CheckpointKey;

    const HEAD: &str = "0000000000000000000000000000000000000000000000000000000000000000";

    #[test]
    fn appends_lines_and_reads_the_newest() {
        let dir = tempfile::tempdir().unwrap();
        let file = CheckpointFile::new(dir.path().join("deep/er/checkpoints.jsonl"));
        assert_eq!(file.latest().unwrap(), None, "no file yet");
        let key =
            CheckpointKey::from_seed("k", "BQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQU=").unwrap();
        let first = key.sign(0, HEAD, 1);
        let second = key.sign(3, HEAD, 2);
        file.append(&first).unwrap();
        file.append(&second).unwrap();
        assert_eq!(file.latest().unwrap(), Some(second.clone()));
        let text = std::fs::read_to_string(file.path()).unwrap();
        assert_eq!(
            text,
            format!("{}\n{}\n", first.to_json_line(), second.to_json_line())
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(file.path()).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn a_torn_or_foreign_last_line_is_skipped_and_ended() {
        let dir = tempfile::tempdir().unwrap();
        let file = CheckpointFile::new(dir.path().join("c.jsonl"));
        let key =
            CheckpointKey::from_seed("k", "BQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQU=").unwrap();
        let first = key.sign(1, HEAD, 1);
        file.append(&first).unwrap();
        let mut raw = std::fs::OpenOptions::new()
            .append(true)
            .open(file.path())
            .unwrap();
        raw.write_all(b"{\"v\":1,\"key_id\":\"k\",\"entr").unwrap();
        assert_eq!(file.latest().unwrap(), Some(first), "torn line skipped");
        let second = key.sign(2, HEAD, 2);
        file.append(&second).unwrap();
        assert_eq!(file.latest().unwrap(), Some(second));
    }

    #[cfg(unix)]
    #[test]
    fn a_wider_existing_file_is_narrowed() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.jsonl");
        std::fs::write(&path, "").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        CheckpointFile::new(&path)
            .append(
                &CheckpointKey::from_seed("k", "BQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQU=")
                    .unwrap()
                    .sign(0, HEAD, 1),
            )
            .unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
}
