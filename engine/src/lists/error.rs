//! Why a hash list was refused. Every failure names the list (its path, or the name it was
//! parsed under) as [`Error`](crate::Error) names an image: a `PathBuf`, displayed as a path.
//! A malformed line names its line.

use std::path::PathBuf;

/// A hash list that could not be read. A list is used whole or not at all.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ListError {
    /// The file could not be read or written.
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A line of a text list is not in the list's format.
    #[error("{}:{line}: {message}", path.display())]
    Malformed {
        path: PathBuf,
        /// 1-based line number.
        line: u64,
        message: String,
    },
    /// A binary list is damaged: truncated, wrong size for its count, checksum mismatch, or a
    /// field out of range.
    #[error("{}: damaged binary hash list: {message}", path.display())]
    Corrupt { path: PathBuf, message: String },
    /// The file is not a text list at all: binary data, or UTF-16 text.
    #[error("{}: {message}", path.display())]
    NotText { path: PathBuf, message: String },
    /// The list has no entries (matching against nothing would let everything through).
    #[error("{}: no hashes in this list", path.display())]
    Empty { path: PathBuf },
    /// The list is too large for the format (more than 2^32 - 1 lines or entries, or ids), or
    /// for this machine: loading it would need more memory than the system has available (it
    /// is refused before anything is allocated for it).
    #[error("{}: {message}", path.display())]
    TooLarge { path: PathBuf, message: String },
}

impl ListError {
    /// The same error naming the list by `path`.
    pub(crate) fn at(mut self, path: &std::path::Path) -> ListError {
        match &mut self {
            ListError::Io { path: named, .. }
            | ListError::Malformed { path: named, .. }
            | ListError::Corrupt { path: named, .. }
            | ListError::NotText { path: named, .. }
            | ListError::Empty { path: named }
            | ListError::TooLarge { path: named, .. } => *named = path.to_owned(),
        }
        self
    }
}
