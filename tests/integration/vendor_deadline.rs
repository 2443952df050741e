//! Vendor calls inside an invocation's deadline (`hqsync::http::deadline`, docs/aws.md §11):
//! against a server that accepts connections and never answers, the HubSpot and QBO clients
//! give up when the deadline comes, not after their own request timeouts (30 s HubSpot, 125 s
//! QBO).

use std::time::{Duration, Instant};

use hqsync::http::deadline;
use hqsync::hubspot::{BatchReadOptions, HubspotClient, ObjectType};
use hqsync::quickbooks::entities::Customer;
use hqsync::quickbooks::{QboClient, QboEnvironment, RealmId};
use secrecy::SecretString;
use tokio::net::TcpListener;

/// A server that takes every connection and never says a word; its address.
async fn silent_server() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket);
        }
    });
    format!("http://{address}")
}

const DEADLINE: Duration = Duration::from_millis(800);

#[tokio::test]
async fn vendor_calls_end_at_the_invocations_deadline() {
    let base = silent_server().await;

    let hubspot = HubspotClient::builder(SecretString::from("token".to_owned()))
        .base_url(base.clone())
        .build()
        .unwrap();
    let started = Instant::now();
    let ends = tokio::time::Instant::now() + DEADLINE;
    let read = deadline::scope(
        Some(ends),
        hubspot.batch_read(
            ObjectType::Contacts,
            &["1".to_owned()],
            &BatchReadOptions::default(),
        ),
    )
    .await;
    let took = started.elapsed();
    assert!(read.is_err(), "no answer is an error");
    assert!(
        took < Duration::from_secs(5),
        "HubSpot gave up after {took:?}, not at the deadline"
    );

    let quickbooks = QboClient::new(
        &QboEnvironment::Custom(base.parse().unwrap()),
        RealmId::new("123".to_owned()).unwrap(),
        SecretString::from("token".to_owned()),
    )
    .unwrap();
    let started = Instant::now();
    let ends = tokio::time::Instant::now() + DEADLINE;
    let read = deadline::scope(Some(ends), quickbooks.read::<Customer>("1")).await;
    let took = started.elapsed();
    assert!(read.is_err(), "no answer is an error");
    assert!(
        took < Duration::from_secs(5),
        "QBO gave up after {took:?}, not at the deadline"
    );
}
