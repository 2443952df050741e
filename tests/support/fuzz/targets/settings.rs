//! Fuzz target `settings`: `ConnectionSettings::from_json_str` and `from_toml_str` (parse, then
//! `validate`) on one text, and every accepted document's JSON and TOML round trips.

use rand::Rng;
use rand::rngs::StdRng;
use serde_json::{Map, Value, json};

use hqsync::model::{ConnectionSettings, SettingsError};

use super::Target;
use crate::fuzz::mutate::{self, Dictionary, pick};

const DICTIONARY: Dictionary = Dictionary {
    keys: &[
        "contact",
        "product",
        "new_items",
        "invoices",
        "state",
        "direction",
        "conflict",
        "default",
        "per_field",
        "deletion",
        "hubspot_archive_deactivates_qbo",
        "qbo_inactive_archives_hubspot",
        "entry_filters",
        "hubspot",
        "quickbooks",
        "property",
        "op",
        "value",
        "values",
        "custom_mappings",
        "hubspot_property",
        "qbo_field",
        "transform",
        "name_suffix",
        "item_type",
        "income_account_id",
        "expense_account_id",
        "invoice_sync",
        "payment_sync",
        "contact_open_deal_fallback",
        "deal_reference_field",
        "create_missing_customer",
        "create_missing_items",
        "doc_number_prefix",
    ],
    strings: STRINGS,
};

const STRINGS: &[&str] = &[
    "enabled",
    "disabled",
    "deleted",
    "two_way",
    "to_quickbooks",
    "to_hubspot",
    "newest_wins",
    "hubspot_wins",
    "quickbooks_wins",
    "equals",
    "not_equals",
    "in",
    "not_in",
    "is_set",
    "is_not_set",
    "text",
    "email",
    "number",
    "decimal",
    "date",
    "boolean",
    "enumeration",
    "match_key",
    "service",
    "non_inventory",
    "inventory",
    "79",
    "0",
    "007",
    "",
    " ",
    "HS-",
    "0123456789",
    "01234567890",
    "ÉÉÉÉÉÉÉÉÉÉ",
    "HS-\u{7}",
    "Notes",
    "CustomerTypeRef.value",
    "PrimaryPhone.FreeFormNumber",
    "BillAddr.City",
    "DisplayName",
    "UnitPrice",
    "Sku",
    "Taxable",
    "Description",
    "NoSuchField",
    "PrimaryEmailAddr.Address",
    "email",
    "phone",
    "lifecyclestage",
    "tier",
    "price",
    "hs_sku",
];

/// The full document of the settings tests and the documented example (shared/src/model).
const TOML_SEEDS: &[&str] = &[
    "",
    r#"
[contact]
direction = "to_quickbooks"
name_suffix = "match_key"
[contact.conflict]
default = "hubspot_wins"
per_field = { phone = "quickbooks_wins" }
[contact.deletion]
qbo_inactive_archives_hubspot = true
[[contact.entry_filters.hubspot]]
property = "lifecyclestage"
op = "in"
values = ["customer", "evangelist"]
[[contact.custom_mappings]]
hubspot_property = "tier"
qbo_field = "CustomerTypeRef.value"
transform = "enumeration"
values = { gold = "1", silver = "2" }
[product]
state = "disabled"
[new_items]
item_type = "non_inventory"
income_account_id = "79"
"#,
    r#"
[contact]
state = "enabled"
direction = "two_way"
name_suffix = "number"
[contact.conflict]
default = "newest_wins"
[contact.deletion]
hubspot_archive_deactivates_qbo = true
qbo_inactive_archives_hubspot = false
[[contact.entry_filters.quickbooks]]
property = "Notes"
op = "is_set"
[[contact.custom_mappings]]
hubspot_property = "notes_last_contacted"
qbo_field = "Notes"
transform = "text"
direction = "to_quickbooks"
[product]
state = "enabled"
direction = "two_way"
[new_items]
item_type = "service"
expense_account_id = "80"
[invoices]
invoice_sync = "enabled"
payment_sync = "disabled"
contact_open_deal_fallback = true
deal_reference_field = "HubSpot Deal"
create_missing_customer = false
create_missing_items = true
doc_number_prefix = "HS-"
"#,
];

pub struct Settings {
    /// Seed documents as text (TOML and their JSON forms) and as JSON trees.
    texts: Vec<Vec<u8>>,
    values: Vec<Value>,
}

impl Settings {
    pub fn new() -> Self {
        let mut texts = Vec::new();
        let mut values = Vec::new();
        for seed in TOML_SEEDS {
            let settings =
                ConnectionSettings::from_toml_str(seed).expect("seed settings are valid");
            let value = serde_json::to_value(&settings).expect("settings serialise");
            texts.push(seed.as_bytes().to_vec());
            texts.push(serde_json::to_vec(&value).expect("serialises"));
            values.push(value);
        }
        Settings { texts, values }
    }
}

impl Target for Settings {
    fn name(&self) -> &'static str {
        "settings"
    }

    fn generate(&self, rng: &mut StdRng) -> Vec<u8> {
        let splice: Vec<&[u8]> = self.texts.iter().map(Vec::as_slice).collect();
        match rng.random_range(0..10) {
            0..=5 => {
                let mut value = if rng.random_bool(0.5) {
                    random_settings(rng)
                } else {
                    pick(rng, &self.values).clone()
                };
                for _ in 0..rng.random_range(0..=3) {
                    mutate::json(rng, &mut value, &DICTIONARY);
                }
                let mut text = write(rng, &value);
                if rng.random_ratio(1, 4) {
                    mutate::bytes_n(rng, &mut text, &splice, STRINGS, 2);
                }
                text
            }
            _ => {
                let mut text = pick(rng, &self.texts).clone();
                mutate::bytes_n(rng, &mut text, &splice, STRINGS, 6);
                text
            }
        }
    }

    fn run(&self, input: &[u8]) -> Result<String, String> {
        // The admin API and `hqsync.toml` hand the parser text; other bytes become U+FFFD.
        let text = String::from_utf8_lossy(input);
        let from_json = ConnectionSettings::from_json_str(&text);
        let from_toml = ConnectionSettings::from_toml_str(&text);
        for settings in [&from_json, &from_toml].into_iter().flatten() {
            round_trips(settings)?;
        }
        // Named by the parser of the form the text is written in (both always run).
        let (form, result) = if text.trim_start().starts_with(['{', '[']) {
            ("json", &from_json)
        } else {
            ("toml", &from_toml)
        };
        Ok(match result {
            Ok(_) => format!("ok {form}"),
            Err(_) => format!("{form} {}", kind(result)),
        })
    }
}

/// An accepted document validates again, and is the same after JSON and after TOML.
fn round_trips(settings: &ConnectionSettings) -> Result<(), String> {
    settings
        .validate()
        .map_err(|e| format!("accepted settings no longer validate: {e}"))?;
    let json = serde_json::to_string(settings).map_err(|e| format!("to JSON: {e}"))?;
    match ConnectionSettings::from_json_str(&json) {
        Ok(back) if &back == settings => {}
        other => return Err(format!("JSON round trip gave {other:?}")),
    }
    let toml_text = toml::to_string(settings).map_err(|e| format!("to TOML: {e}"))?;
    match ConnectionSettings::from_toml_str(&toml_text) {
        Ok(back) if &back == settings => Ok(()),
        other => Err(format!("TOML round trip gave {other:?}")),
    }
}

fn kind(result: &Result<ConnectionSettings, SettingsError>) -> String {
    match result {
        Ok(_) => "ok".into(),
        Err(SettingsError::Toml(_)) => "Toml".into(),
        Err(SettingsError::Json(_)) => "Json".into(),
        // The field without indices, unknown names as `*`: `contact.custom_mappings[].*`.
        Err(SettingsError::Invalid { at, .. }) => {
            let field: Vec<String> = at
                .split('.')
                .take(3)
                .map(|part| {
                    let name = part.split('[').next().unwrap_or(part);
                    let known = name == "settings" || DICTIONARY.keys.contains(&name);
                    match (known, part.contains('[')) {
                        (true, false) => name.to_owned(),
                        (true, true) => format!("{name}[]"),
                        (false, _) => "*".to_owned(),
                    }
                })
                .collect();
            format!("Invalid({})", field.join("."))
        }
    }
}

/// The document as JSON (compact or pretty) or TOML (where TOML can hold it).
fn write(rng: &mut StdRng, value: &Value) -> Vec<u8> {
    if rng.random_bool(0.5)
        && let Ok(text) = toml::to_string(value)
    {
        return text.into_bytes();
    }
    if rng.random_bool(0.5) {
        serde_json::to_vec(value)
    } else {
        serde_json::to_vec_pretty(value)
    }
    .expect("a Value serialises")
}

/// A settings tree drawn from the schema: mostly valid values, some wrong ones.
fn random_settings(rng: &mut StdRng) -> Value {
    let mut root = Map::new();
    for kind in ["contact", "product"] {
        if rng.random_bool(0.7) {
            root.insert(kind.into(), random_object(rng));
        }
    }
    if rng.random_bool(0.5) {
        let mut new_items = Map::new();
        new_items.insert(
            "item_type".into(),
            word(rng, &["service", "non_inventory", "inventory"]),
        );
        for key in ["income_account_id", "expense_account_id"] {
            if rng.random_bool(0.5) {
                new_items.insert(key.into(), word(rng, &["79", "80", "", "7a", "٣", "00"]));
            }
        }
        root.insert("new_items".into(), Value::Object(new_items));
    }
    if rng.random_bool(0.5) {
        let states = ["enabled", "disabled", "deleted"];
        let mut invoices = json!({
            "invoice_sync": word(rng, &states),
            "payment_sync": word(rng, &states),
            "contact_open_deal_fallback": rng.random_bool(0.5),
            "create_missing_customer": rng.random_bool(0.5),
            "create_missing_items": rng.random_bool(0.5),
            "doc_number_prefix": word(rng, &["HS-", "", "0123456789", "01234567890", "ÉÉÉÉÉÉÉÉÉÉ", "A\u{7}"]),
        });
        if rng.random_bool(0.5) {
            invoices["deal_reference_field"] = word(rng, &["HubSpot Deal", " ", "", "Deal"]);
        }
        root.insert("invoices".into(), invoices);
    }
    Value::Object(root)
}

fn random_object(rng: &mut StdRng) -> Value {
    let winners = ["newest_wins", "hubspot_wins", "quickbooks_wins"];
    let directions = ["two_way", "to_quickbooks", "to_hubspot"];
    let mut object = json!({
        "state": word(rng, &["enabled", "disabled", "deleted"]),
        "direction": word(rng, &directions),
        "conflict": {"default": word(rng, &winners), "per_field": {}},
        "deletion": {
            "hubspot_archive_deactivates_qbo": rng.random_bool(0.5),
            "qbo_inactive_archives_hubspot": rng.random_bool(0.5),
        },
        "entry_filters": {"hubspot": [], "quickbooks": []},
        "custom_mappings": [],
        "name_suffix": word(rng, &["number", "match_key"]),
    });
    for _ in 0..rng.random_range(0..3) {
        let field = word(rng, &["phone", "email", "Notes", "tier"]);
        if let Value::String(field) = field {
            object["conflict"]["per_field"][field] = word(rng, &winners);
        }
    }
    for side in ["hubspot", "quickbooks"] {
        for _ in 0..rng.random_range(0..3) {
            let op = pick(
                rng,
                &[
                    "equals",
                    "not_equals",
                    "in",
                    "not_in",
                    "is_set",
                    "is_not_set",
                ],
            );
            let mut condition =
                json!({"property": word(rng, &["lifecyclestage", "Notes", "", "email"]), "op": op});
            if rng.random_bool(0.6) {
                condition["value"] = word(rng, &["customer", "", "x"]);
            }
            if rng.random_bool(0.6) {
                condition["values"] = json!(["customer", "lead"]);
            }
            object["entry_filters"][side]
                .as_array_mut()
                .expect("array")
                .push(condition);
        }
    }
    for _ in 0..rng.random_range(0..3) {
        let transform = pick(
            rng,
            &[
                "text",
                "email",
                "number",
                "decimal",
                "date",
                "boolean",
                "enumeration",
            ],
        );
        let mut mapping = json!({
            "hubspot_property": word(rng, &["tier", "price", "notes", "", "hs_sku"]),
            "qbo_field": word(rng, STRINGS),
            "transform": transform,
            "direction": word(rng, &directions),
        });
        if rng.random_bool(0.5) {
            mapping["values"] = if rng.random_bool(0.7) {
                json!({"gold": "1", "silver": "2"})
            } else {
                json!({"a": "x", "b": "X"})
            };
        }
        object["custom_mappings"]
            .as_array_mut()
            .expect("array")
            .push(mapping);
    }
    object
}

/// One of `words`, or (rarely) an edge string instead.
fn word(rng: &mut StdRng, words: &[&str]) -> Value {
    if rng.random_ratio(1, 12) {
        Value::String(mutate::edge_text(rng, STRINGS))
    } else {
        Value::String(pick(rng, words).to_string())
    }
}
