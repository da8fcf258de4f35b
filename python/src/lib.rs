//! `vigil._vigil`, the native half of vigil's Python package: conversions between numpy arrays,
//! Python objects and the `vigil` library, and nothing else. The Python modules in
//! `python/vigil/` give it its public shape (`vigil.pdq`, `vigil.Matcher`,
//! `vigil.threatexchange`); `python/vigil/_vigil.pyi` documents every item here.
//!
//! Long calls release the GIL ([`Python::detach`]); numpy arrays are read in place when their
//! pixels are packed (rows may be strided), copied once otherwise.

mod hash;
mod hashing;
mod matcher;
mod pixels;
mod video;

use pyo3::create_exception;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;

use vigil::Dihedral;

use hash::Hash;
use hashing::{Hasher, dct_array, hash_array, hash_encoded};
use matcher::Matcher;
use video::{VideoHasher, hash_video_file};

create_exception!(
    vigil,
    VigilError,
    PyValueError,
    "An error from the vigil library (a bad frame, list or option); the message is the library's."
);

fn error(message: impl ToString) -> PyErr {
    VigilError::new_err(message.to_string())
}

/// The names of the eight dihedral orientations, in the reference's order.
#[pyfunction]
fn dihedral_names() -> Vec<&'static str> {
    Dihedral::ALL.iter().map(|d| d.name()).collect()
}

/// The cargo features this build has: `gpu` (hashing on a GPU through wgpu), `turbojpeg`
/// (JPEG decoded by libjpeg-turbo, as Pillow decodes it).
#[pyfunction]
fn features() -> Vec<&'static str> {
    let mut out = Vec::new();
    if cfg!(feature = "gpu") {
        out.push("gpu");
    }
    if cfg!(feature = "turbojpeg") {
        out.push("turbojpeg");
    }
    out
}

#[pymodule]
fn _vigil(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("VigilError", m.py().get_type::<VigilError>())?;
    m.add("DEFAULT_THRESHOLD", vigil::DEFAULT_THRESHOLD)?;
    m.add("MIN_QUALITY", vigil::MIN_QUALITY)?;
    m.add_class::<Hash>()?;
    m.add_class::<Hasher>()?;
    m.add_class::<Matcher>()?;
    m.add_class::<VideoHasher>()?;
    m.add_function(wrap_pyfunction!(hash_video_file, m)?)?;
    m.add_function(wrap_pyfunction!(hash_array, m)?)?;
    m.add_function(wrap_pyfunction!(dct_array, m)?)?;
    m.add_function(wrap_pyfunction!(hash_encoded, m)?)?;
    m.add_function(wrap_pyfunction!(dihedral_names, m)?)?;
    m.add_function(wrap_pyfunction!(features, m)?)?;
    Ok(())
}
