//! `vigil`: the command-line tool of the vigil PDQ engine.
//!
//! This file parses the command line, dispatches to one module per subcommand and turns their
//! outcome into an exit status. A later subcommand (`match`, `video`, `bench`, `devices`) is a new
//! variant of [`Command`], a new module and one more arm in [`main`].

mod bench_cmd;
mod devices_cmd;
mod edits;
mod engine_values;
mod hash_cmd;
mod list_cmd;
mod match_cmd;
mod output;
mod progress;
mod robust_args;
mod robustness_cmd;
mod video_cmd;
mod video_compare_cmd;
mod video_output;

use std::io::{IsTerminal, Write};
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Exit status when every input was processed (and, for `match`, something matched).
pub const EXIT_OK: u8 = 0;
/// Exit status of `match` when nothing matched (as ripgrep's 1).
pub const EXIT_NO_MATCH: u8 = 1;
/// Exit status when any input failed or output could not be written (as ripgrep's 2). Usage
/// errors also exit with 2; clap reports them.
pub const EXIT_ERROR: u8 = 2;

const AFTER_HELP: &str = "\
Exit status: 0 if every file was hashed, 2 if any failed or on a usage error; `match`: 0 if
anything matched, 1 if nothing did, 2 on an error.

Examples:
  vigil hash photo.jpg
  vigil hash --dihedral --json uploads/ > hashes.jsonl
  vigil match --list known.bin --dihedral uploads/";

/// Deterministic PDQ perceptual hashing, bit-identical on every backend and compatible with
/// Meta's reference PDQ.
#[derive(Debug, Parser)]
#[command(name = "vigil", version, after_help = AFTER_HELP)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Hash image files and directories of images with PDQ.
    Hash(hash_cmd::HashArgs),
    /// Match images or hashes against lists of known hashes.
    Match(match_cmd::MatchArgs),
    /// Convert hash lists between text and binary, or describe one.
    List(list_cmd::ListArgs),
    /// Measure hashing throughput on this machine's backends.
    Bench(bench_cmd::BenchArgs),
    /// List the GPU adapters and the one `--backend auto` takes.
    Devices(devices_cmd::DevicesArgs),
    /// Hash a video with vPDQ (every frame, or one every S seconds); match it against lists.
    Video(video_cmd::VideoArgs),
    /// Compare two videos' vPDQ hashes: query %, compared % and the decision.
    VideoCompare(video_compare_cmd::VideoCompareArgs),
    /// Measure how often plain, dihedral and robust queries find edited copies of photos.
    Robustness(robustness_cmd::RobustnessArgs),
}

/// How a subcommand ended, for the exit status.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Every input was processed.
    Success,
    /// At least one input failed (each was reported on stderr); the rest were processed.
    SomeFailed,
    /// Every input was processed and nothing matched (`match` only).
    NothingMatched,
}

impl Outcome {
    fn exit_code(self) -> ExitCode {
        match self {
            Outcome::Success => ExitCode::from(EXIT_OK),
            Outcome::SomeFailed => ExitCode::from(EXIT_ERROR),
            Outcome::NothingMatched => ExitCode::from(EXIT_NO_MATCH),
        }
    }
}

/// Writes `vigil: MESSAGE` to stderr (without the line breaks a message from a decoder or
/// ffmpeg may end with). A closed stderr is ignored: there is nowhere else to say it.
pub fn report_error(message: &str) {
    let _ = writeln!(std::io::stderr().lock(), "vigil: {}", message.trim_end());
}

/// On SIGINT, SIGTERM or SIGHUP: removes the temporary files of outputs not yet complete
/// (`vigil list convert`, `vigil video -o`; see [`vigil::output_file`]) and exits with 128 + the
/// signal's number (130, 143, 129), as the shell reports a process the signal ended.
fn remove_temporary_files_on_signals() {
    #[cfg(unix)]
    {
        use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
        // Without the handler (it cannot fail short of resource exhaustion) the signals keep
        // their default action: exit at once, possibly leaving a temporary file.
        let Ok(mut signals) = signal_hook::iterator::Signals::new([SIGINT, SIGTERM, SIGHUP]) else {
            return;
        };
        std::thread::spawn(move || {
            if let Some(signal) = signals.forever().next() {
                vigil::output_file::remove_pending_temporaries();
                if std::io::stderr().is_terminal() {
                    // A progress line may be on the screen.
                    let _ = write!(std::io::stderr().lock(), "\r\x1b[K");
                }
                std::process::exit(128 + signal);
            }
        });
    }
}

/// Mesa's Vulkan drivers print `error: XDG_RUNTIME_DIR is invalid or not set` when a GPU is
/// opened without a desktop session (a server, CI), although compute needs no display. Point it at
/// the temporary directory so that users do not mistake the warning for one of vigil's errors.
fn quiet_mesa_runtime_dir_warning() {
    if std::env::var_os("XDG_RUNTIME_DIR").is_none() {
        // SAFETY: called first thing in `main`, before any other thread exists.
        unsafe { std::env::set_var("XDG_RUNTIME_DIR", std::env::temp_dir()) };
    }
}

/// Engine diagnostics (a GPU batch re-run on the CPU, the backend chosen) on stderr; `VIGIL_LOG`
/// sets the level (`warn` by default; `info` says which backend hashes).
fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("VIGIL_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none())
        .without_time()
        .with_target(false)
        .try_init();
}

fn main() -> ExitCode {
    quiet_mesa_runtime_dir_warning();
    remove_temporary_files_on_signals();
    init_logging();
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Hash(args) => hash_cmd::run(&args),
        Command::Match(args) => match_cmd::run(&args),
        Command::List(args) => list_cmd::run(&args),
        Command::Bench(args) => bench_cmd::run(&args),
        Command::Devices(args) => devices_cmd::run(&args),
        Command::Video(args) => video_cmd::run(&args),
        Command::Robustness(args) => robustness_cmd::run(&args),
        Command::VideoCompare(args) => video_compare_cmd::run(&args),
    };
    match result {
        Ok(outcome) => outcome.exit_code(),
        Err(message) => {
            report_error(&message);
            ExitCode::from(EXIT_ERROR)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }
}
