//! Why a hash list was refused. Every failure names the file; a malformed line names its line.

/// A hash list that could not be read. A list is used whole or not at all.
#[derive(Debug, thiserror::Error)]
pub enum ListError {
    /// The file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    /// A line of a text list is not in the list's format.
    #[error("{path}:{line}: {message}")]
    Malformed {
        path: String,
        /// 1-based line number.
        line: u64,
        message: String,
    },
    /// A binary list is damaged: truncated, wrong size for its count, checksum mismatch, or a
    /// field out of range.
    #[error("{path}: damaged binary hash list: {message}")]
    Corrupt { path: String, message: String },
    /// The file is not a text list at all: binary data, or UTF-16 text.
    #[error("{path}: {message}")]
    NotText { path: String, message: String },
    /// The list has no entries (matching against nothing would let everything through).
    #[error("{path}: no hashes in this list")]
    Empty { path: String },
    /// The list is too large for the format (more than 2^32 - 1 lines or entries, or ids).
    #[error("{path}: {message}")]
    TooLarge { path: String, message: String },
}
