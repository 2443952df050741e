//! Reads this process's resident memory from `/proc/self/status` (`VmRSS`, `VmHWM`) and resets
//! the high-water mark between targets (`/proc/self/clear_refs`, Linux 4.0+), in KiB.

/// Current resident set size, KiB (0 where `/proc` is absent).
pub fn rss_kib() -> u64 {
    status_field("VmRSS:")
}

/// Peak resident set size since start or the last [`reset_peak`], KiB.
pub fn peak_kib() -> u64 {
    status_field("VmHWM:")
}

/// Resets `VmHWM` to the current RSS so each target reports its own peak; `false` where the
/// kernel refuses (the peak then spans the earlier targets too).
pub fn reset_peak() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

fn status_field(name: &str) -> u64 {
    let Ok(status) = std::fs::read_to_string("/proc/self/status") else {
        return 0;
    };
    status
        .lines()
        .find_map(|line| line.strip_prefix(name))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|kib| kib.parse().ok())
        .unwrap_or(0)
}
