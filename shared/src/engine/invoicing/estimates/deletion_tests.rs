//! A deleted estimate on the invoicing fakes (docs/hubspot.md §2.13): the deal's latest values
//! fall back past estimates deleted too or tagged with another deal, each deletion adds one
//! note, and one never mirrored or repeated adds nothing.

use std::sync::Arc;

use super::mirror::EstimateMirror;
use super::properties::{ESTIMATE_ID, ESTIMATE_NOTES, ESTIMATE_NUMBER};
use crate::adapters::invoicing_fakes::{FakeHubspot, FakeQbo};
use crate::engine::invoicing::invoices::{InvoiceMirror, InvoiceSyncSettings};
use crate::hubspot::ObjectType;
use crate::quickbooks::entities::Invoice;

fn estimate(id: &str, deal: &str) -> Invoice {
    serde_json::from_value(serde_json::json!({
        "Id": id, "SyncToken": "0", "DocNumber": format!("E-{id}"),
        "TxnStatus": "Pending", "TotalAmt": 10, "CustomerRef": {"value": "7"},
        "PrivateNote": format!("HubSpot deal: {deal}"),
    }))
    .unwrap()
}

struct Rig {
    hs: Arc<FakeHubspot>,
    qbo: Arc<FakeQbo>,
    mirror: InvoiceMirror,
    deal: String,
}

impl Rig {
    fn new() -> Rig {
        let hs = Arc::new(FakeHubspot::default());
        let qbo = Arc::new(FakeQbo::default());
        let deal = hs.add(ObjectType::Deals, &[("dealname", "Roof")]);
        let mirror = InvoiceMirror::new(hs.clone(), qbo.clone(), InvoiceSyncSettings::default());
        Rig {
            hs,
            qbo,
            mirror,
            deal,
        }
    }

    fn deal_value(&self, name: &str) -> String {
        self.hs
            .all(ObjectType::Deals)
            .into_iter()
            .find(|d| d.id == self.deal)
            .and_then(|d| d.get(name).map(str::to_owned))
            .unwrap_or_default()
    }

    fn notes(&self) -> Vec<String> {
        self.hs
            .all(ObjectType::Notes)
            .into_iter()
            .map(|n| n.get("hs_note_body").unwrap_or_default().to_owned())
            .collect()
    }

    fn estimates(&self) -> EstimateMirror<'_> {
        EstimateMirror::new(&self.mirror)
    }
}

#[tokio::test]
async fn the_deal_falls_back_past_deleted_and_retagged_estimates_with_one_note_per_deletion() {
    let r = Rig::new();
    for id in ["41", "52", "57", "63"] {
        r.qbo.put_invoice(estimate(id, &r.deal));
        r.estimates().sync_estimate(id).await.unwrap();
    }
    assert_eq!(r.deal_value(ESTIMATE_ID), "63");
    assert_eq!(r.notes().len(), 4);
    // 52 now names another deal; 57 and 63 are deleted, only 63's signal has come.
    r.qbo.put_invoice(estimate("52", "other-deal"));
    r.qbo.delete_invoice("57");
    r.qbo.delete_invoice("63");

    let report = r
        .estimates()
        .sync_estimate_of("63", Some(&r.deal))
        .await
        .unwrap();
    assert!(report.deleted && report.latest_written, "{report:?}");
    assert_eq!(report.number, "E-63", "the number the deal's token kept");
    assert_eq!(
        r.deal_value(ESTIMATE_ID),
        "41",
        "past 57 (gone) and 52 (retagged)"
    );
    assert_eq!(r.deal_value(ESTIMATE_NUMBER), "E-41");
    let notes = r.notes();
    assert_eq!(notes.len(), 5);
    assert!(
        notes[4].contains("Estimate E-63 was deleted in QuickBooks"),
        "{notes:?}"
    );
    let tokens = r.deal_value(ESTIMATE_NOTES);
    assert!(
        !tokens.contains("e63=") && tokens.contains("e57="),
        "{tokens}"
    );

    // 57's own signal: its note, the latest values stay on 41.
    let report = r
        .estimates()
        .sync_estimate_of("57", Some(&r.deal))
        .await
        .unwrap();
    assert!(report.deleted && !report.latest_written, "{report:?}");
    assert_eq!(r.notes().len(), 6);
    assert_eq!(r.deal_value(ESTIMATE_ID), "41");

    // Repeated, or never mirrored onto a deal: nothing more.
    for id in ["57", "63"] {
        let again = r
            .estimates()
            .sync_estimate_of(id, Some(&r.deal))
            .await
            .unwrap();
        assert_eq!(again.note, None, "{again:?}");
        assert!(!again.latest_written);
    }
    let unknown = r.estimates().sync_estimate_of("99", None).await.unwrap();
    assert!(unknown.skipped.is_some(), "{unknown:?}");
    assert_eq!(r.notes().len(), 6);
    assert!(
        unknown
            .summary()
            .contains("before it was mirrored onto a deal")
    );
}
