//! Match keys: the normalised natural keys (email; SKU then name) used to find an existing record
//! on the other side before creating one, and to claim the key so a retried create is a no-op.

use serde::{Deserialize, Serialize};
use std::fmt;

use crate::model::MatchForm;

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
        Self::of_form(field, raw, rank, MatchForm::Text)
    }

    /// A key whose value is normalised as `form` says (a domain for `WebAddr` ⇄ `domain`).
    pub fn of_form(field: impl Into<String>, raw: &str, rank: u8, form: MatchForm) -> Option<Self> {
        let value = normalise_match(form, raw);
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

/// `raw` normalised as `form` says.
pub fn normalise_match(form: MatchForm, raw: &str) -> String {
    match form {
        MatchForm::Text => normalise_key(raw),
        MatchForm::Domain => normalise_domain(raw),
    }
}

/// A web address as its bare domain: trimmed, lower-cased, without a scheme (`https://`),
/// user info, a leading `www.`, a port, a path, query or fragment, or a trailing dot, so
/// `https://www.Example.com/about` and `example.com` are one key. Hand-written: the `url`
/// crate refuses scheme-less input like `example.com/x`, which both vendors hold.
pub fn normalise_domain(raw: &str) -> String {
    let text = raw.trim().to_lowercase();
    let rest = match text.find("://") {
        Some(at) => &text[at + 3..],
        None => text.strip_prefix("//").unwrap_or(&text),
    };
    let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host = host.rsplit('@').next().unwrap_or_default();
    let host = host.split(':').next().unwrap_or_default();
    let host = host.trim_end_matches('.');
    host.strip_prefix("www.").unwrap_or(host).to_owned()
}

/// Trimmed, inner whitespace collapsed, lower-cased.
pub fn normalise_key(raw: &str) -> String {
    raw.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_web_address_and_its_bare_domain_are_one_key() {
        for raw in [
            "example.com",
            "https://www.Example.com/",
            "http://example.com",
            "  WWW.EXAMPLE.COM  ",
            "https://www.example.com/about?x=1#top",
            "example.com/",
            "//example.com",
            "https://user@www.example.com:8443/path",
            "example.com.",
        ] {
            assert_eq!(normalise_domain(raw), "example.com", "{raw:?}");
        }
        // Subdomains other than www stay: they are other sites.
        assert_eq!(
            normalise_domain("https://shop.example.com/"),
            "shop.example.com"
        );
        assert_eq!(normalise_domain("wwwexample.com"), "wwwexample.com");
        assert_eq!(normalise_domain("   "), "");
        assert_eq!(normalise_domain("https://"), "");
    }

    #[test]
    fn keys_of_the_domain_form_compare_by_domain_and_text_keys_stay_as_they_were() {
        let a = MatchKey::of_form("domain", "https://www.Acme.example/", 2, MatchForm::Domain);
        let b = MatchKey::of_form("domain", "acme.example", 2, MatchForm::Domain);
        assert_eq!(a, b);
        assert_eq!(a.unwrap().claim_key(), "domain:acme.example");
        assert_eq!(
            MatchKey::new("name", "  Acme   Tools ", 1).unwrap().value,
            "acme tools"
        );
        assert_eq!(
            MatchKey::of_form("domain", "https://", 2, MatchForm::Domain),
            None
        );
        assert_eq!(
            normalise_match(MatchForm::Text, "https://www.Acme.example/"),
            "https://www.acme.example/"
        );
    }
}
