//! The seeded generator of a person's edits (docs/chaos.md §2): fresh, unique values for
//! creates and match-key edits, and one field change at a time on either side.

use hqsync::model::{NativeValues, ObjectKind, Side};
use rand::Rng;
use rand::rngs::StdRng;
use serde_json::{Value, json};

/// One editable field: its HubSpot property and QBO path (the default mapping's rows).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EditableField {
    pub hubspot: &'static str,
    pub qbo: &'static str,
    /// A match key (email, SKU): edits give it a fresh value.
    pub match_key: bool,
}

const CONTACT_FIELDS: [EditableField; 3] = [
    EditableField {
        hubspot: "company",
        qbo: "CompanyName",
        match_key: false,
    },
    EditableField {
        hubspot: "firstname",
        qbo: "GivenName",
        match_key: false,
    },
    EditableField {
        hubspot: "email",
        qbo: "PrimaryEmailAddr.Address",
        match_key: true,
    },
];

const PRODUCT_FIELDS: [EditableField; 3] = [
    EditableField {
        hubspot: "price",
        qbo: "UnitPrice",
        match_key: false,
    },
    EditableField {
        hubspot: "name",
        qbo: "Name",
        match_key: false,
    },
    EditableField {
        hubspot: "hs_sku",
        qbo: "Sku",
        match_key: true,
    },
];

pub fn editable_fields(kind: ObjectKind) -> &'static [EditableField] {
    match kind {
        ObjectKind::Product => &PRODUCT_FIELDS,
        _ => &CONTACT_FIELDS,
    }
}

/// Fresh values from a counter, so no two records a person makes share a natural key, a
/// QBO DisplayName or an item Name (any duplicate the checker finds is then the sync's).
#[derive(Debug, Default)]
pub struct Fresh {
    next: u64,
}

impl Fresh {
    fn n(&mut self) -> u64 {
        self.next += 1;
        self.next
    }

    /// The values of a new record of `kind` made on `side`.
    pub fn create(&mut self, rng: &mut StdRng, kind: ObjectKind, side: Side) -> NativeValues {
        let n = self.n();
        let mut values = NativeValues::new();
        let mut put = |k: &str, v: Value| {
            values.insert(k.to_owned(), v);
        };
        match (kind, side) {
            (ObjectKind::Product, Side::Hubspot) => {
                put("name", json!(format!("Widget {n}")));
                put("hs_sku", json!(format!("SKU-{n}")));
                put("price", json!(price(rng)));
            }
            (ObjectKind::Product, Side::Quickbooks) => {
                put("Name", json!(format!("Widget {n}")));
                put("Sku", json!(format!("SKU-{n}")));
                put("UnitPrice", json!(price(rng).parse::<f64>().unwrap_or(1.0)));
                put("Type", json!("Service"));
            }
            (_, Side::Hubspot) => {
                put("email", json!(format!("p{n}@chaos.test")));
                put("firstname", json!(format!("Pat{n}")));
                put("lastname", json!(format!("Lee{n}")));
                put("company", json!(format!("Co {n}")));
            }
            (_, Side::Quickbooks) => {
                put("DisplayName", json!(format!("Pat{n} Lee{n}")));
                put("GivenName", json!(format!("Pat{n}")));
                put("FamilyName", json!(format!("Lee{n}")));
                put(
                    "PrimaryEmailAddr.Address",
                    json!(format!("p{n}@chaos.test")),
                );
                put("CompanyName", json!(format!("Co {n}")));
            }
        }
        values
    }

    /// A new value for `field` of `kind` written on `side` (native form).
    pub fn value(
        &mut self,
        rng: &mut StdRng,
        kind: ObjectKind,
        side: Side,
        field: &EditableField,
    ) -> NativeValues {
        let n = self.n();
        let value = match field.hubspot {
            "email" => json!(format!("p{n}@chaos.test")),
            "hs_sku" => json!(format!("SKU-{n}")),
            "company" => json!(format!("Co {n}")),
            "firstname" => json!(format!("Pat{n}")),
            "name" => json!(format!("Widget {n}")),
            _ => match side {
                Side::Hubspot => json!(price(rng)),
                Side::Quickbooks => json!(price(rng).parse::<f64>().unwrap_or(1.0)),
            },
        };
        let _ = kind;
        let key = match side {
            Side::Hubspot => field.hubspot,
            Side::Quickbooks => field.qbo,
        };
        [(key.to_owned(), value)].into_iter().collect()
    }
}

/// A price with cents, as text (HubSpot's number properties are strings).
fn price(rng: &mut StdRng) -> String {
    format!(
        "{}.{:02}",
        rng.random_range(1..1000),
        rng.random_range(0..100)
    )
}
