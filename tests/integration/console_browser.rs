//! The console in a real headless Chromium against `hqsync dev --no-connection` in-process: an
//! admin signs in, connects both sandboxes through their consent pages, previews and starts the
//! initial sync, changes a mapping, finds the record that then fails with its reason, fixes it
//! and retries it until it is synced; on the way, a vendor value that is markup shows as text
//! and a write without the CSRF token is refused. Then every page, at a laptop's and a phone's
//! width, passes axe-core's WCAG 2.1 A/AA audit, never scrolls sideways and lets Tab reach each
//! control; each page's screenshot is saved.
//!
//! Every step goes through the console's pages (docs/console.md): sign-in, the connect flow,
//! the initial sync, sync health, a kind's settings and its mapping editor; the admin API only
//! checks what the pages did. Screenshots land in `target/console-screenshots/`;
//! `HQSYNC_UPDATE_SCREENSHOTS=1` refreshes the README's.

use std::time::{Duration, Instant};

use fantoccini::key::Key;
use hqsync::model::ObjectKind;
use hqsync_sandbox::Seed;
use hqsync_sandbox::hubspot::ACTOR_HEADER;
use hqsync_tests::admin_server::{ADMIN_PASSWORD, SignedIn};
use hqsync_tests::browser::{Browser, WINDOW};
use hqsync_tests::dev_stack::DevStack;
use hqsync_tests::page_audit::{AXE_VERSION, page_problems};
use hqsync_tests::quickbooks::company_url;
use serde_json::{Value, json};

/// A bound on the pipeline finishing a job or a run (never a timing assertion).
const BOUND: Duration = Duration::from_secs(120);
/// Polls far apart: webhooks and the console's actions are the only signals in these tests,
/// so a record fixed with webhooks off syncs only when the admin retries it.
const SLOW_POLLS: Duration = Duration::from_secs(3600);
/// A QBO customer HubSpot cannot take as a contact: a name only QBO's DisplayName holds, and no
/// e-mail, first or last name (HubSpot needs one, docs/hubspot.md §2.5).
const WALK_IN: &str = "Walk-in counter sales";
const WALK_IN_EMAIL: &str = "counter@walk-in.example";
/// The signed-in console's link that connects the built-in sandboxes.
const CONNECT_LOCAL: &str = "a[href='/connect?environment=local']";
/// The escaping probe: a HubSpot company name that would run script if rendered as HTML.
const PROBE: &str = "<img src=x onerror=alert(1)>";

/// Signs in through the form at `/`; panics unless the signed-in console answers.
async fn sign_in(browser: &Browser, dev: &DevStack) {
    browser.goto(&dev.url("/")).await;
    browser.wait_for("input[name=password]").await;
    browser.screenshot("sign-in").await;
    // By keyboard alone: the password typed, then Enter submits the form.
    browser
        .fill(
            "input[name=password]",
            &format!("{ADMIN_PASSWORD}{}", Key::Enter),
        )
        .await;
    browser.wait_for(CONNECT_LOCAL).await;
}

/// A phone's page area (CSS pixels), for the pages' narrow layout.
const PHONE: (u32, u32) = (390, 844);

/// Every console page of connection `id`, at a laptop's and a phone's width: a screenshot of
/// each, and axe-core's WCAG 2.1 A/AA audit, sideways scrolling and Tab reach find nothing.
async fn audit_every_page(browser: &Browser, dev: &DevStack, id: &str) {
    let pages = [
        ("connections".to_string(), "/".to_string()),
        ("connection".into(), format!("/connections/{id}")),
        (
            "objects".into(),
            format!("/connections/{id}/objects/contact"),
        ),
        (
            "mappings".into(),
            format!("/connections/{id}/objects/contact/mappings"),
        ),
        (
            "object-delete".into(),
            format!("/connections/{id}/objects/contact/delete"),
        ),
        (
            "initial-sync".into(),
            format!("/connections/{id}/initial-sync"),
        ),
        ("health".into(), format!("/connections/{id}/health")),
        ("activity".into(), format!("/connections/{id}/activity")),
        (
            "dead-letters".into(),
            format!("/connections/{id}/dead-letters"),
        ),
        ("invoices".into(), format!("/connections/{id}/invoices")),
        (
            "connection-delete".into(),
            format!("/connections/{id}/delete"),
        ),
    ];
    let mut problems = Vec::new();
    let mut audited = 0;
    for (area, suffix) in [(WINDOW, ""), (PHONE, "-phone")] {
        browser.set_page_area(area).await;
        for (name, path) in &pages {
            browser.goto(&dev.url(path)).await;
            browser.wait_for("main#main h1").await;
            browser.screenshot(&format!("page-{name}{suffix}")).await;
            if name == "health" && area == PHONE {
                browser.publish("health-phone").await;
            }
            if let Some(found) = page_problems(browser).await {
                audited += 1;
                problems.extend(found.into_iter().map(|p| format!("{name}{suffix}: {p}")));
            }
        }
    }
    // Signed out: the sign-in form.
    browser.set_page_area(PHONE).await;
    browser.goto(&dev.url("/")).await;
    browser.click("#sign-out").await;
    browser.wait_for("input[name=password]").await;
    browser.screenshot("page-sign-in-phone").await;
    if let Some(found) = page_problems(browser).await {
        audited += 1;
        problems.extend(found.into_iter().map(|p| format!("sign-in-phone: {p}")));
    }
    browser.set_page_area(WINDOW).await;
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    eprintln!(
        "console_browser: {audited} page views audited (axe-core {AXE_VERSION}), no problems"
    );
}

/// Connects the built-in sandboxes from the signed-in console: HubSpot's consent, our callback,
/// Intuit's consent, our callback, the new connection's page. Its id.
async fn connect(browser: &Browser, dev: &DevStack) -> String {
    browser.click(CONNECT_LOCAL).await;
    let heading = browser.wait_for_text("h1", "Connection c-").await;
    let url = browser.url().await;
    assert_eq!(
        url.origin(),
        url::Url::parse(&dev.base_url).unwrap().origin(),
        "ends on our page"
    );
    let id = heading.trim_start_matches("Connection ").trim().to_owned();
    assert_eq!(url.path(), format!("/connections/{id}"), "{heading}");
    let page = browser.page_text().await;
    let portal = dev.hubspot.config().portal_id.to_string();
    let realm = dev.quickbooks.config().realm_id.clone();
    for expected in [
        portal.as_str(),
        realm.as_str(),
        "connected, not syncing yet",
    ] {
        assert!(page.contains(expected), "{expected:?} on\n{page}");
    }
    id
}

/// Creates a HubSpot contact as a person in HubSpot's UI would; its id.
async fn create_contact(dev: &DevStack, properties: Value) -> String {
    let response = reqwest::Client::new()
        .post(format!(
            "{}/crm/v3/objects/contacts",
            dev.hubspot.base_url()
        ))
        .bearer_auth(&dev.hubspot.config().dev_token)
        .header(ACTOR_HEADER, "user:7")
        .json(&json!({ "properties": properties }))
        .send()
        .await
        .expect("create a HubSpot contact");
    assert_eq!(response.status(), 201);
    let body: Value = response.json().await.unwrap();
    body["id"].as_str().expect("the contact's id").to_owned()
}

/// Edits a HubSpot contact as a person in HubSpot's UI would.
async fn update_contact(dev: &DevStack, id: &str, properties: Value) {
    let response = reqwest::Client::new()
        .patch(format!(
            "{}/crm/v3/objects/contacts/{id}",
            dev.hubspot.base_url()
        ))
        .bearer_auth(&dev.hubspot.config().dev_token)
        .header(ACTOR_HEADER, "user:7")
        .json(&json!({ "properties": properties }))
        .send()
        .await
        .expect("update a HubSpot contact");
    assert_eq!(response.status(), 200);
}

/// A QBO customer call (`body` for a create or sparse update, none for a read); the customer.
/// A 429 (the sandbox's rate limit, shared with the engine's calls) is waited out.
async fn qbo_customer(dev: &DevStack, id: Option<&str>, body: Option<Value>) -> Value {
    let http = reqwest::Client::new();
    let base = company_url(&dev.quickbooks);
    let begun = Instant::now();
    loop {
        let request = match (id, &body) {
            (Some(id), None) => http.get(format!("{base}/customer/{id}")),
            (_, Some(body)) => http.post(format!("{base}/customer")).json(body),
            (None, None) => unreachable!("a read needs an id"),
        };
        let response = request
            .bearer_auth(&dev.quickbooks.config().dev_token)
            .header("Accept", "application/json")
            .send()
            .await
            .expect("a QBO customer call");
        if response.status() == 429 && begun.elapsed() < BOUND {
            tokio::time::sleep(Duration::from_millis(500)).await;
            continue;
        }
        assert_eq!(response.status(), 200);
        let body: Value = response.json().await.unwrap();
        return body["Customer"].clone();
    }
}

/// Makes a sandbox drop every webhook from now on (`GET`, then `PUT /_sandbox/webhooks` with
/// `dropRate` 1: a PUT sets every field).
async fn drop_webhooks(sandbox_url: &str) {
    let http = reqwest::Client::new();
    let url = format!("{sandbox_url}/_sandbox/webhooks");
    let mut config: Value = http.get(&url).send().await.unwrap().json().await.unwrap();
    config["dropRate"] = json!(1.0);
    let response = http.put(&url).json(&config).send().await.unwrap();
    assert!(response.status().is_success(), "{}", response.status());
}

/// The status row of `side`'s contact `record_id` once `done(row)` holds (the admin API's
/// records search), waiting up to [`BOUND`].
async fn contact_row(
    admin: &SignedIn,
    connection: &str,
    side: &str,
    record_id: &str,
    done: impl Fn(&Value) -> bool,
) -> Value {
    let begun = Instant::now();
    loop {
        let rows: Value = admin
            .get(&format!(
                "/api/connections/{connection}/records?kind=contact&q={record_id}"
            ))
            .await
            .json()
            .await
            .unwrap();
        let row = rows
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["side"] == side && r["id"] == record_id)
            .cloned();
        if let Some(row) = row
            && done(&row)
        {
            return row;
        }
        assert!(
            begun.elapsed() < BOUND,
            "{side} contact {record_id} never got there: {rows}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn an_admin_connects_syncs_changes_a_mapping_and_fixes_a_failing_record_in_the_browser() {
    let Some(browser) = Browser::start("console_browser::scenario").await else {
        return;
    };
    let dev = DevStack::start(Seed::Demo, SLOW_POLLS).await;

    // A wrong password stays on the form and says so.
    browser.goto(&dev.url("/")).await;
    browser
        .fill("input[name=password]", "not the password")
        .await;
    browser.click("button[type=submit]").await;
    browser
        .wait_for_text("body", "not the admin password")
        .await;
    browser.wait_for("input[name=password]").await;
    assert!(browser.all(CONNECT_LOCAL).await.is_empty(), "not signed in");

    // Before connecting: a contact whose company name is markup, synced by the initial sync.
    let probe = create_contact(&dev, json!({ "firstname": "Probe", "company": PROBE })).await;

    sign_in(&browser, &dev).await;
    assert_eq!(browser.url().await.path(), "/");
    let home = browser.page_text().await;
    assert!(home.contains("None yet"), "no connection yet: {home}");
    browser.screenshot("home").await;

    let id = connect(&browser, &dev).await;
    browser.publish("connection").await;
    browser.goto(&dev.url("/")).await;
    let listed = browser.wait_for_text("body", &id).await;
    assert!(listed.contains("connected"), "{listed}");
    browser.publish("connections").await;

    // The preview, then Start, on the initial-sync page; it refreshes itself (a meta refresh,
    // no script) until the run is done.
    browser
        .goto(&dev.url(&format!("/connections/{id}/initial-sync")))
        .await;
    browser.wait_for("table#preview-counts").await;
    let contacts = browser.text("tr#preview-contact").await;
    assert!(!contacts.is_empty(), "the preview counts contacts");
    browser.publish("initial-sync").await;
    browser.click("#initial-sync-start").await;
    let begun = Instant::now();
    while browser
        .all("p#initial-sync-state[data-state=done]")
        .await
        .is_empty()
    {
        assert!(
            browser
                .all("p#initial-sync-state[data-state=failed]")
                .await
                .is_empty(),
            "the initial sync failed: {}",
            browser.page_text().await
        );
        assert!(begun.elapsed() < BOUND, "still running");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    browser.wait_for("progress#initial-sync-progress").await;
    browser.wait_for("a#initial-sync-health").await;
    browser.screenshot("initial-sync-done").await;
    let admin = dev.signed_in().await;

    // The escaping probe on a console page: sync health finds the contact whose company name is
    // markup and shows it as text: no dialog, no image element.
    browser.click("a#initial-sync-health").await;
    browser.fill("#health-search", &probe).await;
    browser.click("#health-submit").await;
    browser.wait_for_text("table#records", PROBE).await;
    assert_eq!(browser.alert_text().await, None, "the probe ran as script");
    assert!(
        browser.all("table#records img").await.is_empty(),
        "the probe became an image"
    );

    // A console form posted without its csrf_token field is refused, and nothing changes.
    browser
        .goto(&dev.url(&format!("/connections/{id}/objects/contact")))
        .await;
    browser.wait_for("form#object-settings").await;
    browser
        .execute(
            "document.querySelector('#object-settings input[name=csrf_token]').remove();\
             document.querySelector('#direction').value = 'to_hubspot';",
            vec![],
        )
        .await;
    browser.click("#save-object-settings").await;
    browser
        .wait_for_text("body", "did not carry this session's CSRF token")
        .await;
    let settings: Value = admin
        .get(&format!("/api/connections/{id}/settings"))
        .await
        .json()
        .await
        .unwrap();
    assert_ne!(
        settings["contact"]["direction"], "to_hubspot",
        "the refused form changed nothing: {settings}"
    );
    // The same session's reads still work, and a write without X-CSRF-Token through the API is
    // refused too.
    browser
        .goto(&dev.url(&format!("/api/connections/{id}")))
        .await;
    let status_of = |method: &str, path: String| {
        format!("return fetch({path:?}, {{method: {method:?}}}).then(r => r.status);")
    };
    let write = browser
        .execute(
            &status_of("POST", format!("/api/connections/{id}/preview")),
            vec![],
        )
        .await;
    assert_eq!(write, json!(403), "a write without X-CSRF-Token");

    // The mapping editor: HubSpot's job title goes to the QBO customer's Title, picked from
    // both sides' live field lists.
    browser
        .goto(&dev.url(&format!("/connections/{id}/objects/contact")))
        .await;
    browser.click("a#open-mappings").await;
    browser.wait_for("table#mappings").await;
    assert!(
        !browser.all("tr[data-origin=default]").await.is_empty(),
        "default rows are marked"
    );
    for (select, value) in [
        ("select#mapping-hubspot-field", "jobtitle"),
        ("select#mapping-qbo-field", "Title"),
        ("select#mapping-direction", "to_quickbooks"),
    ] {
        browser
            .wait_for(select)
            .await
            .select_by_value(value)
            .await
            .unwrap_or_else(|e| panic!("choose {value} in {select}: {e}"));
    }
    browser.click("#mapping-add").await;
    browser.wait_for("tr[data-origin=custom]").await;
    let begun = Instant::now();
    while !browser
        .url()
        .await
        .query()
        .unwrap_or("")
        .contains("mapping-added")
    {
        assert!(begun.elapsed() < BOUND, "{}", browser.page_text().await);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    browser.publish("mappings").await;

    // The mapping works: a title edited in HubSpot reaches the linked QBO customer.
    let store = &dev.runtime.ctx.store;
    let connection: hqsync::model::ConnectionId = id.parse().unwrap();
    let links = store
        .list_links(&connection, ObjectKind::Contact)
        .await
        .unwrap();
    let link = links.first().expect("the demo contacts are linked");
    update_contact(&dev, &link.hubspot_id, json!({ "jobtitle": "CFO" })).await;
    let begun = Instant::now();
    while qbo_customer(&dev, Some(&link.qbo_id), None).await["Title"] != "CFO" {
        assert!(begun.elapsed() < BOUND, "the title never reached QBO");
        tokio::time::sleep(Duration::from_millis(300)).await;
    }

    // A record that fails: a QBO customer HubSpot cannot take as a contact. Its webhook's job
    // records the reason and the fix.
    let walk_in = qbo_customer(&dev, None, Some(json!({ "DisplayName": WALK_IN }))).await;
    let walk_in_id = walk_in["Id"]
        .as_str()
        .expect("the customer's id")
        .to_owned();
    // Found in sync health with the vendor's reason and the suggested fix.
    let failed = contact_row(&admin, &id, "quickbooks", &walk_in_id, |r| {
        r["label"] == "failed"
    })
    .await;
    let row = format!("tr#record-contact-quickbooks-{walk_in_id}");
    browser
        .goto(&dev.url(&format!(
            "/connections/{id}/health?kind=contact&outcome=failed"
        )))
        .await;
    let shown = browser.wait_for_text(&row, "HubSpot needs").await;
    assert!(
        shown.contains("Fill in the missing fields"),
        "{shown} / {failed}"
    );
    browser.publish("health").await;

    // The fix in QBO arrives by no webhook (they are off now) and no poll (an hour apart):
    // only the retry syncs it.
    drop_webhooks(&dev.quickbooks.base_url()).await;
    qbo_customer(
        &dev,
        None,
        Some(json!({
            "Id": walk_in_id,
            "SyncToken": walk_in["SyncToken"],
            "sparse": true,
            "PrimaryEmailAddr": { "Address": WALK_IN_EMAIL },
        })),
    )
    .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let still = contact_row(&admin, &id, "quickbooks", &walk_in_id, |_| true).await;
    assert_eq!(still["label"], "failed", "nothing retried it yet: {still}");
    // Retry on the health page syncs it.
    browser
        .goto(&dev.url(&format!(
            "/connections/{id}/health?kind=contact&outcome=failed"
        )))
        .await;
    browser
        .click(&format!("#retry-contact-quickbooks-{walk_in_id}"))
        .await;
    let begun = Instant::now();
    while !browser
        .url()
        .await
        .query()
        .unwrap_or("")
        .contains("retried")
    {
        assert!(begun.elapsed() < BOUND, "{}", browser.url().await);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let synced = contact_row(&admin, &id, "quickbooks", &walk_in_id, |r| {
        r["label"] == "synced"
    })
    .await;
    let links = store
        .list_links(&connection, ObjectKind::Contact)
        .await
        .unwrap();
    assert!(
        links.iter().any(|l| l.qbo_id == walk_in_id),
        "customer {walk_in_id} linked to a new contact: {synced}"
    );

    assert_eq!(browser.alert_text().await, None);
    audit_every_page(&browser, &dev, &id).await;
    browser.close().await;
    dev.shutdown().await;
}

/// The audit [`audit_every_page`] relies on can fail: on a page with one of each problem it
/// names the unlabelled field, the faint text, the sideways scrolling and the control Tab skips.
#[tokio::test]
async fn the_page_audit_finds_each_kind_of_problem_it_checks() {
    let Some(browser) = Browser::start("console_browser::audit_probe").await else {
        return;
    };
    let page = "<!doctype html><html lang='en'><head><title>Probe</title></head><body><main>\
                <h1>Probe</h1><input type='text' name='unlabelled'>\
                <p style='color:#c8c8c8;background:#fff'>faint text</p>\
                <div style='width:3000px'>wide</div>\
                <button tabindex='-1'>skipped by Tab</button></main></body></html>";
    browser
        .goto(&format!(
            "data:text/html,{}",
            url::form_urlencoded::byte_serialize(page.as_bytes())
                .collect::<String>()
                .replace('+', "%20")
        ))
        .await;
    let Some(problems) = page_problems(&browser).await else {
        return;
    };
    for expected in [
        "label (",
        "color-contrast (",
        "scrolls sideways",
        "not reached by Tab: button",
    ] {
        assert!(
            problems.iter().any(|p| p.starts_with(expected)),
            "{expected:?} not found in {problems:#?}"
        );
    }
    browser.close().await;
}
