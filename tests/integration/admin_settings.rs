//! Settings, per-object switches and the audit log through the admin API on the harness:
//! round trips in JSON and TOML, invalid settings naming their field, delete forgetting links
//! at once, disable dropping jobs, the audit trail, `hqsync settings` against the routes, and
//! the engine refusing a connection with invalid stored settings while another syncs.

use hqsync::engine::jobs::{Disposition, process_jobs};
use hqsync::model::{ConnectionId, ConnectionSettings, ObjectKind, Side, SyncState};
use hqsync::ports::{
    Connections, Cursor, Cursors, Job, JobQueue, JobReason, Lane, Links, RecordGateway, StatusLog,
};
use hqsync_sandbox::Seed;
use hqsync_tests::admin_server::{ADMIN_PASSWORD, AdminServer, AdminServerOptions};
use reqwest::Method;
use serde_json::{Value, json};

fn demo() -> AdminServerOptions {
    let mut options = AdminServerOptions::default();
    options.hubspot.seed = Seed::Demo;
    options.quickbooks.seed = Seed::Demo;
    options
}

fn settings_path(server: &AdminServer) -> String {
    format!("/api/connections/{}/settings", server.connection_id())
}

async fn stored_settings(server: &AdminServer) -> ConnectionSettings {
    server
        .store
        .get_connection(server.connection_id())
        .await
        .unwrap()
        .unwrap()
        .connection
        .settings
}

#[tokio::test]
async fn settings_round_trip_as_json_and_as_toml() {
    let server = AdminServer::start().await;
    let admin = server.signed_in().await;
    let path = settings_path(&server);

    let got = admin.get(&path).await;
    assert_eq!(got.status(), 200);
    let body: Value = got.json().await.unwrap();
    let defaults: ConnectionSettings = serde_json::from_value(body.clone()).unwrap();
    assert_eq!(defaults, ConnectionSettings::default());
    // The shape of `[settings]` in hqsync.toml: its four tables.
    for table in ["contact", "product", "new_items", "invoices"] {
        assert!(body[table].is_object(), "{table} in {body}");
    }

    let json_doc = json!({
        "contact": {"direction": "to_quickbooks", "conflict": {"per_field": {"phone": "quickbooks_wins"}}},
        "invoices": {"doc_number_prefix": "Q-"}
    });
    let put = admin.put_json(&path, &json_doc).await;
    assert_eq!(put.status(), 200);
    let answered: ConnectionSettings = put.json().await.unwrap();
    let expected = ConnectionSettings::from_json_str(&json_doc.to_string()).unwrap();
    assert_eq!(answered, expected);
    assert_eq!(stored_settings(&server).await, expected);
    let again: ConnectionSettings = admin.get(&path).await.json().await.unwrap();
    assert_eq!(again, expected);

    let toml_doc = "[product]\nstate = \"disabled\"\n[new_items]\nitem_type = \"non_inventory\"\nincome_account_id = \"79\"\n";
    let put = admin
        .request(Method::PUT, &path)
        .header("content-type", "application/toml")
        .body(toml_doc)
        .send()
        .await
        .unwrap();
    assert_eq!(put.status(), 200);
    let answered: ConnectionSettings = put.json().await.unwrap();
    assert_eq!(
        answered,
        ConnectionSettings::from_toml_str(toml_doc).unwrap()
    );
    assert_eq!(answered.state(ObjectKind::Product), SyncState::Disabled);
    // A whole replacement: the earlier JSON's contact direction is back to the default.
    assert_eq!(stored_settings(&server).await, answered);
    // What GET answers reads back through TOML unchanged.
    let toml_text = toml::to_string(&answered).unwrap();
    assert_eq!(
        ConnectionSettings::from_toml_str(&toml_text).unwrap(),
        answered
    );
}

#[tokio::test]
async fn invalid_settings_answer_400_naming_the_field_and_nothing_is_stored() {
    let server = AdminServer::start().await;
    let admin = server.signed_in().await;
    let path = settings_path(&server);
    let cases = [
        (
            json!({"contact": {"custom_mappings": [
                {"hubspot_property": "tier", "qbo_field": "Notes", "transform": "text"},
                {"hubspot_property": "jobtitle", "qbo_field": "Nope", "transform": "text"}
            ]}}),
            "contact.custom_mappings[1].qbo_field",
        ),
        (
            json!({"contact": {"direction": "sideways"}}),
            "contact.direction",
        ),
        (json!({"contatc": {}}), "contatc"),
        (
            json!({"product": {"entry_filters": {"hubspot": [{"property": "name", "op": "in"}]}}}),
            "product.entry_filters.hubspot[0].values",
        ),
        (
            json!({"invoices": {"doc_number_prefix": "MUCH-TOO-LONG-"}}),
            "invoices.doc_number_prefix",
        ),
        (
            json!({"new_items": {"income_account_id": "Sales"}}),
            "new_items.income_account_id",
        ),
    ];
    for (doc, field) in cases {
        let response = admin.put_json(&path, &doc).await;
        assert_eq!(response.status(), 400, "{doc}");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["field"], field, "{doc} gave {body}");
        assert!(
            body["error"].as_str().unwrap().len() > field.len(),
            "{body}"
        );
    }
    let toml_bad = admin
        .request(Method::PUT, &path)
        .header("content-type", "application/toml")
        .body("[[contact.custom_mappings]]\nhubspot_property = \"t\"\nqbo_field = \"Notes\"\ntransform = \"enumeration\"\n")
        .send()
        .await
        .unwrap();
    assert_eq!(toml_bad.status(), 400);
    let body: Value = toml_bad.json().await.unwrap();
    assert_eq!(body["field"], "contact.custom_mappings[0].values", "{body}");
    assert_eq!(
        stored_settings(&server).await,
        ConnectionSettings::default()
    );
}

#[tokio::test]
async fn malformed_bodies_answer_400_with_the_parse_reason_and_unknown_connections_404() {
    let server = AdminServer::start().await;
    let admin = server.signed_in().await;
    let path = settings_path(&server);
    let bad_json = admin
        .request(Method::PUT, &path)
        .header("content-type", "application/json")
        .body("{\"contact\": ")
        .send()
        .await
        .unwrap();
    assert_eq!(bad_json.status(), 400);
    let body: Value = bad_json.json().await.unwrap();
    assert!(
        body["error"].as_str().unwrap().contains("not valid JSON"),
        "{body}"
    );
    assert!(body.get("field").is_none(), "{body}");
    let bad_toml = admin
        .request(Method::PUT, &path)
        .header("content-type", "application/toml")
        .body("[contact\n")
        .send()
        .await
        .unwrap();
    assert_eq!(bad_toml.status(), 400);
    let body: Value = bad_toml.json().await.unwrap();
    assert!(
        body["error"].as_str().unwrap().contains("not valid TOML"),
        "{body}"
    );

    for response in [
        admin.get("/api/connections/nobody/settings").await,
        admin
            .put_json("/api/connections/nobody/settings", &json!({}))
            .await,
        admin
            .post("/api/connections/nobody/objects/contact/disable")
            .await,
    ] {
        assert_eq!(response.status(), 404);
        let body: Value = response.json().await.unwrap();
        assert!(body["error"].as_str().unwrap().contains("nobody"), "{body}");
    }
    let id = server.connection_id();
    let unknown_kind = admin
        .post(&format!("/api/connections/{id}/objects/deal/disable"))
        .await;
    assert_eq!(unknown_kind.status(), 400);
    let body: Value = unknown_kind.json().await.unwrap();
    assert_eq!(body["field"], "kind", "{body}");
    let unknown_action = admin
        .post(&format!("/api/connections/{id}/objects/contact/explode"))
        .await;
    assert_eq!(unknown_action.status(), 404);
    let body: Value = unknown_action.json().await.unwrap();
    assert!(
        body["error"]
            .as_str()
            .unwrap()
            .contains("enable, disable, delete"),
        "{body}"
    );
}

/// The first demo contact's HubSpot id.
async fn a_demo_contact(server: &AdminServer) -> String {
    let pair = server
        .ctx
        .sync
        .gateways
        .gateways(server.connection.as_ref().unwrap())
        .await
        .expect("gateways");
    let gateway: &dyn RecordGateway = pair.side(Side::Hubspot);
    let page = gateway.list_page(ObjectKind::Contact, None).await.unwrap();
    page.records.first().expect("a demo contact").id.clone()
}

fn contact_job(connection: &ConnectionId, id: &str, server: &AdminServer) -> Job {
    Job::new(
        connection.clone(),
        ObjectKind::Contact,
        Side::Hubspot,
        id.to_owned(),
        JobReason::Webhook,
        server.ctx.sync.clock.now(),
    )
}

#[tokio::test]
async fn delete_forgets_the_kind_at_once_disable_drops_jobs_and_enable_again_offers_a_preview() {
    let server = AdminServer::start_with(demo()).await;
    let admin = server.signed_in().await;
    let id = server.connection_id().clone();
    let contact = a_demo_contact(&server).await;

    // Disable: a job of the kind is dropped from now on.
    let disabled = admin
        .post(&format!("/api/connections/{id}/objects/contact/disable"))
        .await;
    assert_eq!(disabled.status(), 200);
    let body: Value = disabled.json().await.unwrap();
    assert_eq!(body, json!({"kind": "contact", "state": "disabled"}));
    let results = process_jobs(&server.ctx.sync, vec![contact_job(&id, &contact, &server)]).await;
    assert!(
        matches!(&results[0].disposition, Disposition::Dropped { reason } if reason.contains("Disabled")),
        "{:?}",
        results[0].disposition
    );
    assert!(
        server
            .store
            .list_links(&id, ObjectKind::Contact)
            .await
            .unwrap()
            .is_empty()
    );

    // Enabled again (never deleted): no preview; a job now links the contact.
    let enabled: Value = admin
        .post(&format!("/api/connections/{id}/objects/contact/enable"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(enabled, json!({"kind": "contact", "state": "enabled"}));
    let results = process_jobs(&server.ctx.sync, vec![contact_job(&id, &contact, &server)]).await;
    assert_eq!(results[0].disposition, Disposition::Done);
    let links = server
        .store
        .list_links(&id, ObjectKind::Contact)
        .await
        .unwrap();
    assert_eq!(links.len(), 1);
    let statuses = server
        .store
        .list_statuses(&id, ObjectKind::Contact)
        .await
        .unwrap()
        .len();
    assert!(statuses >= 1);
    let now = server.ctx.sync.clock.now();
    server
        .store
        .put_cursor(
            &id,
            Side::Quickbooks,
            ObjectKind::Contact,
            &Cursor {
                watermark: now,
                last_full_sweep: None,
                queued: Vec::new(),
            },
        )
        .await
        .unwrap();
    let product_links = server
        .store
        .list_links(&id, ObjectKind::Product)
        .await
        .unwrap()
        .len();

    // Delete: forgotten now, with no job or webhook; the counts are what was there.
    let pending_before = server.queue.pending(Lane::Live).await.unwrap();
    let deleted = admin
        .post(&format!("/api/connections/{id}/objects/contact/delete"))
        .await;
    assert_eq!(deleted.status(), 200);
    let body: Value = deleted.json().await.unwrap();
    assert_eq!(body["kind"], "contact");
    assert_eq!(body["state"], "deleted");
    assert_eq!(
        body["forgot"],
        json!({"links": 1, "statuses": statuses, "cursors": 1}),
        "{body}"
    );
    assert_eq!(body["kept"]["hubspot_records"], 1);
    assert_eq!(body["kept"]["quickbooks_records"], 1);
    assert_eq!(body["kept"]["sync_log"], true);
    assert!(
        body["kept"]["message"]
            .as_str()
            .unwrap()
            .contains("nothing was deleted"),
        "{body}"
    );
    assert!(body.get("preview").is_none(), "{body}");
    assert!(
        server
            .store
            .list_links(&id, ObjectKind::Contact)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        server
            .store
            .list_statuses(&id, ObjectKind::Contact)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        server
            .store
            .get_cursor(&id, Side::Quickbooks, ObjectKind::Contact)
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(
        server
            .store
            .list_links(&id, ObjectKind::Product)
            .await
            .unwrap()
            .len(),
        product_links
    );
    assert_eq!(
        server.queue.pending(Lane::Live).await.unwrap(),
        pending_before
    );
    assert_eq!(
        stored_settings(&server).await.state(ObjectKind::Contact),
        SyncState::Deleted
    );
    // The records stay at the vendor.
    let pair = server
        .ctx
        .sync
        .gateways
        .gateways(server.connection.as_ref().unwrap())
        .await
        .unwrap();
    let still_there = pair
        .side(Side::Hubspot)
        .read(ObjectKind::Contact, std::slice::from_ref(&contact))
        .await
        .unwrap();
    assert_eq!(still_there.len(), 1);

    // Enabled again after a delete on a syncing connection: a fresh preview is offered.
    let body: Value = admin
        .post(&format!("/api/connections/{id}/objects/contact/enable"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        body,
        json!({"kind": "contact", "state": "enabled", "preview": format!("/api/connections/{id}/preview")})
    );
}

#[tokio::test]
async fn on_a_connected_connection_enable_only_changes_settings_and_payments_follow_invoices() {
    let server = AdminServer::start().await;
    let admin = server.signed_in().await;
    let id = server.connection_id().clone();
    let mut record = server.store.get_connection(&id).await.unwrap().unwrap();
    record.status = hqsync::ports::ConnectionStatus::Connected;
    record
        .connection
        .settings
        .set_state(ObjectKind::Product, SyncState::Deleted);
    server.store.put_connection(&record).await.unwrap();
    let body: Value = admin
        .post(&format!("/api/connections/{id}/objects/product/enable"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(body, json!({"kind": "product", "state": "enabled"}));
    assert_eq!(server.queue.pending(Lane::Live).await.unwrap(), 0);
    assert_eq!(server.queue.pending(Lane::Bulk).await.unwrap(), 0);
    let stored = server.store.get_connection(&id).await.unwrap().unwrap();
    assert_eq!(stored.status, hqsync::ports::ConnectionStatus::Connected);

    let off: Value = admin
        .post(&format!("/api/connections/{id}/objects/invoice/disable"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(off, json!({"kind": "invoice", "state": "disabled"}));
    let refused = admin
        .post(&format!("/api/connections/{id}/objects/payment/enable"))
        .await;
    assert_eq!(refused.status(), 409);
    let body: Value = refused.json().await.unwrap();
    assert!(
        body["error"].as_str().unwrap().contains("invoice"),
        "{body}"
    );
}

#[tokio::test]
async fn every_admin_write_is_in_the_audit_log_newest_first_without_secrets() {
    let server = AdminServer::start().await;
    let admin = server.signed_in().await;
    let id = server.connection_id().clone();
    assert_eq!(
        admin
            .put_json(
                &settings_path(&server),
                &json!({"invoices": {"doc_number_prefix": "Q-"}})
            )
            .await
            .status(),
        200
    );
    assert_eq!(
        admin
            .post(&format!("/api/connections/{id}/objects/product/disable"))
            .await
            .status(),
        200
    );
    assert_eq!(
        admin
            .post(&format!("/api/connections/{id}/objects/product/delete"))
            .await
            .status(),
        200
    );
    assert_eq!(
        admin
            .post(&format!(
                "/api/connections/{id}/records/contact/hubspot/123/resync"
            ))
            .await
            .status(),
        202
    );
    assert_eq!(
        admin
            .post_json("/api/dead-letters/redrive", &json!({}))
            .await
            .status(),
        200
    );
    // Refused writes leave no entry.
    assert_eq!(
        admin
            .put_json(&settings_path(&server), &json!({"contatc": {}}))
            .await
            .status(),
        400
    );

    let entries: Vec<Value> = admin.get("/api/audit?limit=5").await.json().await.unwrap();
    let actions: Vec<&str> = entries
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        [
            "dead_letters.redrive",
            "record.resync",
            "object.delete",
            "object.disable",
            "settings.update"
        ]
    );
    for entry in &entries {
        assert_eq!(entry["actor"], "admin");
        assert!(entry["at"].is_string());
    }
    assert_eq!(entries[2]["connection"], id.as_str());
    assert!(
        entries[2]["detail"].as_str().unwrap().contains("link"),
        "{}",
        entries[2]
    );
    assert!(
        entries[4]["detail"].as_str().unwrap().contains("invoices"),
        "{}",
        entries[4]
    );
    let text = serde_json::to_string(&entries).unwrap();
    assert!(!text.contains(ADMIN_PASSWORD));
    assert!(!text.contains(&admin.csrf_token));

    let all: Vec<Value> = admin.get("/api/audit").await.json().await.unwrap();
    assert_eq!(all.len(), 6, "the five writes and the sign-in: {all:?}");
    assert_eq!(all[5]["action"], "session.sign_in");
    let of_connection: Vec<Value> = admin
        .get(&format!("/api/audit?connection={id}&limit=2"))
        .await
        .json()
        .await
        .unwrap();
    let actions: Vec<&str> = of_connection
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["record.resync", "object.delete"]);
}

#[tokio::test]
async fn hqsync_settings_get_and_set_agree_with_the_routes() {
    let server = AdminServer::start().await;
    let dir = std::env::temp_dir().join(format!("hqsync-settings-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let api = || hqsync_cli::admin::ApiArgs::new(&server.base_url, Some(ADMIN_PASSWORD));
    let connection = || hqsync_cli::admin::ConnectionArg {
        connection: Some(server.connection_id().to_string()),
    };
    use hqsync_cli::admin::settings::{SettingsAction, SettingsArgs, run};

    let file = dir.join("settings.toml");
    std::fs::write(&file, "[settings.contact]\ndirection = \"to_hubspot\"\n[settings.invoices]\ndoc_number_prefix = \"CLI-\"\n").unwrap();
    let mut out = Vec::new();
    run(
        SettingsArgs {
            api: api(),
            action: SettingsAction::Set {
                file: file.clone(),
                connection: connection(),
            },
        },
        &mut out,
    )
    .await
    .unwrap();
    let text = String::from_utf8(out).unwrap();
    assert!(text.contains("Saved the settings"), "{text}");
    let stored = stored_settings(&server).await;
    assert_eq!(
        stored.contact.direction,
        hqsync::model::Direction::ToHubspot
    );
    assert_eq!(stored.invoices.doc_number_prefix, "CLI-");

    let mut out = Vec::new();
    run(
        SettingsArgs {
            api: api(),
            action: SettingsAction::Get {
                connection: connection(),
            },
        },
        &mut out,
    )
    .await
    .unwrap();
    let printed = String::from_utf8(out).unwrap();
    assert_eq!(ConnectionSettings::from_toml_str(&printed).unwrap(), stored);

    // The server refuses what the CLI would send unchecked; the CLI refuses it first.
    let bad = dir.join("bad.json");
    std::fs::write(&bad, r#"{"product": {"custom_mappings": [{"hubspot_property": "x", "qbo_field": "Nope", "transform": "text"}]}}"#).unwrap();
    let err = run(
        SettingsArgs {
            api: api(),
            action: SettingsAction::Set {
                file: bad,
                connection: connection(),
            },
        },
        &mut Vec::new(),
    )
    .await
    .unwrap_err();
    assert!(
        format!("{err:#}").contains("product.custom_mappings[0].qbo_field"),
        "{err:#}"
    );
    assert_eq!(stored_settings(&server).await, stored);
    std::fs::remove_dir_all(&dir).ok();
}

#[tokio::test]
async fn invalid_stored_settings_refuse_that_connections_jobs_with_the_field_while_another_syncs() {
    let server = AdminServer::start_with(demo()).await;
    let good = server.connection_id().clone();
    // Written past the API (by hand in the table): the same accounts, invalid settings.
    let mut broken = server.connection.clone().unwrap();
    broken.connection.id = ConnectionId::new("hand-written").unwrap();
    broken.connection.settings.invoices.doc_number_prefix = "MUCH-TOO-LONG-".into();
    server.store.put_connection(&broken).await.unwrap();
    let contact = a_demo_contact(&server).await;

    let results = process_jobs(
        &server.ctx.sync,
        vec![
            contact_job(broken.id(), &contact, &server),
            contact_job(&good, &contact, &server),
        ],
    )
    .await;
    let by_connection = |id: &ConnectionId| {
        results
            .iter()
            .find(|r| &r.job.connection == id)
            .map(|r| r.disposition.clone())
            .unwrap()
    };
    match by_connection(broken.id()) {
        Disposition::RetryAfter { reason, .. } => {
            assert!(reason.contains("hand-written"), "{reason}");
            assert!(reason.contains("invoices.doc_number_prefix"), "{reason}");
        }
        other => panic!("the broken connection's job was {other:?}"),
    }
    assert_eq!(by_connection(&good), Disposition::Done);
    assert_eq!(
        server
            .store
            .list_links(&good, ObjectKind::Contact)
            .await
            .unwrap()
            .len(),
        1
    );
    assert!(
        server
            .store
            .list_links(broken.id(), ObjectKind::Contact)
            .await
            .unwrap()
            .is_empty()
    );

    // The listing shows it as that connection's error; its settings can be read and fixed.
    let admin = server.signed_in().await;
    let list: Vec<Value> = admin.get("/api/connections").await.json().await.unwrap();
    let shown = list.iter().find(|c| c["id"] == "hand-written").unwrap();
    assert_eq!(shown["status"], "error");
    assert!(
        shown["error"]
            .as_str()
            .unwrap()
            .contains("invoices.doc_number_prefix"),
        "{shown}"
    );
    let read: ConnectionSettings = admin
        .get("/api/connections/hand-written/settings")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(read.invoices.doc_number_prefix, "MUCH-TOO-LONG-");
    let fixed = admin
        .put_json(
            "/api/connections/hand-written/settings",
            &json!({"invoices": {"doc_number_prefix": "OK-"}}),
        )
        .await;
    assert_eq!(fixed.status(), 200);
    let results = process_jobs(
        &server.ctx.sync,
        vec![contact_job(broken.id(), &contact, &server)],
    )
    .await;
    assert_eq!(results[0].disposition, Disposition::Done);
}
