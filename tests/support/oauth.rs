//! The browser's and the connect flow's part of an OAuth install against the sandboxes:
//! following a consent redirect, and a HubSpot token installed with chosen scopes.

use hqsync::hubspot::{HubspotClient, OAuthApp, TokenSet};
use hqsync_sandbox::hubspot::HubspotSandbox;
use reqwest::{StatusCode, Url};
use secrecy::SecretString;

/// The HubSpot callback the tests register (nothing listens: the redirect is read, not followed).
pub const REDIRECT: &str = "http://127.0.0.1:9/oauth/hubspot/callback";
/// The QuickBooks callback the tests register.
pub const QBO_REDIRECT: &str = "http://127.0.0.1:9/oauth/quickbooks/callback";

/// A client of the sandbox's OAuth endpoints (no bearer token needed).
pub fn hubspot_oauth_client(hs: &HubspotSandbox) -> HubspotClient {
    HubspotClient::builder(SecretString::from(String::new()))
        .base_url(hs.base_url())
        .build()
        .unwrap()
}

/// The sandbox's app credentials.
pub fn hubspot_app(hs: &HubspotSandbox) -> OAuthApp {
    OAuthApp {
        client_id: hs.config().client_id.clone(),
        client_secret: SecretString::from(hs.config().client_secret.clone()),
    }
}

/// Follows one consent redirect (the browser's part) and returns the callback URL's query.
pub async fn consent(authorize: Url) -> Vec<(String, String)> {
    let browser = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let answer = browser.get(authorize).send().await.unwrap();
    assert_eq!(answer.status(), StatusCode::FOUND, "consent must redirect");
    let location = answer.headers()["location"].to_str().unwrap().to_owned();
    Url::parse(&location)
        .unwrap()
        .query_pairs()
        .into_owned()
        .collect()
}

/// The value of `name` in a callback query.
pub fn param<'a>(query: &'a [(String, String)], name: &str) -> Option<&'a str> {
    query
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

/// Installs the app in the sandbox portal the way the connect flow does, asking for
/// `required` and `optional` scopes; returns the exchanged token set.
pub async fn hubspot_tokens_through_consent(
    hs: &HubspotSandbox,
    required: &[String],
    optional: &[String],
) -> TokenSet {
    let client = hubspot_oauth_client(hs);
    let app = hubspot_app(hs);
    let url = client.authorize_url(&app, REDIRECT, required, optional, "st-1");
    let query = consent(url).await;
    assert_eq!(param(&query, "state"), Some("st-1"));
    let code = SecretString::from(param(&query, "code").expect("a code").to_owned());
    client.exchange_code(&app, &code, REDIRECT).await.unwrap()
}
