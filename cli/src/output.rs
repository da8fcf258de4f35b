//! Output formats: the reference's CSV-like text lines and JSON Lines, and how names (paths,
//! list names, ids) are written in them, the same in every command.
//!
//! Text is what Meta's reference tools print, one line per file: `hash,quality,path`, or with
//! dihedral hashes the eight hashes in [`Dihedral::ALL`](vigil::Dihedral::ALL) order, then quality, then path (the
//! layout of the reference's `expected-pdqhash-dihedral.csv`). Names are written by
//! [`name_field`]: as they are, unless a comma, a quote, a control character or bytes that are
//! not UTF-8 would make the line ambiguous or lose them; then quoted and escaped, so that two
//! different names never print the same.
//!
//! JSON Lines has one object per file, `{"path":...,"hash":...,"quality":...}`, with a
//! `"dihedral"` object keyed by [`Dihedral::name`](vigil::Dihedral::name) when dihedral hashes were computed, and
//! `{"path":...,"error":...}` for a file that failed. A path that is not UTF-8 is written by
//! [`json_name`], with `"path_escaped":true` beside it.

use std::borrow::Cow;
use std::fmt::Write as _;
use std::io::{self, Write};
use std::path::Path;

use serde::Serialize;
use vigil::lists::HashList;
use vigil::output_file::OutputFile;
use vigil::{DihedralHashes, PdqHash};

/// Where a command's main output goes: a file written safely ([`vigil::output_file`]: replaced
/// whole on [`finish`](Destination::finish), or written through to a device or FIFO), standard
/// output, or nowhere.
pub enum Destination {
    File(OutputFile),
    Stdout(io::BufWriter<io::Stdout>),
    Nowhere,
}

impl Destination {
    /// Flushes; commits a file (renames it over its destination). Later writes go nowhere.
    pub fn finish(&mut self) -> io::Result<()> {
        match std::mem::replace(self, Destination::Nowhere) {
            Destination::File(file) => file.commit(),
            Destination::Stdout(mut out) => out.flush(),
            Destination::Nowhere => Ok(()),
        }
    }
}

impl Write for Destination {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Destination::File(file) => file.write(buf),
            Destination::Stdout(out) => out.write(buf),
            Destination::Nowhere => Ok(buf.len()),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Destination::File(file) => file.flush(),
            Destination::Stdout(out) => out.flush(),
            Destination::Nowhere => Ok(()),
        }
    }
}

/// The hashes computed for one file.
pub use vigil::files::FileHashes as Hashes;

/// How results are printed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// The reference's comma-separated lines.
    Text,
    /// One JSON object a line.
    Json,
}

/// Writes the line for a hashed file.
pub fn write_hashes(
    out: &mut impl Write,
    format: Format,
    path: &Path,
    hashes: &Hashes,
) -> io::Result<()> {
    match format {
        Format::Text => write_text(out, path, hashes),
        Format::Json => write_json(out, &JsonHashes::new(path, hashes)),
    }
}

/// Writes the line for a file that failed; text output has none (errors go to stderr only).
pub fn write_error(
    out: &mut impl Write,
    format: Format,
    path: &Path,
    message: &str,
) -> io::Result<()> {
    match format {
        Format::Text => Ok(()),
        Format::Json => {
            let (path, path_escaped) = json_path(path);
            write_json(
                out,
                &JsonError {
                    path: &path,
                    path_escaped,
                    error: message,
                },
            )
        }
    }
}

fn write_text(out: &mut impl Write, path: &Path, hashes: &Hashes) -> io::Result<()> {
    let path = path_field(path);
    match hashes {
        Hashes::Single(pdq) => writeln!(out, "{},{},{path}", pdq.hash, pdq.quality),
        Hashes::Dihedral(all) => {
            for hash in &all.hashes {
                write!(out, "{hash},")?;
            }
            writeln!(out, "{},{path}", all.quality)
        }
        Hashes::Robust(robust) => {
            for (variant, pdq) in robust.all() {
                writeln!(out, "{},{},{path},{variant}", pdq.hash, pdq.quality)?;
            }
            Ok(())
        }
        // Hashes of a kind this version does not print: the plain hash.
        other => {
            let pdq = other.original();
            writeln!(out, "{},{},{path}", pdq.hash, pdq.quality)
        }
    }
}

/// The bytes of `path` (its UTF-16 converted lossily on Windows, where no UTF-8 can be invalid
/// but unpaired surrogates are not kept).
fn path_bytes(path: &Path) -> Cow<'_, [u8]> {
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        Cow::Borrowed(path.as_os_str().as_bytes())
    }
    #[cfg(not(unix))]
    match path.to_string_lossy() {
        Cow::Borrowed(text) => Cow::Borrowed(text.as_bytes()),
        Cow::Owned(text) => Cow::Owned(text.into_bytes()),
    }
}

/// `path` as a field of text output: see [`name_field`].
pub fn path_field(path: &Path) -> Cow<'_, str> {
    match path_bytes(path) {
        Cow::Borrowed(bytes) => name_field(bytes),
        Cow::Owned(bytes) => Cow::Owned(name_field(&bytes).into_owned()),
    }
}

/// `text` as a field of text output: see [`name_field`].
pub fn csv_field(text: &str) -> Cow<'_, str> {
    name_field(text.as_bytes())
}

/// A name (a path, a list's name, an id) as one field of a comma-separated line, the same in
/// every command: as it is when it is UTF-8 with no control character, comma or double quote;
/// otherwise in double quotes, with `"` doubled (as CSV), `\` written `\\`, control
/// characters as `\n`, `\r`, `\t` or `\u{7f}`, and each byte that is not UTF-8 as `\xFF`.
/// So a name cannot start a line of its own nor shift the fields after it, and two different
/// names never print the same.
pub fn name_field(name: &[u8]) -> Cow<'_, str> {
    match std::str::from_utf8(name) {
        Ok(text) if !text.contains(|c: char| c.is_control() || c == ',' || c == '"') => {
            Cow::Borrowed(text)
        }
        _ => {
            let mut quoted = String::with_capacity(name.len() + 8);
            quoted.push('"');
            escape_into(&mut quoted, name, true);
            quoted.push('"');
            Cow::Owned(quoted)
        }
    }
}

/// Appends `name` with `\` doubled and bytes that are not UTF-8 as `\xFF`; with `text`, also
/// control characters escaped and `"` doubled.
fn escape_into(out: &mut String, name: &[u8], text: bool) {
    for chunk in name.utf8_chunks() {
        for c in chunk.valid().chars() {
            match c {
                '\\' => out.push_str("\\\\"),
                '"' if text => out.push_str("\"\""),
                '\n' if text => out.push_str("\\n"),
                '\r' if text => out.push_str("\\r"),
                '\t' if text => out.push_str("\\t"),
                c if text && c.is_control() => {
                    let _ = write!(out, "\\u{{{:x}}}", c as u32);
                }
                c => out.push(c),
            }
        }
        for byte in chunk.invalid() {
            let _ = write!(out, "\\x{byte:02X}");
        }
    }
}

/// A name for a JSON string, and whether it had to be escaped: the name itself when it is UTF-8
/// (JSON escapes what it must); otherwise with `\` written `\\` and each byte that is not
/// UTF-8 as `\xFF` (the escaping of [`name_field`]), flagged so that it is not mistaken for a
/// UTF-8 name that looks the same.
pub fn json_name(name: &[u8]) -> (Cow<'_, str>, bool) {
    match std::str::from_utf8(name) {
        Ok(text) => (Cow::Borrowed(text), false),
        Err(_) => {
            let mut escaped = String::with_capacity(name.len() + 8);
            escape_into(&mut escaped, name, false);
            (Cow::Owned(escaped), true)
        }
    }
}

/// `path` for a JSON string: see [`json_name`].
pub fn json_path(path: &Path) -> (Cow<'_, str>, bool) {
    match path_bytes(path) {
        Cow::Borrowed(bytes) => json_name(bytes),
        Cow::Owned(bytes) => {
            let (name, escaped) = json_name(&bytes);
            (Cow::Owned(name.into_owned()), escaped)
        }
    }
}

/// A list's name in every output form: its file's name without loss when it was loaded from a
/// file (see [`name_field`] and [`json_name`]), else the name it was given.
pub struct ListName<'a> {
    /// For text output.
    pub field: Cow<'a, str>,
    /// For a JSON string.
    pub json: Cow<'a, str>,
    /// Whether `json` is escaped (the file name is not UTF-8): `"list_escaped":true` beside it.
    pub escaped: bool,
}

impl<'a> ListName<'a> {
    pub fn of(list: &'a HashList) -> ListName<'a> {
        match list.path() {
            Some(path) => {
                let (json, escaped) = json_path(path);
                ListName {
                    field: path_field(path),
                    json,
                    escaped,
                }
            }
            None => ListName {
                field: csv_field(list.name()),
                json: Cow::Borrowed(list.name()),
                escaped: false,
            },
        }
    }
}

/// Why writing output stopped.
#[derive(Debug, PartialEq, Eq)]
pub enum OutputStop {
    /// The reader closed standard output (`vigil ... | head`): stop quietly, as a success.
    ReaderClosed,
    /// Any other write failure: an error.
    Failed(String),
}

impl OutputStop {
    /// `Ok` for a closed reader, the error otherwise.
    pub fn into_result(self) -> Result<(), String> {
        match self {
            OutputStop::ReaderClosed => Ok(()),
            OutputStop::Failed(message) => Err(message),
        }
    }
}

/// `None` when `written` succeeded, else why output must stop.
pub fn output_stop(written: io::Result<()>) -> Option<OutputStop> {
    match written {
        Ok(()) => None,
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Some(OutputStop::ReaderClosed),
        Err(e) => Some(OutputStop::Failed(format!("cannot write output: {e}"))),
    }
}

/// `written` as the command's result: a closed reader is a quiet success.
pub fn written_or_closed(written: io::Result<()>) -> Result<(), String> {
    output_stop(written).map_or(Ok(()), OutputStop::into_result)
}

/// One JSON Lines record.
pub fn write_json(out: &mut impl Write, value: &impl Serialize) -> io::Result<()> {
    serde_json::to_writer(&mut *out, value).map_err(io::Error::from)?;
    out.write_all(b"\n")
}

#[derive(Serialize)]
struct JsonHashes {
    path: String,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    path_escaped: bool,
    #[serde(flatten)]
    pdq: PdqHash,
    #[serde(skip_serializing_if = "Option::is_none")]
    /// The engine's shape (the `serde` feature): keys in the reference's orientation order.
    dihedral: Option<DihedralHashes>,
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    robust: Option<JsonRobust>,
}

/// The robust variants of `vigil hash --variants`.
#[derive(Serialize)]
struct JsonRobust {
    gate_quality: u8,
    regions: Vec<vigil::robust::ContentRegion>,
    variants: Vec<JsonVariant>,
}

#[derive(Serialize)]
struct JsonVariant {
    variant: String,
    #[serde(flatten)]
    pdq: PdqHash,
}

impl JsonHashes {
    fn new(path: &Path, hashes: &Hashes) -> Self {
        let original = hashes.original();
        let (path, path_escaped) = json_path(path);
        JsonHashes {
            path: path.into_owned(),
            path_escaped,
            pdq: original,
            dihedral: match hashes {
                Hashes::Single(_) => None,
                Hashes::Dihedral(all) => Some(**all),
                Hashes::Robust(robust) => Some(robust.plain),
                _ => None,
            },
            robust: match hashes {
                Hashes::Robust(robust) => Some(JsonRobust {
                    gate_quality: robust.gate_quality(),
                    regions: robust.regions.clone(),
                    variants: robust
                        .variants
                        .iter()
                        .map(|(variant, pdq)| JsonVariant {
                            variant: variant.to_string(),
                            pdq: *pdq,
                        })
                        .collect(),
                }),
                _ => None,
            },
        }
    }
}

#[derive(Serialize)]
struct JsonError<'a> {
    path: &'a str,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    path_escaped: bool,
    error: &'a str,
}

#[cfg(test)]
mod tests {
    use super::*;
    use vigil::PdqHash;
    use vigil::{Dihedral, Hash256};

    #[test]
    fn fields_cannot_forge_lines_or_shift_columns() {
        assert!(matches!(csv_field("plain/path.jpg"), Cow::Borrowed(_)));
        assert!(matches!(csv_field("back\\slash"), Cow::Borrowed(_)));
        assert_eq!(csv_field("a\nb\\c\r\t\u{7}"), "\"a\\nb\\\\c\\r\\t\\u{7}\"");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_field("x\n0,known.bin,1"), "\"x\\n0,known.bin,1\"");
    }

    #[test]
    fn names_that_are_not_utf8_are_escaped_without_loss() {
        assert_eq!(name_field(b"a\xff.png"), "\"a\\xFF.png\"");
        assert_eq!(name_field(b"a\xfe.png"), "\"a\\xFE.png\"");
        // A UTF-8 name that spells an escape is printed as it is, or quoted with its backslash
        // doubled: never as the escaped name it spells.
        assert_eq!(name_field(b"a\\xFF.png"), "a\\xFF.png");
        assert_eq!(name_field(b"\"a\\xFF.png\""), "\"\"\"a\\\\xFF.png\"\"\"");
        assert_eq!(json_name(b"a\xff"), (Cow::Owned("a\\xFF".to_owned()), true));
        assert_eq!(json_name(b"a\\xFF"), (Cow::Borrowed("a\\xFF"), false));
        assert_eq!(json_name("é\n".as_bytes()), (Cow::Borrowed("é\n"), false));
    }

    fn hash(fill: u8) -> Hash256 {
        Hash256::from_bytes([fill; 32])
    }

    fn render(format: Format, hashes: &Hashes) -> String {
        let mut out = Vec::new();
        write_hashes(&mut out, format, Path::new("dir/a.png"), hashes).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn text_single() {
        let pdq = PdqHash {
            hash: hash(0xab),
            quality: 87,
        };
        let line = render(Format::Text, &Hashes::Single(pdq));
        assert_eq!(line, format!("{},87,dir/a.png\n", "ab".repeat(32)));
    }

    #[test]
    fn text_dihedral_has_ten_fields_in_order() {
        let all = DihedralHashes {
            hashes: std::array::from_fn(|i| hash(i as u8)),
            quality: 100,
        };
        let line = render(Format::Text, &Hashes::Dihedral(Box::new(all)));
        let fields: Vec<&str> = line.trim_end().split(',').collect();
        assert_eq!(fields.len(), 10);
        for (i, field) in fields[..8].iter().enumerate() {
            assert_eq!(*field, format!("{i:02x}").repeat(32));
        }
        assert_eq!(&fields[8..], ["100", "dir/a.png"]);
    }

    #[test]
    fn json_dihedral_keys_in_reference_order() {
        let all = DihedralHashes {
            hashes: std::array::from_fn(|i| hash(i as u8)),
            quality: 42,
        };
        let line = render(Format::Json, &Hashes::Dihedral(Box::new(all)));
        let value: serde_json::Value = serde_json::from_str(&line).unwrap();
        assert_eq!(value["path"], "dir/a.png");
        assert_eq!(value["quality"], 42);
        assert_eq!(value["hash"], "00".repeat(32));
        for (i, orientation) in Dihedral::ALL.into_iter().enumerate() {
            assert_eq!(
                value["dihedral"][orientation.name()],
                format!("{i:02x}").repeat(32)
            );
        }
        // Keys are written in Dihedral::ALL order, not sorted.
        let rotate90 = line.find("\"rotate90\"").unwrap();
        let flipx = line.find("\"flipx\"").unwrap();
        assert!(rotate90 < flipx);
    }

    #[test]
    fn json_error_line() {
        let mut out = Vec::new();
        write_error(&mut out, Format::Json, Path::new("x\".png"), "bad \"data\"").unwrap();
        let value: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(value["path"], "x\".png");
        assert_eq!(value["error"], "bad \"data\"");
        let mut text = Vec::new();
        write_error(&mut text, Format::Text, Path::new("x.png"), "bad").unwrap();
        assert!(text.is_empty());
    }
}
