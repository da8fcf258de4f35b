//! Matching hashes against hash lists: a matcher handle holding lists, and match results.

use std::ffi::{CString, c_char, c_int};
use std::path::PathBuf;
use std::ptr;
use std::sync::{PoisonError, RwLock};

use engine::lists::HashList;
use engine::matcher::{MatchOptions, Matcher, Query, QueryOutcome};

use crate::hashing::{VigilDihedral, VigilDihedralHashes, VigilPdqHash, bytes, out};
use crate::status::{Failure, VigilStatus, c_string, guard, guard_value};

/// The largest distance threshold (the hash's bit count): a threshold of 256 matches every
/// hash.
pub const VIGIL_MAX_THRESHOLD: u32 = 256;

/// Settings of a matcher (`vigil::matcher::MatchOptions`).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct VigilMatcherOptions {
    /// Non-zero: also match queries of quality under 50 (`vigil::MIN_QUALITY`).
    /// Default 0: such a query is not matched and its results say `low_quality`.
    pub include_low_quality: u8,
}

/// Hash lists to match against, each with its own distance threshold.
///
/// Thread safety: lists are added with `vigil_matcher_add_list*`, usually once at start-up;
/// the matcher may be used from several threads at once, adding and matching alike (adding
/// waits for matches in progress). Free it once, after every call using it has returned.
/// Results (`VigilMatches`) own their strings and outlive the matcher.
pub struct VigilMatcher {
    inner: RwLock<Matcher>,
}

const _: () = {
    const fn shareable<T: Send + Sync>() {}
    shareable::<VigilMatcher>();
};

/// One list entry within its list's threshold of a query.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct VigilMatch {
    /// Which list, in the order added (0 for the first).
    pub list_index: usize,
    /// The list's name (as given to `vigil_matcher_add_list`, or the file's path), UTF-8.
    pub list_name: *const c_char,
    /// Which entry of the list (0 for the first).
    pub entry_index: usize,
    /// The entry's id, UTF-8: the list's id column or the rest of a `HASH,QUALITY,ID` line, else
    /// its line number.
    pub entry_id: *const c_char,
    /// Bits between the entry and the query's matching orientation (at most the threshold).
    pub distance: u32,
    /// The query's orientation that matched: the nearest, the first in `VigilDihedral` order
    /// among equals. Always `VIGIL_DIHEDRAL_ORIGINAL` for `vigil_matcher_match`.
    pub orientation: VigilDihedral,
}

/// What one query matched: the matches, nearest first (then by list and entry), at most one per
/// list entry (its nearest orientation). Read with `vigil_matches_count` and `vigil_matches_get`;
/// free with `vigil_matches_free`. Immutable: may be read from several threads at once.
pub struct VigilMatches {
    items: Vec<VigilMatch>,
    /// The strings `items` point into (a `CString`'s bytes do not move with it).
    _strings: Vec<CString>,
    low_quality: bool,
}

/// A NUL-terminated UTF-8 string from C.
///
/// # Safety
/// `text` must be NULL or a NUL-terminated string that outlives the result.
unsafe fn text<'a>(text: *const c_char, name: &str) -> Result<&'a str, Failure> {
    // SAFETY: forwarded to the caller.
    unsafe { crate::c_str(text, name) }
}

/// The matcher behind a handle.
///
/// # Safety
/// `matcher` must be NULL or a live matcher.
unsafe fn matcher<'a>(matcher: *const VigilMatcher) -> Result<&'a VigilMatcher, Failure> {
    // SAFETY: forwarded to the caller.
    unsafe { matcher.as_ref() }.ok_or_else(|| Failure::null("matcher"))
}

/// Creates an empty matcher into `*out`, to be freed with `vigil_matcher_free`. `options` may be
/// NULL for the defaults.
///
/// # Safety
/// `options` must be NULL or readable; `out` must point to a writable `VigilMatcher *` (NULL is
/// an error).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vigil_matcher_new(
    options: *const VigilMatcherOptions,
    out: *mut *mut VigilMatcher,
) -> VigilStatus {
    guard(|| {
        // SAFETY: forwarded to the caller.
        let out = unsafe { self::out(out, "out") }?;
        let options = unsafe { options.as_ref() }.copied().unwrap_or_default();
        let options = MatchOptions::default().include_low_quality(options.include_low_quality != 0);
        *out = Box::into_raw(Box::new(VigilMatcher {
            inner: RwLock::new(Matcher::new(options)),
        }));
        Ok(())
    })
}

/// Frees a matcher; NULL is ignored.
///
/// # Safety
/// `matcher` must be NULL or a matcher from `vigil_matcher_new` not yet freed, in use by no
/// other thread.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vigil_matcher_free(matcher: *mut VigilMatcher) {
    if !matcher.is_null() {
        guard_value((), || {
            // SAFETY: a pointer from Box::into_raw in vigil_matcher_new, freed once.
            drop(unsafe { Box::from_raw(matcher) });
        });
    }
}

/// Adds a parsed list with its threshold; its index to `*index` when not NULL.
fn add(
    matcher: &VigilMatcher,
    list: HashList,
    threshold: u32,
    index: *mut usize,
) -> Result<(), Failure> {
    if threshold > VIGIL_MAX_THRESHOLD {
        return Err(Failure::invalid(format!(
            "threshold {threshold} is over {VIGIL_MAX_THRESHOLD}, the bits in a hash \
             (PDQ's usual threshold is 31)"
        )));
    }
    let mut inner = matcher
        .inner
        .write()
        .unwrap_or_else(PoisonError::into_inner);
    inner
        .add_list(list, threshold)
        .map_err(|e| Failure::invalid(e.to_string()))?;
    let added = inner.list_count() - 1;
    // SAFETY: `index` is NULL or writable, as the caller promised.
    if let Some(index) = unsafe { index.as_mut() } {
        *index = added;
    }
    Ok(())
}

/// Parses a hash list held in memory (every format `vigil` reads: hex lines, `HASH,QUALITY[,ID]`,
/// CSV with a `hash` column, vPDQ, dihedral, JSON Lines, and vigil's binary lists, whose
/// BLAKE3 digest is checked) and adds it to `matcher`, matched at distances up to `threshold`
/// inclusive (PDQ's usual is 31; at most `VIGIL_MAX_THRESHOLD`). `name` (NULL for `"list"`)
/// names the list in results and messages. Its index (0 for the first list) goes to `*index`
/// unless `index` is NULL. Degenerate entries (all-zero or all-one hashes, quality 0) never
/// match.
///
/// Errors: NULL `matcher` or `data`, a threshold over 256 (`VIGIL_STATUS_INVALID_ARGUMENT`); a
/// malformed, damaged or empty list (`VIGIL_STATUS_LIST_ERROR`), which leaves the matcher as it
/// was.
///
/// # Safety
/// `matcher` must be a live matcher, `name` NULL or a NUL-terminated string, `data` point to
/// `len` readable bytes, `index` be NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vigil_matcher_add_list(
    matcher: *const VigilMatcher,
    name: *const c_char,
    data: *const u8,
    len: usize,
    threshold: u32,
    index: *mut usize,
) -> VigilStatus {
    guard(|| {
        // SAFETY: forwarded to the caller.
        let matcher = unsafe { self::matcher(matcher) }?;
        let data = unsafe { bytes(data, len, "data") }?;
        let name = if name.is_null() {
            "list"
        } else {
            unsafe { text(name, "name") }?
        };
        add(matcher, HashList::parse(name, data)?, threshold, index)
    })
}

/// As `vigil_matcher_add_list`, reading the list from the file at `path` (its name in results).
/// A file that cannot be read is `VIGIL_STATUS_IO_ERROR`.
///
/// # Safety
/// `matcher` must be a live matcher, `path` a NUL-terminated string, `index` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vigil_matcher_add_list_file(
    matcher: *const VigilMatcher,
    path: *const c_char,
    threshold: u32,
    index: *mut usize,
) -> VigilStatus {
    guard(|| {
        // SAFETY: forwarded to the caller.
        let matcher = unsafe { self::matcher(matcher) }?;
        let path = PathBuf::from(unsafe { text(path, "path") }?);
        add(matcher, HashList::load(&path)?, threshold, index)
    })
}

/// Lists added to `matcher` (0 for NULL).
///
/// # Safety
/// `matcher` must be NULL or a live matcher.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vigil_matcher_list_count(matcher: *const VigilMatcher) -> usize {
    // SAFETY: forwarded to the caller.
    let Ok(matcher) = (unsafe { self::matcher(matcher) }) else {
        return 0;
    };
    guard_value(0, || {
        matcher
            .inner
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .list_count()
    })
}

/// Matches one query and packs its outcome into a results handle.
fn run(matcher: &VigilMatcher, query: Query, out: &mut *mut VigilMatches) {
    let inner = matcher.inner.read().unwrap_or_else(PoisonError::into_inner);
    let outcome = inner.match_queries(&[query]).pop();
    let mut results = VigilMatches {
        items: Vec::new(),
        _strings: Vec::new(),
        low_quality: false,
    };
    match outcome {
        Some(QueryOutcome::Matched(matches)) => {
            for m in matches {
                let list = inner
                    .list(m.list)
                    .expect("a match names a list of the matcher");
                let id = list
                    .entry(m.entry)
                    .map(|entry| entry.id.to_string())
                    .unwrap_or_default();
                let name = c_string(list.name());
                let id = c_string(&id);
                results.items.push(VigilMatch {
                    list_index: m.list,
                    list_name: name.as_ptr(),
                    entry_index: m.entry,
                    entry_id: id.as_ptr(),
                    distance: m.distance,
                    orientation: m.orientation.into(),
                });
                results._strings.push(name);
                results._strings.push(id);
            }
        }
        Some(QueryOutcome::LowQuality(_)) => results.low_quality = true,
        None => {}
    }
    *out = Box::into_raw(Box::new(results));
}

/// Matches one hash (its original orientation only) against every list of `matcher`, writing a
/// results handle to `*out`, to be freed with `vigil_matches_free`. A query of quality under 50
/// is not matched (unless the matcher's options say so): its results are empty and
/// `vigil_matches_low_quality` says why.
///
/// # Safety
/// `matcher` must be a live matcher, `query` point to a readable `VigilPdqHash`, `out` to a
/// writable `VigilMatches *` (NULLs are errors).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vigil_matcher_match(
    matcher: *const VigilMatcher,
    query: *const VigilPdqHash,
    out: *mut *mut VigilMatches,
) -> VigilStatus {
    guard(|| {
        // SAFETY: forwarded to the caller.
        let matcher = unsafe { self::matcher(matcher) }?;
        let query = unsafe { query.as_ref() }.ok_or_else(|| Failure::null("query"))?;
        let out = unsafe { self::out(out, "out") }?;
        run(matcher, Query::original((*query).into()), out);
        Ok(())
    })
}

/// As `vigil_matcher_match`, matching all eight orientations of an image (from
/// `vigil_hash_frame_dihedral` or `vigil_hash_image_dihedral`): an entry matches when any
/// orientation is within the threshold, and each match names its nearest orientation. This is
/// how a rotated or mirrored copy of a listed image is caught.
///
/// # Safety
/// As `vigil_matcher_match`, with `query` pointing to a readable `VigilDihedralHashes`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vigil_matcher_match_dihedral(
    matcher: *const VigilMatcher,
    query: *const VigilDihedralHashes,
    out: *mut *mut VigilMatches,
) -> VigilStatus {
    guard(|| {
        // SAFETY: forwarded to the caller.
        let matcher = unsafe { self::matcher(matcher) }?;
        let query = unsafe { query.as_ref() }.ok_or_else(|| Failure::null("query"))?;
        let out = unsafe { self::out(out, "out") }?;
        run(matcher, Query::dihedral(&(*query).into()), out);
        Ok(())
    })
}

/// Matches in `matches` (0 for NULL).
///
/// # Safety
/// `matches` must be NULL or live results.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vigil_matches_count(matches: *const VigilMatches) -> usize {
    // SAFETY: forwarded to the caller.
    unsafe { matches.as_ref() }.map_or(0, |m| m.items.len())
}

/// Match `i` (0 for the nearest), or NULL when `i` is out of range. It and its strings stay
/// valid until `vigil_matches_free(matches)`.
///
/// # Safety
/// `matches` must be NULL or live results.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vigil_matches_get(
    matches: *const VigilMatches,
    i: usize,
) -> *const VigilMatch {
    // SAFETY: forwarded to the caller.
    unsafe { matches.as_ref() }
        .and_then(|m| m.items.get(i))
        .map_or(ptr::null(), ptr::from_ref)
}

/// 1 when the query was not matched because its quality is under 50, else 0 (and for NULL).
///
/// # Safety
/// `matches` must be NULL or live results.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vigil_matches_low_quality(matches: *const VigilMatches) -> c_int {
    // SAFETY: forwarded to the caller.
    unsafe { matches.as_ref() }.map_or(0, |m| c_int::from(m.low_quality))
}

/// Frees match results; NULL is ignored.
///
/// # Safety
/// `matches` must be NULL or results from `vigil_matcher_match*` not yet freed.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn vigil_matches_free(matches: *mut VigilMatches) {
    if !matches.is_null() {
        guard_value((), || {
            // SAFETY: a pointer from Box::into_raw in `run`, freed once.
            drop(unsafe { Box::from_raw(matches) });
        });
    }
}
