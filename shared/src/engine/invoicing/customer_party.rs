//! The HubSpot records a QBO customer stands for under the connection's customer model: its
//! contact, or its company and that company's primary contact (docs/admin.md §6).

// One rule for "primary", shared with the HubSpot gateway's derived bill-to e-mail.
pub use crate::hubspot::associations::primary_or_lowest;
use crate::hubspot::{GetOptions, HubspotError, HubspotObject, ObjectType};
use crate::model::CustomerModel;
use crate::ports::invoicing::HubspotInvoicing;

/// The two-way sync's link property on contacts and companies alike (model/kinds).
const LINK_PROPERTY: &str = "qbo_customer_id";

/// Who a QBO customer's invoices, payments and receivables belong to in HubSpot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomerParty {
    /// The contact an invoice is associated with: the linked contact, or under `company` the
    /// company's primary contact ([`primary_or_lowest`]); `None` when the company has no
    /// contact. HubSpot opens an invoice only with one contact (docs/hubspot.md §2.8).
    pub contact: Option<String>,
    /// The linked company under `company`; `None` under `contact`.
    pub company: Option<String>,
}

impl CustomerParty {
    /// The record whose deals deal resolution looks at: the company when the customer is
    /// one, else the contact (docs/architecture.md §4, deal resolution).
    pub fn deal_owner(&self) -> Option<(ObjectType, &str)> {
        match (&self.company, &self.contact) {
            (Some(company), _) => Some((ObjectType::Companies, company)),
            (None, Some(contact)) => Some((ObjectType::Contacts, contact)),
            (None, None) => None,
        }
    }
}

/// The HubSpot object a QBO customer is linked to under `model`.
pub fn customer_object(model: CustomerModel) -> ObjectType {
    match model {
        CustomerModel::Contact => ObjectType::Contacts,
        CustomerModel::Company => ObjectType::Companies,
    }
}

/// The HubSpot party of QBO customer `customer_id`, or `None` when the two-way sync has not
/// linked it yet. Calls: one record read by the link property; under `company` one more
/// association read (the company's contacts with their labels).
pub async fn linked_party(
    hubspot: &dyn HubspotInvoicing,
    model: CustomerModel,
    customer_id: &str,
) -> Result<Option<CustomerParty>, HubspotError> {
    Ok(linked_party_record(hubspot, model, customer_id, &[])
        .await?
        .map(|(party, _)| party))
}

/// [`linked_party`] and the linked record itself, read with `properties` (and the link
/// property), so a later step of the same job can use its values without reading it again.
/// Calls: as [`linked_party`].
pub async fn linked_party_record(
    hubspot: &dyn HubspotInvoicing,
    model: CustomerModel,
    customer_id: &str,
    properties: &[String],
) -> Result<Option<(CustomerParty, HubspotObject)>, HubspotError> {
    let mut names = properties.to_vec();
    if !names.is_empty() && !names.iter().any(|n| n == LINK_PROPERTY) {
        names.push(LINK_PROPERTY.into());
    }
    let options = GetOptions {
        properties: names,
        id_property: Some(LINK_PROPERTY.into()),
        ..GetOptions::default()
    };
    let record = match hubspot
        .get_record(customer_object(model), customer_id, &options)
        .await
    {
        Ok(record) => record,
        Err(HubspotError::NotFound { .. }) => return Ok(None),
        Err(e) => return Err(e),
    };
    let party = match model {
        CustomerModel::Contact => CustomerParty {
            contact: Some(record.id.clone()),
            company: None,
        },
        CustomerModel::Company => {
            let contacts = hubspot
                .associations_with_labels(ObjectType::Companies, &record.id, ObjectType::Contacts)
                .await?;
            CustomerParty {
                contact: primary_or_lowest(&contacts),
                company: Some(record.id.clone()),
            }
        }
    };
    Ok(Some((party, record)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hubspot::associations::{AssociatedRecord, AssociationTypeLabel};

    fn record(id: &str, labels: &[Option<&str>]) -> AssociatedRecord {
        AssociatedRecord {
            to_object_id: id.into(),
            association_types: labels
                .iter()
                .map(|l| AssociationTypeLabel {
                    category: "HUBSPOT_DEFINED".into(),
                    type_id: if l.is_some() { 2 } else { 280 },
                    label: l.map(str::to_owned),
                })
                .collect(),
        }
    }

    #[test]
    fn the_primary_labeled_contact_wins_else_the_lowest_id() {
        let plain = [record("30", &[None]), record("9", &[None])];
        assert_eq!(primary_or_lowest(&plain).as_deref(), Some("9"));
        let labeled = [
            record("9", &[None]),
            record("40", &[None, Some("Primary")]),
            record("30", &[Some("Primary")]),
        ];
        assert_eq!(primary_or_lowest(&labeled).as_deref(), Some("30"));
        let custom = [record("12", &[Some("Billing")]), record("5", &[None])];
        assert_eq!(primary_or_lowest(&custom).as_deref(), Some("5"));
        assert_eq!(primary_or_lowest(&[]), None);
    }

    #[test]
    fn deals_come_from_the_company_when_the_customer_is_one() {
        let company = CustomerParty {
            contact: Some("7".into()),
            company: Some("3".into()),
        };
        assert_eq!(company.deal_owner(), Some((ObjectType::Companies, "3")));
        let contact = CustomerParty {
            contact: Some("7".into()),
            company: None,
        };
        assert_eq!(contact.deal_owner(), Some((ObjectType::Contacts, "7")));
        assert_eq!(
            customer_object(CustomerModel::Company),
            ObjectType::Companies
        );
    }
}
