//! How much memory this process may still take: what the kernel says is available, within the
//! container's (cgroup v2) limit. Used to refuse an input that cannot fit before allocating for
//! it, with a message, instead of being killed midway by the out-of-memory killer (Linux
//! overcommits, so an allocation that cannot be backed still succeeds).

/// Bytes this process can still allocate, as far as the system says; `None` where it does not
/// say (not Linux, or `/proc` unreadable).
pub(crate) fn available_bytes() -> Option<u64> {
    #[cfg(target_os = "linux")]
    {
        let meminfo = std::fs::read_to_string("/proc/meminfo").ok()?;
        let available = meminfo_available(&meminfo)?;
        Some(match cgroup_headroom() {
            Some(headroom) => available.min(headroom),
            None => available,
        })
    }
    #[cfg(not(target_os = "linux"))]
    {
        None
    }
}

/// `MemAvailable` of `/proc/meminfo`, in bytes.
#[cfg_attr(not(target_os = "linux"), allow(dead_code))]
fn meminfo_available(meminfo: &str) -> Option<u64> {
    let line = meminfo.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    kib.checked_mul(1024)
}

/// The cgroup v2 limit of this process's group minus what the group uses; `None` without a
/// limit (`max`) or without cgroup v2.
#[cfg(target_os = "linux")]
fn cgroup_headroom() -> Option<u64> {
    let membership = std::fs::read_to_string("/proc/self/cgroup").ok()?;
    // cgroup v2 has one line, "0::/path".
    let group = membership.lines().find_map(|l| l.strip_prefix("0::"))?;
    let dir = std::path::Path::new("/sys/fs/cgroup").join(group.trim_start_matches('/'));
    let read = |name: &str| std::fs::read_to_string(dir.join(name)).ok();
    let limit: u64 = read("memory.max")?.trim().parse().ok()?;
    let used: u64 = read("memory.current")?.trim().parse().ok()?;
    Some(limit.saturating_sub(used))
}

/// `bytes` for people: `1.5 GB`, `300 MB`, `12 kB`.
pub(crate) fn human_bytes(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["bytes", "kB", "MB", "GB", "TB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1000.0 && unit + 1 < UNITS.len() {
        value /= 1000.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} bytes")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn meminfo_is_read_in_kib() {
        let meminfo = "MemTotal:       16318480 kB\nMemFree:  100 kB\nMemAvailable:    8000 kB\n";
        assert_eq!(meminfo_available(meminfo), Some(8_192_000));
        assert_eq!(meminfo_available("MemTotal: 1 kB\n"), None);
    }

    #[test]
    fn sizes_read_as_people_write_them() {
        assert_eq!(human_bytes(999), "999 bytes");
        assert_eq!(human_bytes(1_500_000_000), "1.5 GB");
        assert_eq!(human_bytes(8 << 40), "8.8 TB");
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn linux_says_how_much_is_available() {
        let available = available_bytes().expect("/proc/meminfo");
        assert!(available > 0);
    }
}
