//! Checks the golden hashes, or rewrites them.
//!
//! ```text
//! cargo run -p vigil-tests --release --bin vigil-golden             # check; exit 1 on a difference
//! cargo run -p vigil-tests --release --bin vigil-golden -- --write  # rewrite golden/, print changes
//! ```
//!
//! Checking regenerates every case of `vigil_tests::golden`, hashes it and the PNG files under
//! `golden/inputs/`, and prints every difference from `golden/manifest.csv`. Writing re-encodes
//! the PNG inputs (a file is only rewritten when its bytes change), removes stray PNG files there,
//! rewrites the manifest and prints the lines added, removed and changed.

use std::collections::BTreeMap;
use std::fs;
use std::process::ExitCode;

use vigil_tests::golden::{self, Row};

const USAGE: &str = "usage: vigil-golden [--write]

Without arguments, recomputes every golden case and input and compares them with
golden/manifest.csv: prints each difference and exits 1 if there is any.
With --write, rewrites golden/inputs/*.png and golden/manifest.csv and prints what changed.";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let outcome = match args.iter().map(String::as_str).collect::<Vec<_>>()[..] {
        [] => check(),
        ["--write"] => write(),
        ["-h" | "--help"] => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        _ => {
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    match outcome {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(message) => {
            eprintln!("vigil-golden: {message}");
            ExitCode::FAILURE
        }
    }
}

/// Compares everything with the manifest; `Ok(true)` when it all matches.
fn check() -> Result<bool, String> {
    let recorded = golden::read_manifest()
        .map_err(|e| format!("{e}\n(to create it: {})", golden::REGENERATE))?;
    let (computed, mut problems) = compute_all();
    problems.extend(golden::compare(&recorded, &computed));
    for stray in golden::stray_inputs()? {
        problems.push(format!("inputs/{stray}: not a golden input"));
    }
    if problems.is_empty() {
        println!(
            "all {} golden rows match {}",
            computed.len(),
            golden::manifest_path().display()
        );
        return Ok(true);
    }
    for problem in &problems {
        println!("{problem}");
    }
    println!(
        "{} difference(s). If the change is intended, regenerate with:\n  {}",
        problems.len(),
        golden::REGENERATE
    );
    Ok(false)
}

/// Every case and PNG input, hashed; rows that could not be computed become problems.
fn compute_all() -> (Vec<Row>, Vec<String>) {
    let cases = golden::cases();
    let results = golden::compute_case_rows(&cases)
        .into_iter()
        .chain(golden::compute_png_rows());
    let mut rows = Vec::new();
    let mut problems = Vec::new();
    for result in results {
        match result {
            Ok(row) => rows.push(row),
            Err(e) => problems.push(e),
        }
    }
    (rows, problems)
}

/// Rewrites the PNG inputs and the manifest; prints what changed.
fn write() -> Result<bool, String> {
    let inputs = golden::inputs_dir();
    fs::create_dir_all(&inputs).map_err(|e| format!("{}: {e}", inputs.display()))?;
    for input in golden::png_inputs() {
        let png = golden::encode_png(&input.case, &input.case.generate())?;
        let path = input.path();
        match fs::read(&path) {
            Ok(old) if old == png => continue,
            Ok(_) => println!("rewrote {}", input.name()),
            Err(_) => println!("wrote {}", input.name()),
        }
        fs::write(&path, &png).map_err(|e| format!("{}: {e}", path.display()))?;
    }
    for stray in golden::stray_inputs()? {
        let path = inputs.join(&stray);
        fs::remove_file(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        println!("removed inputs/{stray}");
    }

    let (rows, problems) = compute_all();
    if !problems.is_empty() {
        return Err(problems.join("\n"));
    }
    let path = golden::manifest_path();
    let recorded = match fs::read_to_string(&path) {
        Ok(text) => golden::parse_manifest(&text).unwrap_or_else(|e| {
            println!("the old manifest does not parse ({e}); every line counts as added");
            Vec::new()
        }),
        Err(_) => Vec::new(),
    };
    let old: BTreeMap<&str, &Row> = recorded.iter().map(|r| (r.name.as_str(), r)).collect();
    let new: BTreeMap<&str, &Row> = rows.iter().map(|r| (r.name.as_str(), r)).collect();
    let (mut added, mut removed, mut changed) = (0, 0, 0);
    for row in &rows {
        match old.get(row.name.as_str()) {
            None => {
                added += 1;
                println!("added: {}", row.to_line());
            }
            Some(old) => {
                let differences = row.differences(old);
                if !differences.is_empty() {
                    changed += 1;
                    for difference in differences {
                        println!("changed: {difference}");
                    }
                }
            }
        }
    }
    for row in &recorded {
        if !new.contains_key(row.name.as_str()) {
            removed += 1;
            println!("removed: {}", row.to_line());
        }
    }
    let text = golden::manifest_text(&rows);
    if fs::read_to_string(&path).ok().as_deref() != Some(text.as_str()) {
        fs::write(&path, &text).map_err(|e| format!("{}: {e}", path.display()))?;
    }
    println!(
        "{}: {} rows; {added} added, {removed} removed, {changed} changed",
        path.display(),
        rows.len()
    );
    Ok(true)
}
