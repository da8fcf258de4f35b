//! Hash lists: reading and writing the text, CSV, vPDQ and binary formats.
//!
//! A [`HashList`] is a named sequence of entries, each a PDQ hash with an optional quality and an
//! id that says which entry of the source it is. [`HashList::load`] detects the format:
//!
//! | format | lines | entry id |
//! |---|---|---|
//! | [`ListFormat::Hex`] | `HASH` | the line number |
//! | [`ListFormat::HashQuality`] | `HASH,QUALITY[,ID]` (what `vigil hash` and Meta's tools print, `ID` being the path) | `ID`, else the line number |
//! | [`ListFormat::Csv`] | a header naming a `hash` (or `pdq`) column, optionally `id` and `quality`, then rows; RFC 4180 quoting | the `id` column, else the line number |
//! | [`ListFormat::Vpdq`] | `FRAME,QUALITY,HASH,TIMESTAMP` (vPDQ video hashes) | the frame number |
//! | [`ListFormat::Dihedral`] | `HASH×8,QUALITY[,ID]`: the 8 orientations' hashes (what `vigil hash --dihedral` and the reference's dihedral CSV print); the entry is the first (original) hash | `ID`, else the line number |
//! | [`ListFormat::JsonLines`] | one JSON object a line with a `"hash"` and optionally `"quality"` and `"id"`, `"path"` or `"frame"` (what `vigil hash --json` and `vigil video --json` print) | `id`, else `path`, else `frame`, else the line number |
//! | [`ListFormat::Binary`] | see [`binary`](self#binary-format) | as converted |
//!
//! In text lists, `HASH` is 64 hex digits (either case), `QUALITY` an integer 0..=100, blank
//! lines and lines starting with `#` are skipped, and fields may be padded with spaces. An `ID`
//! in double quotes is read as `vigil` writes names: `""` is `"`, and `\\`, `\n`, `\r`, `\t`,
//! `\u{..}` are unescaped (`\xFF`, a byte that was not UTF-8, stays as written). The first data
//! line decides the format; a line that does not fit it is an error naming the file and line. An
//! empty list is an error too, and so is a binary or UTF-16 file, saying so. Nothing panics on
//! any input.
//!
//! # Binary format
//!
//! Little-endian. An 80-byte header: the magic `VIGILPDQ`, version `u32` = 2, id kind `u32`
//! (0: numbers, 1: strings), entry count `u64`, id text length `u64`, list kind `u32` (0: images,
//! 1: a vPDQ video), 12 reserved zero bytes, then the BLAKE3 digest of the header's first 48
//! bytes followed by the body. The body: `count` hashes of 32 bytes (hex order), `count`
//! qualities (`u8`, 0..=100, 255 = unknown), then the ids: `count` `u32` numbers (a video's frame
//! numbers), or `count` `u32` end offsets into the UTF-8 id text that follows; for a video,
//! `count` `u64` timestamps in milliseconds last. The file size must be exactly what the header
//! implies and the digest must match, so a truncated or altered file is refused before any entry
//! is used; a huge count in a header is refused by the size check, before anything is
//! allocated. Version 1 files (a 64-byte header without the list kind, digest of its first 32
//! bytes: image lists) still load.
//!
//! A vPDQ list stays a video through every format ([`HashList::kind`]): its binary form keeps the
//! frame numbers and timestamps, and its text form is vPDQ lines again.
//!
//! ```
//! use vigil::lists::{HashList, ListFormat};
//!
//! let text = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22,100,a.jpg\n\
//!             0000000000000000000000000000000000000000000000000000000000000000,0,b.jpg\n";
//! let list = HashList::parse("known.txt", text.as_bytes())?;
//! assert_eq!(list.format(), ListFormat::HashQuality);
//! assert_eq!(list.len(), 2);
//! assert_eq!(list.entry(0).unwrap().id.to_string(), "a.jpg");
//! assert_eq!(list.degenerate_entries().len(), 1); // all-zero hash, quality 0
//!
//! let mut binary = Vec::new();
//! list.write_binary(&mut binary).unwrap();
//! let again = HashList::parse("known.bin", &binary)?;
//! assert_eq!(again.format(), ListFormat::Binary);
//! assert_eq!(again.entry(0), list.entry(0));
//! # Ok::<(), vigil::lists::ListError>(())
//! ```

mod binary;
mod error;
mod hex;
mod text;

use std::fmt;
use std::path::{Path, PathBuf};

pub use error::ListError;

use crate::Hash256;
use crate::system_memory::human_bytes;

/// How a list file was written.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ListFormat {
    /// One hex hash a line.
    Hex,
    /// `HASH,QUALITY[,ID]` lines.
    HashQuality,
    /// CSV with a header.
    Csv,
    /// vPDQ `FRAME,QUALITY,HASH,TIMESTAMP` lines.
    Vpdq,
    /// vigil's binary format.
    Binary,
    /// `HASH×8,QUALITY[,ID]` lines: the dihedral hashes `vigil hash --dihedral` prints.
    Dihedral,
    /// JSON Lines with a `"hash"` field: what `vigil hash --json` prints.
    JsonLines,
}

impl ListFormat {
    /// Stable name: `hex`, `hash-quality`, `csv`, `vpdq`, `binary`, `dihedral` or `json`.
    pub const fn name(self) -> &'static str {
        match self {
            ListFormat::Hex => "hex",
            ListFormat::HashQuality => "hash-quality",
            ListFormat::Csv => "csv",
            ListFormat::Vpdq => "vpdq",
            ListFormat::Binary => "binary",
            ListFormat::Dihedral => "dihedral",
            ListFormat::JsonLines => "json",
        }
    }
}

/// What a list's entries are.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ListKind {
    /// Hashes of images (or of frames matched one by one).
    Images,
    /// The frames of one video (a vPDQ file): compared as a video, with vPDQ's comparison.
    Video,
}

impl ListKind {
    /// `images` or `video`.
    pub const fn name(self) -> &'static str {
        match self {
            ListKind::Images => "images",
            ListKind::Video => "video",
        }
    }
}

/// The quality byte that means "not given" (in memory and in binary files).
const QUALITY_UNKNOWN: u8 = 255;

/// The highest PDQ quality.
const QUALITY_MAX: u8 = 100;

/// Which entry of its source an entry is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum EntryId<'a> {
    /// A line or frame number.
    Number(u32),
    /// An id given in the list (an `id` column, or the rest of a `HASH,QUALITY,ID` line).
    Text(&'a str),
}

impl fmt::Display for EntryId<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EntryId::Number(n) => write!(f, "{n}"),
            EntryId::Text(s) => f.write_str(s),
        }
    }
}

/// The ids of a list's entries.
#[derive(Clone, Debug, PartialEq, Eq)]
enum EntryIds {
    Numbers(Vec<u32>),
    /// Entry `i`'s id is `text[ends[i - 1]..ends[i]]` (from 0 for the first).
    Strings {
        text: String,
        ends: Vec<u32>,
    },
}

impl EntryIds {
    fn get(&self, i: usize) -> Option<EntryId<'_>> {
        match self {
            EntryIds::Numbers(numbers) => numbers.get(i).map(|&n| EntryId::Number(n)),
            EntryIds::Strings { text, ends } => {
                let end = *ends.get(i)? as usize;
                let start = if i == 0 { 0 } else { ends[i - 1] as usize };
                text.get(start..end).map(EntryId::Text)
            }
        }
    }
}

/// One entry of a list.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ListEntry<'a> {
    pub hash: Hash256,
    /// The PDQ quality, if the list gives it.
    pub quality: Option<u8>,
    pub id: EntryId<'a>,
}

/// Why an entry can never be a meaningful match, and is left out of matching.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Degeneracy {
    /// All 256 bits clear (what featureless or tiny images hash to).
    AllZero,
    /// All 256 bits set.
    AllOne,
    /// Quality 0: the image had no features.
    ZeroQuality,
}

impl fmt::Display for Degeneracy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Degeneracy::AllZero => "all-zero hash",
            Degeneracy::AllOne => "all-one hash",
            Degeneracy::ZeroQuality => "quality 0",
        })
    }
}

/// Files at least this large are read by all cores at once (page faults and copies in parallel).
#[cfg(unix)]
const PARALLEL_READ: u64 = 64 << 20;
/// Bytes per parallel read.
#[cfg(unix)]
const READ_PIECE: usize = 16 << 20;

/// A list needs about this many times its file's size while it loads: the file's bytes and the
/// entries parsed from them (a binary entry's hash, quality and number take about what it took
/// in the file; a text line's take 60% of it).
const LOAD_MEMORY_FACTOR: u64 = 2;

/// The whole list file at `path`, refused before anything is allocated when loading it would
/// need more memory than the system has available; large files are read in pieces in parallel
/// on Unix.
fn read_list_file(path: &Path) -> Result<Vec<u8>, ListError> {
    let io = |source| ListError::Io {
        path: path.to_owned(),
        source,
    };
    let file = std::fs::File::open(path).map_err(io)?;
    let len = file.metadata().map_err(io)?.len();
    let needed = len.saturating_mul(LOAD_MEMORY_FACTOR);
    if let Some(available) = crate::system_memory::available_bytes()
        && needed > available
    {
        return Err(ListError::TooLarge {
            path: path.to_owned(),
            message: format!(
                "the list is {} and loading it needs about {}; this system has {} available. \
                 Load it on a machine with more memory, or split it into lists that fit",
                human_bytes(len),
                human_bytes(needed),
                human_bytes(available)
            ),
        });
    }
    let cannot_allocate = || ListError::TooLarge {
        path: path.to_owned(),
        message: format!("cannot allocate {} to read it", human_bytes(len)),
    };
    let mut bytes = Vec::new();
    let size = usize::try_from(len).map_err(|_| cannot_allocate())?;
    bytes
        .try_reserve_exact(size)
        .map_err(|_| cannot_allocate())?;
    #[cfg(unix)]
    if len >= PARALLEL_READ {
        use rayon::prelude::*;
        use std::os::unix::fs::FileExt;

        bytes.resize(size, 0);
        bytes
            .par_chunks_mut(READ_PIECE)
            .enumerate()
            .try_for_each(|(i, piece)| file.read_exact_at(piece, (i * READ_PIECE) as u64))
            .map_err(io)?;
        return Ok(bytes);
    }
    let mut file = file;
    std::io::Read::read_to_end(&mut file, &mut bytes).map_err(io)?;
    Ok(bytes)
}

/// Bytes looked at for signs of a binary file.
const SNIFFED: usize = 8192;

/// Why `bytes` cannot be a text list, if they cannot: UTF-16 (with a byte-order mark), or a NUL
/// byte near the start (binary data, or UTF-16 without a mark). No text list has either.
fn not_text(bytes: &[u8]) -> Option<String> {
    const TEXT_LISTS: &str = "hash lists are UTF-8 text (hex lines, HASH,QUALITY lines, CSV, \
                              vPDQ, what `vigil hash` prints) or vigil's binary format";
    if bytes.starts_with(b"\xFF\xFE") || bytes.starts_with(b"\xFE\xFF") {
        return Some(format!(
            "looks like a UTF-16 file (it starts with a UTF-16 byte-order mark), not a hash list: \
             save it as UTF-8; {TEXT_LISTS}"
        ));
    }
    let start = &bytes[..bytes.len().min(SNIFFED)];
    start.contains(&0).then(|| {
        format!(
            "looks like a binary or UTF-16 file (it holds NUL bytes), not a hash list; {TEXT_LISTS}"
        )
    })
}

/// A list of PDQ hashes with their qualities and ids, read whole from one file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HashList {
    name: String,
    /// The file it was loaded from, whose name may not be UTF-8 (`name` is then lossy).
    path: Option<std::path::PathBuf>,
    format: ListFormat,
    hashes: Vec<Hash256>,
    /// [`QUALITY_UNKNOWN`] where not given.
    qualities: Vec<u8>,
    ids: EntryIds,
    /// A video's frame timestamps in milliseconds; `None` for a list of images.
    timestamps: Option<Vec<u64>>,
}

impl HashList {
    /// Reads the list at `path`, detecting its format (see the [module](self) docs). Its name
    /// is the path as given.
    pub fn load(path: &Path) -> Result<HashList, ListError> {
        let name = path.display().to_string();
        let bytes = read_list_file(path)?;
        // Errors name the path exactly, not `name` (converted lossily).
        let mut list = HashList::parse(&name, &bytes).map_err(|e| e.at(path))?;
        list.path = Some(path.to_owned());
        Ok(list)
    }

    /// Parses a list from its bytes; `name` names it in errors and results.
    pub fn parse(name: &str, bytes: &[u8]) -> Result<HashList, ListError> {
        let list = if bytes.starts_with(binary::MAGIC) {
            binary::parse(name, bytes)?
        } else if let Some(message) = not_text(bytes) {
            return Err(ListError::NotText {
                path: name.into(),
                message,
            });
        } else {
            // Spreadsheet exports often start with a UTF-8 byte order mark: not part of the text.
            let text = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
            text::parse(name, text)?
        };
        if list.is_empty() {
            return Err(ListError::Empty { path: name.into() });
        }
        Ok(list)
    }

    /// A list built in memory from hashes and their qualities (`None`: not given), as the text
    /// list of one `HASH[,QUALITY]` line each would parse: format [`ListFormat::HashQuality`] when
    /// any quality is given, [`ListFormat::Hex`] otherwise, entry `i`'s id the line number
    /// `i + 1`. For front ends that collect hashes rather than read files; `None` when
    /// `qualities` is not as long as `hashes`, a quality is over 100, or there are more than
    /// `u32::MAX` entries. An empty list is allowed (it never matches).
    ///
    /// ```
    /// use vigil::Hash256;
    /// use vigil::lists::{EntryId, HashList, ListFormat};
    /// let hash: Hash256 = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22".parse()?;
    /// let list = HashList::from_hashes("added", vec![hash], vec![Some(100)]).expect("valid");
    /// assert_eq!(list.format(), ListFormat::HashQuality);
    /// assert_eq!(list.entry(0).map(|e| e.id), Some(EntryId::Number(1)));
    /// # Ok::<(), vigil::ParseHashError>(())
    /// ```
    pub fn from_hashes(
        name: &str,
        hashes: Vec<Hash256>,
        qualities: Vec<Option<u8>>,
    ) -> Option<HashList> {
        if qualities.len() != hashes.len() || u32::try_from(hashes.len()).is_err() {
            return None;
        }
        if qualities.iter().flatten().any(|&q| q > QUALITY_MAX) {
            return None;
        }
        let format = if qualities.iter().any(Option::is_some) {
            ListFormat::HashQuality
        } else {
            ListFormat::Hex
        };
        let numbers = (1..=hashes.len() as u32).collect();
        Some(HashList {
            name: name.to_owned(),
            path: None,
            format,
            hashes,
            qualities: qualities
                .into_iter()
                .map(|q| q.unwrap_or(QUALITY_UNKNOWN))
                .collect(),
            ids: EntryIds::Numbers(numbers),
            timestamps: None,
        })
    }

    /// The file the list was loaded from ([`load`](Self::load)): a front end prints this, not
    /// [`name`](Self::name), where a file name that is not UTF-8 must be shown without loss.
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// The list's name (its path, for a loaded list, lossily converted to UTF-8).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// How errors name the list, as [`ListError`] does: its path exactly (bytes that are not
    /// UTF-8 included) for a loaded list, else its name.
    pub fn label(&self) -> PathBuf {
        self.path
            .clone()
            .unwrap_or_else(|| PathBuf::from(&self.name))
    }

    /// The format it was read from.
    pub fn format(&self) -> ListFormat {
        self.format
    }

    /// Whether the list holds images or the frames of a video (a vPDQ file, in any format).
    pub fn kind(&self) -> ListKind {
        if self.timestamps.is_some() {
            ListKind::Video
        } else {
            ListKind::Images
        }
    }

    /// When frame `i` of a video list is shown; `None` for a list of images.
    pub fn timestamp(&self, i: usize) -> Option<std::time::Duration> {
        let millis = *self.timestamps.as_ref()?.get(i)?;
        Some(std::time::Duration::from_millis(millis))
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.hashes.len()
    }

    /// Whether there are no entries (never, for a list that was loaded or parsed).
    pub fn is_empty(&self) -> bool {
        self.hashes.is_empty()
    }

    /// Every hash, in entry order.
    pub fn hashes(&self) -> &[Hash256] {
        &self.hashes
    }

    /// Entry `i`, if there is one.
    pub fn entry(&self, i: usize) -> Option<ListEntry<'_>> {
        Some(ListEntry {
            hash: *self.hashes.get(i)?,
            quality: self.quality(i),
            id: self.ids.get(i)?,
        })
    }

    /// The quality of entry `i`, if the list gives one.
    pub fn quality(&self, i: usize) -> Option<u8> {
        self.qualities
            .get(i)
            .copied()
            .filter(|&q| q != QUALITY_UNKNOWN)
    }

    /// Every entry, in order.
    pub fn entries(&self) -> impl Iterator<Item = ListEntry<'_>> {
        (0..self.len()).filter_map(|i| self.entry(i))
    }

    /// Why entry `i` is degenerate, if it is: all-zero or all-one hash, or quality 0.
    pub fn degeneracy(&self, i: usize) -> Option<Degeneracy> {
        let hash = self.hashes.get(i)?;
        if *hash == Hash256::ZERO {
            Some(Degeneracy::AllZero)
        } else if *hash == Hash256::from_bytes([0xff; 32]) {
            Some(Degeneracy::AllOne)
        } else if self.quality(i) == Some(0) {
            Some(Degeneracy::ZeroQuality)
        } else {
            None
        }
    }

    /// The degenerate entries, in order, with the reason.
    pub fn degenerate_entries(&self) -> Vec<(usize, Degeneracy)> {
        (0..self.len())
            .filter_map(|i| self.degeneracy(i).map(|why| (i, why)))
            .collect()
    }

    /// Writes the list in the binary format.
    pub fn write_binary(&self, out: &mut impl std::io::Write) -> std::io::Result<()> {
        binary::write(self, out)
    }

    /// Writes the list as text that reads back to the same entries: vPDQ
    /// `FRAME,QUALITY,HASH,TIMESTAMP` lines for a [video](ListKind::Video); one hex hash a line
    /// when the list has no qualities and its ids are its line numbers 1, 2, ...; otherwise CSV
    /// with the header `hash,quality,id` (quality empty where unknown).
    ///
    /// Fails (`InvalidData`) on an id containing a line break, which no text line can hold.
    pub fn write_text(&self, out: &mut impl std::io::Write) -> std::io::Result<()> {
        text::write(self, out)
    }
}

#[cfg(test)]
mod tests;
