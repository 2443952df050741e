//! Shrinks a failing input: removes chunks (halves down to single bytes) while the same failure
//! still happens, then simplifies bytes, within an attempt budget (delta debugging, simplified).

/// Smallest input found for which `still_fails` holds, starting from `input` (which must fail).
pub fn minimize(
    input: &[u8],
    budget: usize,
    mut still_fails: impl FnMut(&[u8]) -> bool,
) -> Vec<u8> {
    let mut best = input.to_vec();
    let mut attempts = 0;
    let mut chunk = best.len().div_ceil(2).max(1);
    while chunk >= 1 && attempts < budget {
        let mut start = 0;
        let mut removed_any = false;
        while start < best.len() && attempts < budget {
            let end = (start + chunk).min(best.len());
            let mut candidate = Vec::with_capacity(best.len() - (end - start));
            candidate.extend_from_slice(&best[..start]);
            candidate.extend_from_slice(&best[end..]);
            attempts += 1;
            if still_fails(&candidate) {
                best = candidate;
                removed_any = true;
            } else {
                start = end;
            }
        }
        if !removed_any {
            if chunk == 1 {
                break;
            }
            chunk = chunk.div_ceil(2);
        }
    }
    // Replace bytes by a plain letter where that keeps the failure: the rest is what matters.
    for i in 0..best.len() {
        if attempts >= budget {
            break;
        }
        if best[i] == b'a' {
            continue;
        }
        let mut candidate = best.clone();
        candidate[i] = b'a';
        attempts += 1;
        if still_fails(&candidate) {
            best = candidate;
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_only_what_the_failure_needs() {
        let input = b"xxxxxxxxxxBOOMyyyyyyyyyyyyyyyyyyy";
        let small = minimize(input, 10_000, |i| i.windows(4).any(|w| w == b"BOOM"));
        assert_eq!(small, b"BOOM");
    }
}
