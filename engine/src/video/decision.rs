//! Deciding whether a video matches each list it is checked against.
//!
//! A list in vPDQ format ([`ListKind::Video`]) is a known video: the decision is vPDQ's video
//! comparison ([`compare_videos`]) of the upload's kept frames with the list's frames. Any other
//! list is a list of images: the video matches it when any frame of quality ≥ F matches an entry.
//! [`VideoLists`] holds the lists (and the matcher the frame checker uses); a [`DecisionTally`]
//! counts the frames as they come and gives one [`ListDecision`] per list at the end.
//!
//! ```
//! use vigil::lists::HashList;
//! use vigil::matcher::QueryOutcome;
//! use vigil::video::{CompareOptions, VideoLists, VpdqFeature};
//! use vigil::Hash256;
//!
//! let known = HashList::parse("known.vpdq", b"0,100,\
//!     f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22,0.000\n")?;
//! let lists = VideoLists::new(vec![known], &CompareOptions::default(), false)?;
//! let mut tally = lists.tally();
//! let feature = VpdqFeature {
//!     frame: 0,
//!     quality: 90,
//!     hash: "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22".parse::<Hash256>()?,
//!     timestamp: std::time::Duration::ZERO,
//! };
//! // The checker's outcome for the frame (here: no match reported; the video comparison
//! // decides from the frames themselves).
//! tally.record(&feature, Some(&QueryOutcome::Matched(Vec::new())));
//! let decisions = tally.decide();
//! assert!(decisions[0].is_match);
//! assert_eq!(decisions[0].comparison.unwrap().compared_percent, 100.0);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::sync::Arc;

use super::compare::{CompareOptions, VideoComparison, compare_videos, list_frames};
use super::input::VideoError;
use super::vpdq_format::VpdqFeature;
use crate::PdqHash;
use crate::lists::{HashList, ListKind};
use crate::matcher::{Match, MatchOptions, Matcher, QueryOutcome};

/// One list's part in the decision.
#[derive(Debug)]
struct KnownList {
    name: String,
    /// A known video's frames, for the video comparison; `None` for a list of images.
    video: Option<Vec<PdqHash>>,
}

/// The lists a video is checked against, with the matcher that matches its frames.
#[derive(Clone)]
pub struct VideoLists {
    matcher: Arc<Matcher>,
    lists: Arc<[KnownList]>,
    options: CompareOptions,
}

impl VideoLists {
    /// Indexes `lists` for videos decided by `options`: a frame matches an entry at distances up
    /// to its [`distance`](CompareOptions::distance) (D) inclusive, frames of quality under its
    /// [`min_quality`](CompareOptions::min_quality) (F) count for no list, and vPDQ lists are
    /// compared with it. `dihedral` (frames matched in all eight orientations) is refused with a
    /// vPDQ list ([`VideoError::DihedralWithVideoList`]).
    pub fn new(
        lists: Vec<HashList>,
        options: &CompareOptions,
        dihedral: bool,
    ) -> Result<VideoLists, VideoError> {
        // The quality gate is applied here (F), so the matcher matches every frame.
        let mut matcher = Matcher::new(MatchOptions::default().min_quality(0));
        let mut known = Vec::with_capacity(lists.len());
        for list in lists {
            let video = list.kind() == ListKind::Video;
            if video && dihedral {
                return Err(VideoError::DihedralWithVideoList { list: list.label() });
            }
            known.push(KnownList {
                name: list.name().to_owned(),
                video: video.then(|| list_frames(&list)),
            });
            matcher.add_list(list, options.distance)?;
        }
        Ok(VideoLists {
            matcher: Arc::new(matcher),
            lists: known.into(),
            options: *options,
        })
    }

    /// The matcher to attach to the frame checker
    /// ([`CheckerBuilder::matcher`](super::CheckerBuilder::matcher)).
    pub fn matcher(&self) -> &Arc<Matcher> {
        &self.matcher
    }

    /// How many lists.
    pub fn len(&self) -> usize {
        self.lists.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.lists.is_empty()
    }

    /// How videos are decided (given to [`VideoLists::new`]).
    pub fn options(&self) -> &CompareOptions {
        &self.options
    }

    /// A tally for one video.
    pub fn tally(&self) -> DecisionTally {
        DecisionTally {
            lists: self.clone(),
            frames: Vec::new(),
            frames_matched: vec![0; self.lists.len()],
        }
    }
}

/// What counts of one frame: its matches, unless its quality is under F.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FrameMatches<'a> {
    /// The frame's quality is under F: it matches nothing.
    pub low_quality: bool,
    /// The matches that count, nearest first (list, entry, distance, orientation).
    pub matches: &'a [Match],
}

/// A video's frames as they are hashed, counted per list.
pub struct DecisionTally {
    lists: VideoLists,
    /// The kept frames, for the video comparisons.
    frames: Vec<PdqHash>,
    /// Per list, frames with a match in it.
    frames_matched: Vec<usize>,
}

impl DecisionTally {
    /// Counts a kept frame with the checker's outcome for it; returns the matches that count.
    pub fn record<'a>(
        &mut self,
        feature: &VpdqFeature,
        outcome: Option<&'a QueryOutcome>,
    ) -> FrameMatches<'a> {
        self.frames.push(PdqHash {
            hash: feature.hash,
            quality: feature.quality,
        });
        let low_quality = feature.quality < self.lists.options.min_quality;
        let matches = match outcome {
            Some(QueryOutcome::Matched(matches)) if !low_quality => matches.as_slice(),
            _ => &[],
        };
        let mut counted = vec![false; self.frames_matched.len()];
        for found in matches {
            if let Some(hit) = counted.get_mut(found.list) {
                *hit = true;
            }
        }
        for (total, hit) in self.frames_matched.iter_mut().zip(counted) {
            *total += usize::from(hit);
        }
        FrameMatches {
            low_quality,
            matches,
        }
    }

    /// The lists this tally decides for.
    pub fn lists(&self) -> &VideoLists {
        &self.lists
    }

    /// The frames recorded so far.
    pub fn frames(&self) -> &[PdqHash] {
        &self.frames
    }

    /// How the video is decided (given to [`VideoLists::tally`]).
    pub fn options(&self) -> &CompareOptions {
        &self.lists.options
    }

    /// One decision per list, in the order given to [`VideoLists::new`].
    pub fn decide(&self) -> Vec<ListDecision> {
        let options = &self.lists.options;
        self.lists
            .lists
            .iter()
            .zip(&self.frames_matched)
            .enumerate()
            .map(|(index, (list, &frames_matched))| {
                let comparison = list
                    .video
                    .as_ref()
                    .map(|known| compare_videos(&self.frames, known, options));
                ListDecision {
                    index,
                    list: list.name.clone(),
                    is_match: comparison.map_or(frames_matched > 0, |c| c.is_match),
                    comparison,
                    frames_matched,
                    frames: self.frames.len(),
                }
            })
            .collect()
    }
}

/// Whether a video matches one list.
#[derive(Clone, Debug, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[non_exhaustive]
pub struct ListDecision {
    /// The list's position among the lists given (and in the matcher:
    /// [`Matcher::list`](crate::matcher::Matcher::list)).
    pub index: usize,
    /// The list's name.
    pub list: String,
    /// For a vPDQ list, vPDQ's video comparison; `None` for a list of images.
    pub comparison: Option<VideoComparison>,
    /// Kept frames of quality ≥ F with a match in the list.
    pub frames_matched: usize,
    /// Kept frames in all.
    pub frames: usize,
    /// The decision: the comparison's for a known video, any frame matched for images.
    pub is_match: bool,
}
