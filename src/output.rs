//! Where `-o` writes, decided before any work starts, and the writing.
//!
//! `-o` never clobbers what it names:
//!
//! * a regular file (new or existing) is written atomically: a temporary
//!   file in the same directory, renamed over it once complete. A new file
//!   gets the mode any new file gets under the umask; an existing one keeps
//!   its mode and owner. An existing file with more than one hard link is
//!   written in place instead (a rename would break the links), from a
//!   complete temporary copy, so a failed run still leaves it untouched;
//! * a symbolic link is followed and its final target written (beside the
//!   target, atomically);
//! * a character device or a FIFO (`/dev/null`, `mkfifo`) is opened and
//!   written as it is, never replaced;
//! * `-`, `/dev/stdout` and `/proc/self/fd/1` are standard output;
//! * an `-o` that names an input (the same file as a PATH, `--twilio`,
//!   `--grammar` or `--ids` file, or a file inside a PATH directory) is a
//!   usage error, and so is a directory that does not exist or cannot be
//!   written; both are found before anything is read.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Seek, Write};
use std::os::unix::fs::{FileTypeExt, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

/// Where the output goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// Standard output: no `-o`, `-o -`, `-o /dev/stdout`.
    Stdout,
    /// A character device or FIFO: opened and written, never replaced.
    Direct(PathBuf),
    /// A regular file, new or existing: written beside it and renamed over it.
    Replace {
        /// The file (symbolic links resolved).
        path: PathBuf,
        /// Mode and owner to keep, when it exists.
        existing: Option<Owner>,
    },
    /// An existing regular file with more than one hard link: written in place.
    InPlace {
        /// The file (symbolic links resolved).
        path: PathBuf,
    },
}

/// The mode and owner of an existing file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Owner {
    /// Permission bits (with setuid, setgid and sticky).
    pub mode: u32,
    /// Owner.
    pub uid: u32,
    /// Group.
    pub gid: u32,
}

impl Target {
    /// What to call it in a message.
    pub fn name(&self) -> String {
        match self {
            Target::Stdout => "standard output".into(),
            Target::Direct(p) | Target::Replace { path: p, .. } | Target::InPlace { path: p } => {
                p.display().to_string()
            }
        }
    }
}

/// Decide where `-o ARG` writes, and check that it can before any work
/// starts. `inputs` are every path the command reads (`-` is standard
/// input). The error is the message of a usage error.
pub fn prepare(arg: Option<&str>, inputs: &[&str]) -> Result<Target, String> {
    let Some(arg) = arg else {
        return Ok(Target::Stdout);
    };
    if arg == "-" || ["/dev/stdout", "/dev/fd/1", "/proc/self/fd/1"].contains(&arg) {
        return Ok(Target::Stdout);
    }
    if arg.is_empty() {
        return Err("-o: the path is empty".into());
    }
    if arg.ends_with('/') {
        return Err(format!("-o {arg}: names a directory, not a file"));
    }
    let path = follow_links(Path::new(arg)).map_err(|e| format!("-o {arg}: {e}"))?;
    let target = match fs::metadata(&path) {
        Ok(m) => {
            let t = m.file_type();
            if t.is_char_device() || t.is_fifo() || under_fd_links(&path) {
                return Ok(Target::Direct(path));
            }
            if t.is_dir() {
                return Err(format!("-o {arg}: is a directory"));
            }
            if !t.is_file() {
                return Err(format!(
                    "-o {arg}: is not a regular file, a character device or a FIFO"
                ));
            }
            if m.nlink() > 1 {
                Target::InPlace { path }
            } else {
                Target::Replace {
                    path,
                    existing: Some(Owner {
                        mode: m.mode() & 0o7777,
                        uid: m.uid(),
                        gid: m.gid(),
                    }),
                }
            }
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => Target::Replace {
            path,
            existing: None,
        },
        Err(e) => return Err(format!("-o {arg}: {e}")),
    };
    if let Some(input) = names_an_input(&target, inputs) {
        return Err(format!(
            "-o {arg}: {input}; sidtrace never writes over its inputs"
        ));
    }
    check_writable(&target).map_err(|e| format!("-o {arg}: {e}"))?;
    Ok(target)
}

/// The final target of a chain of symbolic links (a missing final target
/// is fine: it is created). Links under `/proc` and `/dev/fd` are the
/// kernel's, opened as they are.
fn follow_links(start: &Path) -> Result<PathBuf, String> {
    let mut p = start.to_path_buf();
    for _ in 0..40 {
        if under_fd_links(&p) {
            return Ok(p);
        }
        match fs::symlink_metadata(&p) {
            Ok(m) if m.file_type().is_symlink() => {
                let to = fs::read_link(&p).map_err(|e| e.to_string())?;
                p = if to.is_absolute() {
                    to
                } else {
                    p.parent().unwrap_or(Path::new("")).join(to)
                };
            }
            _ => return Ok(p),
        }
    }
    Err("too many levels of symbolic links".into())
}

/// `/proc/…/fd/N`, `/dev/fd/N`, `/dev/stderr`: descriptors, not files.
fn under_fd_links(p: &Path) -> bool {
    p.starts_with("/proc") || p.starts_with("/dev/fd") || p == Path::new("/dev/stderr")
}

/// The directory a file is in (`.` for a bare name).
fn dir_of(path: &Path) -> &Path {
    path.parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
}

/// Which input the target is, or is inside, if any.
fn names_an_input(target: &Target, inputs: &[&str]) -> Option<String> {
    let path = match target {
        Target::Replace { path, .. } | Target::InPlace { path } => path,
        Target::Stdout | Target::Direct(_) => return None,
    };
    let file = fs::metadata(path).ok().map(|m| (m.dev(), m.ino()));
    // The directories the file is in, innermost first.
    let dirs: Vec<(u64, u64)> = fs::canonicalize(dir_of(path))
        .ok()
        .map(|d| {
            d.ancestors()
                .filter_map(|a| fs::metadata(a).ok())
                .map(|m| (m.dev(), m.ino()))
                .collect()
        })
        .unwrap_or_default();
    for &input in inputs {
        // Standard input redirected from the file (`- < FILE`).
        let probe = if input == "-" { "/dev/stdin" } else { input };
        let Ok(m) = fs::metadata(probe) else {
            continue;
        };
        let id = (m.dev(), m.ino());
        if m.is_file() && file == Some(id) {
            return Some(if input == "-" {
                "is the file standard input reads".into()
            } else {
                format!("is the input {input}")
            });
        }
        if m.is_dir() && dirs.contains(&id) {
            return Some(format!("is inside the input directory {input}"));
        }
    }
    None
}

/// Can the target be written? A temporary file is made (and removed) in
/// the directory of a file to be replaced; a file written in place is
/// opened for writing (not truncated).
fn check_writable(target: &Target) -> Result<(), String> {
    match target {
        Target::Replace { path, .. } => {
            let dir = dir_of(path);
            match fs::metadata(dir) {
                Ok(m) if m.is_dir() => {}
                Ok(_) => return Err(format!("{} is not a directory", dir.display())),
                Err(e) if e.kind() == io::ErrorKind::NotFound => {
                    return Err(format!("the directory {} does not exist", dir.display()))
                }
                Err(e) => return Err(format!("{}: {e}", dir.display())),
            }
            tempfile::Builder::new()
                .tempfile_in(dir)
                .map(drop)
                .map_err(|e| format!("cannot write in {}: {e}", dir.display()))
        }
        Target::InPlace { path } => OpenOptions::new()
            .write(true)
            .open(path)
            .map(drop)
            .map_err(|e| format!("cannot write {}: {e}", path.display())),
        Target::Stdout | Target::Direct(_) => Ok(()),
    }
}

/// Buffer between streamed output and the file.
const BUFFER: usize = 256 * 1024;

/// Write a file target (not [`Target::Stdout`]): `write` streams the
/// output; `keep_going` is asked before a finished temporary file replaces
/// the target (false: Ctrl-C, leave it untouched).
pub fn write_file<T>(
    target: &Target,
    write: impl FnOnce(&mut dyn Write) -> io::Result<T>,
    keep_going: impl FnOnce() -> bool,
) -> io::Result<Option<T>> {
    match target {
        Target::Stdout => Err(io::Error::other("standard output is not a file")),
        Target::Direct(path) => {
            // Appending: through a descriptor link (`/dev/stderr` redirected
            // to a file) that writes after what is there, as the shell does.
            let f = OpenOptions::new().append(true).open(path)?;
            let mut w = io::BufWriter::with_capacity(BUFFER, f);
            let v = write(&mut w)?;
            w.flush()?;
            Ok(Some(v))
        }
        Target::Replace { path, existing } => {
            let mut b = tempfile::Builder::new();
            let new_mode = fs::Permissions::from_mode(0o666);
            if existing.is_none() {
                // Created with 0666 less the umask: the mode of any new file.
                b.permissions(new_mode);
            }
            let tmp = b.tempfile_in(dir_of(path))?;
            let mut w = io::BufWriter::with_capacity(BUFFER, tmp);
            let v = write(&mut w)?;
            let tmp = w.into_inner().map_err(|e| e.into_error())?;
            if let Some(o) = existing {
                let f = tmp.as_file();
                let m = f.metadata()?;
                if (m.uid(), m.gid()) != (o.uid, o.gid)
                    && std::os::unix::fs::fchown(f, Some(o.uid), Some(o.gid)).is_err()
                {
                    // The file belongs to someone else and we may not give
                    // the new one to them: write it in place, which keeps
                    // its owner (or fails, if we may not write it either).
                    if !keep_going() {
                        return Ok(None);
                    }
                    copy_into(tmp.as_file(), path)?;
                    return Ok(Some(v));
                }
                f.set_permissions(fs::Permissions::from_mode(o.mode))?;
            }
            tmp.as_file().sync_all()?;
            if !keep_going() {
                return Ok(None);
            }
            tmp.persist(path).map_err(|e| e.error)?;
            Ok(Some(v))
        }
        Target::InPlace { path } => {
            // A rename would give this name a new inode and leave the other
            // links with the old report: hard-linked files are written in
            // place. The output is made whole in an unnamed temporary file
            // first, so a failed or interrupted run leaves the file as it was.
            let tmp = tempfile::tempfile()?;
            let mut w = io::BufWriter::with_capacity(BUFFER, tmp);
            let v = write(&mut w)?;
            let tmp = w.into_inner().map_err(|e| e.into_error())?;
            if !keep_going() {
                return Ok(None);
            }
            copy_into(&tmp, path)?;
            Ok(Some(v))
        }
    }
}

/// Replace the contents of the file at `path` with those of `from`, in
/// place (same inode, links, mode and owner).
fn copy_into(from: &File, path: &Path) -> io::Result<()> {
    let mut from = from;
    from.rewind()?;
    let mut to = OpenOptions::new().write(true).truncate(true).open(path)?;
    io::copy(&mut from, &mut to)?;
    to.sync_all()
}
