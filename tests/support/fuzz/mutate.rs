//! Input mutations for the fuzz targets: byte-level (bit flips, truncation, splicing, invalid
//! UTF-8, edge numbers, huge and deeply nested text) and structured ones on a JSON tree.

use rand::Rng;
use rand::rngs::StdRng;
use rand::seq::IndexedRandom;
use serde_json::{Map, Value};

/// Inputs are kept at most this long, except the rare huge ones (which reach just over the
/// intake's 1 MiB limit, so the size check is exercised too).
pub const MAX_LEN: usize = 64 * 1024;
pub const HUGE_LEN: usize = 1024 * 1024 + 4096;

/// Numbers at the edges, as text: integer and float limits, overflow, exponents, signs, and
/// spellings JSON or TOML refuse.
pub const EDGE_NUMBERS: &[&str] = &[
    "0",
    "-0",
    "1",
    "-1",
    "0.0",
    "-0.0",
    "1.5",
    "3650",
    "3651",
    "1000",
    "1001",
    "9223372036854775807",
    "-9223372036854775808",
    "9223372036854775808",
    "-9223372036854775809",
    "18446744073709551615",
    "18446744073709551616",
    "4294967295",
    "4294967296",
    "1e308",
    "-1e308",
    "1e309",
    "1e400",
    "5e-324",
    "1e-400",
    "1E+2",
    "123456789012345678901234567890",
    "00",
    "01",
    "+1",
    "0x10",
    "0o7",
    "0b1",
    "1_000",
    "inf",
    "-inf",
    "nan",
    "NaN",
    "Infinity",
    "1.",
    ".5",
    "1e",
    "--1",
    "1700000000000",
    "1790000000000",
    "1790000300000",
    "1790000300001",
    "1789999700000",
    "1789999699999",
];

/// Text that breaks naive handling: escapes, quotes, control characters, multi-byte and
/// case-changing characters, lone surrogate escapes, percent escapes, separators.
pub const WEIRD_STRINGS: &[&str] = &[
    "",
    " ",
    "\t\r\n",
    "\"",
    "\\",
    "'",
    "\\'",
    "''",
    "%",
    "%%",
    "%3",
    "%3A",
    "%2f",
    "%zz",
    "%é",
    ".",
    "..",
    "a.b.c",
    "\u{0}",
    "\u{7f}",
    "\u{1b}[31m",
    "é",
    "İ",
    "ǅ",
    "ß",
    "\u{fb03}",
    "Ω",
    "\u{200b}",
    "\u{feff}",
    "\u{202e}",
    "😀",
    "\u{10ffff}",
    "\\ud800",
    "\\udfff\\ud800",
    "\\u0000",
    "null",
    "true",
    "[]",
    "{}",
    "${HOME}",
    "<script>",
    "DROP TABLE",
];

/// Byte sequences that are not UTF-8: overlong, surrogate, truncated, stray continuation.
const INVALID_UTF8: &[&[u8]] = &[
    &[0xc0, 0x80],
    &[0xed, 0xa0, 0x80],
    &[0xe2, 0x82],
    &[0x80],
    &[0xff],
    &[0xfe, 0xff],
    &[0xf4, 0x90, 0x80, 0x80],
    &[0xf0, 0x9f, 0x98],
];

/// Bytes worth inserting into JSON, TOML and query text.
const SYNTAX_BYTES: &[u8] = b"{}[]\",:'\\=.%()*<>-+# \n\t0123456789eE";

pub fn pick<'a, T>(rng: &mut StdRng, items: &'a [T]) -> &'a T {
    items.choose(rng).expect("non-empty list")
}

/// An edge number, a weird string or a dictionary word, for a structured mutation.
pub fn edge_text(rng: &mut StdRng, dictionary: &[&str]) -> String {
    match rng.random_range(0..4) {
        0 => pick(rng, EDGE_NUMBERS).to_string(),
        1 => pick(rng, WEIRD_STRINGS).to_string(),
        2 if !dictionary.is_empty() => pick(rng, dictionary).to_string(),
        _ => long_string(rng),
    }
}

/// A string from a few bytes to a few kilobytes (rarely up to 64 KiB).
pub fn long_string(rng: &mut StdRng) -> String {
    let unit = pick(rng, &["a", "é", "😀", "\\", "%41", " ", "0"]);
    let n = if rng.random_ratio(1, 50) {
        rng.random_range(1000..16_000)
    } else {
        rng.random_range(1..300)
    };
    unit.repeat(n)
}

/// Applies one random byte-level mutation to `data`; `splice` holds other inputs to cross with.
pub fn bytes(rng: &mut StdRng, data: &mut Vec<u8>, splice: &[&[u8]], dictionary: &[&str]) {
    let len = data.len();
    let at = |rng: &mut StdRng| {
        if len == 0 {
            0
        } else {
            rng.random_range(0..=len)
        }
    };
    match rng.random_range(0..16) {
        0 if len > 0 => {
            let i = rng.random_range(0..len);
            data[i] ^= 1 << rng.random_range(0..8);
        }
        1 if len > 0 => {
            let i = rng.random_range(0..len);
            data[i] = rng.random();
        }
        2 if len > 0 => data.truncate(rng.random_range(0..len)),
        3 if len > 0 => {
            let start = rng.random_range(0..len);
            let end = (start + rng.random_range(1..=16)).min(len);
            data.drain(start..end);
        }
        4 if len > 0 => {
            let start = rng.random_range(0..len);
            let end = (start + rng.random_range(1..=64)).min(len);
            let chunk = data[start..end].to_vec();
            let i = at(rng);
            data.splice(i..i, chunk);
        }
        5 => {
            let i = at(rng);
            let byte = *pick(rng, SYNTAX_BYTES);
            data.insert(i, byte);
        }
        6 => {
            let i = at(rng);
            data.splice(i..i, pick(rng, INVALID_UTF8).iter().copied());
        }
        7 => {
            let i = at(rng);
            let word = edge_text(rng, dictionary);
            data.splice(i..i, word.into_bytes());
        }
        8 => replace_number(rng, data),
        9 if !splice.is_empty() => {
            let other = pick(rng, splice);
            let cut = rng.random_range(0..=len);
            let from = rng.random_range(0..=other.len());
            data.truncate(cut);
            data.extend_from_slice(&other[from..]);
        }
        10 => {
            let i = at(rng);
            let n = rng.random_range(1..=8);
            data.splice(i..i, (0..n).map(|_| rng.random::<u8>()));
        }
        11 if len > 0 => {
            // Swap two bytes (a reordering that keeps the length).
            let (i, j) = (rng.random_range(0..len), rng.random_range(0..len));
            data.swap(i, j);
        }
        12 if rng.random_ratio(1, 8) => nest(rng, data),
        13 if rng.random_ratio(1, 1000) => grow_huge(rng, data),
        14 => {
            // A byte-order mark or whitespace in front.
            let prefixes: [&[u8]; 3] = [b"\xef\xbb\xbf", b" \n\t", b"\0"];
            let prefix = *pick(rng, &prefixes);
            data.splice(0..0, prefix.iter().copied());
        }
        _ => {
            let i = at(rng);
            data.insert(i, *pick(rng, b"\"'\\"));
        }
    }
    if data.len() > HUGE_LEN {
        data.truncate(HUGE_LEN);
    }
}

/// Replaces a run of digits with an edge number.
fn replace_number(rng: &mut StdRng, data: &mut Vec<u8>) {
    let starts: Vec<usize> = (0..data.len())
        .filter(|&i| data[i].is_ascii_digit() && (i == 0 || !data[i - 1].is_ascii_digit()))
        .collect();
    let Some(&start) = starts.choose(rng) else {
        return;
    };
    let end = (start..data.len())
        .find(|&i| !data[i].is_ascii_digit())
        .unwrap_or(data.len());
    let number = pick(rng, EDGE_NUMBERS).as_bytes();
    data.splice(start..end, number.iter().copied());
}

/// Deep nesting at a random place: `[[[[...` or `{"a":{"a":...` (balanced or not), deeper than
/// the JSON parser's limit at times, and TOML's inline arrays and tables.
fn nest(rng: &mut StdRng, data: &mut Vec<u8>) {
    let depth = if rng.random_ratio(1, 4) {
        rng.random_range(100..5000)
    } else {
        rng.random_range(2..130)
    };
    let (open, close): (&[u8], &[u8]) = *pick(
        rng,
        &[
            (&b"["[..], &b"]"[..]),
            (b"{\"a\":", b"}"),
            (b"{a=", b"}"),
            (b"[[", b"]]"),
        ],
    );
    let i = if data.is_empty() {
        0
    } else {
        rng.random_range(0..=data.len())
    };
    let mut inner = open.repeat(depth);
    inner.push(b'1');
    if rng.random_bool(0.7) {
        inner.extend(close.repeat(depth));
    }
    data.splice(i..i, inner);
}

/// Makes the input huge: a long run repeated, up to just over 1 MiB.
fn grow_huge(rng: &mut StdRng, data: &mut Vec<u8>) {
    let target = rng.random_range(MAX_LEN..=HUGE_LEN);
    let units: [&[u8]; 6] = [b"a", b"{\"a\":1},", b"[1,", b"1", b" ", b"\"x\":\"y\","];
    let unit = *pick(rng, &units);
    let i = if data.is_empty() {
        0
    } else {
        rng.random_range(0..=data.len())
    };
    let n = target.saturating_sub(data.len()) / unit.len();
    data.splice(i..i, unit.repeat(n));
}

/// Applies 1..=`max` byte mutations, crossing with `splice`.
pub fn bytes_n(
    rng: &mut StdRng,
    data: &mut Vec<u8>,
    splice: &[&[u8]],
    dictionary: &[&str],
    max: u32,
) {
    for _ in 0..rng.random_range(1..=max) {
        bytes(rng, data, splice, dictionary);
    }
}

/// Keys and values a structured mutation may insert into a JSON tree.
pub struct Dictionary {
    pub keys: &'static [&'static str],
    pub strings: &'static [&'static str],
}

/// Applies one structured mutation to a random node of `value`.
pub fn json(rng: &mut StdRng, value: &mut Value, dict: &Dictionary) {
    let node = random_node(rng, value);
    match rng.random_range(0..10) {
        0 => *node = edge_value(rng, dict),
        1 => {
            // Change the type while keeping the content where it can be kept.
            *node = match node.take() {
                Value::Number(n) => Value::String(n.to_string()),
                Value::String(s) => serde_json::from_str::<Value>(&s).unwrap_or(Value::Null),
                Value::Bool(b) => Value::String(b.to_string()),
                Value::Array(a) => a.into_iter().next().unwrap_or(Value::Null),
                Value::Object(o) => Value::Array(o.into_iter().map(|(_, v)| v).collect()),
                Value::Null => Value::Object(Map::new()),
            }
        }
        2 => match node {
            Value::Object(map) if !map.is_empty() => {
                let key = map.keys().nth(rng.random_range(0..map.len())).cloned();
                if let Some(key) = key {
                    map.shift_remove(&key);
                }
            }
            Value::Array(items) if !items.is_empty() => {
                items.remove(rng.random_range(0..items.len()));
            }
            _ => *node = Value::Null,
        },
        3 | 4 => {
            let key = if dict.keys.is_empty() || rng.random_ratio(1, 6) {
                edge_text(rng, &[])
            } else {
                pick(rng, dict.keys).to_string()
            };
            let new = edge_value(rng, dict);
            match node {
                Value::Object(map) => {
                    map.insert(key, new);
                }
                Value::Array(items) => {
                    let i = rng.random_range(0..=items.len());
                    items.insert(i, new);
                }
                other => *other = new,
            }
        }
        5 => match node {
            Value::Array(items) if !items.is_empty() => {
                let copy = items[rng.random_range(0..items.len())].clone();
                let times = if rng.random_ratio(1, 20) {
                    rng.random_range(10..500)
                } else {
                    1
                };
                for _ in 0..times {
                    items.push(copy.clone());
                }
            }
            other => *other = Value::Array(vec![other.take()]),
        },
        6 => {
            if let Value::String(s) = node {
                let word = edge_text(rng, dict.strings);
                let i = rng.random_range(0..=s.chars().count());
                let byte = s.char_indices().nth(i).map_or(s.len(), |(b, _)| b);
                s.insert_str(byte, &word);
            } else {
                *node = Value::String(edge_text(rng, dict.strings));
            }
        }
        7 if !dict.strings.is_empty() => *node = Value::String(pick(rng, dict.strings).to_string()),
        8 => {
            if let Value::Array(items) = node {
                let n = items.len();
                if n > 1 {
                    items.swap(rng.random_range(0..n), rng.random_range(0..n));
                }
            } else {
                *node = edge_value(rng, dict);
            }
        }
        _ => *node = Value::String(pick(rng, EDGE_NUMBERS).to_string()),
    }
}

/// A node reached by a random walk from the root (stopping early at times).
fn random_node<'a>(rng: &mut StdRng, value: &'a mut Value) -> &'a mut Value {
    let len = match &*value {
        Value::Array(items) => items.len(),
        Value::Object(map) => map.len(),
        _ => 0,
    };
    if len == 0 || !rng.random_ratio(3, 4) {
        return value;
    }
    let i = rng.random_range(0..len);
    match value {
        Value::Array(items) => random_node(rng, &mut items[i]),
        Value::Object(map) => {
            let (_, child) = map.iter_mut().nth(i).expect("index within the map");
            random_node(rng, child)
        }
        other => other,
    }
}

/// A JSON value at an edge: limits, signs, empty containers, odd strings, dictionary words.
pub fn edge_value(rng: &mut StdRng, dict: &Dictionary) -> Value {
    match rng.random_range(0..12) {
        0 => Value::Null,
        1 => Value::Bool(rng.random()),
        2 => Value::from(*pick(
            rng,
            &[i64::MIN, i64::MAX, -1, 0, 1, 3650, 3651, 1000, 1001],
        )),
        3 => Value::from(u64::MAX),
        4 => Value::from(*pick(
            rng,
            &[1e308, -1e308, 1.5, -0.0, 5e-324, 0.1, 1e19, 3650.5],
        )),
        5 => Value::Array(vec![]),
        6 => Value::Object(Map::new()),
        7 | 8 if !dict.strings.is_empty() => Value::String(pick(rng, dict.strings).to_string()),
        9 => Value::String(long_string(rng)),
        _ => Value::String(edge_text(rng, dict.strings)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn mutations_change_inputs_and_stay_within_the_size_limit() {
        let mut rng = StdRng::seed_from_u64(7);
        let seed = br#"{"a":[1,2,{"b":"c"}]}"#.to_vec();
        let mut changed = 0;
        for _ in 0..2_000 {
            let mut data = seed.clone();
            bytes_n(&mut rng, &mut data, &[&seed[..]], &["x"], 4);
            assert!(data.len() <= HUGE_LEN);
            changed += usize::from(data != seed);
        }
        assert!(changed > 1_800, "only {changed} of 2000 inputs changed");
        let dict = Dictionary {
            keys: &["k"],
            strings: &["v"],
        };
        let mut value: Value = serde_json::from_slice(&seed).unwrap();
        let before = value.clone();
        for _ in 0..20 {
            json(&mut rng, &mut value, &dict);
        }
        assert_ne!(value, before);
    }
}
