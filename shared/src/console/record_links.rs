//! The one place the console builds links to a record in HubSpot's and QuickBooks' web apps,
//! from the connection's portal id, QBO environment and (when known) HubSpot hub domain.

use crate::model::{ObjectKind, Side, descriptor};
use crate::ports::ConnectionRecord;

/// HubSpot's app host for portals in the US data centre; EU portals use `app-eu1.hubspot.com`
/// (the hub domain HubSpot reports for the portal).
const HUBSPOT_APP: &str = "app.hubspot.com";
const HUBSPOT_APP_EU: &str = "app-eu1.hubspot.com";
/// QBO's web app, production and sandbox companies.
use crate::quickbooks::environment::{
    PRODUCTION_WEB_APP as QBO_APP, SANDBOX_WEB_APP as QBO_SANDBOX_APP,
};

/// Builds "Open in HubSpot" / "Open in QuickBooks" links for one connection's records.
#[derive(Debug, Clone)]
pub struct RecordLinks {
    hubspot_host: Option<&'static str>,
    portal: String,
    qbo_base: Option<&'static str>,
}

impl RecordLinks {
    /// The links of `record`'s accounts. `hub_domain` is HubSpot's name for the portal's data
    /// centre when the connection knows it (`eu1` hosts → `app-eu1.hubspot.com`). The built-in
    /// sandboxes (`local`) have no web app, so they get no links.
    pub fn of(record: &ConnectionRecord, hub_domain: Option<&str>) -> Self {
        let local = record.environment == "local";
        let eu = hub_domain.is_some_and(|d| d.contains("eu1"));
        RecordLinks {
            hubspot_host: (!local).then_some(if eu { HUBSPOT_APP_EU } else { HUBSPOT_APP }),
            portal: record.connection.hubspot_portal_id.clone(),
            qbo_base: match record.environment.as_str() {
                "production" => Some(QBO_APP),
                "sandbox" => Some(QBO_SANDBOX_APP),
                _ => None,
            },
        }
    }

    /// The record's page on `side`, when that side has a web app for it.
    pub fn open(&self, side: Side, kind: ObjectKind, id: &str) -> Option<String> {
        match side {
            Side::Hubspot => self.hubspot(descriptor(kind).hubspot.object_type_id, id),
            Side::Quickbooks => self.quickbooks(kind, id),
        }
    }

    /// A HubSpot record page: `https://app.hubspot.com/contacts/{portal}/record/{objectTypeId}/{id}`
    /// (the record URL HubSpot's object APIs name by object type id:
    /// https://developers.hubspot.com/docs/guides/crm/using-object-apis). Deals are `0-3`.
    pub fn hubspot(&self, object_type_id: &str, id: &str) -> Option<String> {
        let host = self.hubspot_host?;
        let id = url_segment(id)?;
        Some(format!(
            "https://{host}/contacts/{}/record/{object_type_id}/{id}",
            url_segment(&self.portal)?
        ))
    }

    /// A QBO page: customers `customerdetail?nameId=`, invoices `invoice?txnId=` (Intuit's
    /// sample app documents this deep link:
    /// https://github.com/IntuitDeveloper/SampleApp-Projects-Java), payments
    /// `recvpayment?txnId=`; items have no page of their own, so the products and services
    /// list (`/app/items`). Sandbox companies are on `app.sandbox.qbo.intuit.com`.
    pub fn quickbooks(&self, kind: ObjectKind, id: &str) -> Option<String> {
        let base = self.qbo_base?;
        let id = url_segment(id)?;
        Some(match kind {
            ObjectKind::Contact | ObjectKind::Company => {
                format!("{base}/app/customerdetail?nameId={id}")
            }
            ObjectKind::Product => format!("{base}/app/items"),
            ObjectKind::Invoice => format!("{base}/app/invoice?txnId={id}"),
            ObjectKind::Payment => format!("{base}/app/recvpayment?txnId={id}"),
        })
    }
}

/// `id` when it is safe in a path segment or query value as is (vendor ids are digits;
/// anything else gets no link rather than a broken or injected one).
fn url_segment(id: &str) -> Option<&str> {
    (!id.is_empty()
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'))
    .then_some(id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Connection, ConnectionId, ConnectionSettings};

    fn record(environment: &str) -> ConnectionRecord {
        ConnectionRecord {
            connection: Connection {
                id: ConnectionId::new("c1").unwrap(),
                hubspot_portal_id: "4242".into(),
                qbo_realm_id: "9130".into(),
                settings: ConnectionSettings::default(),
            },
            environment: environment.into(),
            status: Default::default(),
        }
    }

    #[test]
    fn production_and_sandbox_connections_link_to_their_hosts() {
        let production = RecordLinks::of(&record("production"), None);
        assert_eq!(
            production
                .open(Side::Hubspot, ObjectKind::Contact, "51")
                .as_deref(),
            Some("https://app.hubspot.com/contacts/4242/record/0-1/51")
        );
        assert_eq!(
            production
                .open(Side::Quickbooks, ObjectKind::Contact, "58")
                .as_deref(),
            Some("https://app.qbo.intuit.com/app/customerdetail?nameId=58")
        );
        assert_eq!(
            production
                .open(Side::Quickbooks, ObjectKind::Invoice, "130")
                .as_deref(),
            Some("https://app.qbo.intuit.com/app/invoice?txnId=130")
        );
        let sandbox = RecordLinks::of(&record("sandbox"), Some("app-eu1.hubspot.com"));
        assert_eq!(
            sandbox
                .open(Side::Quickbooks, ObjectKind::Payment, "7")
                .as_deref(),
            Some("https://app.sandbox.qbo.intuit.com/app/recvpayment?txnId=7")
        );
        assert_eq!(
            sandbox
                .open(Side::Hubspot, ObjectKind::Product, "9")
                .as_deref(),
            Some("https://app-eu1.hubspot.com/contacts/4242/record/0-7/9")
        );
    }

    #[test]
    fn the_built_in_sandboxes_and_odd_ids_get_no_link() {
        let local = RecordLinks::of(&record("local"), None);
        assert_eq!(local.open(Side::Hubspot, ObjectKind::Contact, "1"), None);
        assert_eq!(local.open(Side::Quickbooks, ObjectKind::Contact, "1"), None);
        let production = RecordLinks::of(&record("production"), None);
        assert_eq!(
            production.open(Side::Quickbooks, ObjectKind::Contact, "1&x=\"y\""),
            None
        );
    }
}
