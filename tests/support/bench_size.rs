//! The benchmarks' size knob: `HQSYNC_BENCH_DIVISOR=n` divides every benchmark's record counts
//! (quick runs); unset, zero or not a number means full size.

/// The divisor from `HQSYNC_BENCH_DIVISOR` (1 when unset or invalid).
pub fn bench_divisor() -> usize {
    std::env::var("HQSYNC_BENCH_DIVISOR")
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|d| *d > 0)
        .unwrap_or(1)
}
