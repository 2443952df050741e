//! An estimate converted to an invoice: an invoice created with `LinkedTxn` to an estimate is
//! linked back from the estimate, which QBO closes (docs/quickbooks.md §17.7).

use serde_json::{Map, Value, json};

use super::{ChangeOp, Company};
use crate::quickbooks::entity_kind::EntityKind;
use crate::quickbooks::fault::Fault;

/// The estimates a new invoice's `LinkedTxn` names. The Invoice entity's `LinkedTxn` takes
/// Estimate links as written ("Zero or more Estimate and TimeActivity objects linked to this
/// invoice", https://developer.intuit.com/app/developer/qbo/docs/api/accounting/all-entities/invoice);
/// one that does not exist is an invalid reference (2500, as any other reference).
pub fn linked_estimates(
    company: &Company,
    body: &Map<String, Value>,
) -> Result<Vec<String>, Fault> {
    let mut ids = Vec::new();
    let links = body.get("LinkedTxn").and_then(Value::as_array);
    for link in links.into_iter().flatten() {
        if link.get("TxnType").and_then(Value::as_str) != Some("Estimate") {
            continue;
        }
        let id = link
            .get("TxnId")
            .and_then(Value::as_str)
            .ok_or_else(|| Fault::required_param("LinkedTxn.TxnId"))?;
        if company.get(EntityKind::Estimate, id).is_none() {
            return Err(Fault::invalid_reference("LinkedTxn.TxnId"));
        }
        ids.push(id.to_owned());
    }
    Ok(ids)
}

/// After invoice `invoice_id` was created from `estimates`: each estimate's `LinkedTxn`
/// gains the invoice and its `TxnStatus` becomes `Closed`, a new estimate version (so its
/// webhook and CDC entry follow). The Estimate entity documents `LinkedTxn` as the invoice
/// it was converted to and `TxnStatus` Closed once it is
/// (https://developer.intuit.com/app/developer/qbo/docs/api/accounting/all-entities/estimate);
/// whether a partial conversion (some lines) also closes it is UNVERIFIED: the sandbox closes
/// it on any conversion.
pub fn close_converted(company: &mut Company, estimates: &[String], invoice_id: &str, now_ms: i64) {
    for id in estimates {
        let Some(stored) = company.get(EntityKind::Estimate, id) else {
            continue;
        };
        let mut body = stored.body.clone();
        let mut links: Vec<Value> = body
            .get("LinkedTxn")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        let link = json!({"TxnId": invoice_id, "TxnType": "Invoice"});
        if !links.contains(&link) {
            links.push(link);
        }
        body.insert("LinkedTxn".into(), Value::Array(links));
        body.insert("TxnStatus".into(), "Closed".into());
        company.replace(EntityKind::Estimate, id, body, ChangeOp::Update, now_ms);
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use crate::Seed;
    use crate::quickbooks::entity_kind::EntityKind;
    use crate::quickbooks::state::{Company, WriteOp, WriteOptions};

    const NOW: i64 = 1_780_000_000_000;

    #[test]
    fn an_invoice_made_from_an_estimate_links_both_ways_and_closes_the_estimate() {
        let mut c = Company::new("1", -480, Seed::Empty, NOW);
        let up = |c: &mut Company, kind, body| {
            c.write(kind, WriteOp::Upsert, body, WriteOptions::default(), NOW)
        };
        up(&mut c, EntityKind::Customer, json!({"DisplayName": "E"})).unwrap();
        up(
            &mut c,
            EntityKind::Item,
            json!({"Name": "S", "Type": "Service", "IncomeAccountRef": {"value": "1"}}),
        )
        .unwrap();
        let line = json!([{"DetailType": "SalesItemLineDetail", "Amount": 40,
                           "SalesItemLineDetail": {"ItemRef": {"value": "1"}}}]);
        let estimate = up(
            &mut c,
            EntityKind::Estimate,
            json!({"CustomerRef": {"value": "1"}, "Line": line}),
        )
        .unwrap();
        assert_eq!(estimate["TxnStatus"], "Pending");
        let est = estimate["Id"].as_str().unwrap().to_owned();
        c.drain_changes();

        // A link to an estimate that does not exist is refused and changes nothing.
        let missing = up(
            &mut c,
            EntityKind::Invoice,
            json!({"CustomerRef": {"value": "1"}, "Line": line,
                   "LinkedTxn": [{"TxnId": "999", "TxnType": "Estimate"}]}),
        )
        .unwrap_err();
        assert_eq!(missing.code(), "2500");
        assert!(c.drain_changes().is_empty());

        let invoice = up(
            &mut c,
            EntityKind::Invoice,
            json!({"CustomerRef": {"value": "1"}, "Line": line,
                   "LinkedTxn": [{"TxnId": est, "TxnType": "Estimate"}]}),
        )
        .unwrap();
        assert_eq!(invoice["LinkedTxn"][0]["TxnType"], "Estimate");
        assert_eq!(invoice["LinkedTxn"][0]["TxnId"], est.as_str());
        let closed = c.read(EntityKind::Estimate, &est).unwrap();
        assert_eq!(closed["TxnStatus"], "Closed");
        assert_eq!(closed["LinkedTxn"][0]["TxnType"], "Invoice");
        assert_eq!(closed["LinkedTxn"][0]["TxnId"], invoice["Id"]);
        assert_eq!(closed["SyncToken"], "1", "a new estimate version");
        let changed: Vec<_> = c.drain_changes().into_iter().map(|ch| ch.kind).collect();
        assert!(changed.contains(&EntityKind::Estimate), "{changed:?}");
        assert!(changed.contains(&EntityKind::Invoice), "{changed:?}");
    }
}
