//! Where an image to hash comes from: a file, bytes held in memory, or a reader (standard input,
//! a socket, an upload in flight), and how each is read within the memory budget.

use std::fmt;
use std::io::Read;
use std::path::{Path, PathBuf};

use crate::decode::{
    DecodeOptions, DecodedImage, decode_bytes, decode_file_counted, decoded_bytes_estimate,
    decoded_bytes_estimate_of,
};

use super::{STDIN, message_without_path};

/// One image to hash, as [`hash_sources`](super::hash_sources) takes it. Every kind has a name,
/// which its result carries ([`HashedFile::path`](super::HashedFile::path)) and whose extension
/// names the format of a TGA image (the only format without a signature).
///
/// ```
/// use vigil::files::ImageSource;
///
/// let upload = ImageSource::Bytes { name: "upload-17.jpg".into(), bytes: vec![0xff, 0xd8] };
/// assert_eq!(upload.name(), std::path::Path::new("upload-17.jpg"));
/// let on_disk = ImageSource::from(std::path::PathBuf::from("photo.png"));
/// assert_eq!(on_disk.name(), std::path::Path::new("photo.png"));
/// ```
#[non_exhaustive]
pub enum ImageSource {
    /// A file, read whole when its turn comes.
    Path(PathBuf),
    /// An encoded image already in memory.
    Bytes {
        /// What the result is named.
        name: PathBuf,
        /// The encoded image (JPEG, PNG, ...).
        bytes: Vec<u8>,
    },
    /// An encoded image to read to its end; it may hold no more than
    /// [`DecodeOptions::max_alloc`] bytes.
    Reader {
        /// What the result is named.
        name: PathBuf,
        /// Where the encoded image is read from.
        reader: Box<dyn Read + Send>,
    },
}

impl ImageSource {
    /// An image in memory named `name`.
    pub fn bytes(name: impl Into<PathBuf>, bytes: Vec<u8>) -> ImageSource {
        ImageSource::Bytes {
            name: name.into(),
            bytes,
        }
    }

    /// An image read from `reader`, named `name`.
    pub fn reader(name: impl Into<PathBuf>, reader: impl Read + Send + 'static) -> ImageSource {
        ImageSource::Reader {
            name: name.into(),
            reader: Box::new(reader),
        }
    }

    /// The name its result carries: the path of a file, the name given to the others.
    pub fn name(&self) -> &Path {
        match self {
            ImageSource::Path(path) => path,
            ImageSource::Bytes { name, .. } | ImageSource::Reader { name, .. } => name,
        }
    }
}

impl From<PathBuf> for ImageSource {
    fn from(path: PathBuf) -> Self {
        ImageSource::Path(path)
    }
}

impl From<&Path> for ImageSource {
    fn from(path: &Path) -> Self {
        ImageSource::Path(path.to_owned())
    }
}

impl fmt::Debug for ImageSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ImageSource::Path(path) => f.debug_tuple("Path").field(path).finish(),
            ImageSource::Bytes { name, bytes } => f
                .debug_struct("Bytes")
                .field("name", name)
                .field("len", &bytes.len())
                .finish(),
            ImageSource::Reader { name, .. } => {
                f.debug_struct("Reader").field("name", name).finish()
            }
        }
    }
}

/// What an item of the pipeline holds between its turns: a source, its bytes once a reader has
/// been read, or why it has no image.
pub(super) enum Content {
    Source(ImageSource),
    Failed(String),
}

/// One item of the pipeline, named as its result will be.
pub(super) struct Pending {
    pub name: PathBuf,
    pub content: Content,
}

impl Pending {
    pub fn new(source: ImageSource) -> Pending {
        Pending {
            name: source.name().to_owned(),
            content: Content::Source(source),
        }
    }

    pub fn failed(name: PathBuf, message: String) -> Pending {
        Pending {
            name,
            content: Content::Failed(message),
        }
    }

    /// Reads a reader to its end (at most `max_alloc` bytes), so that its header can be
    /// estimated and its image decoded like any bytes; a reader that fails or holds too much
    /// makes the item a failure.
    pub fn read(&mut self, max_alloc: u64) {
        let Content::Source(ImageSource::Reader { reader, .. }) = &mut self.content else {
            return;
        };
        let what = if self.name == Path::new(STDIN) {
            "standard input"
        } else {
            "the stream"
        };
        self.content = match read_bounded(reader, max_alloc, what) {
            Ok(bytes) => Content::Source(ImageSource::Bytes {
                name: self.name.clone(),
                bytes,
            }),
            Err(message) => Content::Failed(message),
        };
    }

    /// What decoding it may allocate at its peak, from its header (0 when unknown: its decoding
    /// then fails early, or it is a failure already).
    pub fn estimated_bytes(&self) -> u64 {
        match &self.content {
            Content::Source(ImageSource::Path(path)) => decoded_bytes_estimate(path),
            Content::Source(ImageSource::Bytes { name, bytes }) => {
                decoded_bytes_estimate_of(bytes, name)
            }
            Content::Source(ImageSource::Reader { .. }) | Content::Failed(_) => None,
        }
        .unwrap_or(0)
    }

    /// Its decoded image or why there is none, and how many encoded bytes it had (0 when
    /// unknown).
    pub fn decode(self, options: &DecodeOptions) -> (Result<DecodedImage, String>, u64) {
        match self.content {
            Content::Source(ImageSource::Path(path)) => {
                let (image, size) = decode_file_counted(&path, options);
                (image.map_err(message_without_path), size)
            }
            Content::Source(ImageSource::Bytes { name, bytes }) => {
                let image = decode_bytes(&bytes, name, options).map_err(message_without_path);
                (image, bytes.len() as u64)
            }
            Content::Source(ImageSource::Reader { name, reader }) => {
                // Not read ahead (the pipeline reads readers first): read it now.
                let mut pending = Pending::new(ImageSource::Reader { name, reader });
                pending.read(options.max_alloc);
                pending.decode(options)
            }
            Content::Failed(message) => (Err(message), 0),
        }
    }
}

/// The whole of `reader`, refused when it holds more than `limit` bytes (the encoded image may
/// not be larger than its decoded pixels may be) or nothing; `what` names it in messages.
fn read_bounded(reader: &mut dyn Read, limit: u64, what: &str) -> Result<Vec<u8>, String> {
    let mut bytes = Vec::new();
    reader
        .take(limit.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(|e| format!("cannot read {what}: {e}"))?;
    if bytes.len() as u64 > limit {
        return Err(format!(
            "{what} holds more than {limit} bytes; too large for one image"
        ));
    }
    if bytes.is_empty() {
        return Err(format!("{what} is empty: no image to hash"));
    }
    Ok(bytes)
}
