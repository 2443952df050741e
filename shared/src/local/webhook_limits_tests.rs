//! The local webhook server's limits over raw TCP: idle connections closed by the header read
//! timeout, the connection cap, unsigned and oversized uploads refused before their bodies.

use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Notify;

use super::http_serve::ConnectionLimits;
use super::webhook_server::{WebhookServer, WebhookServerOptions};
use crate::adapters::memory::{MemoryJobQueue, MemoryStore};
use crate::intake::MAX_BODY_BYTES;
use crate::ports::SystemClock;

/// Short limits so the tests do not wait.
const LIMITS: ConnectionLimits = ConnectionLimits {
    header_read_timeout: Duration::from_millis(300),
    max_connections: 2,
    shutdown_grace: Duration::from_secs(1),
    vendor_request_timeout: Duration::from_millis(600),
    body_idle_timeout: Duration::from_millis(400),
};

/// Long enough for anything the server does at once; shorter than nothing happening.
const PATIENCE: Duration = Duration::from_secs(5);

async fn server() -> WebhookServer {
    server_with(LIMITS).await
}

async fn server_with(limits: ConnectionLimits) -> WebhookServer {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let server = WebhookServer::start(
        listener,
        WebhookServerOptions {
            store: Arc::new(MemoryStore::new()),
            queue: Arc::new(MemoryJobQueue::new(Arc::new(SystemClock))),
            clock: Arc::new(SystemClock),
            hubspot_client_secret: Some("secret".to_owned().into()),
            hubspot_legacy_signatures: false,
            hubspot_app_id: None,
            quickbooks_verifier_token: Some("token".to_owned().into()),
            public_base_url: "http://127.0.0.1".into(),
            wake: Arc::new(Notify::new()),
            action_sink: None,
            admin: None,
            connection_limits: limits,
        },
    )
    .unwrap();
    server.set_ready();
    server
}

/// Everything the server sends until it closes or `PATIENCE` passes.
async fn read_answer(stream: &mut TcpStream) -> String {
    let mut answer = Vec::new();
    let mut buffer = [0u8; 4096];
    loop {
        match tokio::time::timeout(PATIENCE, stream.read(&mut buffer)).await {
            Ok(Ok(0)) | Err(_) => break,
            Ok(Ok(n)) => {
                answer.extend_from_slice(&buffer[..n]);
                if answer.windows(4).any(|w| w == b"\r\n\r\n") && answer.ends_with(b"}") {
                    break;
                }
            }
            Ok(Err(_)) => break,
        }
    }
    String::from_utf8_lossy(&answer).into_owned()
}

fn status_of(answer: &str) -> Option<u16> {
    answer.split_whitespace().nth(1)?.parse().ok()
}

#[tokio::test]
async fn an_idle_connection_is_closed_by_the_header_read_timeout() {
    let server = server().await;
    let mut idle = TcpStream::connect(server.addr()).await.unwrap();
    let mut buffer = [0u8; 64];
    let read = tokio::time::timeout(PATIENCE, idle.read(&mut buffer))
        .await
        .expect("the server closes the connection, not the test's patience");
    assert!(matches!(read, Ok(0) | Err(_)), "closed without an answer");
    server.shutdown().await;
}

#[tokio::test]
async fn connections_over_the_cap_wait_until_one_closes() {
    // Idle connections that would stay open a long time: only the cap stops the third.
    let server = server_with(ConnectionLimits {
        header_read_timeout: Duration::from_secs(30),
        ..LIMITS
    })
    .await;
    let first = TcpStream::connect(server.addr()).await.unwrap();
    let _second = TcpStream::connect(server.addr()).await.unwrap();
    let mut third = TcpStream::connect(server.addr()).await.unwrap();
    third
        .write_all(b"GET /healthz HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut buffer = [0u8; 64];
    assert!(
        tokio::time::timeout(Duration::from_millis(300), third.read(&mut buffer))
            .await
            .is_err(),
        "not served while two connections hold the cap"
    );
    drop(first);
    let answer = read_answer(&mut third).await;
    assert_eq!(status_of(&answer), Some(200), "{answer}");
    server.shutdown().await;
}

#[tokio::test]
async fn an_unsigned_upload_is_refused_before_its_body_is_sent() {
    let server = server().await;
    for path in [
        "/webhooks/hubspot",
        "/webhooks/quickbooks",
        "/hubspot/actions/create-invoice",
    ] {
        let mut stream = TcpStream::connect(server.addr()).await.unwrap();
        let head = format!(
            "POST {path} HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 4000000\r\n\r\n"
        );
        stream.write_all(head.as_bytes()).await.unwrap();
        // No body byte sent: the answer comes from the headers alone.
        let answer = read_answer(&mut stream).await;
        assert_eq!(status_of(&answer), Some(401), "{path}: {answer}");
        assert!(answer.contains("signature"), "{answer}");
    }
    server.shutdown().await;
}

#[tokio::test]
async fn a_signed_upload_over_the_limit_is_refused_on_its_length() {
    let server = server().await;
    let mut stream = TcpStream::connect(server.addr()).await.unwrap();
    let head = format!(
        "POST /webhooks/hubspot HTTP/1.1\r\nhost: x\r\nx-hubspot-signature-v3: AAAA\r\nx-hubspot-request-timestamp: 1\r\ncontent-length: {}\r\n\r\n",
        MAX_BODY_BYTES + 1
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let answer = read_answer(&mut stream).await;
    assert_eq!(status_of(&answer), Some(413), "{answer}");
    server.shutdown().await;
}

#[tokio::test]
async fn a_stalled_upload_is_cut_off() {
    let server = server().await;
    let mut stream = TcpStream::connect(server.addr()).await.unwrap();
    stream
        .write_all(b"POST /webhooks/hubspot HTTP/1.1\r\nhost: x\r\nx-hubspot-signature-v3: AAAA\r\nx-hubspot-request-timestamp: 1\r\ncontent-length: 100\r\n\r\n[{\"a\"")
        .await
        .unwrap();
    // The rest of the body never comes.
    let answer = read_answer(&mut stream).await;
    assert!(
        matches!(status_of(&answer), Some(408) | Some(400)),
        "refused, never left hanging: {answer}"
    );
    server.shutdown().await;
}
