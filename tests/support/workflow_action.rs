//! HubSpot's side of the "Create QuickBooks invoice" workflow action: an execution request
//! body and the v3-signed POST HubSpot makes to our action URL.

use hqsync::hubspot::webhook::signature::sign_v3;
use secrecy::SecretString;
use serde_json::{Value, json};

/// The execution HubSpot sends for `deal` (a deal id) with the action's `input_fields`.
pub fn action_execution(callback: &str, portal_id: u64, deal: &str, input_fields: Value) -> String {
    json!({
        "callbackId": callback,
        "origin": {"portalId": portal_id},
        "object": {"objectId": deal.parse::<u64>().expect("a numeric deal id"), "objectType": "DEAL"},
        "inputFields": input_fields
    })
    .to_string()
}

/// POSTs `body` to `url` signed (v3, now) with the app's `client_secret`, as HubSpot does.
pub async fn post_signed_action(url: &str, client_secret: &str, body: String) -> reqwest::Response {
    let secret = SecretString::from(client_secret.to_owned());
    let ts = chrono::Utc::now().timestamp_millis().to_string();
    let signature = sign_v3(&secret, "POST", url, body.as_bytes(), &ts);
    reqwest::Client::new()
        .post(url)
        .header("content-type", "application/json")
        .header("X-HubSpot-Signature-v3", signature)
        .header("X-HubSpot-Request-Timestamp", ts)
        .body(body)
        .send()
        .await
        .expect("the action route answers")
}
