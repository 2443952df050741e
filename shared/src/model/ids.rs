//! Identifiers shared by every layer: the connection id newtype, the two sides and the object
//! kinds, each with one stable string form used in storage keys, jobs and settings.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// Longest connection id we accept; it prefixes every storage key (docs/architecture.md §10).
const CONNECTION_ID_MAX_LEN: usize = 64;

/// A connection (one HubSpot portal ⇄ one QBO company). Validated: 1..=64 characters of
/// `[A-Za-z0-9_-]`, so it can never break a `CONN#{c}#...` storage key.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ConnectionId(String);

/// Why a string is not a valid [`ConnectionId`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "invalid connection id {value:?}: use 1 to {CONNECTION_ID_MAX_LEN} characters of letters, digits, '-' or '_'"
)]
pub struct InvalidConnectionId {
    pub value: String,
}

impl ConnectionId {
    pub fn new(value: impl Into<String>) -> Result<Self, InvalidConnectionId> {
        let value = value.into();
        let valid = !value.is_empty()
            && value.len() <= CONNECTION_ID_MAX_LEN
            && value
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if valid {
            Ok(Self(value))
        } else {
            Err(InvalidConnectionId { value })
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for ConnectionId {
    type Error = InvalidConnectionId;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::new(value)
    }
}

impl From<ConnectionId> for String {
    fn from(id: ConnectionId) -> Self {
        id.0
    }
}

impl FromStr for ConnectionId {
    type Err = InvalidConnectionId;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::new(s)
    }
}

impl fmt::Display for ConnectionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A name that is not one of the expected values (side or object kind).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {what} {value:?}; expected one of: {expected}")]
pub struct UnknownName {
    pub what: &'static str,
    pub value: String,
    pub expected: &'static str,
}

/// One of the two systems we keep in sync.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Side {
    Hubspot,
    Quickbooks,
}

impl Side {
    pub const BOTH: [Side; 2] = [Side::Hubspot, Side::Quickbooks];

    pub fn as_str(self) -> &'static str {
        match self {
            Side::Hubspot => "hubspot",
            Side::Quickbooks => "quickbooks",
        }
    }

    /// The side across from this one.
    pub fn other(self) -> Side {
        match self {
            Side::Hubspot => Side::Quickbooks,
            Side::Quickbooks => Side::Hubspot,
        }
    }
}

impl fmt::Display for Side {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Side {
    type Err = UnknownName;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Side::BOTH
            .into_iter()
            .find(|side| side.as_str() == s)
            .ok_or_else(|| UnknownName {
                what: "side",
                value: s.to_owned(),
                expected: "hubspot, quickbooks",
            })
    }
}

/// The kinds of object a connection syncs (docs/architecture.md §1). Two-way: HubSpot contact ⇄ QBO
/// Customer, HubSpot company ⇄ QBO Customer (one or the other per connection: the customer
/// model, docs/admin.md §6), HubSpot product ⇄ QBO Item (linked, planned, merged). Mirrored one-way from QBO:
/// Invoice (→ HubSpot invoice) and Payment (→ invoice balance, deal notes); a workflow-action
/// job is an Invoice job on the HubSpot side.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ObjectKind {
    Contact,
    Company,
    Product,
    Invoice,
    Payment,
}

impl ObjectKind {
    /// Every kind: jobs, cursors, statuses and the sync log know all five.
    pub const ALL: [ObjectKind; 5] = [
        ObjectKind::Contact,
        ObjectKind::Company,
        ObjectKind::Product,
        ObjectKind::Invoice,
        ObjectKind::Payment,
    ];
    /// The kinds the two-way engine (links, mappings, planner, gateways) syncs.
    pub const TWO_WAY: [ObjectKind; 3] = [
        ObjectKind::Contact,
        ObjectKind::Company,
        ObjectKind::Product,
    ];
    /// The kinds mirrored one-way from QBO by `engine::invoicing::invoices` / `engine::invoicing::payments`.
    pub const MIRRORED: [ObjectKind; 2] = [ObjectKind::Invoice, ObjectKind::Payment];

    /// Whether the two-way engine syncs this kind.
    pub fn is_two_way(self) -> bool {
        Self::TWO_WAY.contains(&self)
    }

    /// Stable name used in jobs, storage keys and settings (`"contact"`, `"invoice"`…).
    pub fn as_str(self) -> &'static str {
        super::kinds::descriptor(self).name
    }

    /// The kind's name for many records, for pages and messages (`"contacts"`, `"companies"`).
    pub fn plural(self) -> &'static str {
        match self {
            ObjectKind::Company => "companies",
            ObjectKind::Contact => "contacts",
            ObjectKind::Product => "products",
            ObjectKind::Invoice => "invoices",
            ObjectKind::Payment => "payments",
        }
    }

    /// The vendor's name for this kind's object on a side, for messages and logs.
    pub fn vendor_name(self, side: Side) -> &'static str {
        super::kinds::descriptor(self).vendor_name(side)
    }
}

impl fmt::Display for ObjectKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ObjectKind {
    type Err = UnknownName;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ObjectKind::ALL
            .into_iter()
            .find(|kind| kind.as_str() == s)
            .ok_or_else(|| UnknownName {
                what: "object kind",
                value: s.to_owned(),
                expected: "contact, company, product, invoice, payment",
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connection_id_accepts_key_safe_names_and_rejects_others() {
        assert!(ConnectionId::new("acme-prod_1").is_ok());
        for bad in ["", "a#b", "a b", "é", &"x".repeat(65)] {
            let err = ConnectionId::new(bad).unwrap_err();
            assert_eq!(err.value, bad);
        }
        let parsed: Result<ConnectionId, _> = serde_json::from_str("\"a#b\"");
        assert!(parsed.is_err());
    }

    #[test]
    fn side_and_kind_round_trip_through_their_names() {
        for side in Side::BOTH {
            assert_eq!(side.as_str().parse::<Side>().unwrap(), side);
            assert_eq!(serde_json::to_string(&side).unwrap(), format!("\"{side}\""));
            assert_eq!(side.other().other(), side);
        }
        for kind in ObjectKind::ALL {
            assert_eq!(kind.as_str().parse::<ObjectKind>().unwrap(), kind);
            assert_eq!(serde_json::to_string(&kind).unwrap(), format!("\"{kind}\""));
        }
        assert!("deal".parse::<ObjectKind>().is_err());
        assert!(
            ObjectKind::ALL
                .iter()
                .all(|k| k.is_two_way() != ObjectKind::MIRRORED.contains(k))
        );
    }
}
