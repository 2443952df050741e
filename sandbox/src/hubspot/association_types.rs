//! HUBSPOT_DEFINED association type ids between the sandbox's object types (docs/hubspot.md §3,
//! fixture `association-type-ids.json`), and custom (USER_DEFINED) labels created at runtime.

use super::object_types::ObjectKind;
use ObjectKind::{
    CommercePayment as Pay, Company as Co, Contact as Ct, Deal as D, Invoice as Inv,
    LineItem as Li, Note as N,
};

/// One direction of an association type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssociationType {
    pub from: ObjectKind,
    pub to: ObjectKind,
    pub type_id: u32,
    /// The type id of the opposite direction.
    pub reverse_id: u32,
    /// `HUBSPOT_DEFINED` or `USER_DEFINED`.
    pub category: &'static str,
    /// `None` for unlabeled types; the primary company types are labeled "Primary".
    pub label: Option<String>,
    /// The SDK enum name (e.g. `DEAL_TO_LINE_ITEM`), used by legacy association webhooks
    /// and the `type` string of inline associations.
    pub name: String,
    /// Whether `PUT .../associations/default/...` uses this type.
    pub is_default: bool,
}

/// (from, to, id, reverse id, enum name, reverse enum name, default?, label)
type Row = (
    ObjectKind,
    ObjectKind,
    u32,
    u32,
    &'static str,
    &'static str,
    bool,
    Option<&'static str>,
);

/// docs/hubspot.md §3 table (verified against the SDK enums per the doc).
const HUBSPOT_DEFINED: &[Row] = &[
    (
        Inv,
        Ct,
        177,
        178,
        "INVOICE_TO_CONTACT",
        "CONTACT_TO_INVOICE",
        true,
        None,
    ),
    (
        Inv,
        Co,
        179,
        180,
        "INVOICE_TO_COMPANY",
        "COMPANY_TO_INVOICE",
        true,
        None,
    ),
    (
        Inv,
        D,
        175,
        176,
        "INVOICE_TO_DEAL",
        "DEAL_TO_INVOICE",
        true,
        None,
    ),
    (
        Inv,
        Li,
        409,
        410,
        "INVOICE_TO_LINE_ITEM",
        "LINE_ITEM_TO_INVOICE",
        true,
        None,
    ),
    (
        Inv,
        Pay,
        541,
        542,
        "INVOICE_TO_PAYMENT",
        "PAYMENT_TO_INVOICE",
        true,
        None,
    ),
    (
        Pay,
        Ct,
        387,
        388,
        "PAYMENT_TO_CONTACT",
        "CONTACT_TO_PAYMENT",
        true,
        None,
    ),
    (
        Pay,
        Co,
        389,
        390,
        "PAYMENT_TO_COMPANY",
        "COMPANY_TO_PAYMENT",
        true,
        None,
    ),
    (
        Pay,
        D,
        391,
        392,
        "PAYMENT_TO_DEAL",
        "DEAL_TO_PAYMENT",
        true,
        None,
    ),
    (
        Pay,
        Li,
        395,
        396,
        "PAYMENT_TO_LINE_ITEM",
        "LINE_ITEM_TO_PAYMENT",
        true,
        None,
    ),
    (
        D,
        Ct,
        3,
        4,
        "DEAL_TO_CONTACT",
        "CONTACT_TO_DEAL",
        true,
        None,
    ),
    (
        D,
        Li,
        19,
        20,
        "DEAL_TO_LINE_ITEM",
        "LINE_ITEM_TO_DEAL",
        true,
        None,
    ),
    (
        D,
        Co,
        341,
        342,
        "DEAL_TO_COMPANY",
        "COMPANY_TO_DEAL",
        true,
        None,
    ),
    (
        D,
        Co,
        5,
        6,
        "PRIMARY_DEAL_TO_COMPANY",
        "PRIMARY_COMPANY_TO_DEAL",
        false,
        Some("Primary"),
    ),
    (
        Ct,
        Co,
        279,
        280,
        "CONTACT_TO_COMPANY",
        "COMPANY_TO_CONTACT",
        true,
        None,
    ),
    (
        Ct,
        Co,
        1,
        2,
        "PRIMARY_CONTACT_TO_COMPANY",
        "PRIMARY_COMPANY_TO_CONTACT",
        false,
        Some("Primary"),
    ),
    (N, D, 214, 213, "NOTE_TO_DEAL", "DEAL_TO_NOTE", true, None),
    (
        N,
        Ct,
        202,
        201,
        "NOTE_TO_CONTACT",
        "CONTACT_TO_NOTE",
        true,
        None,
    ),
    (
        N,
        Co,
        190,
        189,
        "NOTE_TO_COMPANY",
        "COMPANY_TO_NOTE",
        true,
        None,
    ),
];

/// The association types known to one portal: the HubSpot-defined ones plus custom labels.
#[derive(Debug, Clone)]
pub struct AssociationCatalog {
    types: Vec<AssociationType>,
    next_custom_id: u32,
}

impl Default for AssociationCatalog {
    fn default() -> Self {
        let mut types = Vec::new();
        for (from, to, id, rev, name, rev_name, default, label) in HUBSPOT_DEFINED {
            types.push(AssociationType {
                from: *from,
                to: *to,
                type_id: *id,
                reverse_id: *rev,
                category: "HUBSPOT_DEFINED",
                label: label.map(str::to_owned),
                name: (*name).to_owned(),
                is_default: *default,
            });
            types.push(AssociationType {
                from: *to,
                to: *from,
                type_id: *rev,
                reverse_id: *id,
                category: "HUBSPOT_DEFINED",
                label: label.map(str::to_owned),
                name: (*rev_name).to_owned(),
                is_default: *default,
            });
        }
        // UNVERIFIED: HubSpot's numbering of custom labels; these just avoid the defined ids.
        Self {
            types,
            next_custom_id: 10_001,
        }
    }
}

impl AssociationCatalog {
    /// The type with this id from `from` to `to`.
    pub fn get(&self, from: ObjectKind, to: ObjectKind, type_id: u32) -> Option<&AssociationType> {
        self.types
            .iter()
            .find(|t| t.from == from && t.to == to && t.type_id == type_id)
    }

    /// The type with this id from `from`, whatever the target (inline associations on create
    /// give only the target id and the type).
    pub fn by_id_from(&self, from: ObjectKind, type_id: u32) -> Option<&AssociationType> {
        self.types
            .iter()
            .find(|t| t.from == from && t.type_id == type_id)
    }

    /// The default (unlabeled) type from `from` to `to`.
    pub fn default_between(&self, from: ObjectKind, to: ObjectKind) -> Option<&AssociationType> {
        self.types
            .iter()
            .find(|t| t.from == from && t.to == to && t.is_default)
    }

    /// Every type from `from` to `to` (the `/labels` listing).
    pub fn between(&self, from: ObjectKind, to: ObjectKind) -> Vec<&AssociationType> {
        self.types
            .iter()
            .filter(|t| t.from == from && t.to == to)
            .collect()
    }

    /// Creates a USER_DEFINED label for both directions; returns (forward id, reverse id).
    pub fn add_label(
        &mut self,
        from: ObjectKind,
        to: ObjectKind,
        label: &str,
        name: &str,
    ) -> (u32, u32) {
        let id = self.next_custom_id;
        let rev = id + 1;
        self.next_custom_id += 2;
        for (f, t, i, r) in [(from, to, id, rev), (to, from, rev, id)] {
            self.types.push(AssociationType {
                from: f,
                to: t,
                type_id: i,
                reverse_id: r,
                category: "USER_DEFINED",
                label: Some(label.to_owned()),
                name: name.to_ascii_uppercase(),
                is_default: false,
            });
        }
        (id, rev)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documented_ids_and_reverses() {
        let c = AssociationCatalog::default();
        assert_eq!(c.default_between(D, Li).unwrap().type_id, 19);
        assert_eq!(c.default_between(Li, D).unwrap().type_id, 20);
        assert_eq!(c.default_between(Inv, Ct).unwrap().type_id, 177);
        assert_eq!(c.default_between(Pay, Inv).unwrap().type_id, 542);
        assert_eq!(c.default_between(N, D).unwrap().type_id, 214);
        assert_eq!(c.by_id_from(Inv, 177).unwrap().to, Ct);
        assert!(c.get(Ct, Co, 1).unwrap().label.is_some());
        assert!(
            c.default_between(Li, Ct).is_none(),
            "no line item -> contact type"
        );
    }

    #[test]
    fn custom_labels_get_both_directions() {
        let mut c = AssociationCatalog::default();
        let (id, rev) = c.add_label(D, Ct, "Billing contact", "billing_contact");
        assert_eq!(c.get(D, Ct, id).unwrap().reverse_id, rev);
        assert_eq!(c.get(Ct, D, rev).unwrap().category, "USER_DEFINED");
    }
}
