//! Match keys: the normalised natural keys (email; SKU then name) used to find an existing record
//! on the other side before creating one, and to claim the key so a retried create is a no-op.

use serde::{Deserialize, Serialize};
use std::fmt;

/// One natural key of a record: the canonical field it comes from and its normalised value
/// (trimmed, lower-cased: QBO queries compare case-insensitively).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct MatchKey {
    /// Canonical field name, e.g. `"email"`, `"hs_sku"`, `"name"`.
    pub field: String,
    pub value: String,
    /// 1 = the strongest key of the kind.
    pub rank: u8,
}

impl MatchKey {
    pub fn new(field: impl Into<String>, raw: &str, rank: u8) -> Option<Self> {
        let value = normalise_key(raw);
        (!value.is_empty()).then(|| Self {
            field: field.into(),
            value,
            rank,
        })
    }

    /// The storage form of the natural-key claim (`KEY#{claim_key}`), e.g. `email:ada@x.example`.
    pub fn claim_key(&self) -> String {
        format!("{}:{}", self.field, self.value)
    }
}

impl fmt::Display for MatchKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {:?}", self.field, self.value)
    }
}

/// Trimmed, inner whitespace collapsed, lower-cased.
pub fn normalise_key(raw: &str) -> String {
    raw.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}
