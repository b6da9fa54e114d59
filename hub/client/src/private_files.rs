//! Files that hold personal data or secrets (the SQLite ledger and its `-wal`/`-shm`, the
//! credentials file, the audit checkpoints) are the hub's user's alone: files are created with
//! mode 0600 and the directories the hub creates for them with 0700, before anything is
//! written, so there is no moment when another user could open them. A file found with a wider
//! mode (made by an older version, or by hand) is narrowed to 0600 with a warning. Directories
//! that already exist are left as they are: the hub does not know who else uses them.
//!
//! A leaf module: plain file-system calls, no policy about what goes in the files. Off Unix the
//! operating system's defaults apply.

use std::io;
use std::path::Path;

/// Creates `dir` and its missing parents, those it creates readable by the owner only.
pub fn create_dir(dir: &Path) -> io::Result<()> {
    if dir.as_os_str().is_empty() {
        return Ok(());
    }
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)
}

/// Options that create a missing file with mode 0600 (an existing file keeps its mode: see
/// [`narrow`]).
pub fn options() -> std::fs::OpenOptions {
    let mut options = std::fs::OpenOptions::new();
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options
}

/// Creates `path` empty with mode 0600 if it is missing (its directory too), else narrows it.
pub fn create_file(path: &Path) -> io::Result<()> {
    if let Some(dir) = path.parent() {
        create_dir(dir)?;
    }
    options()
        .write(true)
        .create(true)
        .truncate(false)
        .open(path)?;
    narrow(path)
}

/// Writes `contents` to `path` (created 0600, its directory 0700, an existing file narrowed
/// first).
pub fn write(path: &Path, contents: &[u8]) -> io::Result<()> {
    use std::io::Write;
    create_file(path)?;
    let mut file = options().write(true).truncate(true).open(path)?;
    file.write_all(contents)?;
    file.sync_all()
}

/// Narrows `path` to mode 0600 if group or others may use it, with a warning; a missing file
/// is fine.
pub fn narrow(path: &Path) -> io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = match std::fs::metadata(path) {
            Ok(meta) => meta.permissions().mode() & 0o777,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(e),
        };
        if mode & 0o077 != 0 {
            tracing::warn!(
                path = %path.display(),
                mode = format!("{mode:o}"),
                "narrowing a file that holds personal data or secrets to mode 0600"
            );
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
        }
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn mode(path: &Path) -> u32 {
        std::fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn files_are_created_owner_only_in_owner_only_directories() {
        let root = tempfile::tempdir().unwrap();
        let file = root.path().join("a/b/ledger.db");
        create_file(&file).unwrap();
        assert_eq!(mode(&file), 0o600);
        assert_eq!(mode(&root.path().join("a")), 0o700);
        assert_eq!(mode(&root.path().join("a/b")), 0o700);
        let written = root.path().join("c/credentials.toml");
        write(&written, b"secret").unwrap();
        assert_eq!(mode(&written), 0o600);
        assert_eq!(std::fs::read(&written).unwrap(), b"secret");
    }

    #[test]
    fn a_wider_file_is_narrowed_and_an_existing_directory_left_alone() {
        let root = tempfile::tempdir().unwrap();
        std::fs::set_permissions(root.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
        let file = root.path().join("ledger.db");
        std::fs::write(&file, b"kept").unwrap();
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
        create_file(&file).unwrap();
        assert_eq!(mode(&file), 0o600);
        assert_eq!(std::fs::read(&file).unwrap(), b"kept");
        assert_eq!(mode(root.path()), 0o755);
        narrow(&root.path().join("missing")).unwrap();
    }
}
