//! The binary list format (described in the [module docs](super#binary-format)): writing, and
//! reading with every size and the digest checked before any entry is used.

use std::io::{self, Write};

use rayon::prelude::*;

use super::{EntryIds, HashList, ListError, ListFormat, QUALITY_MAX, QUALITY_UNKNOWN};
use crate::Hash256;

/// The first eight bytes of every binary list.
pub const MAGIC: &[u8; 8] = b"VIGILPDQ";
const VERSION: u32 = 2;
/// Header bytes covered by the digest (everything before the digest itself), by version.
const fn header_fields(version: u32) -> usize {
    if version == 1 { 32 } else { 48 }
}
/// The header: its fields, then the 32-byte digest.
const fn header_len(version: u32) -> usize {
    header_fields(version) + 32
}
const IDS_NUMBERS: u32 = 0;
const IDS_STRINGS: u32 = 1;
const KIND_IMAGES: u32 = 0;
const KIND_VIDEO: u32 = 1;
/// Bytes per entry before the id text: hash, quality, id number or end offset.
const ENTRY_BYTES: u64 = 32 + 1 + 4;

/// Bodies at least this large are hashed on all cores.
const PARALLEL_DIGEST: usize = 1 << 20;

pub(super) fn write(list: &HashList, out: &mut impl Write) -> io::Result<()> {
    let (kind, text): (u32, &[u8]) = match &list.ids {
        EntryIds::Numbers(_) => (IDS_NUMBERS, &[]),
        EntryIds::Strings { text, .. } => (IDS_STRINGS, text.as_bytes()),
    };
    let fields = header_fields(VERSION);
    let mut header = [0u8; header_len(VERSION)];
    header[..8].copy_from_slice(MAGIC);
    header[8..12].copy_from_slice(&VERSION.to_le_bytes());
    header[12..16].copy_from_slice(&kind.to_le_bytes());
    header[16..24].copy_from_slice(&(list.len() as u64).to_le_bytes());
    header[24..32].copy_from_slice(&(text.len() as u64).to_le_bytes());
    let list_kind = if list.timestamps.is_some() {
        KIND_VIDEO
    } else {
        KIND_IMAGES
    };
    header[32..36].copy_from_slice(&list_kind.to_le_bytes());
    let mut hasher = blake3::Hasher::new();
    hasher.update(&header[..fields]);
    write_body(list, text, &mut HashWriter(&mut hasher))?;
    header[fields..].copy_from_slice(hasher.finalize().as_bytes());
    let mut out = io::BufWriter::with_capacity(1 << 20, out);
    out.write_all(&header)?;
    write_body(list, text, &mut out)?;
    out.flush()
}

fn write_body(list: &HashList, text: &[u8], out: &mut impl Write) -> io::Result<()> {
    for hash in &list.hashes {
        out.write_all(hash.as_bytes())?;
    }
    out.write_all(&list.qualities)?;
    let numbers = match &list.ids {
        EntryIds::Numbers(numbers) => numbers,
        EntryIds::Strings { ends, .. } => ends,
    };
    for number in numbers {
        out.write_all(&number.to_le_bytes())?;
    }
    out.write_all(text)?;
    for millis in list.timestamps.iter().flatten() {
        out.write_all(&millis.to_le_bytes())?;
    }
    Ok(())
}

/// Feeds what is written to a hasher.
struct HashWriter<'a>(&'a mut blake3::Hasher);

impl Write for HashWriter<'_> {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.0.update(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

pub(super) fn parse(name: &str, bytes: &[u8]) -> Result<HashList, ListError> {
    let corrupt = |message: String| ListError::Corrupt {
        path: name.into(),
        message,
    };
    let header = Header::read(bytes).map_err(corrupt)?;
    let body = &bytes[header.len..];
    verify_digest(&bytes[..header.len], header.fields, body).map_err(corrupt)?;

    // Header::read's size check makes every split below exact.
    let count = header.count;
    let (hash_bytes, rest) = body.split_at(count * 32);
    let (qualities, rest) = rest.split_at(count);
    let (number_bytes, rest) = rest.split_at(count * 4);
    let timestamps_len = if header.video { count * 8 } else { 0 };
    let (text, timestamp_bytes) = rest.split_at(rest.len() - timestamps_len);
    if let Some(at) = qualities
        .iter()
        .position(|&q| q > QUALITY_MAX && q != QUALITY_UNKNOWN)
    {
        return Err(corrupt(format!(
            "entry {at} has quality {}, beyond 0..=100",
            qualities[at]
        )));
    }
    let hashes: Vec<Hash256> = hash_bytes
        .par_chunks_exact(32)
        .map(|chunk| Hash256::from_bytes(chunk.try_into().unwrap_or_default()))
        .collect();
    let numbers: Vec<u32> = number_bytes
        .par_chunks_exact(4)
        .map(|chunk| u32::from_le_bytes(chunk.try_into().unwrap_or_default()))
        .collect();
    let ids = if header.id_kind == IDS_NUMBERS {
        EntryIds::Numbers(numbers)
    } else {
        string_ids(text, numbers).map_err(corrupt)?
    };
    let timestamps = header.video.then(|| {
        timestamp_bytes
            .chunks_exact(8)
            .map(|chunk| u64::from_le_bytes(chunk.try_into().unwrap_or_default()))
            .collect()
    });
    Ok(HashList {
        path: None,
        name: name.to_owned(),
        format: ListFormat::Binary,
        hashes,
        qualities: qualities.to_vec(),
        ids,
        timestamps,
    })
}

/// What a binary list's header says, checked against itself and the file's size.
struct Header {
    /// Bytes of the header, digest included.
    len: usize,
    /// Bytes of the header before its digest.
    fields: usize,
    id_kind: u32,
    count: usize,
    video: bool,
}

impl Header {
    /// Reads and checks the header of `bytes` (the whole file): a known version, list kind and
    /// id kind, and a size that is exactly the header, the entries and the id text.
    fn read(bytes: &[u8]) -> Result<Header, String> {
        let short = || format!("{} bytes, shorter than the header", bytes.len());
        let version_bytes = bytes.get(8..12).ok_or_else(short)?;
        let version = u32::from_le_bytes(version_bytes.try_into().unwrap_or_default());
        if version != 1 && version != VERSION {
            return Err(format!(
                "version {version}; this vigil reads versions 1 to {VERSION} (a newer vigil wrote it?)"
            ));
        }
        let (fields, len) = (header_fields(version), header_len(version));
        let header = bytes.get(..len).ok_or_else(short)?;
        let u32_at =
            |at: usize| u32::from_le_bytes(header[at..at + 4].try_into().unwrap_or_default());
        let u64_at =
            |at: usize| u64::from_le_bytes(header[at..at + 8].try_into().unwrap_or_default());
        let (id_kind, count, text_len) = (u32_at(12), u64_at(16), u64_at(24));
        let list_kind = if version == 1 {
            KIND_IMAGES
        } else {
            u32_at(32)
        };
        if list_kind != KIND_IMAGES && list_kind != KIND_VIDEO {
            return Err(format!("unknown list kind {list_kind}"));
        }
        let video = list_kind == KIND_VIDEO;
        if video && id_kind != IDS_NUMBERS {
            return Err("a video's ids must be frame numbers".to_owned());
        }
        if id_kind != IDS_NUMBERS && id_kind != IDS_STRINGS {
            return Err(format!("unknown id kind {id_kind}"));
        }
        if id_kind == IDS_NUMBERS && text_len != 0 {
            return Err("id text given for numeric ids".to_owned());
        }
        let entry_bytes = ENTRY_BYTES + if video { 8 } else { 0 };
        let expected = count
            .checked_mul(entry_bytes)
            .and_then(|n| n.checked_add(text_len))
            .and_then(|n| n.checked_add(len as u64));
        if expected != Some(bytes.len() as u64) {
            return Err(format!(
                "the header says {count} entries and {text_len} bytes of ids, which do not fit \
                 the file's {} bytes (truncated or wrong count)",
                bytes.len()
            ));
        }
        Ok(Header {
            len,
            fields,
            id_kind,
            // Fits: the entries are in memory.
            count: count as usize,
            video,
        })
    }
}

/// Checks the BLAKE3 digest at the end of `header` (after its first `fields` bytes) against
/// those fields and the body.
fn verify_digest(header: &[u8], fields: usize, body: &[u8]) -> Result<(), String> {
    let mut hasher = blake3::Hasher::new();
    hasher.update(&header[..fields]);
    if body.len() >= PARALLEL_DIGEST {
        hasher.update_rayon(body);
    } else {
        hasher.update(body);
    }
    if hasher.finalize().as_bytes()[..] != header[fields..] {
        return Err("checksum mismatch: the file was altered or damaged".to_owned());
    }
    Ok(())
}

/// String ids from the id text and each id's end offset in it.
fn string_ids(text: &[u8], ends: Vec<u32>) -> Result<EntryIds, String> {
    let text = std::str::from_utf8(text)
        .map_err(|e| format!("ids are not UTF-8: {e}"))?
        .to_owned();
    let mut start = 0;
    for (i, &end) in ends.iter().enumerate() {
        let end = end as usize;
        if end < start || end > text.len() || !text.is_char_boundary(end) {
            return Err(format!("entry {i} has an invalid id offset {end}"));
        }
        start = end;
    }
    if start != text.len() {
        return Err("ids do not fill the id text".to_owned());
    }
    Ok(EntryIds::Strings { text, ends })
}
