//! Tests of list reading and writing: every format, every refusal, round trips, and no panic on
//! damaged input.

use super::*;

const A: &str = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22";
const B: &str = "b062eb9d2ab170c0567fcb672d9a5548c5612982dd5e374a7424ebbc8b135cb5";

fn parse(text: &str) -> Result<HashList, ListError> {
    HashList::parse("list.txt", text.as_bytes())
}

fn ids(list: &HashList) -> Vec<String> {
    list.entries().map(|e| e.id.to_string()).collect()
}

fn error(text: &str) -> String {
    parse(text).expect_err("should be refused").to_string()
}

#[test]
fn hex_lines_are_numbered_by_line() {
    let list = parse(&format!("# known\n{A}\n\n{}\r\n", B.to_uppercase())).unwrap();
    assert_eq!(list.format(), ListFormat::Hex);
    assert_eq!(list.hashes()[1].to_string(), B);
    assert_eq!(ids(&list), ["2", "4"]);
    assert_eq!(list.quality(0), None);
}

#[test]
fn hash_quality_lines_take_the_rest_as_id() {
    let list = parse(&format!("{A},100,dir/a, b.jpg\n{B},49\n")).unwrap();
    assert_eq!(list.format(), ListFormat::HashQuality);
    assert_eq!(ids(&list), ["dir/a, b.jpg", "2"]);
    assert_eq!((list.quality(0), list.quality(1)), (Some(100), Some(49)));
}

#[test]
fn csv_with_header_and_quotes() {
    let text = format!("ID, Quality ,pdq\n\"x,\"\"1\"\"\",90,{A}\n 7 ,,{B}\n");
    let list = parse(&text).unwrap();
    assert_eq!(list.format(), ListFormat::Csv);
    assert_eq!(ids(&list), ["x,\"1\"", "7"]);
    assert_eq!((list.quality(0), list.quality(1)), (Some(90), None));
    // Without an id column, the line number.
    let list = parse(&format!("hash\n{A}\n")).unwrap();
    assert_eq!(ids(&list), ["2"]);
}

#[test]
fn vpdq_frames() {
    let text = format!("0,100,{A},0.000\n1,87,{B},0.033\n");
    let list = parse(&text).unwrap();
    assert_eq!(list.format(), ListFormat::Vpdq);
    assert_eq!(ids(&list), ["0", "1"]);
    assert_eq!(list.quality(1), Some(87));
}

#[test]
fn vigil_video_json_lines_are_a_video() {
    // What `vigil video --json` prints: the same frames as the vPDQ lines, kind and timestamps
    // kept (it used to read back as a list of images, which changed `vigil video --list`'s
    // decision from a video comparison to "any frame").
    let text = format!(
        "{{\"frame\":0,\"quality\":100,\"hash\":\"{A}\",\"timestamp\":0.0}}\n\
         {{\"frame\":30,\"quality\":87,\"hash\":\"{B}\",\"timestamp\":1.001}}\n"
    );
    let json = parse(&text).unwrap();
    let vpdq = parse(&format!("0,100,{A},0.000\n30,87,{B},1.001\n")).unwrap();
    assert_eq!(json.kind(), ListKind::Video);
    assert_eq!(json.format(), ListFormat::JsonLines);
    assert_eq!(ids(&json), ids(&vpdq));
    assert_eq!(json.hashes(), vpdq.hashes());
    for i in 0..2 {
        assert_eq!(json.timestamp(i), vpdq.timestamp(i));
        assert_eq!(json.quality(i), vpdq.quality(i));
    }
    let missing = error(&format!(
        "{{\"frame\":0,\"quality\":100,\"hash\":\"{A}\",\"timestamp\":0.0}}\n\
         {{\"frame\":1,\"quality\":100,\"hash\":\"{A}\"}}\n"
    ));
    assert!(
        missing.contains("list.txt:2: expected a timestamp"),
        "{missing}"
    );
}

#[test]
fn quoted_ids_are_read_as_vigil_writes_them() {
    let text = format!("{A},100,\"a,\"\"b\"\"\\n\\\\\\xFF\\u{{e9}}.jpg\"\n{B},90,\"unclosed\n");
    let list = parse(&text).unwrap();
    assert_eq!(ids(&list), ["a,\"b\"\n\\\\xFFé.jpg", "\"unclosed"]);
}

#[test]
fn vigil_hash_dihedral_lines_are_a_list_of_original_hashes() {
    let hashes = [A, B, A, B, A, B, A, B].join(",");
    let list = parse(&format!(
        "{hashes},100,dir/a, b.jpg\n{hashes},7,\"c,d.png\"\n"
    ))
    .unwrap();
    assert_eq!(list.format(), ListFormat::Dihedral);
    assert_eq!(list.len(), 2);
    assert_eq!(list.hashes()[0].to_string(), A);
    assert_eq!(ids(&list), ["dir/a, b.jpg", "c,d.png"]);
    assert_eq!((list.quality(0), list.quality(1)), (Some(100), Some(7)));
    let short = [A, B, A, B, A, B, A, "zz"].join(",");
    assert!(error(&format!("{hashes},100,x\n{short},5,y\n")).starts_with("list.txt:2: "));
}

#[test]
fn vigil_hash_json_lines_are_a_list() {
    let text = format!(
        "{{\"path\":\"a.jpg\",\"hash\":\"{A}\",\"quality\":100}}\n\
         {{\"path\":\"b\\\\xFF\",\"path_escaped\":true,\"hash\":\"{B}\",\"quality\":40,\
         \"dihedral\":{{\"original\":\"{B}\"}}}}\n\
         {{\"frame\":3,\"quality\":90,\"hash\":\"{A}\",\"timestamp\":0.1}}\n{{\"hash\":\"{B}\"}}\n"
    );
    let list = parse(&text).unwrap();
    assert_eq!(list.format(), ListFormat::JsonLines);
    assert_eq!(ids(&list), ["a.jpg", "b\\xFF", "3", "4"]);
    assert_eq!(list.quality(1), Some(40));
    assert_eq!(list.quality(3), None);
    let failed = error(&format!(
        "{{\"path\":\"x\",\"hash\":\"{A}\"}}\n{{\"path\":\"y\",\"error\":\"bad\"}}\n"
    ));
    assert!(
        failed.starts_with("list.txt:2: a file that failed to hash"),
        "{failed}"
    );
    let matched = error(&format!("{{\"type\":\"match\",\"hash\":\"{A}\"}}\n"));
    assert!(matched.contains("vigil match"), "{matched}");
    assert!(error("{\"path\":\"x\"}\n").contains("\"hash\" field"));
    assert!(error("{not json\n").starts_with("list.txt:1: expected a JSON object"));
}

#[test]
fn binary_and_utf16_files_say_what_they_are() {
    let utf16: Vec<u8> = std::iter::once(0xFEFF_u16)
        .chain(A.encode_utf16())
        .flat_map(u16::to_le_bytes)
        .collect();
    let refused = HashList::parse("l.txt", &utf16).unwrap_err().to_string();
    assert!(
        refused.starts_with("l.txt: looks like a UTF-16 file"),
        "{refused}"
    );
    let bare: Vec<u8> = A.encode_utf16().flat_map(u16::to_le_bytes).collect();
    let refused = HashList::parse("l.txt", &bare).unwrap_err().to_string();
    assert!(
        refused.contains("looks like a binary or UTF-16 file"),
        "{refused}"
    );
    let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR";
    let refused = HashList::parse("l.txt", png).unwrap_err().to_string();
    assert!(refused.contains("not a hash list"), "{refused}");
}

#[test]
fn malformed_lines_name_file_and_line() {
    let cases = [
        (format!("{A}\n{}\n", &A[1..]), "list.txt:2: expected a hash"),
        (
            format!("{A}\n{}g\n", &A[1..]),
            "list.txt:2: expected a hash",
        ),
        (format!("{A},101\n"), "list.txt:1: expected a quality"),
        (format!("{A},-1\n"), "list.txt:1: expected a quality"),
        (format!("{A},\n"), "list.txt:1: expected a quality"),
        (
            format!("\n\nid,hash\n1,{A}\n2\n"),
            "list.txt:5: expected 2 fields",
        ),
        (format!("id,hash\n\"1,{A}\n"), "list.txt:2: unterminated"),
        (
            format!("0,100,{A},0.0\nx,100,{A},0.1\n"),
            "list.txt:2: expected a frame",
        ),
        (
            format!("0,100,{A},0.0\n1,100,{A}\n"),
            "list.txt:2: expected FRAME",
        ),
        ("name,size\na,1\n".to_owned(), "list.txt:1: not a hash list"),
    ];
    for (text, expected) in cases {
        let message = error(&text);
        assert!(message.starts_with(expected), "{message:?} for {text:?}");
    }
    let bad_utf8 = [A.as_bytes(), b",100,\xff\n"].concat();
    let message = HashList::parse("l", &bad_utf8).unwrap_err().to_string();
    assert!(message.starts_with("l:1: id is not UTF-8"), "{message}");
}

#[test]
fn empty_lists_are_refused() {
    for text in ["", "\n\n", "# nothing\n", "hash,id\n"] {
        assert!(
            matches!(parse(text), Err(ListError::Empty { .. })),
            "{text:?}"
        );
    }
}

#[test]
fn degenerate_entries_are_named() {
    let zero = "0".repeat(64);
    let ones = "f".repeat(64);
    let list = parse(&format!("{A},100\n{zero},100\n{ones},100\n{B},0\n")).unwrap();
    assert_eq!(
        list.degenerate_entries(),
        [
            (1, Degeneracy::AllZero),
            (2, Degeneracy::AllOne),
            (3, Degeneracy::ZeroQuality)
        ]
    );
}

fn sample_lists() -> Vec<HashList> {
    vec![
        parse(&format!("{A}\n{B}\n")).unwrap(),
        parse(&format!("{A}\n\n{B}\n")).unwrap(),
        parse(&format!("{A},100,dir/é.jpg\n{B},3\n")).unwrap(),
        parse(&format!("id,hash\n\" a,\"\"b\"\" \",{A}\n")).unwrap(),
        parse(&format!("5,100,{A},0.1\n")).unwrap(),
    ]
}

#[test]
fn binary_and_text_round_trip() {
    for list in sample_lists() {
        let mut binary = Vec::new();
        list.write_binary(&mut binary).unwrap();
        let from_binary = HashList::parse("b", &binary).unwrap();
        assert_eq!(from_binary.format(), ListFormat::Binary);
        assert_eq!(
            from_binary.entries().collect::<Vec<_>>(),
            list.entries().collect::<Vec<_>>()
        );
        let mut text = Vec::new();
        from_binary.write_text(&mut text).unwrap();
        let from_text = HashList::parse("t", &text).unwrap();
        assert_eq!(
            ids(&from_text),
            ids(&list),
            "{}",
            String::from_utf8_lossy(&text)
        );
        assert_eq!(from_text.hashes(), list.hashes());
        assert_eq!(
            (0..list.len())
                .map(|i| from_text.quality(i))
                .collect::<Vec<_>>(),
            (0..list.len()).map(|i| list.quality(i)).collect::<Vec<_>>()
        );
    }
    // Plain lists stay plain hex.
    let mut text = Vec::new();
    sample_lists()[0].write_text(&mut text).unwrap();
    assert_eq!(String::from_utf8(text).unwrap(), format!("{A}\n{B}\n"));
}

#[test]
fn damaged_binary_lists_are_refused_whole() {
    let mut binary = Vec::new();
    sample_lists()[2].write_binary(&mut binary).unwrap();
    // Every truncation.
    for len in 0..binary.len() {
        assert!(
            HashList::parse("b", &binary[..len]).is_err(),
            "length {len}"
        );
    }
    // Every single-bit flip past the magic.
    for at in MAGIC_LEN..binary.len() {
        let mut damaged = binary.clone();
        damaged[at] ^= 0x10;
        assert!(HashList::parse("b", &damaged).is_err(), "byte {at}");
    }
    // A huge count is refused by the size check, before any allocation.
    let mut huge = binary.clone();
    huge[16..24].copy_from_slice(&u64::MAX.to_le_bytes());
    let message = HashList::parse("b", &huge).unwrap_err().to_string();
    assert!(message.contains("do not fit"), "{message}");
    huge[16..24].copy_from_slice(&(1u64 << 40).to_le_bytes());
    assert!(HashList::parse("b", &huge).is_err());
    let mut trailing = binary.clone();
    trailing.push(0);
    assert!(HashList::parse("b", &trailing).is_err());
}

const MAGIC_LEN: usize = 8;

#[test]
fn no_panic_on_mutated_input() {
    let mut seeds: Vec<Vec<u8>> = sample_lists()
        .iter()
        .map(|list| {
            let mut binary = Vec::new();
            list.write_binary(&mut binary).unwrap();
            binary
        })
        .collect();
    seeds.push(format!("id,quality,hash\n1,2,{A}\n").into_bytes());
    seeds.push(format!("0,100,{A},0.1\n").into_bytes());
    let mut state = 0x1234_5678_9abc_def1u64;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for seed in &seeds {
        for _ in 0..300 {
            let mut bytes = seed.clone();
            for _ in 0..1 + next() % 4 {
                let at = (next() % bytes.len() as u64) as usize;
                match next() % 3 {
                    0 => bytes[at] = next() as u8,
                    1 => bytes.truncate(at),
                    _ => bytes.insert(at, b"\",\n#0"[(next() % 5) as usize]),
                }
                if bytes.is_empty() {
                    break;
                }
            }
            let _ = HashList::parse("fuzz", &bytes);
        }
    }
}

#[test]
fn large_lists_parse_in_chunks_with_line_numbers() {
    // More than one parallel chunk (1 MiB) of lines.
    let lines = 40_000;
    let mut text = String::with_capacity(lines * 65);
    for i in 0..lines {
        text.push_str(&format!("{:064x}\n", i + 1));
    }
    let list = parse(&text).unwrap();
    assert_eq!(list.len(), lines);
    assert_eq!(
        list.entry(lines - 1).unwrap().id,
        EntryId::Number(lines as u32)
    );
    assert_eq!(
        list.hashes()[lines - 1].to_string(),
        format!("{lines:064x}")
    );
    text.push_str("bad\n");
    assert!(error(&text).starts_with(&format!("list.txt:{}:", lines + 1)));
}

#[test]
fn a_byte_order_mark_is_not_part_of_the_header() {
    let text = format!("\u{feff}id,hash\nfirst,{A}\n");
    let list = HashList::parse("export.csv", text.as_bytes()).expect("CSV with a BOM");
    assert_eq!(list.len(), 1);
    assert_eq!(list.entry(0).unwrap().id.to_string(), "first");
}

/// A vPDQ list stays a video, with its frame numbers and timestamps, through binary and text.
#[test]
fn a_video_list_keeps_its_kind_through_every_format() {
    let text = format!("0,100,{A},0.000\n30,87,{B},1.001\n");
    let list = parse(&text).unwrap();
    assert_eq!(list.kind(), ListKind::Video);
    assert_eq!(
        list.timestamp(1),
        Some(std::time::Duration::from_millis(1001))
    );
    let mut binary = Vec::new();
    list.write_binary(&mut binary).unwrap();
    let from_binary = HashList::parse("b", &binary).unwrap();
    assert_eq!(from_binary.kind(), ListKind::Video);
    assert_eq!(ids(&from_binary), ["0", "30"]);
    assert_eq!(from_binary.timestamp(1), list.timestamp(1));
    let mut again = Vec::new();
    from_binary.write_text(&mut again).unwrap();
    assert_eq!(String::from_utf8(again).unwrap(), text);
    for images in &sample_lists()[..4] {
        assert_eq!(images.kind(), ListKind::Images);
        assert_eq!(images.timestamp(0), None);
    }
}

/// Lists written by version 1 (a 64-byte header, no list kind) still load, as image lists.
#[test]
fn version_1_binary_lists_still_load() {
    let list = &sample_lists()[2];
    let mut v2 = Vec::new();
    list.write_binary(&mut v2).unwrap();
    // The same body under a version 1 header: fields in its first 32 bytes, then their digest.
    let mut v1 = v2[..32].to_vec();
    v1[8..12].copy_from_slice(&1u32.to_le_bytes());
    let body = &v2[80..];
    let mut hasher = blake3::Hasher::new();
    hasher.update(&v1);
    hasher.update(body);
    v1.extend_from_slice(hasher.finalize().as_bytes());
    v1.extend_from_slice(body);
    let old = HashList::parse("v1", &v1).unwrap();
    assert_eq!(old.kind(), ListKind::Images);
    assert_eq!(
        old.entries().collect::<Vec<_>>(),
        list.entries().collect::<Vec<_>>()
    );
    let mut future = v2.clone();
    future[8..12].copy_from_slice(&3u32.to_le_bytes());
    let message = HashList::parse("v3", &future).unwrap_err().to_string();
    assert!(message.contains("version 3"), "{message}");
}

/// A list built in memory equals the text list of the same `HASH[,QUALITY]` lines.
#[test]
fn lists_from_hashes_equal_their_text_lists() {
    let a = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22";
    let b = "0000000000000000000000000000000000000000000000000000000000000001";
    let hashes = vec![a.parse().unwrap(), b.parse().unwrap()];
    let with_quality =
        HashList::from_hashes("list.txt", hashes.clone(), vec![Some(90), None]).unwrap();
    assert_eq!(with_quality, parse(&format!("{a},90\n{b}\n")).unwrap());
    let plain = HashList::from_hashes("list.txt", hashes.clone(), vec![None, None]).unwrap();
    assert_eq!(plain, parse(&format!("{a}\n{b}\n")).unwrap());
    assert!(HashList::from_hashes("list.txt", hashes.clone(), vec![None]).is_none());
    assert!(HashList::from_hashes("list.txt", hashes, vec![Some(101), None]).is_none());
    assert!(
        HashList::from_hashes("list.txt", Vec::new(), Vec::new())
            .unwrap()
            .is_empty()
    );
}

/// A list larger than the memory the system has available is refused before anything is
/// allocated for it, with its size and what is available (an 8 TiB sparse file: no disk used).
#[cfg(target_os = "linux")]
#[test]
fn a_list_too_large_for_memory_is_refused_before_it_is_read() {
    let dir = std::env::temp_dir().join(format!("vigil-huge-list-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("huge.txt");
    let file = std::fs::File::create(&path).unwrap();
    if file.set_len(8 << 40).is_err() {
        // A file system without sparse files this large: nothing to test here.
        std::fs::remove_dir_all(&dir).unwrap();
        return;
    }
    let message = HashList::load(&path).unwrap_err().to_string();
    std::fs::remove_dir_all(&dir).unwrap();
    assert!(
        message.contains("huge.txt: the list is 8.8 TB"),
        "{message}"
    );
    assert!(message.contains("available"), "{message}");
}

/// A list that fails to parse is named by its path exactly, bytes that are not UTF-8 included
/// (its name is the lossy UTF-8 form, which would not find the file again).
#[cfg(unix)]
#[test]
fn a_bad_list_is_named_by_its_exact_path() {
    use std::os::unix::ffi::OsStrExt;
    let dir = std::env::temp_dir().join(format!("vigil-list-name-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(std::ffi::OsStr::from_bytes(b"list-\xff.txt"));
    std::fs::write(&path, "not a hash\n").unwrap();
    let error = HashList::load(&path).unwrap_err();
    std::fs::remove_dir_all(&dir).unwrap();
    match error {
        ListError::Malformed { path: named, .. } => assert_eq!(named, path),
        other => panic!("{other}"),
    }
}
