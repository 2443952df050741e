//! HubSpot contact ⇄ QBO Customer: the two-way kind matched by e-mail and named by
//! DisplayName (docs/hubspot.md §2.5, docs/quickbooks.md §4.1).

use super::{Flow, HubspotCreate, HubspotFacts, KindDescriptor, LinkProperty, NameRule, QboFacts};
use super::{key, row};
use crate::model::ObjectKind;
use crate::model::TransformKind::{Email, Phone, Text};

pub(super) static CONTACT: KindDescriptor = KindDescriptor {
    kind: ObjectKind::Contact,
    name: "contact",
    flow: Flow::TwoWay,
    hubspot: HubspotFacts {
        object_path: "contacts",
        object_type_id: "0-1",
        record_name: "contact",
        qbo_id_property: "qbo_customer_id",
        merged_ids_property: Some("hs_merged_object_ids"),
        link_property: Some(LinkProperty {
            label: "QuickBooks customer ID",
            group: "contactinformation",
        }),
        // `email` is unique on contacts: creates upsert on it, lookups read by it.
        unique_properties: &["email"],
        // HubSpot needs one of email, firstname, lastname (docs/hubspot.md §2.5).
        create: HubspotCreate::NeedsOneOf {
            properties: &["email", "firstname", "lastname"],
            refusal: "the customer has no email, first or last name, which HubSpot needs for a contact",
        },
        columns: &[
            ("first name", "firstname"),
            ("last name", "lastname"),
            ("email", "email"),
            ("company", "company"),
            ("phone", "phone"),
        ],
    },
    qbo: QboFacts {
        entity: "Customer",
        // DisplayName: the person's name, else the company, else the e-mail; suffixed by e-mail.
        unique_name: Some(NameRule {
            field: "DisplayName",
            base: &[&["firstname", "lastname"], &["company"], &["email"]],
            suffix_key: "email",
        }),
        create_refusal: "the contact has no name, company or email to name a QBO customer by",
        create_defaults: None,
        default_type: None,
        income_account_ref: None,
        columns: &[
            ("DisplayName", "DisplayName"),
            ("email", "PrimaryEmailAddr.Address"),
            ("company", "CompanyName"),
            ("phone", "PrimaryPhone.FreeFormNumber"),
        ],
    },
    // docs/hubspot.md §10.2 (UNVERIFIED there as HubSpot's own defaults).
    default_rows: &[
        key("email", "PrimaryEmailAddr.Address", Email, 1),
        row("firstname", "GivenName", Text),
        row("lastname", "FamilyName", Text),
        row("company", "CompanyName", Text),
        row("phone", "PrimaryPhone.FreeFormNumber", Phone),
        row("mobilephone", "Mobile.FreeFormNumber", Phone),
        row("address", "BillAddr.Line1", Text),
        row("city", "BillAddr.City", Text),
        row("state", "BillAddr.CountrySubDivisionCode", Text),
        row("zip", "BillAddr.PostalCode", Text),
        row("country", "BillAddr.Country", Text),
        row("website", "WebAddr.URI", Text),
    ],
    derived_rows: &[],
};
