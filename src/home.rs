//! The data directory: where the shipped `workflows/` (lifecycle settings, rule catalogue)
//! and `seeds/` (the demo city, the real trees, the demo users) are found, so that
//! `qingfeng` runs from any directory and not only from the repository's root.
//!
//! It is located once, when the command line starts: the directory named with
//! `--data-dir` (or `QINGFENG_DATA_DIR`); else the first of the current directory, a
//! package's `share/qingfeng` beside the binary, `/opt/qingfeng` (the layout of `deploy/`)
//! and the source checkout the binary was built from that holds `workflows/lifecycle.toml`.
//! Paths a user types stay relative to the current directory, as on any command line;
//! only when such a path does not exist there is it looked for in the data directory, so
//! the README's commands work from anywhere.
//!
//! A process-wide value and not a field threaded through every loader: it is set once,
//! before anything reads a file, and never changes. Unset (tests, tools) it is the
//! current directory, which `cargo test` makes the repository's root.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use anyhow::bail;

/// The shipped lifecycle settings; its presence marks a data directory.
pub const LIFECYCLE_FILE: &str = "workflows/lifecycle.toml";
/// The shipped rule catalogue.
pub const RULES_DIR: &str = "workflows/rules";
const MARKER: &str = LIFECYCLE_FILE;

static DIR: OnceLock<PathBuf> = OnceLock::new();

/// The data directory to use: `named` if given (it must hold the shipped files), else
/// the first candidate that does, else the current directory.
pub fn locate(named: Option<&Path>) -> anyhow::Result<PathBuf> {
    if let Some(dir) = named {
        if !dir.join(MARKER).is_file() {
            bail!(
                "the data directory {} has no {MARKER}: name the folder that holds workflows/ and seeds/",
                dir.display()
            );
        }
        return Ok(dir.to_owned());
    }
    Ok(candidates()
        .into_iter()
        .find(|dir| dir.join(MARKER).is_file())
        .unwrap_or_else(|| PathBuf::from(".")))
}

/// Where a data directory is looked for, in order.
fn candidates() -> Vec<PathBuf> {
    let mut dirs = vec![PathBuf::from(".")];
    if let Some(bin) = std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(Path::to_owned))
    {
        dirs.push(bin.join("../share/qingfeng"));
    }
    dirs.push(PathBuf::from("/opt/qingfeng"));
    dirs.push(PathBuf::from(env!("CARGO_MANIFEST_DIR")));
    dirs
}

/// Sets the data directory for the rest of the process. Only the first call counts.
pub fn init(dir: PathBuf) {
    if dir != Path::new(".") {
        tracing::info!(data_dir = %dir.display(), "data directory");
    }
    let _ = DIR.set(dir);
}

/// A shipped file or folder (`workflows/rules`, `seeds/regions.csv`) in the data directory.
pub fn shipped(relative: &str) -> PathBuf {
    match DIR.get() {
        Some(dir) if dir != Path::new(".") => dir.join(relative),
        _ => PathBuf::from(relative),
    }
}

/// A path a user typed: as typed if it exists (or is absolute), else the same relative
/// path in the data directory if it exists there, else as typed (its error names it).
pub fn typed(path: PathBuf) -> PathBuf {
    if path.is_absolute() || path.exists() {
        return path;
    }
    let inside = shipped(&path.to_string_lossy());
    if inside.exists() { inside } else { path }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_named_directory_without_the_shipped_files_is_refused_by_name() {
        let dir = tempfile::tempdir().unwrap();
        let error = locate(Some(dir.path())).unwrap_err().to_string();
        assert!(error.contains(&dir.path().display().to_string()), "{error}");
        assert!(error.contains("workflows/lifecycle.toml"), "{error}");
    }

    #[test]
    fn the_repository_is_a_data_directory() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        assert_eq!(locate(Some(root)).unwrap(), root);
        // Run from the repository (as `cargo test` is), the current directory is found.
        assert_eq!(locate(None).unwrap(), PathBuf::from("."));
    }

    #[test]
    fn a_typed_path_that_exists_is_kept() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("tree.csv");
        std::fs::write(&file, "x").unwrap();
        assert_eq!(typed(file.clone()), file);
        assert_eq!(
            typed(PathBuf::from("no/such/file.csv")),
            PathBuf::from("no/such/file.csv")
        );
    }
}
