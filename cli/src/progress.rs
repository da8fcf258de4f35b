//! The one-line progress report that `vigil hash` and `vigil video` draw on stderr.
//!
//! Drawn only when stderr is a terminal and `TERM` is not `dumb`; the command's name in bold
//! unless `NO_COLOR` is set (to anything but empty). First drawn after a second (a short run
//! shows nothing), then redrawn at most 10 times a second, in place (`\r`, erase to the end of
//! the line); [`ProgressLine::clear`] erases it before other output and at the end.

use std::io::{self, IsTerminal, Write};
use std::time::{Duration, Instant};

/// How long a run goes before its progress is first drawn.
const FIRST_DRAWN_AFTER: Duration = Duration::from_secs(1);
/// Least time between two drawings.
const REDRAWN_EVERY: Duration = Duration::from_millis(100);

/// A progress line on stderr; see the [module](self) documentation.
pub struct ProgressLine {
    label: &'static str,
    enabled: bool,
    colour: bool,
    started: Instant,
    last_drawn: Option<Instant>,
    /// Whether the line is on the screen now.
    shown: bool,
    /// Items done so far.
    done: u64,
}

impl ProgressLine {
    /// A progress line for the command `label` (`"vigil hash"`), enabled as the module says.
    pub fn on_stderr(label: &'static str) -> ProgressLine {
        let dumb = std::env::var_os("TERM").is_some_and(|term| term == "dumb");
        ProgressLine {
            label,
            enabled: io::stderr().is_terminal() && !dumb,
            colour: std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()),
            started: Instant::now(),
            last_drawn: None,
            shown: false,
            done: 0,
        }
    }

    /// Counts `items` more done and redraws the line if it is due: `describe` gets the items
    /// done so far and per second, and returns the text after the label.
    pub fn advance(&mut self, items: u64, describe: impl FnOnce(u64, f64) -> String) {
        self.done += items;
        let (done, started) = (self.done, self.started);
        self.draw(|| {
            describe(
                done,
                done as f64 / started.elapsed().as_secs_f64().max(1e-9),
            )
        });
    }

    /// Redraws the line with the text `describe` returns (after the label) if it is due.
    pub fn draw(&mut self, describe: impl FnOnce() -> String) {
        if !self.enabled {
            return;
        }
        let now = Instant::now();
        let elapsed = now - self.started;
        let due = self
            .last_drawn
            .map_or(elapsed >= FIRST_DRAWN_AFTER, |last| {
                now - last >= REDRAWN_EVERY
            });
        if !due {
            return;
        }
        self.last_drawn = Some(now);
        self.shown = true;
        let (bold, plain) = if self.colour {
            ("\x1b[1m", "\x1b[0m")
        } else {
            ("", "")
        };
        let text = describe();
        let _ = write!(
            io::stderr().lock(),
            "\r{bold}{}{plain}: {text}\x1b[K",
            self.label
        );
    }

    /// Erases the line if it is shown (before other output on the terminal, and at the end).
    pub fn clear(&mut self) {
        if self.shown {
            let _ = write!(io::stderr().lock(), "\r\x1b[K");
            self.shown = false;
        }
    }
}
