//! The console in a real headless Chromium against `hqsync dev --no-connection` in-process: sign
//! in, connect both sandboxes through their consent pages, and each page's screenshot.
//!
//! Pages and element ids follow docs/console.md and docs/admin.md §3. Screenshots land in
//! `target/console-screenshots/`; `HQSYNC_UPDATE_SCREENSHOTS=1` refreshes the README's.

use hqsync_sandbox::Seed;
use hqsync_tests::admin_server::ADMIN_PASSWORD;
use hqsync_tests::browser::Browser;
use hqsync_tests::dev_stack::DevStack;

/// Signs in through the form at `/`; panics unless the signed-in console answers.
async fn sign_in(browser: &Browser, dev: &DevStack) {
    browser.goto(&dev.url("/")).await;
    browser.wait_for("input[name=password]").await;
    browser.screenshot("sign-in").await;
    browser.fill("input[name=password]", ADMIN_PASSWORD).await;
    browser.click("button[type=submit]").await;
    browser.wait_for_text("body", "Signed in.").await;
}

#[tokio::test]
async fn an_admin_signs_in_and_connects_both_sandboxes_through_their_consent_pages() {
    let Some(browser) = Browser::start("console_browser::connect").await else {
        return;
    };
    let dev = DevStack::start(Seed::Demo).await;

    // A wrong password stays on the form and says so.
    browser.goto(&dev.url("/")).await;
    browser
        .fill("input[name=password]", "not the password")
        .await;
    browser.click("button[type=submit]").await;
    let refused = browser
        .wait_for_text("body", "That is not the admin password.")
        .await;
    assert!(!refused.contains("Signed in."), "{refused}");

    sign_in(&browser, &dev).await;
    assert_eq!(browser.url().await.path(), "/");
    let home = browser.page_text().await;
    assert!(home.contains("None yet."), "no connection yet: {home}");
    browser.screenshot("home").await;

    // The link goes to HubSpot's consent, back to our callback, to Intuit's consent, back to
    // ours, and ends on the new connection's page.
    browser.click_link("Connect the built-in sandboxes").await;
    let heading = browser.wait_for_text("h1", "Connection c-").await;
    let url = browser.url().await;
    assert_eq!(
        url.origin(),
        url::Url::parse(&dev.base_url).unwrap().origin()
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
    browser.screenshot("connection").await;

    // The console lists it.
    browser.goto(&dev.url("/")).await;
    let listed = browser.wait_for_text("body", &id).await;
    assert!(listed.contains("connected"), "{listed}");
    assert!(!listed.contains("None yet."), "{listed}");
    browser.publish("connections").await;
    assert_eq!(browser.alert_text().await, None);

    browser.close().await;
    dev.shutdown().await;
}
