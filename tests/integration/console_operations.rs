//! A connection's page and its operations pages on the admin harness: the status block and the
//! left nav every per-connection page shares, the dead letters with Redrive back to their lane,
//! and a QBO invoice and payment mirrored into HubSpot listed with their deal.

use std::time::Duration;

use hqsync::engine::jobs::{SyncContext, run_queue_once};
use hqsync::model::{ConnectionId, ObjectKind, Side};
use hqsync::ports::{Connections, DeadLetters, Job, JobQueue, JobReason, Lane};
use hqsync_tests::admin_server::{AdminServer, SignedIn};
use hqsync_tests::invoicing::InvoiceRecords;
use reqwest::Method;

async fn page(signed: &SignedIn, path: &str) -> (u16, String) {
    let response = signed
        .without_csrf(Method::GET, path)
        .send()
        .await
        .expect("console GET");
    (response.status().as_u16(), response.text().await.unwrap())
}

async fn form(signed: &SignedIn, path: &str, fields: &[(&str, &str)]) -> reqwest::Response {
    signed
        .without_csrf(Method::POST, path)
        .form(fields)
        .send()
        .await
        .expect("console form POST")
}

/// Runs both lanes until nothing is pending.
async fn drain(ctx: &SyncContext) {
    for _ in 0..300 {
        let mut received = 0;
        for lane in [Lane::Live, Lane::Bulk] {
            received += run_queue_once(ctx, lane, 10).await.expect("queue").received;
        }
        let pending = ctx.queue.pending(Lane::Live).await.unwrap()
            + ctx.queue.pending(Lane::Bulk).await.unwrap();
        if received == 0 && pending == 0 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("the queues never drained");
}

fn job(connection: &ConnectionId, kind: ObjectKind, id: &str) -> Job {
    Job::new(
        connection.clone(),
        kind,
        Side::Quickbooks,
        id.to_owned(),
        JobReason::Webhook,
        chrono::Utc::now(),
    )
}

#[tokio::test]
async fn console_connection_page_shows_the_status_block_and_the_shared_nav() {
    let server = AdminServer::start().await;
    let signed = server.signed_in().await;
    let id = server.connection_id().clone();
    let (code, html) = page(&signed, &format!("/connections/{id}")).await;
    assert_eq!(code, 200, "{html}");
    for needle in [
        "<h1>Connection local</h1>".to_owned(),
        "id=\"connection-status\"".to_owned(),
        "data-status=\"active\"".to_owned(),
        "id=\"connection-reason\"".to_owned(),
        "id=\"connection-last-sync\"".to_owned(),
        "id=\"connection-lag\"".to_owned(),
        "Status: syncing.".to_owned(),
    ]
    .into_iter()
    .chain(
        [
            "/objects/contact",
            "/objects/product",
            "/objects/invoice",
            "/objects/payment",
            "/initial-sync",
            "/health",
            "/activity",
            "/dead-letters",
            "/invoices",
        ]
        .map(|path| format!("<a href=\"/connections/{id}{path}\">")),
    ) {
        assert!(html.contains(&needle), "{needle} in {html}");
    }

    let mut record = server.connection.clone().unwrap();
    record.status = hqsync::ports::ConnectionStatus::ReconnectRequired;
    server.store.put_connection(&record).await.unwrap();
    let (_, html) = page(&signed, &format!("/connections/{id}")).await;
    assert!(
        html.contains("data-status=\"reconnect-required\""),
        "{html}"
    );
    assert!(
        html.contains("refused HQSync's refresh token"),
        "the reason: {html}"
    );
    assert!(html.contains("id=\"reconnect-hubspot\""), "{html}");

    let (code, _) = page(&signed, "/connections/nope").await;
    assert_eq!(code, 404);
}

#[tokio::test]
async fn console_dead_letter_redrive_moves_it_back_to_its_lane() {
    let server = AdminServer::start().await;
    let id = server.connection_id().clone();
    let other = ConnectionId::new("other").unwrap();
    let queue = server.queue.clone();
    for (lane, connection, record) in [
        (Lane::Live, &id, "501"),
        (Lane::Bulk, &id, "502"),
        (Lane::Live, &other, "601"),
    ] {
        let mut job = job(connection, ObjectKind::Contact, record);
        job.side = Side::Hubspot;
        queue.enqueue(lane, vec![job], None).await.unwrap();
        let delivery = queue.receive(lane, 1).await.unwrap().pop().unwrap();
        queue
            .dead_letter(&delivery, "HubSpot answered 400 <b>bad</b> eight times")
            .await
            .unwrap();
    }
    let signed = server.signed_in().await;
    let path = format!("/connections/{id}/dead-letters");
    let (code, html) = page(&signed, &path).await;
    assert_eq!(code, 200, "{html}");
    let letters = queue.list_dead_letters(Lane::Live, 10).await.unwrap();
    let live = letters
        .iter()
        .find(|l| l.job.as_ref().is_some_and(|j| j.id == "501"))
        .unwrap();
    for needle in [
        format!("id=\"dead-letter-{}\"", live.id),
        format!("id=\"dead-letter-redrive-{}\"", live.id),
        "id=\"dead-letter-redrive-all\"".to_owned(),
        "contact 502 in hubspot".to_owned(),
        "HubSpot answered 400 &lt;b&gt;bad&lt;/b&gt; eight times".to_owned(),
    ] {
        assert!(html.contains(&needle), "{needle} in {html}");
    }
    assert!(
        !html.contains("contact 601"),
        "another connection's letter: {html}"
    );

    let redrive = format!("{path}/redrive");
    let one = form(
        &signed,
        &redrive,
        &[
            ("csrf_token", signed.csrf_token.as_str()),
            ("lane", "live"),
            ("letter", live.id.as_str()),
        ],
    )
    .await;
    assert_eq!(one.status(), 303);
    assert_eq!(
        one.headers()["location"],
        format!("{path}?notice=redriven&redriven=1").as_str()
    );
    assert_eq!(
        queue.pending(Lane::Live).await.unwrap(),
        1,
        "back on the live lane"
    );
    let back = queue.receive(Lane::Live, 1).await.unwrap().pop().unwrap();
    assert_eq!(back.job.id, "501");

    let all = form(
        &signed,
        &redrive,
        &[("csrf_token", signed.csrf_token.as_str())],
    )
    .await;
    assert_eq!(all.status(), 303);
    assert_eq!(
        queue.pending(Lane::Bulk).await.unwrap(),
        1,
        "502 back on the bulk lane"
    );
    let left = queue.list_dead_letters(Lane::Live, 10).await.unwrap();
    assert_eq!(left.len(), 1, "the other connection's letter stays");
    let (_, html) = page(&signed, &format!("{path}?notice=redriven&redriven=1")).await;
    assert!(html.contains("id=\"no-dead-letters\""), "{html}");
    assert!(html.contains("id=\"notice\""), "{html}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn console_invoices_page_lists_a_mirrored_invoice_and_payment_with_their_deal() {
    let server = AdminServer::start().await;
    let id = server.connection_id().clone();
    let records = InvoiceRecords::over(
        server.endpoints.hubspot_client().unwrap(),
        server.endpoints.quickbooks_client().unwrap(),
    )
    .await;
    records.ensure_link_properties().await;
    let linked = records
        .linked_deal(
            ("Mary Jackson", "mary@wind-tunnel.example"),
            ("Difference engine", "125.00"),
            "Wind tunnel for Mary",
        )
        .await;
    let invoice = records.tagged_invoice(&linked, "2", "2099-01-31").await;
    let invoice_id = invoice.id.clone().unwrap();
    server
        .queue
        .enqueue(
            Lane::Live,
            vec![job(&id, ObjectKind::Invoice, &invoice_id)],
            None,
        )
        .await
        .unwrap();
    drain(&server.ctx.sync).await;
    let payment = records
        .pay(&linked.customer, &[(&invoice_id, "100.00")], "CHK-1")
        .await;
    let payment_id = payment.id.clone().unwrap();
    server
        .queue
        .enqueue(
            Lane::Live,
            vec![job(&id, ObjectKind::Payment, &payment_id)],
            None,
        )
        .await
        .unwrap();
    drain(&server.ctx.sync).await;

    let signed = server.signed_in().await;
    let (code, html) = page(&signed, &format!("/connections/{id}/invoices")).await;
    assert_eq!(code, 200, "{html}");
    let row = |prefix: &str, record: &str| {
        html.split(&format!("<tr id=\"{prefix}-{record}\""))
            .nth(1)
            .and_then(|rest| rest.split("</tr>").next())
            .unwrap_or_else(|| panic!("{prefix} {record} in {html}"))
            .to_owned()
    };
    let invoice_row = row("invoice", &invoice_id);
    let number = invoice.doc_number.clone().unwrap_or_default();
    for needle in [
        number.as_str(),
        "250",
        "billing@example.com",
        &format!("Deal {}", linked.deal),
    ] {
        assert!(invoice_row.contains(needle), "{needle} in {invoice_row}");
    }
    let payment_row = row("payment", &payment_id);
    for needle in ["100", &format!("Deal {}", linked.deal)] {
        assert!(payment_row.contains(needle), "{needle} in {payment_row}");
    }
    assert!(!html.contains("id=\"problem\""), "{html}");
}
