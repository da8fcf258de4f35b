//! Writing an output file safely: a file is replaced whole or not at all, standard output,
//! devices and FIFOs are written through, and an output that is one of the inputs is refused.
//!
//! [`OutputFile::create`] looks at the destination once and picks how to write it:
//!
//! | destination | how it is written |
//! |---|---|
//! | `-`, `/dev/stdout`, `/dev/fd/1`, `/proc/self/fd/1` | this process's standard output, as it is (a redirection's offset and append mode kept) |
//! | an existing character or block device, FIFO or socket | opened for writing and written through; never renamed over, never truncated |
//! | a regular file, or nothing yet | a temporary file created exclusively, with a random name starting with [`TEMP_PREFIX`], in the destination's folder; [`OutputFile::commit`] flushes it, syncs it to disk and renames it over the destination (then syncs the folder where it can). Dropped without a commit, the temporary file is removed and the destination is untouched |
//! | a symbolic link | resolved once, to a canonical path; what it points to is written as above, and the link itself is kept. A link to nothing is refused |
//! | a folder | refused |
//!
//! A replaced file keeps its permission bits (not its owner); a new one gets `0o666` less the
//! umask, as `File::create` gives. A read-only file is refused rather than replaced.
//!
//! [`OutputFile::create_unless_input`] also refuses a destination that is one of the inputs (the
//! same device and inode on Unix, so hard links and symbolic links to an input are caught too;
//! the same canonical path elsewhere), before anything is written.
//!
//! Pending temporary files are kept in a process-wide registry so that a signal handler can
//! remove them before the process ends: [`remove_pending_temporaries`].
//!
//! ```
//! use std::io::Write;
//! use vigil::output_file::OutputFile;
//!
//! let dir = std::env::temp_dir().join(format!("vigil-doc-{}", std::process::id()));
//! std::fs::create_dir_all(&dir)?;
//! let input = dir.join("in.txt");
//! let output = dir.join("out.txt");
//! std::fs::write(&input, "abc\n")?;
//!
//! let mut out = OutputFile::create_unless_input(&output, &[&input])?;
//! out.write_all(b"f8f8f0ce\n")?;
//! out.commit()?; // the destination appears whole, or not at all
//! assert_eq!(std::fs::read_to_string(&output)?, "f8f8f0ce\n");
//!
//! // The output may not be an input: nothing is written, the input is intact.
//! let refused = OutputFile::create_unless_input(&input, &[&input]).err().unwrap();
//! assert_eq!(refused.kind(), std::io::ErrorKind::InvalidInput);
//! assert_eq!(std::fs::read_to_string(&input)?, "abc\n");
//!
//! // Dropped without a commit: the temporary file is removed, the destination kept as it was.
//! let mut abandoned = OutputFile::create(&output)?;
//! abandoned.write_all(b"half a list")?;
//! drop(abandoned);
//! assert_eq!(std::fs::read_to_string(&output)?, "f8f8f0ce\n");
//! # std::fs::remove_dir_all(&dir)?;
//! # Ok::<(), std::io::Error>(())
//! ```

use std::fs::{self, File, Metadata, OpenOptions};
use std::io::{self, BufWriter, ErrorKind, Write};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

use tempfile::TempPath;

/// How the names of temporary files start (they are hidden on Unix); random characters follow.
pub const TEMP_PREFIX: &str = ".vigil-";
/// How the names of temporary files end.
pub const TEMP_SUFFIX: &str = ".tmp";

/// Names that mean this process's standard output.
const STDOUT_NAMES: [&str; 4] = ["-", "/dev/stdout", "/dev/fd/1", "/proc/self/fd/1"];

/// The temporary files not yet committed nor dropped, for [`remove_pending_temporaries`].
static PENDING: Mutex<Pending> = Mutex::new(Pending {
    paths: Vec::new(),
    closed: false,
});

struct Pending {
    paths: Vec<PathBuf>,
    /// Set by [`remove_pending_temporaries`]: the process is ending, no new temporary file.
    closed: bool,
}

fn pending() -> MutexGuard<'static, Pending> {
    // A panic while holding the lock leaves the list itself consistent.
    PENDING
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Removes every temporary file that an [`OutputFile`] of this process has created and not yet
/// committed or dropped, and returns how many it removed.
///
/// Meant for a SIGINT/SIGTERM handler (or its thread) that ends the process right after, so that
/// an interrupted write leaves nothing behind. From then on, [`OutputFile::create`] refuses to
/// make new temporary files (with [`ErrorKind::Interrupted`]), so a thread still running cannot
/// leave one either, and an [`OutputFile::commit`] still to come fails without touching its
/// destination.
pub fn remove_pending_temporaries() -> usize {
    let mut pending = pending();
    pending.closed = true;
    let mut removed = 0;
    for path in pending.paths.drain(..) {
        if fs::remove_file(&path).is_ok() {
            removed += 1;
        }
    }
    removed
}

/// The temporary files currently pending (created, neither committed nor dropped).
pub fn pending_temporaries() -> Vec<PathBuf> {
    pending().paths.clone()
}

fn unregister(path: &Path) {
    let mut pending = pending();
    if let Some(i) = pending.paths.iter().position(|p| p == path) {
        pending.paths.swap_remove(i);
    }
}

/// An output being written; see the [module](self) documentation.
///
/// Writes are buffered. Call [`commit`](OutputFile::commit) when everything is written: for a
/// file, that is when the destination is replaced.
#[derive(Debug)]
pub struct OutputFile {
    /// The destination as given.
    destination: PathBuf,
    /// `None` once committed.
    target: Option<Target>,
}

#[derive(Debug)]
enum Target {
    Stdout(BufWriter<io::Stdout>),
    /// A device, FIFO or socket, written through.
    Direct(BufWriter<File>),
    /// A temporary file renamed over `target` on commit.
    Replace {
        file: BufWriter<File>,
        temp: TempPath,
        target: PathBuf,
    },
}

/// How a destination is to be written.
#[derive(Debug)]
enum Plan {
    Stdout,
    Direct(PathBuf),
    Replace {
        target: PathBuf,
        existing: Option<Metadata>,
    },
}

/// How [`OutputFile::create`] writes a destination.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WriteMode {
    /// This process's standard output.
    Stdout,
    /// A device, FIFO or socket, opened and written through.
    Direct,
    /// A temporary file renamed over the destination on commit.
    Replace,
}

/// How [`OutputFile::create`] would write `path`, without creating anything. Errors as `create`
/// would for a folder or a link to nothing.
pub fn write_mode(path: &Path) -> io::Result<WriteMode> {
    Ok(match plan(path)? {
        Plan::Stdout => WriteMode::Stdout,
        Plan::Direct(_) => WriteMode::Direct,
        Plan::Replace { .. } => WriteMode::Replace,
    })
}

fn is_stdout_name(path: &Path) -> bool {
    STDOUT_NAMES.iter().any(|name| path == Path::new(name))
}

fn plan(path: &Path) -> io::Result<Plan> {
    if is_stdout_name(path) {
        return Ok(Plan::Stdout);
    }
    let link = match fs::symlink_metadata(path) {
        Ok(meta) => meta,
        Err(e) if e.kind() == ErrorKind::NotFound => {
            return Ok(Plan::Replace {
                target: path.to_path_buf(),
                existing: None,
            });
        }
        Err(e) => return Err(e),
    };
    let (target, meta) = if link.file_type().is_symlink() {
        // Resolved once: everything below uses the canonical path, so a link changed later does
        // not redirect the rename.
        let resolved = fs::canonicalize(path).map_err(|e| {
            if e.kind() == ErrorKind::NotFound {
                io::Error::new(
                    ErrorKind::NotFound,
                    "is a symbolic link to a file that does not exist; name the file itself",
                )
            } else {
                e
            }
        })?;
        let meta = fs::metadata(&resolved)?;
        (resolved, meta)
    } else {
        (path.to_path_buf(), link)
    };
    let kind = meta.file_type();
    if kind.is_dir() {
        return Err(io::Error::new(ErrorKind::IsADirectory, "is a directory"));
    }
    if kind.is_file() {
        return Ok(Plan::Replace {
            target,
            existing: Some(meta),
        });
    }
    // A character or block device, a FIFO or a socket (on Unix; anything else elsewhere).
    Ok(Plan::Direct(target))
}

impl OutputFile {
    /// Starts writing `path` as the [module](self) documentation describes. Nothing is visible
    /// at a regular file's destination until [`commit`](OutputFile::commit).
    ///
    /// Errors: a folder, a symbolic link to nothing, a read-only file, a folder where no file
    /// can be created, or a device that cannot be opened for writing (as the OS says).
    pub fn create(path: &Path) -> io::Result<OutputFile> {
        Self::open(path, plan(path)?)
    }

    /// As [`create`](OutputFile::create), but refuses (with [`ErrorKind::InvalidInput`]) a
    /// destination that is the same file as one of `inputs`, before creating anything. Inputs
    /// named `-` (standard input) or that do not exist are not compared; nor is a destination
    /// that is a device or FIFO (a terminal is often both input and output).
    pub fn create_unless_input(path: &Path, inputs: &[&Path]) -> io::Result<OutputFile> {
        let plan = plan(path)?;
        if let Plan::Replace {
            target,
            existing: Some(meta),
        } = &plan
        {
            for input in inputs {
                if is_same_file(target, meta, input)? {
                    return Err(io::Error::new(
                        ErrorKind::InvalidInput,
                        format!(
                            "is the same file as the input {}; refusing to overwrite what is \
                             being read (write to another file)",
                            input.display()
                        ),
                    ));
                }
            }
        }
        Self::open(path, plan)
    }

    fn open(path: &Path, plan: Plan) -> io::Result<OutputFile> {
        let target = match plan {
            Plan::Stdout => Target::Stdout(BufWriter::new(io::stdout())),
            Plan::Direct(device) => {
                let file = OpenOptions::new().write(true).open(device)?;
                Target::Direct(BufWriter::new(file))
            }
            Plan::Replace { target, existing } => replace(target, existing.as_ref())?,
        };
        Ok(OutputFile {
            destination: path.to_path_buf(),
            target: Some(target),
        })
    }

    /// The destination, as given.
    pub fn path(&self) -> &Path {
        &self.destination
    }

    /// The temporary file being written, when the destination is a regular file (and this
    /// output is not committed yet).
    pub fn temporary_path(&self) -> Option<&Path> {
        match &self.target {
            Some(Target::Replace { temp, .. }) => Some(temp),
            _ => None,
        }
    }

    /// Finishes the output: flushes it; for a regular file also syncs the temporary file to
    /// disk, renames it over the destination and syncs the folder (where the OS allows).
    ///
    /// On error the destination is as it was before (for a file) and the temporary file is
    /// removed.
    pub fn commit(mut self) -> io::Result<()> {
        match self.target.take() {
            None => Ok(()),
            Some(Target::Stdout(mut out)) => out.flush(),
            Some(Target::Direct(mut out)) => out.flush(),
            Some(Target::Replace { file, temp, target }) => {
                let synced = file
                    .into_inner()
                    .map_err(io::IntoInnerError::into_error)
                    .and_then(|file| file.sync_all());
                if let Err(e) = synced {
                    unregister(&temp);
                    return Err(e);
                }
                {
                    // Held across the rename: a signal handler's clean-up runs wholly before it
                    // (the temporary file is gone and the rename fails) or after.
                    let mut pending = pending();
                    let Some(i) = pending.paths.iter().position(|p| *p == *temp) else {
                        return Err(io::Error::new(
                            ErrorKind::Interrupted,
                            "interrupted: the temporary file was removed",
                        ));
                    };
                    pending.paths.swap_remove(i);
                    temp.persist(&target).map_err(|e| e.error)?;
                }
                sync_parent(&target);
                Ok(())
            }
        }
    }
}

/// Creates the temporary file for `target` in its folder.
fn replace(target: PathBuf, existing: Option<&Metadata>) -> io::Result<Target> {
    if existing.is_some_and(|meta| meta.permissions().readonly()) {
        return Err(io::Error::new(
            ErrorKind::PermissionDenied,
            "is read-only; not replacing it",
        ));
    }
    let folder = match target.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    let mut builder = tempfile::Builder::new();
    builder
        .prefix(TEMP_PREFIX)
        .suffix(TEMP_SUFFIX)
        .rand_bytes(12);
    #[cfg(unix)]
    let mode = {
        use std::os::unix::fs::PermissionsExt;
        let mode = existing.map_or(0o666, |meta| meta.permissions().mode() & 0o777);
        builder.permissions(fs::Permissions::from_mode(mode));
        mode
    };
    // Registered under the lock that also guards `closed`, so a clean-up in progress either sees
    // this file or makes its creation fail.
    let mut pending = pending();
    if pending.closed {
        return Err(io::Error::new(
            ErrorKind::Interrupted,
            "interrupted: the process is ending",
        ));
    }
    let (file, temp) = builder.tempfile_in(folder)?.into_parts();
    pending.paths.push(temp.to_path_buf());
    drop(pending);
    #[cfg(unix)]
    if existing.is_some() {
        // The umask narrowed the mode at creation; a replaced file keeps its own.
        use std::os::unix::fs::PermissionsExt;
        if let Err(e) = file.set_permissions(fs::Permissions::from_mode(mode)) {
            unregister(&temp);
            return Err(e);
        }
    }
    Ok(Target::Replace {
        file: BufWriter::new(file),
        temp,
        target,
    })
}

/// Syncs the folder holding `path`, so the rename survives a crash; best effort (not every OS or
/// file system can open or sync a folder).
fn sync_parent(path: &Path) {
    #[cfg(unix)]
    {
        let folder = match path.parent() {
            Some(parent) if !parent.as_os_str().is_empty() => parent,
            _ => Path::new("."),
        };
        if let Ok(dir) = File::open(folder) {
            let _ = dir.sync_all();
        }
    }
    #[cfg(not(unix))]
    let _ = path;
}

/// Whether `input` is the file `target` (whose metadata is `meta`).
fn is_same_file(target: &Path, meta: &Metadata, input: &Path) -> io::Result<bool> {
    if is_stdout_name(input) || input == Path::new("-") {
        return Ok(false);
    }
    let input_meta = match fs::metadata(input) {
        Ok(m) => m,
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(false),
        Err(e) => return Err(e),
    };
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let _ = target;
        Ok(meta.dev() == input_meta.dev() && meta.ino() == input_meta.ino())
    }
    #[cfg(not(unix))]
    {
        let _ = (meta, input_meta);
        Ok(fs::canonicalize(target)? == fs::canonicalize(input)?)
    }
}

impl Write for OutputFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match &mut self.target {
            Some(Target::Stdout(out)) => out.write(buf),
            Some(Target::Direct(out)) => out.write(buf),
            Some(Target::Replace { file, .. }) => file.write(buf),
            None => Err(committed()),
        }
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        match &mut self.target {
            Some(Target::Stdout(out)) => out.write_all(buf),
            Some(Target::Direct(out)) => out.write_all(buf),
            Some(Target::Replace { file, .. }) => file.write_all(buf),
            None => Err(committed()),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match &mut self.target {
            Some(Target::Stdout(out)) => out.flush(),
            Some(Target::Direct(out)) => out.flush(),
            Some(Target::Replace { file, .. }) => file.flush(),
            None => Ok(()),
        }
    }
}

fn committed() -> io::Error {
    io::Error::other("the output was already committed")
}

impl Drop for OutputFile {
    fn drop(&mut self) {
        if let Some(Target::Replace { temp, .. }) = &self.target {
            // The temporary file itself is removed when `temp` drops, right after.
            unregister(temp);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn leftovers(dir: &Path) -> Vec<String> {
        fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|name| name.starts_with(TEMP_PREFIX))
            .collect()
    }

    #[test]
    fn a_file_appears_only_on_commit_and_nothing_is_left_behind() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("out.txt");
        let mut out = OutputFile::create(&path).unwrap();
        out.write_all(b"one\n").unwrap();
        let temp = out.temporary_path().unwrap().to_path_buf();
        assert_eq!(temp.parent(), Some(dir.path()));
        assert!(pending_temporaries().contains(&temp));
        assert!(!path.exists());
        out.commit().unwrap();
        assert_eq!(fs::read_to_string(&path).unwrap(), "one\n");
        assert!(!pending_temporaries().contains(&temp));
        assert!(leftovers(dir.path()).is_empty());

        let mut out = OutputFile::create(&path).unwrap();
        out.write_all(b"two\n").unwrap();
        drop(out);
        assert_eq!(fs::read_to_string(&path).unwrap(), "one\n");
        assert!(leftovers(dir.path()).is_empty());
    }

    #[cfg(unix)]
    #[test]
    fn links_are_resolved_and_inputs_refused() {
        use std::os::unix::fs::{MetadataExt, PermissionsExt, symlink};
        let dir = tempfile::tempdir().unwrap();
        let real = dir.path().join("real.txt");
        fs::write(&real, "old").unwrap();
        fs::set_permissions(&real, fs::Permissions::from_mode(0o640)).unwrap();
        let link = dir.path().join("link.txt");
        symlink(&real, &link).unwrap();
        let hard = dir.path().join("hard.txt");
        fs::hard_link(&real, &hard).unwrap();

        let mut out = OutputFile::create(&link).unwrap();
        out.write_all(b"new").unwrap();
        out.commit().unwrap();
        assert!(
            fs::symlink_metadata(&link)
                .unwrap()
                .file_type()
                .is_symlink()
        );
        assert_eq!(fs::read_to_string(&real).unwrap(), "new");
        assert_eq!(
            fs::metadata(&real).unwrap().permissions().mode() & 0o777,
            0o640
        );

        let real2 = dir.path().join("real2.txt");
        fs::write(&real2, "input").unwrap();
        for output in [&real2, &link, &hard] {
            for input in [&real2, &real] {
                let result = OutputFile::create_unless_input(output, &[input.as_path()]);
                let same =
                    fs::metadata(output).unwrap().ino() == fs::metadata(input).unwrap().ino();
                assert_eq!(result.is_err(), same, "{output:?} {input:?}");
            }
        }

        let dangling = dir.path().join("dangling");
        symlink(dir.path().join("nothing"), &dangling).unwrap();
        assert!(OutputFile::create(&dangling).is_err());
        assert!(OutputFile::create(dir.path()).is_err());
        assert_eq!(write_mode(Path::new("-")).unwrap(), WriteMode::Stdout);
        assert_eq!(
            write_mode(Path::new("/dev/null")).unwrap(),
            WriteMode::Direct
        );
        assert_eq!(write_mode(&real).unwrap(), WriteMode::Replace);
        assert!(leftovers(dir.path()).is_empty());
    }
}
