//! Expands the paths given (on a command line, by a caller) into the files to process, lazily and
//! in a deterministic order.
//!
//! A path that is a directory is walked recursively, entries sorted by file name, and only files
//! with an image extension ([`IMAGE_EXTENSIONS`], any case) are kept. Any other path is passed
//! through as given, whatever its extension, so that naming a file always attempts it (and a
//! missing one is reported when it is opened).

use std::ffi::OsStr;
use std::path::{Path, PathBuf};

use walkdir::WalkDir;

/// File extensions (compared case-insensitively) of the files kept when walking a directory.
/// AVIF and HEIC files are walked in every build: one built without their feature reports each
/// as an error naming the feature rather than passing over them in silence.
pub const IMAGE_EXTENSIONS: [&str; 21] = [
    "png", "jpg", "jpeg", "jfif", "gif", "webp", "bmp", "tif", "tiff", "ppm", "pgm", "pbm", "pam",
    "pnm", "qoi", "tga", "ico", "avif", "heic", "heif", "hif",
];

/// One item of the expansion: a file to process, or a failure to list part of a directory.
#[derive(Debug)]
pub enum Input {
    /// A file to process: the path as given, or as walked (the given directory joined with the
    /// entry's relative path).
    File(PathBuf),
    /// A directory entry that could not be read; processing goes on with the others.
    Error {
        /// The entry that failed (the walked directory itself if the error names none).
        path: PathBuf,
        /// What went wrong, without the path.
        message: String,
    },
}

/// Whether `path` has one of [`IMAGE_EXTENSIONS`].
pub fn has_image_extension(path: &Path) -> bool {
    path.extension()
        .and_then(OsStr::to_str)
        .is_some_and(|ext| IMAGE_EXTENSIONS.iter().any(|e| e.eq_ignore_ascii_case(ext)))
}

/// The files named by `paths`, in order, directories expanded as the module describes.
///
/// Directory walks do not descend into symbolic links to directories, but do keep symbolic links
/// to image files.
pub fn expand(paths: &[PathBuf]) -> impl Iterator<Item = Input> + '_ {
    paths
        .iter()
        .flat_map(|path| -> Box<dyn Iterator<Item = Input> + '_> {
            if path.is_dir() {
                Box::new(walk_dir(path))
            } else {
                Box::new(std::iter::once(Input::File(path.clone())))
            }
        })
}

fn walk_dir(root: &Path) -> impl Iterator<Item = Input> + '_ {
    WalkDir::new(root)
        .sort_by_file_name()
        .into_iter()
        .filter_map(move |entry| match entry {
            Ok(entry) => {
                let file_type = entry.file_type();
                let is_file =
                    file_type.is_file() || (file_type.is_symlink() && entry.path().is_file());
                (is_file && has_image_extension(entry.path()))
                    .then(|| Input::File(entry.into_path()))
            }
            Err(err) => {
                let path = err.path().unwrap_or(root).to_path_buf();
                let message = match err.io_error() {
                    Some(io) => io.to_string(),
                    None => err.to_string(),
                };
                Some(Input::Error { path, message })
            }
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_extensions_any_case() {
        for name in [
            "a.png", "b.JPG", "c.Jpeg", "d.gif", "e.webp", "f.BMP", "g.tif", "h.tiff", "i.ppm",
            "j.PGM", "k.pbm", "l.pam", "m.pnm", "n.qoi", "o.tga", "p.ico", "q.avif", "r.HEIC",
            "s.heif",
        ] {
            assert!(has_image_extension(Path::new(name)), "{name}");
        }
        for name in ["a.txt", "png", "b.png.bak", "c", ".png"] {
            assert!(!has_image_extension(Path::new(name)), "{name}");
        }
    }

    #[test]
    fn named_files_pass_through_whatever_their_extension() {
        let paths = vec![PathBuf::from("no/such/file.txt")];
        let inputs: Vec<Input> = expand(&paths).collect();
        assert!(matches!(&inputs[..], [Input::File(p)] if p == Path::new("no/such/file.txt")));
    }
}
