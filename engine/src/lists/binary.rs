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
    let short = || corrupt(format!("{} bytes, shorter than the header", bytes.len()));
    let version_bytes = bytes.get(8..12).ok_or_else(short)?;
    let version = u32::from_le_bytes(version_bytes.try_into().unwrap_or_default());
    if version != 1 && version != VERSION {
        return Err(corrupt(format!(
            "version {version}; this vigil reads versions 1 to {VERSION} (a newer vigil wrote it?)"
        )));
    }
    let (fields, header_len) = (header_fields(version), header_len(version));
    let header = bytes.get(..header_len).ok_or_else(short)?;
    let u32_at = |at: usize| u32::from_le_bytes(header[at..at + 4].try_into().unwrap_or_default());
    let u64_at = |at: usize| u64::from_le_bytes(header[at..at + 8].try_into().unwrap_or_default());
    let (kind, count, text_len) = (u32_at(12), u64_at(16), u64_at(24));
    let list_kind = if version == 1 {
        KIND_IMAGES
    } else {
        u32_at(32)
    };
    if list_kind != KIND_IMAGES && list_kind != KIND_VIDEO {
        return Err(corrupt(format!("unknown list kind {list_kind}")));
    }
    let video = list_kind == KIND_VIDEO;
    if video && kind != IDS_NUMBERS {
        return Err(corrupt("a video's ids must be frame numbers".to_owned()));
    }
    if kind != IDS_NUMBERS && kind != IDS_STRINGS {
        return Err(corrupt(format!("unknown id kind {kind}")));
    }
    if kind == IDS_NUMBERS && text_len != 0 {
        return Err(corrupt("id text given for numeric ids".to_owned()));
    }
    let entry_bytes = ENTRY_BYTES + if video { 8 } else { 0 };
    let expected = count
        .checked_mul(entry_bytes)
        .and_then(|n| n.checked_add(text_len))
        .and_then(|n| n.checked_add(header_len as u64));
    if expected != Some(bytes.len() as u64) {
        return Err(corrupt(format!(
            "the header says {count} entries and {text_len} bytes of ids, which do not fit the \
             file's {} bytes (truncated or wrong count)",
            bytes.len()
        )));
    }
    let body = &bytes[header_len..];
    let mut hasher = blake3::Hasher::new();
    hasher.update(&header[..fields]);
    if body.len() >= PARALLEL_DIGEST {
        hasher.update_rayon(body);
    } else {
        hasher.update(body);
    }
    if hasher.finalize().as_bytes()[..] != header[fields..] {
        return Err(corrupt(
            "checksum mismatch: the file was altered or damaged".to_owned(),
        ));
    }

    // The size check above makes every split below exact.
    let count = count as usize;
    let (hash_bytes, rest) = body.split_at(count * 32);
    let (qualities, rest) = rest.split_at(count);
    let (number_bytes, rest) = rest.split_at(count * 4);
    let (text, timestamp_bytes) = rest.split_at(rest.len() - if video { count * 8 } else { 0 });
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
    let ids = if kind == IDS_NUMBERS {
        EntryIds::Numbers(numbers)
    } else {
        let text = std::str::from_utf8(text)
            .map_err(|e| corrupt(format!("ids are not UTF-8: {e}")))?
            .to_owned();
        let mut start = 0;
        for (i, &end) in numbers.iter().enumerate() {
            let end = end as usize;
            if end < start || end > text.len() || !text.is_char_boundary(end) {
                return Err(corrupt(format!("entry {i} has an invalid id offset {end}")));
            }
            start = end;
        }
        if start != text.len() {
            return Err(corrupt("ids do not fill the id text".to_owned()));
        }
        EntryIds::Strings {
            text,
            ends: numbers,
        }
    };
    let timestamps = video.then(|| {
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
