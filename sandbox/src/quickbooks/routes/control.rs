//! QBO-specific control routes next to the shared `/_sandbox/` API: runtime knobs, company
//! preferences (§12, §17: numbering, country, multicurrency), and OAuth helpers.

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use serde_json::{Value, json};

use crate::quickbooks::app::{App, Knobs, json_response};

/// | Route | Body | Effect |
/// |---|---|---|
/// | `GET`/`PUT /_sandbox/quickbooks` | partial [`Knobs`] (camelCase) | read / merge runtime knobs |
/// | `POST /_sandbox/preferences` | any of `{"customTxnNumbers": bool, "country": "US"\|"CA"\|..., "multiCurrency": true, "allowShipping": bool, "applyTaxAfterDiscount": bool}` | switch company settings (Preferences/CompanyInfo Updates; docs/quickbooks.md §17.8) |
/// | `POST /_sandbox/oauth/connect` | | a new token pair + `realmId` (as after consent) |
/// | `POST /_sandbox/oauth/code` | | a one-time `code` for `grant_type=authorization_code` |
/// | `POST /_sandbox/oauth/expire` | | every issued access token expires now |
/// | `POST /_sandbox/quickbooks/bulk` | `{"customers","items","spreadSeconds"}` | many records, no webhooks |
/// | `POST /_sandbox/quickbooks/merge` | `{"entity":"Customer","from","into"}` | the UI's customer merge (docs/quickbooks.md §4.8) |
/// | `POST /_sandbox/quickbooks/forget-requestids` | | forget every stored `requestid` answer (how long QBO keeps them is unverified, §1) |
///
/// The shared routes (reset, seed, stats, faults, clock, webhooks) come from `crate::common`.
pub fn router() -> Router<App> {
    Router::new()
        .route("/_sandbox/quickbooks", get(get_knobs).put(put_knobs))
        .route("/_sandbox/preferences", post(preferences))
        .route("/_sandbox/oauth/connect", post(connect))
        .route("/_sandbox/oauth/code", post(code))
        .route("/_sandbox/oauth/expire", post(expire))
        .route("/_sandbox/quickbooks/bulk", post(bulk))
        .route("/_sandbox/quickbooks/merge", post(merge))
        .route(
            "/_sandbox/quickbooks/forget-requestids",
            post(forget_request_ids),
        )
}

/// Forgets every replayable `requestid` answer: a create sent again with the same `requestid`
/// then creates anew, as it would once QBO no longer remembers it (docs/quickbooks.md §1).
async fn forget_request_ids(State(app): State<App>) -> Response {
    let forgotten = app.forget_request_ids();
    json_response(StatusCode::OK, json!({"forgotten": forgotten}))
}

/// The stand-in for the QBO UI's customer merge, which has no API (docs/quickbooks.md §4.8):
/// `{"entity": "Customer", "from": id, "into": id}` answers 200 `{"Customer": kept}`, or 400
/// with the QBO fault when the merge is refused.
async fn merge(State(app): State<App>, body: Bytes) -> Response {
    let Ok(v) = serde_json::from_slice::<Value>(&body) else {
        return bad_request("expected a JSON object".into());
    };
    if v.get("entity").and_then(Value::as_str) != Some("Customer") {
        return bad_request("only customers merge (entity \"Customer\")".into());
    }
    let id = |k: &str| match v.get(k) {
        Some(Value::String(s)) if !s.is_empty() => Some(s.clone()),
        Some(Value::Number(n)) => Some(n.to_string()),
        _ => None,
    };
    let (Some(from), Some(into)) = (id("from"), id("into")) else {
        return bad_request("expected the customer ids \"from\" and \"into\"".into());
    };
    match app.with_company(|c, now| c.merge_customers(&from, &into, now)) {
        Ok(kept) => json_response(StatusCode::OK, json!({"Customer": kept})),
        Err(fault) => {
            let now = app.now_ms();
            let time = app.company.lock().expect("company lock").response_time(now);
            json_response(StatusCode::BAD_REQUEST, fault.body(&time, now))
        }
    }
}

/// `{"customers": n, "items": m, "spreadSeconds": s}`: many records at once for benchmarks,
/// created over the last `s` seconds (default one day) without webhooks.
async fn bulk(State(app): State<App>, body: Bytes) -> Response {
    let Ok(v) = serde_json::from_slice::<Value>(&body) else {
        return bad_request("expected a JSON object".into());
    };
    let count = |k: &str| v.get(k).and_then(Value::as_u64).unwrap_or(0) as usize;
    let (customers, items) = (count("customers"), count("items"));
    if customers + items > 200_000 {
        return bad_request("at most 200000 records at once".into());
    }
    let spread_ms = v
        .get("spreadSeconds")
        .and_then(Value::as_i64)
        .unwrap_or(86_400)
        .max(0)
        * 1000;
    let now = app.now_ms();
    let (c, i) = app
        .company
        .lock()
        .expect("company lock")
        .bulk_create(customers, items, spread_ms, now);
    json_response(StatusCode::OK, json!({"customers": c, "items": i}))
}

fn bad_request(message: String) -> Response {
    json_response(
        StatusCode::BAD_REQUEST,
        json!({"status": "error", "message": message}),
    )
}

async fn get_knobs(State(app): State<App>) -> Response {
    json_response(
        StatusCode::OK,
        serde_json::to_value(app.knobs()).unwrap_or_default(),
    )
}

/// Merges a partial knobs object into the current one.
async fn put_knobs(State(app): State<App>, body: Bytes) -> Response {
    let patch: Value = match serde_json::from_slice(&body) {
        Ok(Value::Object(m)) => Value::Object(m),
        _ => return bad_request("expected a JSON object".into()),
    };
    let mut merged = serde_json::to_value(app.knobs()).unwrap_or_default();
    for (k, v) in patch.as_object().into_iter().flatten() {
        if k == "limits"
            && let (Some(current), Some(partial)) = (merged[k].as_object_mut(), v.as_object())
        {
            for (lk, lv) in partial {
                current.insert(lk.clone(), lv.clone());
            }
            continue;
        }
        merged[k] = v.clone();
    }
    match serde_json::from_value::<Knobs>(merged) {
        Ok(knobs) => {
            app.set_knobs(knobs);
            get_knobs(State(app)).await
        }
        Err(e) => bad_request(format!("invalid settings: {e}")),
    }
}

/// Company settings (docs/quickbooks.md §12, §17.8): `customTxnNumbers` and `allowShipping`
/// switch `Preferences.SalesFormsPrefs`; `country` switches `CompanyInfo.Country` and the tax
/// model; `multiCurrency: true` turns multicurrency on (off is refused, as in QBO);
/// `applyTaxAfterDiscount` sets the default for transactions that do not say.
async fn preferences(State(app): State<App>, body: Bytes) -> Response {
    const USAGE: &str = "expected any of {\"customTxnNumbers\": bool, \"country\": \"US\"|\"CA\"|..., \
                         \"multiCurrency\": true, \"allowShipping\": bool, \"applyTaxAfterDiscount\": bool}";
    let Ok(Value::Object(request)) = serde_json::from_slice::<Value>(&body) else {
        return bad_request(USAGE.into());
    };
    let flag = |k: &str| request.get(k).and_then(Value::as_bool);
    let country = request
        .get("country")
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|c| (2..=3).contains(&c.len()) && c.chars().all(|ch| ch.is_ascii_alphabetic()));
    let known = [
        "customTxnNumbers",
        "country",
        "multiCurrency",
        "allowShipping",
        "applyTaxAfterDiscount",
    ];
    if request.is_empty()
        || request.keys().any(|k| !known.contains(&k.as_str()))
        || (request.contains_key("country") && country.is_none())
        || known
            .iter()
            .filter(|k| **k != "country")
            .any(|k| request.contains_key(*k) && flag(k).is_none())
    {
        return bad_request(USAGE.into());
    }
    let result = app.with_company(|c, now| {
        if let Some(on) = flag("multiCurrency") {
            c.set_multicurrency(on, now)?;
        }
        if let Some(on) = flag("customTxnNumbers") {
            c.set_custom_txn_numbers(on, now);
        }
        if let Some(on) = flag("allowShipping") {
            c.set_allow_shipping(on, now);
        }
        if let Some(on) = flag("applyTaxAfterDiscount") {
            c.set_tax_after_discount_default(on);
        }
        if let Some(country) = country {
            c.set_country(country, now);
        }
        Ok::<(), String>(())
    });
    if let Err(message) = result {
        return json_response(
            StatusCode::CONFLICT,
            json!({"status": "error", "message": message}),
        );
    }
    let prefs = app.company.lock().expect("company lock").preferences();
    json_response(StatusCode::OK, json!({"Preferences": prefs}))
}

/// A new connection's token pair (as after consent + code exchange), plus `realmId`.
async fn connect(State(app): State<App>) -> Response {
    let now = app.now_ms();
    let mut body = app.tokens.lock().expect("tokens lock").connect(now, true);
    body["realmId"] = app.config.realm_id.clone().into();
    json_response(StatusCode::OK, body)
}

/// A one-time authorization code for `grant_type=authorization_code` (§2.3).
async fn code(State(app): State<App>) -> Response {
    let code = app.tokens.lock().expect("tokens lock").new_code();
    json_response(
        StatusCode::OK,
        json!({"code": code, "realmId": app.config.realm_id}),
    )
}

/// Expires every issued access token now (the dev token keeps working).
async fn expire(State(app): State<App>) -> Response {
    let now = app.now_ms();
    app.tokens
        .lock()
        .expect("tokens lock")
        .expire_access_tokens(now);
    json_response(StatusCode::OK, json!({"ok": true}))
}
