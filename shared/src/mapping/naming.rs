//! Names QBO requires to be unique (Customer `DisplayName`, Item `Name`): the base name derived
//! by the kind's `NameRule` (`model::kinds`) and the deterministic suffix after each 6240 answer.

use serde::{Deserialize, Serialize};

use super::qbo_fields::qbo_field;
use crate::model::{CanonicalValues, NameSuffixRule, ObjectKind, descriptor};

/// The unique name of a record about to be created in QBO, and how to vary it on collision.
/// Customer `DisplayName` is not a mapped field, so a suffix stays in QBO. Item `Name` is mapped
/// (HubSpot `name`): a suffixed name differs from the baseline after the create, so the next
/// sync copies it to the HubSpot product (one write) and both sides converge on it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UniqueName {
    /// QBO field path: `"DisplayName"` or `"Name"`.
    pub field: String,
    /// The name tried first.
    pub base: String,
    /// What `NameSuffixRule::MatchKey` appends (email or SKU); `None` falls back to numbers.
    pub suffix_key: Option<String>,
    pub rule: NameSuffixRule,
    pub max_len: usize,
}

impl UniqueName {
    /// The name to try on attempt `attempt` (0 = the base; each 6240 answer moves to the next).
    /// `number`: "Ada Lovelace (2)", "(3)", ...; `match_key`: "Ada Lovelace (ada@x.example)",
    /// then "Ada Lovelace (ada@x.example) (2)", ... The base is shortened to fit `max_len`.
    pub fn candidate(&self, attempt: u32) -> String {
        let key = match (self.rule, &self.suffix_key) {
            (NameSuffixRule::MatchKey, Some(key)) if !key.eq_ignore_ascii_case(&self.base) => {
                Some(key)
            }
            _ => None,
        };
        let suffix = match (attempt, key) {
            (0, _) => String::new(),
            (n, None) => format!(" ({})", n + 1),
            (1, Some(key)) => format!(" ({key})"),
            (n, Some(key)) => format!(" ({key}) ({n})"),
        };
        let room = self.max_len.saturating_sub(suffix.chars().count());
        let base: String = self.base.chars().take(room).collect();
        format!("{}{suffix}", base.trim_end())
    }
}

/// The unique name for a QBO record created from `canonical` values, or `None` when the values
/// hold nothing to name it by (contact: no name, company or email; product: no name or SKU).
pub fn unique_name_for_create(
    kind: ObjectKind,
    canonical: &CanonicalValues,
    rule: NameSuffixRule,
) -> Option<UniqueName> {
    let text = |field: &str| {
        canonical
            .get(field)
            .map(|v| clean_name(&v.as_text()))
            .filter(|s| !s.is_empty())
    };
    // Mirrored kinds are never created in QBO by the sync: no unique name to invent.
    let name_rule = descriptor(kind).qbo.unique_name?;
    let base = name_rule.base.iter().find_map(|group| {
        let joined = group
            .iter()
            .filter_map(|field| text(field))
            .collect::<Vec<_>>()
            .join(" ");
        (!joined.is_empty()).then_some(joined)
    })?;
    let field = name_rule.field;
    let suffix_key = text(name_rule.suffix_key);
    let max_len = qbo_field(kind, field)
        .and_then(|f| f.max_len)
        .expect("unique-name fields are known text fields");
    Some(UniqueName {
        field: field.to_owned(),
        base,
        suffix_key,
        rule,
        max_len,
    })
}

/// QBO forbids `:`, tab and newline in names; they become spaces, whitespace is collapsed.
fn clean_name(raw: &str) -> String {
    raw.replace([':', '\t', '\n', '\r'], " ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::CanonicalValue;

    fn values(pairs: &[(&str, &str)]) -> CanonicalValues {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), CanonicalValue::text(v).unwrap()))
            .collect()
    }

    #[test]
    fn display_name_is_name_else_company_else_email() {
        let cases = [
            (
                values(&[
                    ("firstname", "Ada"),
                    ("lastname", "Lovelace"),
                    ("company", "AE"),
                ]),
                "Ada Lovelace",
            ),
            (values(&[("lastname", "Lovelace")]), "Lovelace"),
            (
                values(&[("company", "Analytical: Engines"), ("email", "a@x.example")]),
                "Analytical Engines",
            ),
            (values(&[("email", "a@x.example")]), "a@x.example"),
        ];
        for (canonical, expected) in cases {
            let name =
                unique_name_for_create(ObjectKind::Contact, &canonical, NameSuffixRule::Number)
                    .unwrap();
            assert_eq!(name.field, "DisplayName");
            assert_eq!(name.candidate(0), expected);
        }
        assert!(
            unique_name_for_create(
                ObjectKind::Contact,
                &values(&[("phone", "1")]),
                NameSuffixRule::Number
            )
            .is_none()
        );
    }

    #[test]
    fn collision_suffixes_are_deterministic_per_rule() {
        let canonical = values(&[
            ("firstname", "Ada"),
            ("lastname", "Lovelace"),
            ("email", "ada@analytical.example"),
        ]);
        let number =
            unique_name_for_create(ObjectKind::Contact, &canonical, NameSuffixRule::Number)
                .unwrap();
        assert_eq!(number.candidate(1), "Ada Lovelace (2)");
        assert_eq!(number.candidate(2), "Ada Lovelace (3)");
        let by_key =
            unique_name_for_create(ObjectKind::Contact, &canonical, NameSuffixRule::MatchKey)
                .unwrap();
        assert_eq!(by_key.candidate(1), "Ada Lovelace (ada@analytical.example)");
        assert_eq!(
            by_key.candidate(2),
            "Ada Lovelace (ada@analytical.example) (2)"
        );
        // When the base already is the key, numbers are used.
        let email_only = unique_name_for_create(
            ObjectKind::Contact,
            &values(&[("email", "ada@analytical.example")]),
            NameSuffixRule::MatchKey,
        )
        .unwrap();
        assert_eq!(email_only.candidate(1), "ada@analytical.example (2)");
    }

    #[test]
    fn item_names_fall_back_to_sku_and_stay_within_the_length_limit() {
        let sku_only = unique_name_for_create(
            ObjectKind::Product,
            &values(&[("hs_sku", "CONS-1")]),
            NameSuffixRule::MatchKey,
        )
        .unwrap();
        assert_eq!(
            (sku_only.field.as_str(), sku_only.candidate(0).as_str()),
            ("Name", "CONS-1")
        );
        let long = "x".repeat(150);
        let named = unique_name_for_create(
            ObjectKind::Product,
            &values(&[("name", &long), ("hs_sku", "CONS-1")]),
            NameSuffixRule::MatchKey,
        )
        .unwrap();
        assert_eq!(named.candidate(0).chars().count(), 100);
        let second = named.candidate(1);
        assert_eq!(second.chars().count(), 100);
        assert!(second.ends_with(" (CONS-1)"), "{second}");
    }
}
