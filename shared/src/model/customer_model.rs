//! The customer model: whether a QBO customer is a HubSpot contact or a HubSpot company, and
//! the one rule for switching it on a connection that already has customer links.

use serde::{Deserialize, Serialize};

use super::ids::ObjectKind;

/// What a QBO customer stands for on the HubSpot side (docs/admin.md §6). A connection that
/// already has customer links cannot switch: the admin API refuses with 409 and the reason.
/// ```toml
/// [customers]
/// model = "company"   # HubSpot companies are QBO customers
/// contacts = "sub_customers"   # their contacts are QBO sub-customers (default "hubspot_only")
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CustomerSettings {
    pub model: CustomerModel,
    /// Where a company's contacts go under `model = "company"` (docs/admin.md §6).
    #[serde(skip_serializing_if = "ContactPlacement::is_default")]
    pub contacts: ContactPlacement,
}

impl CustomerSettings {
    /// Whether contacts sync one-way to QBO as sub-customers (`Job: true`, `ParentRef` = their
    /// company's customer) of their companies' QBO customers (docs/admin.md §6).
    pub fn sub_customers(&self) -> bool {
        self.model == CustomerModel::Company && self.contacts == ContactPlacement::SubCustomers
    }

    /// Whether `kind` syncs under these settings although it is the model's other customer
    /// kind: contacts, as sub-customers.
    pub fn syncs_other_kind(&self, kind: ObjectKind) -> bool {
        kind == ObjectKind::Contact && self.sub_customers()
    }
}

/// What becomes of HubSpot contacts under the `company` customer model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ContactPlacement {
    /// Contacts stay in HubSpot; only their e-mail reaches QBO, as the bill-to e-mail.
    #[default]
    HubspotOnly,
    /// Each contact with a company is a QBO sub-customer of its company's customer, synced
    /// HubSpot → QBO only.
    SubCustomers,
}

impl ContactPlacement {
    fn is_default(&self) -> bool {
        *self == ContactPlacement::HubspotOnly
    }
}

/// The HubSpot object a QBO customer is linked to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CustomerModel {
    /// Each HubSpot contact is a QBO customer (matched by e-mail).
    #[default]
    Contact,
    /// Each HubSpot company is a QBO customer (matched by name, then domain); its contacts
    /// stay in HubSpot, and invoices reach the company and its primary contact.
    Company,
}

impl CustomerModel {
    /// The two-way kind whose links are the QBO customers under this model.
    pub fn customer_kind(self) -> ObjectKind {
        match self {
            CustomerModel::Contact => ObjectKind::Contact,
            CustomerModel::Company => ObjectKind::Company,
        }
    }

    /// Whether `kind` is the customer kind of the other model (company under `contact`,
    /// contact under `company`): it does not sync while this model is chosen.
    pub fn is_other_customer_kind(self, kind: ObjectKind) -> bool {
        matches!(kind, ObjectKind::Contact | ObjectKind::Company) && kind != self.customer_kind()
    }

    pub fn as_str(self) -> &'static str {
        match self {
            CustomerModel::Contact => "contact",
            CustomerModel::Company => "company",
        }
    }
}

/// Why switching from `before` to `after` is refused, or `None` when it may go ahead.
/// `links` is how many customer links the current model's kind holds. A switch with links is
/// refused rather than migrated: the old kind's links and baselines name HubSpot records of
/// the other object, and which contacts make up which company is a person's decision
/// (docs/admin.md §6).
pub fn switch_refusal(before: CustomerModel, after: CustomerModel, links: usize) -> Option<String> {
    if before == after || links == 0 {
        return None;
    }
    let old = before.customer_kind();
    Some(format!(
        "this connection links {links} QBO customer(s) to HubSpot {old}s; the customer model \
         cannot switch from {} to {} while they exist. Delete the {old} kind first \
         (POST /api/connections/{{id}}/objects/{old}/delete forgets its links; nothing is \
         deleted in HubSpot or QBO), switch, then run the initial sync's preview to see the \
         matches",
        before.as_str(),
        after.as_str()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_switch_is_refused_only_while_the_old_kind_has_links() {
        use CustomerModel::{Company, Contact};
        assert_eq!(switch_refusal(Contact, Contact, 5), None);
        assert_eq!(switch_refusal(Contact, Company, 0), None);
        let refusal = switch_refusal(Contact, Company, 3).unwrap();
        assert!(refusal.contains("3 QBO customer(s)"), "{refusal}");
        assert!(refusal.contains("objects/contact/delete"), "{refusal}");
        let back = switch_refusal(Company, Contact, 1).unwrap();
        assert!(back.contains("from company to contact"), "{back}");
    }

    #[test]
    fn each_model_has_its_own_customer_kind() {
        assert_eq!(CustomerModel::default(), CustomerModel::Contact);
        assert_eq!(CustomerModel::Company.customer_kind(), ObjectKind::Company);
        assert!(CustomerModel::Contact.is_other_customer_kind(ObjectKind::Company));
        assert!(CustomerModel::Company.is_other_customer_kind(ObjectKind::Contact));
        assert!(!CustomerModel::Company.is_other_customer_kind(ObjectKind::Product));
    }
}
