//! The CPU backend: runs the stages of [`crate::stages`] for one frame, and batches of frames in
//! parallel with rayon. Its hashes are the definition every other backend must equal bit for bit.

use std::cell::RefCell;

use rayon::prelude::*;

use crate::frame::Frame;
use crate::hash::{DihedralHashes, Hash256, PdqHash};
use crate::plan::FramePlan;
use crate::stages::{self, DCT_SIDE, DOWNSAMPLED, MIN_HASHABLE_SIDE};

/// What each stage produced for one frame: for tests that compare backends stage by stage.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StageOutputs {
    /// Stage 2: the 64×64 luma image, row-major.
    pub downsampled: Box<[u32; DOWNSAMPLED * DOWNSAMPLED]>,
    /// Stage 3: the quality score.
    pub quality: u8,
    /// Stage 4: the 16×16 DCT block, row-major.
    pub dct: [i64; DCT_SIDE * DCT_SIDE],
}

thread_local! {
    // Stage 1's output is 64 rows of the frame's width: reused across the frames a thread hashes.
    static COLUMN_SCRATCH: RefCell<Vec<u32>> = const { RefCell::new(Vec::new()) };
}

/// Runs stages 1–4. `None` for frames under 5 pixels on a side, which hash to zeros.
pub fn stage_outputs(frame: &Frame<'_>) -> Option<StageOutputs> {
    if frame.width() < MIN_HASHABLE_SIDE || frame.height() < MIN_HASHABLE_SIDE {
        return None;
    }
    let plan = FramePlan::new(frame.width(), frame.height());
    let downsampled = COLUMN_SCRATCH.with_borrow_mut(|columns| {
        columns.resize(DOWNSAMPLED * frame.row_bytes(), 0);
        stages::tent_columns(frame, &plan, columns);
        Box::new(stages::tent_rows(columns, &plan, frame.format()))
    });
    let quality = stages::quality(&downsampled, &plan);
    let dct = stages::dct(&downsampled);
    Some(StageOutputs {
        downsampled,
        quality,
        dct,
    })
}

/// The PDQ hash and quality of one frame.
///
/// ```
/// use vigil::{Frame, PixelFormat};
/// let pixels: Vec<u8> = (0..128 * 96).map(|i| (i % 251) as u8).collect();
/// let frame = Frame::packed(&pixels, 128, 96, PixelFormat::Luma8)?;
/// let pdq = vigil::hash(&frame);
/// println!("{},{}", pdq.hash, pdq.quality);
/// # Ok::<(), vigil::Error>(())
/// ```
pub fn hash(frame: &Frame<'_>) -> PdqHash {
    match stage_outputs(frame) {
        Some(out) => PdqHash {
            hash: stages::hash_from_dct(&out.dct),
            quality: out.quality,
        },
        None => PdqHash {
            hash: Hash256::ZERO,
            quality: 0,
        },
    }
}

/// The eight dihedral hashes of one frame, from a single pass over its pixels.
pub fn hash_dihedral(frame: &Frame<'_>) -> DihedralHashes {
    match stage_outputs(frame) {
        Some(out) => DihedralHashes {
            hashes: stages::dihedral_hashes_from_dct(&out.dct),
            quality: out.quality,
        },
        None => DihedralHashes {
            hashes: [Hash256::ZERO; 8],
            quality: 0,
        },
    }
}

/// Hashes a batch of frames on all cores; results in the order of `frames`.
pub fn hash_batch(frames: &[Frame<'_>]) -> Vec<PdqHash> {
    frames.par_iter().map(hash).collect()
}

/// Dihedral hashes of a batch of frames on all cores; results in the order of `frames`.
pub fn hash_dihedral_batch(frames: &[Frame<'_>]) -> Vec<DihedralHashes> {
    frames.par_iter().map(hash_dihedral).collect()
}
