//! Customer merges (docs/quickbooks.md §4.8): the UI action the sandbox stands in for. The
//! merged-away customer's transactions move to the kept one, it becomes inactive, and QBO
//! reports one `Merge` of the kept customer naming the merged-away id.

use serde_json::{Value, json};

use super::fields::{ref_id, text};
use super::invoices::refresh_customer_balance;
use super::{Change, ChangeOp, Company};
use crate::quickbooks::entity_kind::EntityKind;
use crate::quickbooks::fault::Fault;

/// The transactions that name their customer in `CustomerRef` and move with a merge.
const MOVED: [EntityKind; 2] = [EntityKind::Invoice, EntityKind::Payment];

impl Company {
    /// Merges customer `from` into customer `into` as the QBO UI does (docs/quickbooks.md
    /// §4.8, https://quickbooks.intuit.com/learn-support/en-us/help-article/manage-customers/merge-duplicate-customers-quickbooks-online/L6s6B3PQd_US_en_US):
    /// both must be active and without sub-customers; every invoice and payment of `from`
    /// now names `into` (a new version each, reported as an Update: UNVERIFIED), `from` is
    /// saved inactive like a deleted customer, and one `Merge` of `into` with `deletedId`
    /// `from` is reported (https://developer.intuit.com/app/developer/qbo/docs/develop/webhooks/data-objects).
    /// The refusals are the sandbox's wording: the UI's messages are not documented.
    pub fn merge_customers(&mut self, from: &str, into: &str, now_ms: i64) -> Result<Value, Fault> {
        if from == into {
            return Err(Fault::business_validation(
                "A customer cannot be merged into itself.",
            ));
        }
        let kept = self
            .get(EntityKind::Customer, into)
            .ok_or_else(Fault::object_not_found)?
            .body
            .clone();
        let merged = self
            .get(EntityKind::Customer, from)
            .ok_or_else(Fault::object_not_found)?
            .body
            .clone();
        let active = |b: &serde_json::Map<String, Value>| b.get("Active") != Some(&false.into());
        if !active(&kept) || !active(&merged) {
            return Err(Fault::business_validation(
                "Only active customers can be merged.",
            ));
        }
        let has_subs = |id: &str| {
            self.table(EntityKind::Customer)
                .any(|(_, e)| ref_id(&e.body, "ParentRef").as_deref() == Some(id))
        };
        if has_subs(from) || has_subs(into) {
            return Err(Fault::business_validation(
                "Customers with sub-customers or projects cannot be merged.",
            ));
        }

        let kept_ref =
            json!({"value": into, "name": text(&kept, "DisplayName").unwrap_or_default()});
        for kind in MOVED {
            let moving: Vec<(String, serde_json::Map<String, Value>)> = self
                .table(kind)
                .filter(|(_, e)| ref_id(&e.body, "CustomerRef").as_deref() == Some(from))
                .map(|(id, e)| (id.to_string(), e.body.clone()))
                .collect();
            for (id, mut body) in moving {
                body.insert("CustomerRef".into(), kept_ref.clone());
                self.replace(kind, &id, body, ChangeOp::Update, now_ms);
            }
        }
        let mut retired = merged;
        retired.insert("Active".into(), false.into());
        self.replace(
            EntityKind::Customer,
            from,
            retired,
            ChangeOp::Deactivate,
            now_ms,
        );
        // QBO reports the merge once, on the kept customer (docs/quickbooks.md §4.8).
        self.changes.pop();
        refresh_customer_balance(self, from);
        refresh_customer_balance(self, into);
        self.changes.push(Change {
            kind: EntityKind::Customer,
            id: into.to_owned(),
            op: ChangeOp::Merge,
            at_ms: now_ms,
            merged_away: Some(from.to_owned()),
        });
        let kept = self
            .get(EntityKind::Customer, into)
            .map(|s| Value::Object(s.body.clone()))
            .unwrap_or(Value::Null);
        Ok(kept)
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::{Company, WriteOp, WriteOptions};
    use super::*;
    use crate::Seed;

    const NOW: i64 = 1_760_000_000_000;

    fn write(c: &mut Company, kind: EntityKind, body: Value) -> Value {
        c.write(kind, WriteOp::Upsert, body, WriteOptions::default(), NOW)
            .unwrap()
    }

    #[test]
    fn a_merge_moves_transactions_retires_the_duplicate_and_reports_one_merge() {
        let mut c = Company::new("9", 0, Seed::Empty, NOW);
        let keep = write(&mut c, EntityKind::Customer, json!({"DisplayName": "Ada"}));
        let dupe = write(
            &mut c,
            EntityKind::Customer,
            json!({"DisplayName": "Ada 2"}),
        );
        let item = write(
            &mut c,
            EntityKind::Item,
            json!({"Name": "Tea", "Type": "Service", "IncomeAccountRef": {"value": "1"}}),
        );
        let invoice = write(
            &mut c,
            EntityKind::Invoice,
            json!({"CustomerRef": {"value": dupe["Id"]}, "Line": [{"Amount": 4, "DetailType": "SalesItemLineDetail",
                   "SalesItemLineDetail": {"ItemRef": {"value": item["Id"]}, "Qty": 2, "UnitPrice": 2}}]}),
        );
        c.drain_changes();
        let (keep_id, dupe_id) = (
            keep["Id"].as_str().unwrap().to_owned(),
            dupe["Id"].as_str().unwrap().to_owned(),
        );

        let kept = c.merge_customers(&dupe_id, &keep_id, NOW + 1).unwrap();
        assert_eq!(kept["Id"], keep_id.as_str());
        assert_eq!(kept["Balance"], json!(4));
        let moved = &c
            .get(EntityKind::Invoice, invoice["Id"].as_str().unwrap())
            .unwrap()
            .body;
        assert_eq!(moved["CustomerRef"]["value"], keep_id.as_str());
        assert_eq!(moved["SyncToken"], "1");
        let retired = &c.get(EntityKind::Customer, &dupe_id).unwrap().body;
        assert_eq!(retired["Active"], false);
        let changes: Vec<_> = c
            .drain_changes()
            .into_iter()
            .map(|ch| (ch.kind, ch.id, ch.op, ch.merged_away))
            .collect();
        assert_eq!(
            changes,
            [
                (
                    EntityKind::Invoice,
                    invoice["Id"].as_str().unwrap().to_owned(),
                    ChangeOp::Update,
                    None
                ),
                (
                    EntityKind::Customer,
                    keep_id.clone(),
                    ChangeOp::Merge,
                    Some(dupe_id.clone())
                ),
            ]
        );
        // Merging again: the duplicate is inactive now; into itself is refused too.
        assert!(c.merge_customers(&dupe_id, &keep_id, NOW + 2).is_err());
        assert!(c.merge_customers(&keep_id, &keep_id, NOW + 2).is_err());
        assert_eq!(
            c.merge_customers("999", &keep_id, NOW + 2)
                .unwrap_err()
                .code(),
            "610"
        );
    }
}
