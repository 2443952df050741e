//! The JSON shapes of the secrets (infra/DEPLOY.md §5 and §6): the app secret and one secret
//! per connection. Secret strings become `SecretString` as soon as they are parsed; these
//! structs deliberately have no `Debug`, and unknown members are kept when rewriting.

use chrono::{DateTime, Utc};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Map, Value};

use crate::model::Side;
use crate::ports::{AppCredentials, QuickbooksKeys, SideTokens};

/// `{"hubspot": {"app_id", "client_id", "client_secret", "legacy_signatures"}, "quickbooks": {"client_id",
/// "client_secret", "webhook_verifier_token", "sandbox": {"client_id", "client_secret"},
/// "production": {...}}}`; empty strings count as absent. Intuit's pairs (docs/aws.md §8):
/// `quickbooks.production` wins over the flat pair, which stays the default of every
/// environment without its own pair (today's one-pair secrets keep working).
#[derive(Deserialize, Default)]
pub(super) struct AppSecretDocument {
    #[serde(default)]
    hubspot: AppSide,
    #[serde(default)]
    quickbooks: AppSide,
}

/// One environment's Intuit key pair in the app secret.
#[derive(Deserialize, Default)]
struct KeyPair {
    #[serde(default)]
    client_id: Option<String>,
    #[serde(default)]
    client_secret: Option<String>,
}

impl KeyPair {
    /// Both halves, or nothing (half a pair cannot sign a token request).
    fn into_keys(self) -> Option<QuickbooksKeys> {
        Some(QuickbooksKeys {
            client_id: non_empty(self.client_id)?,
            client_secret: secret(self.client_secret)?,
        })
    }
}

#[derive(Deserialize, Default)]
struct AppSide {
    /// Only HubSpot's side has one. HubSpot shows it as a number, so a number is accepted too.
    #[serde(default, deserialize_with = "text_or_number")]
    app_id: Option<String>,
    #[serde(default)]
    client_id: Option<String>,
    #[serde(default)]
    client_secret: Option<String>,
    #[serde(default)]
    webhook_verifier_token: Option<String>,
    /// Only HubSpot's side: accept v1/v2 signatures (docs/hubspot.md §5.5).
    #[serde(default)]
    legacy_signatures: bool,
    /// Only QuickBooks' side: Intuit's development keys.
    #[serde(default)]
    sandbox: Option<KeyPair>,
    /// Only QuickBooks' side: Intuit's production keys (else the flat pair).
    #[serde(default)]
    production: Option<KeyPair>,
}

fn text_or_number<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    match Option::<Value>::deserialize(d)? {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(text)) => Ok(Some(text)),
        Some(Value::Number(number)) => Ok(Some(number.to_string())),
        Some(other) => Err(serde::de::Error::custom(format!(
            "expected text or a number, got {other}"
        ))),
    }
}

fn non_empty(value: Option<String>) -> Option<String> {
    value.filter(|v| !v.trim().is_empty())
}

fn secret(value: Option<String>) -> Option<SecretString> {
    non_empty(value).map(SecretString::from)
}

impl AppSecretDocument {
    pub(super) fn into_credentials(self) -> AppCredentials {
        let quickbooks = self.quickbooks;
        let (client_id, client_secret) = match quickbooks.production.and_then(KeyPair::into_keys) {
            Some(keys) => (Some(keys.client_id), Some(keys.client_secret)),
            None => (
                non_empty(quickbooks.client_id),
                secret(quickbooks.client_secret),
            ),
        };
        AppCredentials {
            hubspot_app_id: non_empty(self.hubspot.app_id),
            hubspot_client_id: non_empty(self.hubspot.client_id),
            hubspot_client_secret: secret(self.hubspot.client_secret),
            quickbooks_client_id: client_id,
            quickbooks_client_secret: client_secret,
            quickbooks_sandbox: quickbooks.sandbox.and_then(KeyPair::into_keys),
            quickbooks_webhook_verifier: secret(quickbooks.webhook_verifier_token),
            hubspot_legacy_signatures: self.hubspot.legacy_signatures,
        }
    }
}

/// The app secret document for `app` (the shape [`AppSecretDocument`] reads), for local
/// stacks that create their own app secret.
pub(super) fn app_secret_json(app: &AppCredentials) -> String {
    let text = |value: &Option<String>| value.clone().unwrap_or_default();
    let secret = |value: &Option<SecretString>| {
        value
            .as_ref()
            .map(|s| s.expose_secret().to_owned())
            .unwrap_or_default()
    };
    let mut document = serde_json::json!({
        "hubspot": {
            "app_id": text(&app.hubspot_app_id),
            "client_id": text(&app.hubspot_client_id),
            "client_secret": secret(&app.hubspot_client_secret),
            "legacy_signatures": app.hubspot_legacy_signatures,
        },
        "quickbooks": {
            "client_id": text(&app.quickbooks_client_id),
            "client_secret": secret(&app.quickbooks_client_secret),
            "webhook_verifier_token": secret(&app.quickbooks_webhook_verifier),
        },
    });
    if let Some(keys) = &app.quickbooks_sandbox {
        document["quickbooks"]["sandbox"] = serde_json::json!({
            "client_id": keys.client_id,
            "client_secret": keys.client_secret.expose_secret(),
        });
    }
    document.to_string()
}

/// `{"hubspot": {...}, "quickbooks": {...}}`, each side optional.
#[derive(Serialize, Deserialize, Default, Clone)]
pub(super) struct ConnectionSecretDocument {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    hubspot: Option<SideDocument>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    quickbooks: Option<SideDocument>,
    /// Members we do not know, written back unchanged.
    #[serde(flatten)]
    other: Map<String, Value>,
}

#[derive(Serialize, Deserialize, Clone)]
struct SideDocument {
    access_token: String,
    refresh_token: String,
    /// When the access token expires.
    expires_at: DateTime<Utc>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    refresh_expires_at: Option<DateTime<Utc>>,
    #[serde(flatten)]
    other: Map<String, Value>,
}

impl ConnectionSecretDocument {
    fn slot(&self, side: Side) -> &Option<SideDocument> {
        match side {
            Side::Hubspot => &self.hubspot,
            Side::Quickbooks => &self.quickbooks,
        }
    }

    fn slot_mut(&mut self, side: Side) -> &mut Option<SideDocument> {
        match side {
            Side::Hubspot => &mut self.hubspot,
            Side::Quickbooks => &mut self.quickbooks,
        }
    }

    pub(super) fn tokens(&self, side: Side) -> Option<SideTokens> {
        self.slot(side).as_ref().map(|doc| SideTokens {
            access_token: SecretString::from(doc.access_token.clone()),
            refresh_token: SecretString::from(doc.refresh_token.clone()),
            access_expires_at: doc.expires_at,
            refresh_expires_at: doc.refresh_expires_at,
        })
    }

    pub(super) fn set_tokens(&mut self, side: Side, tokens: &SideTokens) {
        let other = self
            .slot(side)
            .as_ref()
            .map(|doc| doc.other.clone())
            .unwrap_or_default();
        *self.slot_mut(side) = Some(SideDocument {
            access_token: tokens.access_token.expose_secret().to_owned(),
            refresh_token: tokens.refresh_token.expose_secret().to_owned(),
            expires_at: tokens.access_expires_at,
            refresh_expires_at: tokens.refresh_expires_at,
            other,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn app_secret_reads_the_documented_shape_and_treats_empty_as_absent() {
        let doc: AppSecretDocument = serde_json::from_str(
            r#"{"hubspot": {"app_id": "1234567", "client_id": "hs-id", "client_secret": "hs-secret"},
                "quickbooks": {"client_id": "qb-id", "client_secret": "qb-secret",
                               "webhook_verifier_token": ""}}"#,
        )
        .unwrap();
        let app = doc.into_credentials();
        assert_eq!(app.hubspot_app_id.as_deref(), Some("1234567"));
        assert_eq!(app.hubspot_client_id.as_deref(), Some("hs-id"));
        assert_eq!(
            app.hubspot_client_secret
                .as_ref()
                .map(|s| s.expose_secret()),
            Some("hs-secret")
        );
        assert_eq!(app.quickbooks_client_id.as_deref(), Some("qb-id"));
        assert!(app.quickbooks_webhook_verifier.is_none());
        let debug = format!("{app:?}");
        assert!(!debug.contains("hs-secret") && !debug.contains("qb-secret"));
        // The app id is not secret: it shows, so a misconfigured echo filter is diagnosable.
        assert!(debug.contains("1234567"));
    }

    #[test]
    fn app_secret_accepts_the_app_id_as_a_number_and_refuses_other_shapes() {
        let app = serde_json::from_str::<AppSecretDocument>(r#"{"hubspot": {"app_id": 1234567}}"#)
            .unwrap()
            .into_credentials();
        assert_eq!(app.hubspot_app_id.as_deref(), Some("1234567"));
        assert!(
            serde_json::from_str::<AppSecretDocument>(r#"{"hubspot": {"app_id": [1]}}"#).is_err()
        );
    }

    #[test]
    fn app_secret_without_an_app_id_or_with_an_empty_one_has_none() {
        for text in [
            r#"{"hubspot": {"client_id": "hs-id"}}"#,
            r#"{"hubspot": {"app_id": null, "client_id": "hs-id"}}"#,
            r#"{"hubspot": {"app_id": " ", "client_id": "hs-id"}}"#,
        ] {
            let app = serde_json::from_str::<AppSecretDocument>(text)
                .unwrap()
                .into_credentials();
            assert_eq!(app.hubspot_app_id, None, "{text}");
            assert_eq!(app.hubspot_client_id.as_deref(), Some("hs-id"));
        }
    }

    #[test]
    fn app_secret_written_for_local_stacks_reads_back_the_same() {
        let app = AppCredentials {
            hubspot_app_id: Some("42".into()),
            hubspot_client_id: Some("hs-id".into()),
            hubspot_client_secret: Some(SecretString::from("hs-secret")),
            quickbooks_client_id: Some("qb-id".into()),
            quickbooks_client_secret: Some(SecretString::from("qb-secret")),
            quickbooks_sandbox: Some(QuickbooksKeys {
                client_id: "qb-dev-id".into(),
                client_secret: SecretString::from("qb-dev-secret"),
            }),
            quickbooks_webhook_verifier: None,
            hubspot_legacy_signatures: true,
        };
        let text = app_secret_json(&app);
        let json: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(json["hubspot"]["app_id"], "42");
        let back = serde_json::from_str::<AppSecretDocument>(&text)
            .unwrap()
            .into_credentials();
        assert_eq!(back.hubspot_app_id.as_deref(), Some("42"));
        assert_eq!(back.hubspot_client_id.as_deref(), Some("hs-id"));
        assert_eq!(
            back.quickbooks_client_secret
                .as_ref()
                .map(|s| s.expose_secret()),
            Some("qb-secret")
        );
        assert!(back.quickbooks_webhook_verifier.is_none());
        assert!(back.hubspot_legacy_signatures);
        let sandbox = back.quickbooks_keys("sandbox").unwrap();
        assert_eq!(sandbox.client_id, "qb-dev-id");
        assert_eq!(sandbox.client_secret.expose_secret(), "qb-dev-secret");
    }

    #[test]
    fn app_secret_holds_a_key_pair_per_environment_and_the_flat_pair_is_the_default() {
        let app = serde_json::from_str::<AppSecretDocument>(
            r#"{"quickbooks": {"client_id": "flat-id", "client_secret": "flat-secret",
                "sandbox": {"client_id": "dev-id", "client_secret": "dev-secret"},
                "production": {"client_id": "prod-id", "client_secret": "prod-secret"}}}"#,
        )
        .unwrap()
        .into_credentials();
        assert_eq!(
            app.quickbooks_keys("production").unwrap().client_id,
            "prod-id"
        );
        assert_eq!(app.quickbooks_keys("sandbox").unwrap().client_id, "dev-id");

        // Today's flat shape: one pair for every environment.
        let flat = serde_json::from_str::<AppSecretDocument>(
            r#"{"quickbooks": {"client_id": "flat-id", "client_secret": "flat-secret"}}"#,
        )
        .unwrap()
        .into_credentials();
        assert_eq!(
            flat.quickbooks_keys("production").unwrap().client_id,
            "flat-id"
        );
        assert_eq!(
            flat.quickbooks_keys("sandbox").unwrap().client_id,
            "flat-id"
        );

        // Half a pair is no pair: the flat one stays in charge.
        let half = serde_json::from_str::<AppSecretDocument>(
            r#"{"quickbooks": {"client_id": "flat-id", "client_secret": "flat-secret",
                "sandbox": {"client_id": "dev-id", "client_secret": ""}}}"#,
        )
        .unwrap()
        .into_credentials();
        assert_eq!(
            half.quickbooks_keys("sandbox").unwrap().client_id,
            "flat-id"
        );
    }

    #[test]
    fn connection_secret_round_trips_one_side_and_keeps_the_other_and_unknown_members() {
        let mut doc: ConnectionSecretDocument = serde_json::from_str(
            r#"{"hubspot": {"access_token": "a1", "refresh_token": "r1",
                            "expires_at": "2026-11-27T12:30:00Z", "scope": "crm"},
                "note": "seeded by hand"}"#,
        )
        .unwrap();
        assert!(doc.tokens(Side::Quickbooks).is_none());
        let hubspot = doc.tokens(Side::Hubspot).unwrap();
        assert_eq!(hubspot.access_token.expose_secret(), "a1");
        assert_eq!(hubspot.refresh_expires_at, None);

        let qbo = SideTokens {
            access_token: SecretString::from("a2"),
            refresh_token: SecretString::from("r2"),
            access_expires_at: "2026-11-27T13:00:00Z".parse().unwrap(),
            refresh_expires_at: Some("2027-03-07T12:00:00Z".parse().unwrap()),
        };
        doc.set_tokens(Side::Quickbooks, &qbo);
        let json: Value = serde_json::to_value(&doc).unwrap();
        assert_eq!(json["note"], "seeded by hand");
        assert_eq!(json["hubspot"]["scope"], "crm");
        assert_eq!(json["hubspot"]["refresh_token"], "r1");
        assert_eq!(json["quickbooks"]["refresh_token"], "r2");
        assert_eq!(json["quickbooks"]["expires_at"], "2026-11-27T13:00:00Z");
        assert_eq!(
            json["quickbooks"]["refresh_expires_at"],
            "2027-03-07T12:00:00Z"
        );
        assert!(json["hubspot"].get("refresh_expires_at").is_none());
    }
}
