//! Values the HubSpot gateway derives from related records instead of reading a property: a
//! company's primary contact's e-mail, the bill-to e-mail of its QBO customer (docs/admin.md §6).

use std::collections::BTreeMap;

use serde_json::Value;

use super::{HubspotGateway, gateway_error};
use crate::hubspot::associations::primary_or_lowest;
use crate::hubspot::{BatchReadOptions, ObjectType};
use crate::model::{ObjectKind, PRIMARY_CONTACT_EMAIL, Record};
use crate::ports::GatewayError;

impl HubspotGateway {
    /// Puts [`PRIMARY_CONTACT_EMAIL`] on each company of `records` that has a primary contact
    /// with an e-mail: one batch association read for all the companies (chunked by 100),
    /// then one batch read of their primary contacts, never a call per record. "Primary" is
    /// `primary_or_lowest` (docs/hubspot.md §3). Other kinds, and connections whose company
    /// mapping writes PrimaryEmailAddr itself, are left as read.
    pub(super) async fn derive_values(
        &self,
        kind: ObjectKind,
        records: &mut [Record],
    ) -> Result<(), GatewayError> {
        if kind != ObjectKind::Company || !self.derives_primary_email || records.is_empty() {
            return Ok(());
        }
        let company_ids: Vec<String> = records
            .iter()
            .filter(|r| r.active)
            .map(|r| r.id.clone())
            .collect();
        if company_ids.is_empty() {
            return Ok(());
        }
        let associations = self
            .client
            .batch_read_associations(ObjectType::Companies, ObjectType::Contacts, &company_ids)
            .await
            .map_err(gateway_error)?;
        let primary: BTreeMap<String, String> = associations
            .iter()
            .filter_map(|a| Some((a.from.id.clone(), primary_or_lowest(&a.to)?)))
            .collect();
        let mut contact_ids: Vec<String> = primary.values().cloned().collect();
        contact_ids.sort();
        contact_ids.dedup();
        if contact_ids.is_empty() {
            return Ok(());
        }
        let options = BatchReadOptions {
            properties: vec!["email".to_owned()],
            ..BatchReadOptions::default()
        };
        let contacts = self
            .client
            .batch_read(ObjectType::Contacts, &contact_ids, &options)
            .await
            .map_err(gateway_error)?;
        let emails: BTreeMap<&str, &str> = contacts
            .found
            .iter()
            .filter_map(|c| {
                let email = c.properties.get("email")?.trim();
                (!email.is_empty()).then_some((c.id.as_str(), email))
            })
            .collect();
        for record in records.iter_mut() {
            let email = primary
                .get(&record.id)
                .and_then(|contact| emails.get(contact.as_str()));
            if let Some(email) = email {
                record.values.insert(
                    PRIMARY_CONTACT_EMAIL.to_owned(),
                    Value::String((*email).to_owned()),
                );
            }
        }
        Ok(())
    }
}
