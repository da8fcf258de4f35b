//! Output formats: the reference's CSV-like text lines and JSON Lines.
//!
//! Text is exactly what Meta's reference tools print, one line per file:
//! `hash,quality,path`, or with dihedral hashes the eight hashes in [`Dihedral::ALL`] order, then
//! quality, then path (the layout of the reference's `expected-pdqhash-dihedral.csv`). Paths are
//! printed as they are (lossily for non-UTF-8 names), so a path containing a comma or a newline
//! makes the line ambiguous; use JSON for such trees.
//!
//! JSON Lines has one object per file, `{"path":...,"hash":...,"quality":...}`, with a
//! `"dihedral"` object keyed by [`Dihedral::name`] when dihedral hashes were computed, and
//! `{"path":...,"error":...}` for a file that failed.

use std::borrow::Cow;
use std::fmt::Write as _;
use std::io::{self, Write};
use std::path::Path;

use serde::Serialize;
use serde::ser::{SerializeMap, Serializer};
use vigil::{Dihedral, DihedralHashes, PdqHash};

/// The hashes computed for one file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Hashes {
    /// The ordinary PDQ hash and quality.
    Single(PdqHash),
    /// All eight orientations and the quality.
    Dihedral(Box<DihedralHashes>),
}

impl Hashes {
    fn original(&self) -> PdqHash {
        match self {
            Hashes::Single(pdq) => *pdq,
            Hashes::Dihedral(all) => all.original(),
        }
    }
}

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
        Format::Json => write_json(
            out,
            &JsonError {
                path: &path.to_string_lossy(),
                error: message,
            },
        ),
    }
}

fn write_text(out: &mut impl Write, path: &Path, hashes: &Hashes) -> io::Result<()> {
    // The path is the last field, as the reference prints it: commas need no quoting there.
    let path = path.to_string_lossy();
    let path = escape_controls(&path);
    match hashes {
        Hashes::Single(pdq) => writeln!(out, "{},{},{path}", pdq.hash, pdq.quality),
        Hashes::Dihedral(all) => {
            for hash in &all.hashes {
                write!(out, "{hash},")?;
            }
            writeln!(out, "{},{path}", all.quality)
        }
    }
}

/// `text` with control characters written as escapes (`\n`, `\r`, `\t`, `\u{..}`, and `\\`
/// for a backslash next to one), so that a file name cannot start a line of its own in
/// line-oriented output.
pub fn escape_controls(text: &str) -> Cow<'_, str> {
    if !text.chars().any(char::is_control) {
        return Cow::Borrowed(text);
    }
    let mut escaped = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\n' => escaped.push_str("\\n"),
            '\r' => escaped.push_str("\\r"),
            '\t' => escaped.push_str("\\t"),
            '\\' => escaped.push_str("\\\\"),
            c if c.is_control() => {
                let _ = write!(escaped, "\\u{{{:x}}}", c as u32);
            }
            c => escaped.push(c),
        }
    }
    Cow::Owned(escaped)
}

/// `text` as one field of a comma-separated line: control characters escaped
/// ([`escape_controls`]), then quoted as CSV (`"a,b"`, `"say ""hi"""`) when it holds a comma or
/// a quote, so that the fields after it stay in place.
pub fn csv_field(text: &str) -> Cow<'_, str> {
    let text = escape_controls(text);
    if text.contains([',', '"']) {
        Cow::Owned(format!("\"{}\"", text.replace('"', "\"\"")))
    } else {
        text
    }
}

fn write_json(out: &mut impl Write, value: &impl Serialize) -> io::Result<()> {
    serde_json::to_writer(&mut *out, value).map_err(io::Error::from)?;
    out.write_all(b"\n")
}

#[derive(Serialize)]
struct JsonHashes {
    path: String,
    hash: String,
    quality: u8,
    #[serde(skip_serializing_if = "Option::is_none")]
    dihedral: Option<JsonDihedral>,
}

impl JsonHashes {
    fn new(path: &Path, hashes: &Hashes) -> Self {
        let original = hashes.original();
        JsonHashes {
            path: path.to_string_lossy().into_owned(),
            hash: original.hash.to_string(),
            quality: original.quality,
            dihedral: match hashes {
                Hashes::Single(_) => None,
                Hashes::Dihedral(all) => Some(JsonDihedral(**all)),
            },
        }
    }
}

/// The eight hashes as an object keyed by [`Dihedral::name`], in [`Dihedral::ALL`] order.
struct JsonDihedral(DihedralHashes);

impl Serialize for JsonDihedral {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(Dihedral::ALL.len()))?;
        for orientation in Dihedral::ALL {
            map.serialize_entry(orientation.name(), &self.0.get(orientation).to_string())?;
        }
        map.end()
    }
}

#[derive(Serialize)]
struct JsonError<'a> {
    path: &'a str,
    error: &'a str,
}

#[cfg(test)]
mod tests {
    use super::*;
    use vigil::Hash256;

    #[test]
    fn fields_cannot_forge_lines_or_shift_columns() {
        assert!(matches!(
            escape_controls("plain/path.jpg"),
            Cow::Borrowed(_)
        ));
        assert_eq!(
            escape_controls("a\nb\\c\r\t\u{7}"),
            "a\\nb\\\\c\\r\\t\\u{7}"
        );
        assert!(matches!(csv_field("no-comma"), Cow::Borrowed(_)));
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_field("x\n0,known.bin,1"), "\"x\\n0,known.bin,1\"");
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
