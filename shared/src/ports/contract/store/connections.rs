//! The `Connections` contract: connection records round-trip and route webhooks by HubSpot
//! portal and QBO realm, and a connection moved to other accounts is routed anew.

use super::conn;
use crate::model::{Connection, ConnectionSettings};
use crate::ports::{ConnectionRecord, ConnectionStatus, Connections};

fn record(id: &str, portal: &str, realm: &str) -> ConnectionRecord {
    ConnectionRecord {
        connection: Connection {
            id: conn(id),
            hubspot_portal_id: portal.into(),
            qbo_realm_id: realm.into(),
            settings: ConnectionSettings::default(),
        },
        environment: "local".into(),
        status: ConnectionStatus::Active,
    }
}

/// Two connections of one portal: both routed by the portal, each by its own realm.
pub async fn connections_round_trip_and_route_by_portal_and_realm(store: &dyn Connections) {
    let a = record("conn-a", "111", "r1");
    let b = record("conn-b", "111", "r2");
    store.put_connection(&a).await.expect("put");
    store.put_connection(&b).await.expect("put");
    assert_eq!(
        store.get_connection(&conn("conn-a")).await.expect("get"),
        Some(a.clone())
    );
    assert!(
        store
            .get_connection(&conn("conn-z"))
            .await
            .expect("get")
            .is_none()
    );
    let mut portal = store.connections_for_portal("111").await.expect("route");
    portal.sort();
    assert_eq!(portal, vec![conn("conn-a"), conn("conn-b")]);
    assert!(
        store
            .connections_for_portal("999")
            .await
            .expect("route")
            .is_empty()
    );
    assert_eq!(
        store.connections_for_realm("r2").await.expect("route"),
        vec![conn("conn-b")]
    );
    assert!(
        store
            .connections_for_realm("r9")
            .await
            .expect("route")
            .is_empty()
    );
    let mut listed: Vec<_> = store
        .list_connections()
        .await
        .expect("list")
        .records
        .into_iter()
        .map(|r| r.connection.id)
        .collect();
    listed.sort();
    assert_eq!(listed, vec![conn("conn-a"), conn("conn-b")]);
}

/// Putting a connection with another realm (and status) replaces it and moves its routing.
pub async fn a_moved_connection_is_routed_anew(store: &dyn Connections) {
    let a = record("conn-a", "111", "r1");
    store.put_connection(&a).await.expect("put");
    store
        .put_connection(&record("conn-b", "111", "r2"))
        .await
        .expect("put");
    let mut moved = a.clone();
    moved.connection.qbo_realm_id = "r3".into();
    moved.status = ConnectionStatus::ReconnectRequired;
    store.put_connection(&moved).await.expect("put");
    assert!(
        store
            .connections_for_realm("r1")
            .await
            .expect("route")
            .is_empty()
    );
    assert_eq!(
        store.connections_for_realm("r3").await.expect("route"),
        vec![conn("conn-a")]
    );
    let listing = store.list_connections().await.expect("list");
    assert_eq!(listing.records.len(), 2);
    assert!(listing.broken.is_empty(), "{:?}", listing.broken);
    assert_eq!(
        store.get_connection(&conn("conn-a")).await.expect("get"),
        Some(moved)
    );
}

/// Deleting a connection removes its record and its routing and leaves the others; deleting
/// it again is not an error.
pub async fn a_deleted_connection_is_gone_with_its_routing(store: &dyn Connections) {
    store
        .put_connection(&record("conn-a", "111", "r1"))
        .await
        .expect("put");
    let b = record("conn-b", "111", "r2");
    store.put_connection(&b).await.expect("put");
    store
        .delete_connection(&conn("conn-a"))
        .await
        .expect("delete");
    assert!(
        store
            .get_connection(&conn("conn-a"))
            .await
            .expect("get")
            .is_none()
    );
    assert_eq!(
        store.connections_for_portal("111").await.expect("route"),
        vec![conn("conn-b")]
    );
    assert!(
        store
            .connections_for_realm("r1")
            .await
            .expect("route")
            .is_empty()
    );
    assert_eq!(
        store.list_connections().await.expect("list").records,
        vec![b]
    );
    store
        .delete_connection(&conn("conn-a"))
        .await
        .expect("deleting an absent connection");
}
