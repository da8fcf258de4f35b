//! Status codes, the calling thread's last error message, and the guard every entry point runs
//! its body in (no panic crosses the boundary).

use std::any::Any;
use std::cell::RefCell;
use std::ffi::{CString, c_char};
use std::panic::{AssertUnwindSafe, catch_unwind};

/// What a call did. Every function that can fail returns one; on anything but `VIGIL_STATUS_OK`,
/// `vigil_last_error()` says why, in words, on the same thread.
#[repr(u32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VigilStatus {
    /// Success.
    Ok = 0,
    /// A pointer argument that must not be NULL was NULL.
    NullPointer = 1,
    /// An argument out of range: a zero or oversized width or height, a row stride shorter than
    /// a row, a pixel buffer shorter than the frame, an unknown pixel format or backend, a size
    /// that overflows, a string that is not UTF-8.
    InvalidArgument = 2,
    /// Encoded image bytes that cannot be decoded, or whose decoding would exceed the limits in
    /// `VigilDecodeOptions` (a decompression bomb).
    DecodeError = 3,
    /// A hash list that cannot be read: malformed text, a damaged binary list (its digest does
    /// not match), an empty list.
    ListError = 4,
    /// A file could not be read.
    IoError = 5,
    /// A GPU was asked for (`VIGIL_BACKEND_GPU`) and none can be used, or the library was built
    /// without the `gpu` feature.
    GpuUnavailable = 6,
    /// A bug inside vigil: a Rust panic, caught at the boundary. The handle arguments of the call
    /// stay valid and may be freed.
    Panic = 7,
}

impl VigilStatus {
    /// The status's constant name without the `VIGIL_STATUS_` prefix, e.g. `"DECODE_ERROR"`.
    pub const fn name(self) -> &'static str {
        match self {
            VigilStatus::Ok => "OK",
            VigilStatus::NullPointer => "NULL_POINTER",
            VigilStatus::InvalidArgument => "INVALID_ARGUMENT",
            VigilStatus::DecodeError => "DECODE_ERROR",
            VigilStatus::ListError => "LIST_ERROR",
            VigilStatus::IoError => "IO_ERROR",
            VigilStatus::GpuUnavailable => "GPU_UNAVAILABLE",
            VigilStatus::Panic => "PANIC",
        }
    }
}

/// A failed call: its status and the message `vigil_last_error` will return.
#[derive(Debug)]
pub(crate) struct Failure {
    pub status: VigilStatus,
    pub message: String,
}

impl Failure {
    pub fn new(status: VigilStatus, message: impl Into<String>) -> Self {
        Failure {
            status,
            message: message.into(),
        }
    }

    pub fn null(argument: &str) -> Self {
        Failure::new(VigilStatus::NullPointer, format!("`{argument}` is NULL"))
    }

    pub fn invalid(message: impl Into<String>) -> Self {
        Failure::new(VigilStatus::InvalidArgument, message)
    }
}

impl From<engine::Error> for Failure {
    fn from(error: engine::Error) -> Self {
        use engine::Error;
        let status = match &error {
            Error::EmptyFrame { .. }
            | Error::FrameTooLarge { .. }
            | Error::StrideTooShort { .. }
            | Error::BufferTooShort { .. }
            | Error::CropOutside { .. } => VigilStatus::InvalidArgument,
            Error::Decode { .. } => VigilStatus::DecodeError,
            Error::GpuUnavailable(_) => VigilStatus::GpuUnavailable,
            Error::Io { .. } => VigilStatus::IoError,
            // A kind of error a later engine adds: its message says what went wrong.
            _ => VigilStatus::InvalidArgument,
        };
        Failure::new(status, error.to_string())
    }
}

impl From<engine::lists::ListError> for Failure {
    fn from(error: engine::lists::ListError) -> Self {
        let status = match &error {
            engine::lists::ListError::Io { .. } => VigilStatus::IoError,
            _ => VigilStatus::ListError,
        };
        Failure::new(status, error.to_string())
    }
}

thread_local! {
    static LAST_ERROR: RefCell<CString> = RefCell::new(CString::default());
}

/// Makes `message` the calling thread's last error (NUL bytes in it become spaces).
pub(crate) fn set_last_error(message: &str) {
    let message = c_string(message);
    LAST_ERROR.with(|last| *last.borrow_mut() = message);
}

/// The calling thread's last error message; valid until the thread's next failing call.
pub(crate) fn last_error_ptr() -> *const c_char {
    LAST_ERROR.with(|last| last.borrow().as_ptr())
}

/// `text` as a C string; interior NUL bytes (which no C string can hold) become spaces.
pub(crate) fn c_string(text: &str) -> CString {
    CString::new(text.replace('\0', " ")).unwrap_or_default()
}

/// The message a panic carried.
fn panic_message(panic: &(dyn Any + Send)) -> &str {
    panic
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| panic.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("(no message)")
}

/// Runs an entry point's body: a failure becomes its status and the thread's last error, a panic
/// becomes `VIGIL_STATUS_PANIC` (never unwinding into C).
pub(crate) fn guard(body: impl FnOnce() -> Result<(), Failure>) -> VigilStatus {
    match catch_unwind(AssertUnwindSafe(body)) {
        Ok(Ok(())) => VigilStatus::Ok,
        Ok(Err(failure)) => {
            set_last_error(&failure.message);
            failure.status
        }
        Err(panic) => {
            let message = format!("internal error in vigil: {}", panic_message(&*panic));
            // Setting the message allocates; if even that panics, the status still gets out.
            let _ = catch_unwind(AssertUnwindSafe(|| set_last_error(&message)));
            VigilStatus::Panic
        }
    }
}

/// Runs a body that cannot fail but for a panic, returning `fallback` then.
pub(crate) fn guard_value<T>(fallback: T, body: impl FnOnce() -> T) -> T {
    catch_unwind(AssertUnwindSafe(body)).unwrap_or(fallback)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::CStr;

    fn last_error() -> String {
        unsafe { CStr::from_ptr(last_error_ptr()) }
            .to_str()
            .unwrap()
            .to_owned()
    }

    #[test]
    fn a_failure_sets_the_message_and_status() {
        let status = guard(|| Err(Failure::invalid("width is 0")));
        assert_eq!(status, VigilStatus::InvalidArgument);
        assert_eq!(last_error(), "width is 0");
    }

    #[test]
    fn a_panic_is_caught() {
        let status = guard(|| panic!("boom"));
        assert_eq!(status, VigilStatus::Panic);
        assert_eq!(last_error(), "internal error in vigil: boom");
    }

    #[test]
    fn nul_bytes_do_not_cut_messages() {
        set_last_error("a\0b");
        assert_eq!(last_error(), "a b");
    }
}
