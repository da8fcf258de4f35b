//! `vigil.Matcher`: hash lists with their thresholds, over `vigil::matcher::Matcher`.

use std::path::PathBuf;

use pyo3::prelude::*;
use pyo3::types::PyString;

use vigil::Hash256;
use vigil::lists::{EntryId, HashList};
use vigil::matcher::{IndexChoice, MatchOptions, Query, QueryHashes, QueryOutcome};

use crate::error;
use crate::hash::to_hash;

/// One match: `(list, entry, distance, orientation)`.
pub(crate) type RawMatch = (usize, usize, u32, &'static str);

/// Hash lists with their thresholds, over `vigil::matcher::Matcher`.
#[pyclass(module = "vigil")]
pub struct Matcher {
    inner: vigil::matcher::Matcher,
}

pub(crate) fn list_error(e: impl ToString) -> PyErr {
    error(e)
}

#[pymethods]
impl Matcher {
    /// `index`: `auto`, `flat` or `mih`; `include_low_quality`: match queries of quality < 50.
    #[new]
    #[pyo3(signature = (index = "auto", include_low_quality = false))]
    fn new(index: &str, include_low_quality: bool) -> PyResult<Self> {
        let index = index.parse::<IndexChoice>().map_err(error)?;
        let options = MatchOptions::default()
            .index(index)
            .include_low_quality(include_low_quality);
        Ok(Matcher {
            inner: vigil::matcher::Matcher::new(options),
        })
    }

    /// Loads a list file in any format vigil reads; returns its number.
    fn load(&mut self, py: Python<'_>, path: PathBuf, threshold: u32) -> PyResult<usize> {
        let list = py.detach(|| HashList::load(&path)).map_err(list_error)?;
        self.add_list(py, list, threshold)
    }

    /// Parses a list from its bytes (any format vigil reads); returns its number.
    fn parse(
        &mut self,
        py: Python<'_>,
        name: &str,
        data: &[u8],
        threshold: u32,
    ) -> PyResult<usize> {
        let list = py
            .detach(|| HashList::parse(name, data))
            .map_err(list_error)?;
        self.add_list(py, list, threshold)
    }

    /// Adds a list of hashes (`Hash`, hex or bytes) with optional qualities; returns its number.
    #[pyo3(signature = (name, hashes, qualities, threshold))]
    fn add_hashes(
        &mut self,
        py: Python<'_>,
        name: &str,
        hashes: Vec<Bound<'_, PyAny>>,
        qualities: Option<Vec<Option<u8>>>,
        threshold: u32,
    ) -> PyResult<usize> {
        let hashes = hashes.iter().map(to_hash).collect::<PyResult<Vec<_>>>()?;
        let qualities = qualities.unwrap_or_else(|| vec![None; hashes.len()]);
        if qualities.len() != hashes.len() {
            return Err(error(format!(
                "{} qualities for {} hashes",
                qualities.len(),
                hashes.len()
            )));
        }
        let list = HashList::from_hashes(name, hashes, qualities)
            .ok_or_else(|| error("a quality is over 100, or too many hashes"))?;
        self.add_list(py, list, threshold)
    }

    /// Adds a list of hex strings (parsed in Rust: the fast path for large lists). Each string
    /// is read through a short-lived Python `bytes` (CPython's own small-object allocator), not
    /// copied into a Rust `String`: at 10M hashes a heap allocation apiece cost more than
    /// building the index. (`abi3` for Python 3.9 has no way to borrow a string's UTF-8.)
    fn add_hex(
        &mut self,
        py: Python<'_>,
        name: &str,
        hexes: &Bound<'_, PyAny>,
        threshold: u32,
    ) -> PyResult<usize> {
        let mut hashes = Vec::with_capacity(hexes.len().unwrap_or(0));
        for item in hexes.try_iter()? {
            let item = item?;
            let utf8 = item.cast::<PyString>()?.encode_utf8()?;
            let text = std::str::from_utf8(utf8.as_bytes()).map_err(error)?;
            hashes.push(text.parse::<Hash256>().map_err(error)?);
        }
        let qualities = vec![None; hashes.len()];
        let list = HashList::from_hashes(name, hashes, qualities)
            .ok_or_else(|| error("too many hashes"))?;
        self.add_list(py, list, threshold)
    }

    /// Number of lists.
    fn __len__(&self) -> usize {
        self.inner.list_count()
    }

    /// List `list`'s name, entry count and threshold.
    fn list_info(&self, list: usize) -> PyResult<(String, usize, u32, &'static str)> {
        let l = self
            .inner
            .list(list)
            .ok_or_else(|| error(format!("no list {list}")))?;
        Ok((
            l.name().to_owned(),
            l.len(),
            self.inner.threshold(list).unwrap_or(0),
            l.format().name(),
        ))
    }

    /// The id of entry `entry` of list `list` (an int for line or frame numbers, else a str)
    /// and its quality (`None` if the list gives none).
    fn entry(
        &self,
        py: Python<'_>,
        list: usize,
        entry: usize,
    ) -> PyResult<(Py<PyAny>, Option<u8>)> {
        let e = self
            .inner
            .list(list)
            .and_then(|l| l.entry(entry))
            .ok_or_else(|| error(format!("no entry {entry} in list {list}")))?;
        let id = match e.id {
            EntryId::Number(n) => n.into_pyobject(py)?.into_any().unbind(),
            EntryId::Text(s) => s.into_pyobject(py)?.into_any().unbind(),
        };
        Ok((id, e.quality))
    }

    /// Matches queries: each a list of 1 hash (as it is) or 8 (the dihedral hashes, in the
    /// reference's order), with a quality or `None`. Per query: its matches as
    /// `(list, entry, distance, orientation)`, and the quality of a query too featureless to
    /// match (`None` for a query that was matched).
    fn query(
        &self,
        py: Python<'_>,
        queries: Vec<Vec<Bound<'_, PyAny>>>,
        qualities: Vec<Option<u8>>,
    ) -> PyResult<Vec<(Vec<RawMatch>, Option<u8>)>> {
        if queries.len() != qualities.len() {
            return Err(error(format!(
                "{} qualities for {} queries",
                qualities.len(),
                queries.len()
            )));
        }
        let mut built = Vec::with_capacity(queries.len());
        for (hashes, quality) in queries.iter().zip(qualities) {
            let hashes = hashes.iter().map(to_hash).collect::<PyResult<Vec<_>>>()?;
            let hashes = match hashes.len() {
                1 => QueryHashes::Original(hashes[0]),
                8 => QueryHashes::Dihedral(hashes.try_into().expect("8 hashes")),
                n => {
                    return Err(error(format!(
                        "a query is 1 hash or the 8 dihedral hashes; got {n}"
                    )));
                }
            };
            built.push(Query { hashes, quality });
        }
        let matcher = &self.inner;
        Ok(py.detach(|| {
            matcher
                .match_queries(&built)
                .into_iter()
                .map(|outcome| match outcome {
                    QueryOutcome::Matched(matches) => (
                        matches
                            .into_iter()
                            .map(|m| (m.list, m.entry, m.distance, m.orientation.name()))
                            .collect(),
                        None,
                    ),
                    QueryOutcome::LowQuality(q) => (Vec::new(), Some(q)),
                })
                .collect()
        }))
    }

    /// Matches hex queries (as they are, quality unknown): for each, `(list, entry, distance)`.
    fn query_hex(
        &self,
        py: Python<'_>,
        hexes: Vec<String>,
    ) -> PyResult<Vec<Vec<(usize, usize, u32)>>> {
        let matcher = &self.inner;
        py.detach(|| {
            let queries = hexes
                .iter()
                .map(|h| {
                    Ok(Query {
                        hashes: QueryHashes::Original(h.parse::<Hash256>()?),
                        quality: None,
                    })
                })
                .collect::<Result<Vec<_>, vigil::ParseHashError>>()?;
            Ok(matcher
                .match_queries(&queries)
                .into_iter()
                .map(|outcome| match outcome {
                    QueryOutcome::Matched(matches) => matches
                        .into_iter()
                        .map(|m| (m.list, m.entry, m.distance))
                        .collect(),
                    QueryOutcome::LowQuality(_) => Vec::new(),
                })
                .collect())
        })
        .map_err(|e: vigil::ParseHashError| error(e))
    }
}

impl Matcher {
    pub(crate) fn add_list(
        &mut self,
        py: Python<'_>,
        list: HashList,
        threshold: u32,
    ) -> PyResult<usize> {
        let inner = &mut self.inner;
        py.detach(|| inner.add_list(list, threshold))
            .map_err(error)?;
        Ok(self.inner.list_count() - 1)
    }
}
