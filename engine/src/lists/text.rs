//! The text formats: detection from the first data line, parallel parsing by chunks of lines,
//! and writing (hex lines or CSV).

use std::borrow::Cow;
use std::io::{self, Write};

use rayon::prelude::*;

use super::hex::{HEX_LEN, decode_hash};
use super::{EntryIds, HashList, ListError, ListFormat, QUALITY_MAX, QUALITY_UNKNOWN};
use crate::Hash256;

/// Bytes per parallel chunk, at least: small lists are parsed on the calling thread.
const MIN_CHUNK: usize = 1 << 20;

/// Hashes on a line of dihedral hashes (before the quality).
const DIHEDRAL_HASHES: usize = 8;

/// How the data lines of a text list are laid out.
#[derive(Clone, Copy, Debug)]
enum Layout {
    /// `HASH[,QUALITY[,ID]]`.
    HashLines,
    /// `FRAME,QUALITY,HASH,TIMESTAMP`.
    Vpdq,
    /// `HASH×8,QUALITY[,ID]`.
    Dihedral,
    /// One JSON object a line.
    Json,
    /// One JSON object a line, each a video frame: `{"frame":..,"quality":..,"hash":..,
    /// "timestamp":..}` (what `vigil video --json` prints).
    JsonVideo,
    /// Rows under a header.
    Csv(Columns),
}

/// The columns of a CSV list, by position.
#[derive(Clone, Copy, Debug)]
struct Columns {
    count: usize,
    hash: usize,
    quality: Option<usize>,
    id: Option<usize>,
}

/// One data line, parsed.
struct Row<'a> {
    hash: Hash256,
    quality: Option<u8>,
    /// The frame number of a vPDQ line; other entries are numbered by their line.
    frame: Option<u32>,
    /// An id given on the line.
    id: Option<Cow<'a, str>>,
    /// The timestamp of a vPDQ line, in milliseconds.
    millis: Option<u64>,
}

/// Where one chunk's entries go: its part of the list's arrays.
struct Slots<'s> {
    hashes: &'s mut [Hash256],
    qualities: &'s mut [u8],
    numbers: &'s mut [u32],
    /// Empty unless the list is a vPDQ video.
    timestamps: &'s mut [u64],
}

/// The text ids found, by entry index in the list.
type TextIds<'a> = Vec<(usize, Cow<'a, str>)>;

/// A parse failure within a line: the message, to be placed at its file and line.
type LineResult<T> = Result<T, String>;

pub(super) fn parse(name: &str, bytes: &[u8]) -> Result<HashList, ListError> {
    let malformed = |line: u64, message: String| ListError::Malformed {
        path: name.into(),
        line,
        message,
    };
    let Some((layout, body_start, first_line)) = detect(bytes).map_err(|(l, m)| malformed(l, m))?
    else {
        return Err(ListError::Empty { path: name.into() });
    };
    let body = &bytes[body_start..];
    // Two parallel passes over chunks of lines: count each chunk's entries and lines, then parse
    // each chunk straight into its part of the list's arrays (no copying of ten million hashes).
    let chunks = split_at_lines(body);
    let counts: Vec<(usize, u64)> = chunks.par_iter().map(|chunk| count_chunk(chunk)).collect();
    let total_lines = first_line + counts.iter().map(|&(_, lines)| lines).sum::<u64>();
    if total_lines > u64::from(u32::MAX) {
        return Err(ListError::TooLarge {
            path: name.into(),
            message: format!("{total_lines} lines; at most {} are supported", u32::MAX),
        });
    }
    let len: usize = counts.iter().map(|&(entries, _)| entries).sum();
    let mut hashes = Vec::with_capacity(len);
    hashes.par_extend(rayon::iter::repeat_n(Hash256::ZERO, len));
    let mut qualities = vec![QUALITY_UNKNOWN; len];
    let mut numbers = vec![0u32; len];
    let video = matches!(layout, Layout::Vpdq | Layout::JsonVideo);
    let mut timestamps = vec![0u64; if video { len } else { 0 }];

    let mut tasks = Vec::with_capacity(chunks.len());
    let (mut hash_rest, mut quality_rest, mut number_rest, mut time_rest) = (
        &mut hashes[..],
        &mut qualities[..],
        &mut numbers[..],
        &mut timestamps[..],
    );
    let (mut first_entry, mut chunk_line) = (0, first_line);
    for (chunk, &(entries, lines)) in chunks.iter().zip(&counts) {
        let (h, hash_tail) = std::mem::take(&mut hash_rest).split_at_mut(entries);
        let (q, quality_tail) = std::mem::take(&mut quality_rest).split_at_mut(entries);
        let (n, number_tail) = std::mem::take(&mut number_rest).split_at_mut(entries);
        let (t, time_tail) =
            std::mem::take(&mut time_rest).split_at_mut(if video { entries } else { 0 });
        (hash_rest, quality_rest, number_rest, time_rest) =
            (hash_tail, quality_tail, number_tail, time_tail);
        let slots = Slots {
            hashes: h,
            qualities: q,
            numbers: n,
            timestamps: t,
        };
        tasks.push((*chunk, slots, first_entry, chunk_line));
        first_entry += entries;
        chunk_line += lines;
    }
    let parsed: Vec<Result<TextIds<'_>, (u64, String)>> = tasks
        .into_par_iter()
        .map(|(chunk, slots, first_entry, first_line)| {
            parse_chunk(chunk, layout, slots, first_entry, first_line)
        })
        .collect();
    let mut texts = Vec::new();
    for part in parsed {
        texts.extend(part.map_err(|(line, message)| malformed(line, message))?);
    }
    let format = match layout {
        Layout::HashLines if qualities.iter().any(|&q| q != QUALITY_UNKNOWN) => {
            ListFormat::HashQuality
        }
        Layout::HashLines => ListFormat::Hex,
        Layout::Vpdq => ListFormat::Vpdq,
        Layout::Dihedral => ListFormat::Dihedral,
        Layout::Json | Layout::JsonVideo => ListFormat::JsonLines,
        Layout::Csv(_) => ListFormat::Csv,
    };
    let ids = entry_ids(name, numbers, texts)?;
    Ok(HashList {
        path: None,
        name: name.to_owned(),
        format,
        hashes,
        qualities,
        ids,
        timestamps: video.then_some(timestamps),
    })
}

/// A list's layout, the byte offset of its first data line, and that line's number.
type DataStart = (Layout, usize, u64);

/// The layout, where its data starts (byte offset and line number), from the first data line;
/// `None` for a list with no data line at all.
fn detect(bytes: &[u8]) -> Result<Option<DataStart>, (u64, String)> {
    let mut offset = 0;
    for (index, raw) in bytes.split(|&b| b == b'\n').enumerate() {
        let number = index as u64 + 1;
        let line = raw.trim_ascii();
        let next = offset + raw.len() + 1;
        if line.is_empty() || line.starts_with(b"#") {
            offset = next;
            continue;
        }
        if line.starts_with(b"{") {
            let layout = if is_json_video_frame(line) {
                Layout::JsonVideo
            } else {
                Layout::Json
            };
            return Ok(Some((layout, offset, number)));
        }
        let fields: Vec<&[u8]> = line.split(|&b| b == b',').map(<[u8]>::trim_ascii).collect();
        if decode_hash(fields[0]).is_some() {
            let dihedral = fields.len() > DIHEDRAL_HASHES
                && fields[1..DIHEDRAL_HASHES]
                    .iter()
                    .all(|f| decode_hash(f).is_some());
            let layout = if dihedral {
                Layout::Dihedral
            } else {
                Layout::HashLines
            };
            return Ok(Some((layout, offset, number)));
        }
        if fields.len() == 4 && decode_hash(fields[2]).is_some() {
            return Ok(Some((Layout::Vpdq, offset, number)));
        }
        let columns = header_columns(line).map_err(|m| (number, m))?;
        return Ok(Some((
            Layout::Csv(columns),
            next.min(bytes.len()),
            number + 1,
        )));
    }
    Ok(None)
}

fn header_columns(line: &[u8]) -> LineResult<Columns> {
    let names = split_csv(line)?;
    let find = |wanted: &[&str]| {
        names
            .iter()
            .position(|n| wanted.iter().any(|w| n.trim().eq_ignore_ascii_case(w)))
    };
    let hash = find(&["hash", "pdq", "pdq_hash"]).ok_or_else(|| {
        format!(
            "not a hash list: expected 64 hex digits, FRAME,QUALITY,HASH,TIMESTAMP (vPDQ), or a \
             CSV header with a `hash` column; got {}",
            shown(line)
        )
    })?;
    Ok(Columns {
        count: names.len(),
        hash,
        quality: find(&["quality"]),
        id: find(&["id"]),
    })
}

/// Splits `body` into chunks of whole lines, about `len / (4 × threads)` bytes each.
fn split_at_lines(body: &[u8]) -> Vec<&[u8]> {
    let target = (body.len() / (4 * rayon::current_num_threads())).max(MIN_CHUNK);
    let mut chunks = Vec::new();
    let mut rest = body;
    while rest.len() > target {
        match rest[target..].iter().position(|&b| b == b'\n') {
            Some(newline) => {
                let (chunk, tail) = rest.split_at(target + newline + 1);
                chunks.push(chunk);
                rest = tail;
            }
            None => break,
        }
    }
    chunks.push(rest);
    chunks
}

/// The data lines of a chunk (blank and `#` lines skipped), trimmed, with their line index from
/// the chunk's start; afterwards `lines` is the chunk's number of lines.
struct DataLines<'a> {
    rest: &'a [u8],
    lines: u64,
}

impl<'a> Iterator for DataLines<'a> {
    type Item = (u64, &'a [u8]);

    fn next(&mut self) -> Option<Self::Item> {
        while !self.rest.is_empty() {
            // The common case, a bare 64-digit line, is cut without searching for its end.
            let end = if self.rest.len() > HEX_LEN && self.rest[HEX_LEN] == b'\n' {
                HEX_LEN
            } else {
                let rest = self.rest;
                rest.iter().position(|&b| b == b'\n').unwrap_or(rest.len())
            };
            let line = self.rest[..end].trim_ascii();
            self.rest = self.rest.get(end + 1..).unwrap_or_default();
            self.lines += 1;
            if !line.is_empty() && !line.starts_with(b"#") {
                return Some((self.lines - 1, line));
            }
        }
        None
    }
}

fn data_lines(chunk: &[u8]) -> DataLines<'_> {
    DataLines {
        rest: chunk,
        lines: 0,
    }
}

/// A chunk's number of entries (data lines) and of lines.
fn count_chunk(chunk: &[u8]) -> (usize, u64) {
    let mut lines = data_lines(chunk);
    let entries = lines.by_ref().count();
    (entries, lines.lines)
}

/// Parses the data lines of `chunk` into `slots` (exactly as many as [`count_chunk`] found). Its
/// first entry is entry `first_entry` of the list and its first line is line `first_line`.
fn parse_chunk<'a>(
    chunk: &'a [u8],
    layout: Layout,
    slots: Slots<'_>,
    first_entry: usize,
    first_line: u64,
) -> Result<TextIds<'a>, (u64, String)> {
    let mut texts = Vec::new();
    let timestamps = slots.timestamps;
    let slots = slots
        .hashes
        .iter_mut()
        .zip(slots.qualities.iter_mut())
        .zip(slots.numbers.iter_mut());
    for (i, ((index, line), ((hash, quality), number))) in data_lines(chunk).zip(slots).enumerate()
    {
        // The caller checked that every line number fits in a u32.
        let line_number = first_line + index;
        let row = match layout {
            Layout::HashLines => parse_hash_line(line),
            Layout::Vpdq => parse_vpdq_line(line),
            Layout::Dihedral => parse_dihedral_line(line),
            Layout::Json => parse_json_line(line),
            Layout::JsonVideo => parse_json_frame(line),
            Layout::Csv(columns) => parse_csv_row(line, columns),
        }
        .map_err(|message| (line_number, message))?;
        *hash = row.hash;
        *quality = row.quality.unwrap_or(QUALITY_UNKNOWN);
        *number = row.frame.unwrap_or(line_number as u32);
        if let (Some(slot), Some(millis)) = (timestamps.get_mut(i), row.millis) {
            *slot = millis;
        }
        if let Some(id) = row.id.filter(|id| !id.is_empty()) {
            texts.push((first_entry + i, id));
        }
    }
    Ok(texts)
}

fn parse_hash_line(line: &[u8]) -> LineResult<Row<'_>> {
    let (hash_field, rest) = split_once(line);
    let hash = hash_of(hash_field)?;
    let (quality, id) = match rest {
        None => (None, None),
        Some(rest) => {
            let (quality_field, id) = split_once(rest);
            let id = id.map(|id| utf8(id.trim_ascii(), "id")).transpose()?;
            (Some(quality_of(quality_field)?), id.map(unquote_id))
        }
    };
    Ok(Row {
        hash,
        quality,
        frame: None,
        id,
        millis: None,
    })
}

fn parse_dihedral_line(line: &[u8]) -> LineResult<Row<'_>> {
    let mut fields = line.splitn(DIHEDRAL_HASHES + 2, |&b| b == b',');
    let hash = hash_of(fields.next().unwrap_or_default())?;
    for _ in 1..DIHEDRAL_HASHES {
        let field = fields.next().ok_or_else(|| {
            format!(
                "expected {DIHEDRAL_HASHES} hashes, QUALITY[,ID] (vigil hash --dihedral), got {}",
                shown(line)
            )
        })?;
        hash_of(field)?;
    }
    let quality = fields
        .next()
        .ok_or_else(|| format!("expected a quality after the {DIHEDRAL_HASHES} hashes"))?;
    let quality = quality_of(quality)?;
    let id = fields
        .next()
        .map(|id| utf8(id.trim_ascii(), "id"))
        .transpose()?
        .map(unquote_id);
    Ok(Row {
        hash,
        quality: Some(quality),
        frame: None,
        millis: None,
        id,
    })
}

/// A JSON Lines record: `{"hash":...}` with optional `"quality"`, `"id"`, `"path"`, `"frame"`.
fn parse_json_line(line: &[u8]) -> LineResult<Row<'static>> {
    json_row(&json_record(line)?, line)
}

/// A JSON Lines record: one object.
fn json_record(line: &[u8]) -> LineResult<serde_json::Map<String, serde_json::Value>> {
    serde_json::from_slice(line)
        .map_err(|e| format!("expected a JSON object on one line ({e}): {}", shown(line)))
}

/// The entry of a [`parse_json_line`] record, `line` being its text (for messages).
fn json_row(
    record: &serde_json::Map<String, serde_json::Value>,
    line: &[u8],
) -> LineResult<Row<'static>> {
    use serde_json::Value;
    if let Some(kind) = record.get("type") {
        return Err(format!(
            "a record of type {kind} (the output of vigil match or vigil video --list), not a \
             hash; lists in JSON are what `vigil hash --json` prints"
        ));
    }
    let Some(hash) = record.get("hash") else {
        if record.contains_key("error") {
            return Err(format!(
                "a file that failed to hash, not a hash: {}; leave such lines out (for example \
                 with `jq -c 'select(.hash)'`)",
                shown(line)
            ));
        }
        return Err(format!(
            "expected a JSON object with a \"hash\" field (as `vigil hash --json` prints), got {}",
            shown(line)
        ));
    };
    let hash = hash
        .as_str()
        .ok_or_else(|| format!("expected \"hash\" to be a string, got {hash}"))?;
    let hash = hash_of(hash.as_bytes())?;
    let quality = match record.get("quality") {
        None | Some(Value::Null) => None,
        Some(q) => Some(
            q.as_u64()
                .and_then(|q| u8::try_from(q).ok())
                .filter(|&q| q <= QUALITY_MAX)
                .ok_or_else(|| format!("expected a quality 0..=100, got {q}"))?,
        ),
    };
    let text = |value: &Value| match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    };
    let id = record
        .get("id")
        .and_then(text)
        .or_else(|| record.get("path").and_then(text));
    let frame = match (&id, record.get("frame")) {
        (None, Some(frame)) => Some(
            frame
                .as_u64()
                .and_then(|f| u32::try_from(f).ok())
                .ok_or_else(|| format!("expected a frame number, got {frame}"))?,
        ),
        _ => None,
    };
    Ok(Row {
        hash,
        quality,
        frame,
        millis: None,
        id: id.map(Cow::Owned),
    })
}

/// Whether a JSON line is a video frame as `vigil video --json` prints it: a frame number and a
/// timestamp, and no id or path (an image list names its entries).
fn is_json_video_frame(line: &[u8]) -> bool {
    serde_json::from_slice::<serde_json::Map<String, serde_json::Value>>(line).is_ok_and(|record| {
        record.contains_key("frame")
            && record.contains_key("timestamp")
            && !record.contains_key("id")
            && !record.contains_key("path")
    })
}

/// A line of a JSON video list: a [`parse_json_line`] record whose frame number and timestamp
/// (seconds) are required, as in a vPDQ line.
fn parse_json_frame(line: &[u8]) -> LineResult<Row<'static>> {
    let record = json_record(line)?;
    let mut row = json_row(&record, line)?;
    if row.frame.is_none() || row.id.is_some() {
        return Err(format!(
            "expected a video frame {{\"frame\":..,\"quality\":..,\"hash\":..,\"timestamp\":..}} \
             as the list's first line, got {}",
            shown(line)
        ));
    }
    let millis = record
        .get("timestamp")
        .and_then(serde_json::Value::as_f64)
        .and_then(millis_of_seconds)
        .ok_or_else(|| format!("expected a timestamp in seconds, got {}", shown(line)))?;
    row.millis = Some(millis);
    Ok(row)
}

/// An id as written, or, in double quotes, as `vigil` quotes names: `""` is `"` and `\\`,
/// `\n`, `\r`, `\t`, `\u{..}` are unescaped (other escapes, such as `\xFF` for a byte that
/// was not UTF-8, stay as written).
fn unquote_id(id: &str) -> Cow<'_, str> {
    let Some(inner) = id.strip_prefix('"').and_then(|rest| rest.strip_suffix('"')) else {
        return Cow::Borrowed(id);
    };
    let mut text = String::with_capacity(inner.len());
    let mut rest = inner;
    while let Some(at) = rest.find(['"', '\\']) {
        text.push_str(&rest[..at]);
        let tail = &rest[at..];
        let (decoded, used) = if tail.starts_with("\"\"") {
            ('"', 2)
        } else if let Some(escape) = tail.strip_prefix('\\') {
            match escape.as_bytes().first() {
                Some(b'\\') => ('\\', 2),
                Some(b'n') => ('\n', 2),
                Some(b'r') => ('\r', 2),
                Some(b't') => ('\t', 2),
                Some(b'u') => unicode_escape(escape).map_or(('\\', 1), |(c, len)| (c, 1 + len)),
                _ => ('\\', 1),
            }
        } else {
            (tail.chars().next().unwrap_or('"'), 1)
        };
        text.push(decoded);
        rest = &tail[used..];
    }
    text.push_str(rest);
    Cow::Owned(text)
}

/// `u{HEX}` (1 to 6 hex digits) at the start of `escape`: the character and the bytes it takes.
fn unicode_escape(escape: &str) -> Option<(char, usize)> {
    let digits = escape.strip_prefix("u{")?;
    let end = digits.bytes().take(7).position(|b| b == b'}')?;
    let c = char::from_u32(u32::from_str_radix(&digits[..end], 16).ok()?)?;
    Some((c, "u{".len() + end + 1))
}

fn parse_vpdq_line(line: &[u8]) -> LineResult<Row<'_>> {
    let fields: Vec<&[u8]> = line.split(|&b| b == b',').map(<[u8]>::trim_ascii).collect();
    let [frame, quality, hash, timestamp] = fields[..] else {
        return Err(format!(
            "expected FRAME,QUALITY,HASH,TIMESTAMP (vPDQ), got {} fields: {}",
            fields.len(),
            shown(line)
        ));
    };
    let frame = utf8(frame, "frame")?
        .parse::<u32>()
        .map_err(|_| format!("expected a frame number, got {}", shown(frame)))?;
    let quality = quality_of(quality)?;
    let hash = hash_of(hash)?;
    let millis = utf8(timestamp, "timestamp")?
        .parse::<f64>()
        .ok()
        .and_then(millis_of_seconds)
        .ok_or_else(|| format!("expected a timestamp in seconds, got {}", shown(timestamp)))?;
    Ok(Row {
        hash,
        quality: Some(quality),
        frame: Some(frame),
        id: None,
        millis: Some(millis),
    })
}

/// A timestamp in seconds as whole milliseconds; `None` unless finite and ≥ 0.
fn millis_of_seconds(seconds: f64) -> Option<u64> {
    // Saturates past 584 million years.
    (seconds.is_finite() && seconds >= 0.0).then(|| (seconds * 1000.0).round() as u64)
}

fn parse_csv_row(line: &[u8], columns: Columns) -> LineResult<Row<'_>> {
    let mut fields = split_csv(line)?;
    if fields.len() != columns.count {
        return Err(format!(
            "expected {} fields as in the header, got {}",
            columns.count,
            fields.len()
        ));
    }
    let hash = hash_of(fields[columns.hash].as_bytes())?;
    let quality = match columns.quality.map(|c| fields[c].trim()) {
        None | Some("") => None,
        Some(field) => Some(quality_of(field.as_bytes())?),
    };
    let id = columns.id.map(|c| std::mem::take(&mut fields[c]));
    Ok(Row {
        hash,
        quality,
        frame: None,
        id,
        millis: None,
    })
}

/// Splits at the first comma; looks first where a well-formed line has it, after a hash.
fn split_once(line: &[u8]) -> (&[u8], Option<&[u8]>) {
    if line.len() == HEX_LEN {
        return (line, None);
    }
    if line.get(HEX_LEN) == Some(&b',') && !line[..HEX_LEN].contains(&b',') {
        return (&line[..HEX_LEN], Some(&line[HEX_LEN + 1..]));
    }
    match line.iter().position(|&b| b == b',') {
        Some(comma) => (&line[..comma], Some(&line[comma + 1..])),
        None => (line, None),
    }
}

/// The fields of one CSV line (RFC 4180 quoting; no line breaks inside quotes). Unquoted fields
/// are trimmed of spaces; quoted ones are kept as written, `""` read as `"`.
fn split_csv(line: &[u8]) -> LineResult<Vec<Cow<'_, str>>> {
    let line = utf8(line, "CSV line")?;
    let mut fields = Vec::new();
    let mut rest = line;
    loop {
        let trimmed = rest.trim_start();
        if let Some(quoted) = trimmed.strip_prefix('"') {
            let mut value = String::new();
            let mut chars = quoted.char_indices();
            let after = loop {
                match chars.next() {
                    Some((i, '"')) if quoted[i + 1..].starts_with('"') => {
                        value.push('"');
                        chars.next();
                    }
                    Some((i, '"')) => break &quoted[i + 1..],
                    Some((_, c)) => value.push(c),
                    None => return Err("unterminated quoted field".to_owned()),
                }
            };
            fields.push(Cow::Owned(value));
            let after = after.trim_start();
            match after.strip_prefix(',') {
                Some(next) => rest = next,
                None if after.is_empty() => return Ok(fields),
                None => return Err(format!("text after a quoted field: {after:?}")),
            }
        } else {
            match rest.split_once(',') {
                Some((field, next)) => {
                    fields.push(Cow::Borrowed(field.trim()));
                    rest = next;
                }
                None => {
                    fields.push(Cow::Borrowed(rest.trim()));
                    return Ok(fields);
                }
            }
        }
    }
}

fn hash_of(field: &[u8]) -> LineResult<Hash256> {
    decode_hash(field.trim_ascii())
        .ok_or_else(|| format!("expected a hash of 64 hex digits, got {}", shown(field)))
}

fn quality_of(field: &[u8]) -> LineResult<u8> {
    let field = field.trim_ascii();
    std::str::from_utf8(field)
        .ok()
        .filter(|s| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
        .and_then(|s| s.parse::<u8>().ok())
        .filter(|&q| q <= QUALITY_MAX)
        .ok_or_else(|| format!("expected a quality 0..=100, got {}", shown(field)))
}

fn utf8<'a>(bytes: &'a [u8], what: &str) -> LineResult<&'a str> {
    std::str::from_utf8(bytes).map_err(|_| format!("{what} is not UTF-8: {}", shown(bytes)))
}

/// A field for an error message: quoted, lossy, at most 80 characters.
fn shown(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    let mut cut: String = text.chars().take(80).collect();
    if cut.len() < text.len() {
        cut.push('…');
    }
    format!("{cut:?}")
}

/// The ids: the numbers, unless some entries have a text id; then text for all, numbers written
/// out for the others.
fn entry_ids(name: &str, numbers: Vec<u32>, texts: TextIds<'_>) -> Result<EntryIds, ListError> {
    if texts.is_empty() {
        return Ok(EntryIds::Numbers(numbers));
    }
    let mut text = String::new();
    let mut ends = Vec::with_capacity(numbers.len());
    let mut texts = texts.into_iter().peekable();
    for (i, number) in numbers.iter().enumerate() {
        match texts.next_if(|(at, _)| *at == i) {
            Some((_, id)) => text.push_str(&id),
            None => text.push_str(&number.to_string()),
        }
        let end = u32::try_from(text.len()).map_err(|_| ListError::TooLarge {
            path: name.into(),
            message: "ids longer than 4 GiB in all".to_owned(),
        })?;
        ends.push(end);
    }
    Ok(EntryIds::Strings { text, ends })
}

pub(super) fn write(list: &HashList, out: &mut impl Write) -> io::Result<()> {
    if let (Some(timestamps), EntryIds::Numbers(frames)) = (&list.timestamps, &list.ids) {
        // A video stays a video: vPDQ lines, as it was read.
        for (i, (&frame, &millis)) in frames.iter().zip(timestamps).enumerate() {
            let quality = list.qualities[i].min(QUALITY_MAX);
            let (seconds, millis) = (millis / 1000, millis % 1000);
            writeln!(
                out,
                "{frame},{quality},{},{seconds}.{millis:03}",
                list.hashes[i]
            )?;
        }
        return Ok(());
    }
    let plain = list.qualities.iter().all(|&q| q == QUALITY_UNKNOWN)
        && matches!(&list.ids, EntryIds::Numbers(numbers)
            if numbers.iter().zip(1..).all(|(&n, line)| n == line));
    if plain {
        for hash in &list.hashes {
            writeln!(out, "{hash}")?;
        }
        return Ok(());
    }
    writeln!(out, "hash,quality,id")?;
    for entry in list.entries() {
        let quality = entry.quality.map(|q| q.to_string()).unwrap_or_default();
        let id = entry.id.to_string();
        writeln!(out, "{},{quality},{}", entry.hash, csv_field(&id)?)?;
    }
    Ok(())
}

/// `id` as a CSV field: quoted when it holds a comma, a quote, or outer spaces.
fn csv_field(id: &str) -> io::Result<Cow<'_, str>> {
    if id.contains(['\n', '\r']) {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("id {id:?} contains a line break; a text list cannot hold it"),
        ));
    }
    if id.contains([',', '"']) || id.trim() != id {
        Ok(Cow::Owned(format!("\"{}\"", id.replace('"', "\"\""))))
    } else {
        Ok(Cow::Borrowed(id))
    }
}
