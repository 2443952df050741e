//! The console's mapping editor and filters on the admin harness and both sandboxes: default
//! rows marked, a valid custom row added (the settings API shows it) and removed, invalid pairs
//! refused with the validator's or the live verdict's reason and nothing saved, an unreachable
//! vendor still shows the saved rows, and filters saved, shown and refused with the reason.

use hqsync::hubspot::{ObjectType, PropertyDefinition};
use hqsync::model::ConnectionSettings;
use hqsync::ports::Connections;
use hqsync_tests::admin_server::{AdminServer, SignedIn};
use reqwest::Method;
use serde_json::Value;

/// A console GET with the session cookie: its status and HTML.
pub async fn page(signed: &SignedIn, path: &str) -> (u16, String) {
    let response = signed
        .without_csrf(Method::GET, path)
        .send()
        .await
        .expect("console GET");
    (response.status().as_u16(), response.text().await.unwrap())
}

/// A console form post with the session cookie and `fields` (forms carry the CSRF as a field).
pub async fn form(signed: &SignedIn, path: &str, fields: &[(&str, &str)]) -> reqwest::Response {
    signed
        .without_csrf(Method::POST, path)
        .form(fields)
        .send()
        .await
        .expect("console form POST")
}

/// The element with `id` in `html`, from its start tag to the first end tag of its name.
pub fn element<'a>(html: &'a str, id: &str) -> &'a str {
    let at = html
        .find(&format!("id=\"{id}\""))
        .unwrap_or_else(|| panic!("no #{id} in {html}"));
    let start = html[..at].rfind('<').expect("a start tag");
    let name: String = html[start + 1..]
        .chars()
        .take_while(char::is_ascii_alphanumeric)
        .collect();
    let rest = &html[start..];
    &rest[..rest.find(&format!("</{name}>")).unwrap_or(rest.len())]
}

async fn stored(server: &AdminServer) -> ConnectionSettings {
    server
        .store
        .get_connection(server.connection_id())
        .await
        .unwrap()
        .unwrap()
        .connection
        .settings
}

const CONTACTS: &str = "/connections/local/objects/contact/mappings";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn console_mapping_page_marks_default_rows_and_lists_both_sides_with_types() {
    let server = AdminServer::start().await;
    let anonymous = AdminServer::client()
        .get(server.url(CONTACTS))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 401);
    let signed = server.signed_in().await;
    let (status, html) = page(&signed, CONTACTS).await;
    assert_eq!(status, 200, "{html}");
    assert!(
        html.contains("<h1>local: contact mappings and filters</h1>"),
        "{html}"
    );
    let email = element(&html, "mapping-row-0");
    assert!(email.contains("data-origin=\"default\""), "{email}");
    assert!(email.contains("PrimaryEmailAddr.Address"), "{email}");
    assert!(email.contains(">default<"), "marked default: {email}");
    assert!(
        email.contains("data-verdict=\"compatible\""),
        "live verdict: {email}"
    );
    assert!(
        !html.contains("id=\"mapping-remove-"),
        "defaults stay: {html}"
    );
    for needle in [
        "id=\"mapping-hubspot-field\"",
        "id=\"mapping-qbo-field\"",
        "id=\"mapping-add\"",
        "value=\"jobtitle\"",
        "jobtitle — text",
        "Taxable — bool",
        "id=\"type-compatibility\"",
        "id=\"filter-add\"",
        "id=\"no-filters\"",
    ] {
        assert!(html.contains(needle), "{needle} in {html}");
    }
    let (status, _) = page(&signed, "/connections/local/objects/invoice/mappings").await;
    assert_eq!(status, 404, "mirrored kinds have no mappings");
    let (_, object) = page(&signed, "/connections/local/objects/contact").await;
    assert!(
        object.contains("href=\"/connections/local/objects/contact/mappings\""),
        "the object page links the editor: {object}"
    );

    for path in [
        CONTACTS.to_owned(),
        format!("{CONTACTS}/remove"),
        format!("{CONTACTS}/check"),
        format!("{CONTACTS}/filters"),
        format!("{CONTACTS}/filters/remove"),
    ] {
        let refused = form(
            &signed,
            &path,
            &[("hubspot_property", "jobtitle"), ("qbo_field", "Notes")],
        )
        .await;
        assert_eq!(refused.status(), 403, "POST {path} without csrf_token");
    }
    assert_eq!(stored(&server).await, ConnectionSettings::default());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn console_mapping_adds_a_custom_row_the_settings_api_shows_then_removes_it() {
    let server = AdminServer::start().await;
    let signed = server.signed_in().await;
    let added = form(
        &signed,
        CONTACTS,
        &[
            ("csrf_token", &signed.csrf_token),
            ("hubspot_property", "jobtitle"),
            ("qbo_field", "Notes"),
            ("transform", "text"),
            ("direction", "to_quickbooks"),
            ("values", ""),
        ],
    )
    .await;
    assert_eq!(added.status(), 303, "{}", added.text().await.unwrap());
    assert_eq!(
        added.headers()["location"],
        format!("{CONTACTS}?notice=mapping-added")
    );
    let settings: Value = signed
        .get("/api/connections/local/settings")
        .await
        .json()
        .await
        .unwrap();
    let rows = settings["contact"]["custom_mappings"].as_array().unwrap();
    assert_eq!(rows.len(), 1, "{settings}");
    assert_eq!(rows[0]["hubspot_property"], "jobtitle");
    assert_eq!(rows[0]["qbo_field"], "Notes");
    assert_eq!(rows[0]["transform"], "text");
    assert_eq!(rows[0]["direction"], "to_quickbooks");

    let (status, html) = page(&signed, &format!("{CONTACTS}?notice=mapping-added")).await;
    assert_eq!(status, 200);
    assert!(html.contains("id=\"notice\""), "{html}");
    let start = html.find("<code>jobtitle</code>").expect("the new row");
    let row = &html[html[..start].rfind("<tr").unwrap()..];
    let row = &row[..row.find("</tr>").unwrap()];
    assert!(row.contains("data-origin=\"custom\""), "{row}");
    assert!(row.contains("to_quickbooks"), "{row}");
    assert!(row.contains("id=\"mapping-remove-jobtitle\""), "{row}");

    let removed = form(
        &signed,
        &format!("{CONTACTS}/remove"),
        &[
            ("csrf_token", &signed.csrf_token),
            ("hubspot_property", "jobtitle"),
            ("qbo_field", "Notes"),
        ],
    )
    .await;
    assert_eq!(removed.status(), 303);
    assert!(stored(&server).await.contact.custom_mappings.is_empty());
    let again = form(
        &signed,
        &format!("{CONTACTS}/remove"),
        &[
            ("csrf_token", &signed.csrf_token),
            ("hubspot_property", "jobtitle"),
            ("qbo_field", "Notes"),
        ],
    )
    .await;
    assert_eq!(again.status(), 404);
    assert!(
        again.text().await.unwrap().contains("id=\"mapping-error\""),
        "says why"
    );
}

/// Posts an add-row form and returns the status and the `p#mapping-error` text.
async fn refused_row(signed: &SignedIn, fields: &[(&str, &str)]) -> (u16, String) {
    let mut all = vec![("csrf_token", signed.csrf_token.as_str())];
    all.extend_from_slice(fields);
    let response = form(signed, CONTACTS, &all).await;
    let status = response.status().as_u16();
    let html = response.text().await.unwrap();
    let error = element(&html, "mapping-error").to_owned();
    assert!(
        html.contains("id=\"mapping-hubspot-field\""),
        "the page again: {html}"
    );
    (status, error)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn console_mapping_refuses_invalid_pairs_with_the_reason_and_saves_nothing() {
    let server = AdminServer::start().await;
    server
        .endpoints
        .hubspot_client()
        .unwrap()
        .ensure_properties(
            ObjectType::Contacts,
            &[PropertyDefinition {
                kind: "number".into(),
                field_type: "number".into(),
                ..PropertyDefinition::text("seats", "Seats", "contactinformation")
            }],
        )
        .await
        .expect("a custom number property");
    let signed = server.signed_in().await;
    let cases: [(&[(&str, &str)], &str); 5] = [
        // Incompatible types: the live verdict of the fields route.
        (
            &[
                ("hubspot_property", "seats"),
                ("qbo_field", "Notes"),
                ("transform", "email"),
            ],
            "the email transform cannot read or write the HubSpot field's number values",
        ),
        // Unknown QBO field: the validator.
        (
            &[
                ("hubspot_property", "jobtitle"),
                ("qbo_field", "Nope"),
                ("transform", "text"),
            ],
            "unknown QBO Customer field path",
        ),
        // Unknown HubSpot property: the live lists.
        (
            &[
                ("hubspot_property", "no_such_property"),
                ("qbo_field", "Notes"),
                ("transform", "text"),
            ],
            "HubSpot has no contact property",
        ),
        // A read-only HubSpot property written both ways.
        (
            &[
                ("hubspot_property", "createdate"),
                ("qbo_field", "Notes"),
                ("transform", "text"),
                ("direction", "two_way"),
            ],
            "read-only",
        ),
        // A QBO field already mapped by a default row.
        (
            &[
                ("hubspot_property", "jobtitle"),
                ("qbo_field", "GivenName"),
                ("transform", "text"),
            ],
            "QBO field GivenName is already mapped",
        ),
    ];
    for (fields, reason) in cases {
        let (status, error) = refused_row(&signed, fields).await;
        assert_eq!(status, 400, "{fields:?}: {error}");
        assert!(error.contains(reason), "{fields:?}: {reason} in {error}");
        assert!(error.contains("nothing was saved"), "{error}");
    }
    assert_eq!(
        stored(&server).await,
        ConnectionSettings::default(),
        "nothing saved"
    );
    // "Check pair" shows the verdict a pair would get, and saves nothing.
    let check = format!("{CONTACTS}/check");
    for (transform, verdict) in [("number", "lossy"), ("email", "incompatible")] {
        let checked = form(
            &signed,
            &check,
            &[
                ("csrf_token", &signed.csrf_token),
                ("hubspot_property", "seats"),
                ("qbo_field", "Notes"),
                ("transform", transform),
            ],
        )
        .await;
        assert_eq!(checked.status(), 200);
        let html = checked.text().await.unwrap();
        let line = element(&html, "mapping-verdict");
        assert!(
            line.contains(&format!("data-verdict=\"{verdict}\"")),
            "{transform}: {line}"
        );
        assert!(line.contains("Nothing was saved"), "{line}");
        assert!(
            html.contains("<option value=\"seats\" selected>"),
            "the checked pair stays selected"
        );
    }
    assert_eq!(
        stored(&server).await,
        ConnectionSettings::default(),
        "checks save nothing"
    );
    // A page opened afresh carries no refusal.
    let (_, html) = page(&signed, CONTACTS).await;
    assert!(!html.contains("id=\"mapping-error\""), "{html}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn console_mapping_page_shows_the_saved_rows_when_a_vendor_is_unreachable() {
    let mut options = hqsync_tests::admin_server::AdminServerOptions::default();
    options
        .settings
        .contact
        .custom_mappings
        .push(hqsync::model::CustomMapping {
            hubspot_property: "jobtitle".into(),
            qbo_field: "Notes".into(),
            transform: hqsync::model::TransformKind::Text,
            direction: hqsync::model::Direction::TwoWay,
            values: Default::default(),
        });
    let server = AdminServer::start_with(options).await;
    let faults = reqwest::Client::new()
        .put(format!("{}/_sandbox/faults", server.hubspot.base_url()))
        .json(&serde_json::json!({"errorRates": {"403": 1.0}}))
        .send()
        .await
        .unwrap();
    assert!(faults.status().is_success());
    let signed = server.signed_in().await;
    let (status, html) = page(&signed, CONTACTS).await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("id=\"fields-unavailable\""), "{html}");
    assert!(
        html.contains("<code>jobtitle</code>"),
        "the saved row: {html}"
    );
    assert!(html.contains("data-verdict=\"unknown\""), "{html}");
    assert!(html.contains("id=\"mapping-remove-jobtitle\""), "{html}");
    assert!(
        !html.contains("id=\"mapping-add\""),
        "no lists to pick from: {html}"
    );
    let added = form(
        &signed,
        CONTACTS,
        &[
            ("csrf_token", &signed.csrf_token),
            ("hubspot_property", "industry"),
            ("qbo_field", "ShipAddr.City"),
            ("transform", "text"),
        ],
    )
    .await;
    assert_eq!(added.status(), 503, "cannot be checked, so not saved");
    assert!(added.text().await.unwrap().contains("id=\"mapping-error\""));
    assert_eq!(stored(&server).await.contact.custom_mappings.len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn console_filters_are_saved_shown_refused_with_the_reason_and_removed() {
    let server = AdminServer::start().await;
    let signed = server.signed_in().await;
    let filters = format!("{CONTACTS}/filters");
    let saved = form(
        &signed,
        &filters,
        &[
            ("csrf_token", &signed.csrf_token),
            ("side", "hubspot"),
            ("property", "lifecyclestage"),
            ("op", "in"),
            ("value", "customer, evangelist"),
        ],
    )
    .await;
    assert_eq!(saved.status(), 303, "{}", saved.text().await.unwrap());
    let settings: Value = signed
        .get("/api/connections/local/settings")
        .await
        .json()
        .await
        .unwrap();
    let condition = &settings["contact"]["entry_filters"]["hubspot"][0];
    assert_eq!(condition["property"], "lifecyclestage", "{settings}");
    assert_eq!(condition["op"], "in");
    assert_eq!(
        condition["values"],
        serde_json::json!(["customer", "evangelist"])
    );
    let (_, html) = page(&signed, CONTACTS).await;
    let row = element(&html, "filter-hubspot-0");
    assert!(
        row.contains("lifecyclestage") && row.contains("customer, evangelist"),
        "{row}"
    );
    assert!(row.contains("id=\"filter-remove-hubspot-0\""), "{row}");

    let refused = form(
        &signed,
        &filters,
        &[
            ("csrf_token", &signed.csrf_token),
            ("side", "quickbooks"),
            ("property", "Active"),
            ("op", "equals"),
            ("value", ""),
        ],
    )
    .await;
    assert_eq!(refused.status(), 400);
    let html = refused.text().await.unwrap();
    let error = element(&html, "filter-error");
    assert!(
        error.contains("contact.entry_filters.quickbooks[0].value") && error.contains("needs a"),
        "{error}"
    );
    assert!(
        stored(&server)
            .await
            .contact
            .entry_filters
            .quickbooks
            .is_empty(),
        "nothing saved"
    );

    let removed = form(
        &signed,
        &format!("{filters}/remove"),
        &[
            ("csrf_token", &signed.csrf_token),
            ("side", "hubspot"),
            ("index", "0"),
        ],
    )
    .await;
    assert_eq!(removed.status(), 303);
    assert!(
        stored(&server)
            .await
            .contact
            .entry_filters
            .hubspot
            .is_empty()
    );
}
