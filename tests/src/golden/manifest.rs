//! `golden/manifest.csv`: its rows, reading, writing, computing and comparing them.

use super::*;

/// One line of `golden/manifest.csv`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Row {
    /// Case name, or `inputs/<file>` for a PNG input.
    pub name: String,
    /// [`Kind::name`], or [`FILE_KIND`].
    pub kind: String,
    /// Generator seed (for a PNG input, its case's).
    pub seed: u64,
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// Pixel format of the hashed frame (for a PNG input, as decoded).
    pub format: PixelFormat,
    /// Row stride of the hashed frame in bytes.
    pub stride: usize,
    /// blake3 (hex) of the buffer handed to [`Frame::new`], or of the PNG file's bytes.
    pub input_blake3: String,
    /// PDQ quality, 0..=100.
    pub quality: u8,
    /// The eight dihedral hashes in [`vigil::Dihedral::ALL`] order; `dihedral[0]` is the hash.
    pub dihedral: [Hash256; 8],
}

impl Row {
    /// The row of a generated case, from its bytes (as made by [`Case::generate`]).
    pub fn for_case(case: &Case, bytes: &[u8]) -> Result<Row, String> {
        let frame = case
            .frame(bytes)
            .map_err(|e| format!("{}: {e}", case.name))?;
        Ok(Row::new(
            case.name.clone(),
            case.kind.name().to_owned(),
            case.seed,
            &frame,
            bytes,
        ))
    }

    /// The row of a PNG input, decoded from its file with the default options.
    pub fn for_png(input: &PngInput) -> Result<Row, String> {
        let path = input.path();
        let file = fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        let decoded =
            vigil::decode::decode_file(&path, &Default::default()).map_err(|e| e.to_string())?;
        let frame = decoded
            .frame()
            .map_err(|e| format!("{}: {e}", path.display()))?;
        Ok(Row::new(
            input.name(),
            FILE_KIND.to_owned(),
            input.case.seed,
            &frame,
            &file,
        ))
    }

    fn new(name: String, kind: String, seed: u64, frame: &Frame<'_>, input: &[u8]) -> Row {
        let DihedralHashes { hashes, quality } = vigil::hash_dihedral(frame);
        Row {
            name,
            kind,
            seed,
            width: frame.width(),
            height: frame.height(),
            format: frame.format(),
            stride: frame.stride(),
            input_blake3: blake3::hash(input).to_hex().to_string(),
            quality,
            dihedral: hashes,
        }
    }

    /// The PDQ hash (the original orientation).
    pub fn hash(&self) -> Hash256 {
        self.dihedral[0]
    }

    /// The `:`-joined dihedral hashes, as in the manifest.
    pub fn dihedral_field(&self) -> String {
        self.dihedral.map(|h| h.to_string()).join(":")
    }

    /// The manifest line (without newline).
    pub fn to_line(&self) -> String {
        format!(
            "{},{},{},{},{},{},{},{},{},{},{}",
            self.name,
            self.kind,
            self.seed,
            self.width,
            self.height,
            self.format.name(),
            self.stride,
            self.input_blake3,
            self.quality,
            self.hash(),
            self.dihedral_field()
        )
    }

    /// Parses a manifest line.
    pub fn parse(line: &str) -> Result<Row, String> {
        let fields: Vec<&str> = line.split(',').collect();
        let [
            name,
            kind,
            seed,
            width,
            height,
            format,
            stride,
            blake,
            quality,
            hash,
            dihedral,
        ] = fields[..]
        else {
            return Err(format!("expected 11 fields, got {}: {line}", fields.len()));
        };
        let number = |what: &str, text: &str| -> Result<u64, String> {
            text.parse()
                .map_err(|_| format!("{name}: bad {what} {text:?}"))
        };
        let small = |what: &str, text: &str| -> Result<u32, String> {
            text.parse()
                .map_err(|_| format!("{name}: bad {what} {text:?}"))
        };
        let parse_hash = |text: &str| -> Result<Hash256, String> {
            text.parse().map_err(|e| format!("{name}: {e}"))
        };
        let hashes: Vec<Hash256> = dihedral
            .split(':')
            .map(parse_hash)
            .collect::<Result<_, _>>()?;
        let dihedral: [Hash256; 8] = hashes
            .try_into()
            .map_err(|v: Vec<Hash256>| format!("{name}: {} dihedral hashes, not 8", v.len()))?;
        if parse_hash(hash)? != dihedral[0] {
            return Err(format!("{name}: hash is not the first dihedral hash"));
        }
        if blake.len() != 64 || !blake.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(format!("{name}: bad blake3 {blake:?}"));
        }
        if kind != FILE_KIND && Kind::from_name(kind).is_none() {
            return Err(format!("{name}: unknown kind {kind:?}"));
        }
        Ok(Row {
            name: name.to_owned(),
            kind: kind.to_owned(),
            seed: number("seed", seed)?,
            width: small("width", width)?,
            height: small("height", height)?,
            format: PixelFormat::from_name(format)
                .ok_or_else(|| format!("{name}: unknown format {format:?}"))?,
            stride: number("stride", stride)? as usize,
            input_blake3: blake.to_owned(),
            quality: quality
                .parse()
                .ok()
                .filter(|q| *q <= 100)
                .ok_or_else(|| format!("{name}: bad quality {quality:?}"))?,
            dihedral,
        })
    }

    /// What differs from `old` (the recorded row) in `self` (the recomputed one), one entry per
    /// kind of difference; empty when they are equal.
    pub fn differences(&self, old: &Row) -> Vec<String> {
        let name = &self.name;
        let mut out = Vec::new();
        let definition = |r: &Row| {
            format!(
                "{} seed {} {}x{} {} stride {}",
                r.kind,
                r.seed,
                r.width,
                r.height,
                r.format.name(),
                r.stride
            )
        };
        if definition(self) != definition(old) {
            out.push(format!(
                "{name}: case changed: {} -> {}",
                definition(old),
                definition(self)
            ));
        }
        if self.input_blake3 != old.input_blake3 {
            let cause = if self.kind == FILE_KIND {
                "the PNG file changed"
            } else {
                "the generator changed"
            };
            out.push(format!(
                "{name}: input drift ({cause}, not the engine): blake3 {} -> {}",
                old.input_blake3, self.input_blake3
            ));
        }
        if self.hash() != old.hash() || self.quality != old.quality {
            out.push(format!(
                "{name}: hash {} -> {}, quality {} -> {}",
                old.hash(),
                self.hash(),
                old.quality,
                self.quality
            ));
        }
        for (i, orientation) in vigil::Dihedral::ALL.into_iter().enumerate().skip(1) {
            if self.dihedral[i] != old.dihedral[i] {
                out.push(format!(
                    "{name}: dihedral {} {} -> {}",
                    orientation.name(),
                    old.dihedral[i],
                    self.dihedral[i]
                ));
            }
        }
        out
    }
}

/// Parses a whole manifest (header and rows); names must be unique.
pub fn parse_manifest(text: &str) -> Result<Vec<Row>, String> {
    let mut lines = text.lines();
    match lines.next() {
        Some(HEADER) => {}
        other => return Err(format!("manifest header is {other:?}, expected {HEADER:?}")),
    }
    let rows: Vec<Row> = lines
        .filter(|l| !l.trim().is_empty())
        .map(Row::parse)
        .collect::<Result<_, _>>()?;
    let mut seen = BTreeMap::new();
    for row in &rows {
        if seen.insert(row.name.as_str(), ()).is_some() {
            return Err(format!("manifest names {} twice", row.name));
        }
    }
    Ok(rows)
}

/// Reads and parses `golden/manifest.csv`.
pub fn read_manifest() -> Result<Vec<Row>, String> {
    let path = manifest_path();
    let text = fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    parse_manifest(&text)
}

/// The manifest text for `rows`, header first, one line each, newline-terminated.
pub fn manifest_text(rows: &[Row]) -> String {
    let mut text = format!("{HEADER}\n");
    for row in rows {
        text.push_str(&row.to_line());
        text.push('\n');
    }
    text
}

/// Regenerates and hashes every case, on all cores, in the order of `cases`.
pub fn compute_case_rows(cases: &[Case]) -> Vec<Result<Row, String>> {
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get());
    let next = AtomicUsize::new(0);
    let results = Mutex::new(vec![None; cases.len()]);
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(case) = cases.get(i) else { break };
                    let row = Row::for_case(case, &case.generate());
                    if let Ok(mut results) = results.lock() {
                        results[i] = Some(row);
                    }
                }
            });
        }
    });
    let results: Vec<Option<Result<Row, String>>> = results
        .into_inner()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    results
        .into_iter()
        .zip(cases)
        .map(|(row, case)| row.unwrap_or_else(|| Err(format!("{}: not computed", case.name))))
        .collect()
}

/// Compares recomputed rows with the recorded manifest: every difference, including cases missing
/// from the manifest and manifest rows that no case makes any more.
pub fn compare(recorded: &[Row], computed: &[Row]) -> Vec<String> {
    let old: BTreeMap<&str, &Row> = recorded.iter().map(|r| (r.name.as_str(), r)).collect();
    let new: BTreeMap<&str, &Row> = computed.iter().map(|r| (r.name.as_str(), r)).collect();
    let mut out = Vec::new();
    for row in computed {
        match old.get(row.name.as_str()) {
            Some(old) => out.extend(row.differences(old)),
            None => out.push(format!("{}: not in the manifest", row.name)),
        }
    }
    for row in recorded {
        if !new.contains_key(row.name.as_str()) {
            out.push(format!(
                "{}: in the manifest but no longer generated",
                row.name
            ));
        }
    }
    out
}

/// Hashes every PNG input from its file under `golden/inputs/`, in the order of [`png_inputs`].
pub fn compute_png_rows() -> Vec<Result<Row, String>> {
    png_inputs().iter().map(Row::for_png).collect()
}

/// PNG files under `golden/inputs/` that are not among [`png_inputs`] (file names, sorted).
pub fn stray_inputs() -> Result<Vec<String>, String> {
    let dir = inputs_dir();
    let expected: Vec<String> = png_inputs().into_iter().map(|i| i.file_name).collect();
    let entries = match fs::read_dir(&dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(format!("{}: {e}", dir.display())),
    };
    let mut stray = Vec::new();
    for entry in entries {
        let name = entry
            .map_err(|e| format!("{}: {e}", dir.display()))?
            .file_name()
            .to_string_lossy()
            .into_owned();
        if name.ends_with(".png") && !expected.contains(&name) {
            stray.push(name);
        }
    }
    stray.sort();
    Ok(stray)
}
