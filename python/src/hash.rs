//! `vigil.Hash`: a PDQ hash as Python sees it, and the conversions from what Python passes.

use numpy::PyArray1;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyString};

use vigil::Hash256;

use crate::error;

/// A 256-bit PDQ hash: 32 bytes in hex order (most significant first).
#[pyclass(frozen, eq, hash, module = "vigil")]
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Hash(pub(crate) Hash256);

#[pymethods]
impl Hash {
    #[new]
    fn new(value: &Bound<'_, PyAny>) -> PyResult<Self> {
        to_hash(value).map(Hash)
    }

    /// The 64 hex digits, most significant first (the reference's form).
    #[getter]
    fn hex(&self) -> String {
        self.0.to_string()
    }

    fn __bytes__<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, self.0.as_bytes())
    }

    /// The 256 bits as a numpy uint8 vector, most significant bit first (pdqhash's order).
    #[getter]
    fn bits<'py>(&self, py: Python<'py>) -> Bound<'py, PyArray1<u8>> {
        let bits: Vec<u8> = (0..256).rev().map(|k| u8::from(self.0.bit(k))).collect();
        PyArray1::from_vec(py, bits)
    }

    /// Hamming distance to another hash (or its hex or bytes): the number of differing bits.
    fn distance(&self, other: &Bound<'_, PyAny>) -> PyResult<u32> {
        Ok(self.0.distance(&to_hash(other)?))
    }

    /// Number of set bits.
    fn count_ones(&self) -> u32 {
        self.0.count_ones()
    }

    fn __str__(&self) -> String {
        self.0.to_string()
    }

    fn __repr__(&self) -> String {
        format!("vigil.Hash('{}')", self.0)
    }

    fn __reduce__<'py>(
        slf: &Bound<'py, Self>,
    ) -> PyResult<(Bound<'py, PyAny>, (Bound<'py, PyBytes>,))> {
        let py = slf.py();
        let class = slf.get_type().into_any();
        Ok((class, (PyBytes::new(py, slf.get().0.as_bytes()),)))
    }
}

/// A hash from a `Hash`, 64 hex digits, or 32 bytes in hex order.
pub(crate) fn to_hash(value: &Bound<'_, PyAny>) -> PyResult<Hash256> {
    if let Ok(hash) = value.cast::<Hash>() {
        return Ok(hash.get().0);
    }
    if let Ok(text) = value.cast::<PyString>() {
        return text.to_cow()?.parse().map_err(error);
    }
    if let Ok(bytes) = value.cast::<PyBytes>() {
        let bytes = bytes.as_bytes();
        let bytes: [u8; 32] = bytes
            .try_into()
            .map_err(|_| error(format!("a PDQ hash is 32 bytes; got {} bytes", bytes.len())))?;
        return Ok(Hash256::from_bytes(bytes));
    }
    Err(pyo3::exceptions::PyTypeError::new_err(format!(
        "a PDQ hash is a vigil.Hash, 64 hex digits or 32 bytes; got {}",
        value.get_type().name()?
    )))
}
