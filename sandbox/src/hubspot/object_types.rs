//! The CRM object types the sandbox serves, with their per-type facts from docs/hubspot.md:
//! type ids, path names, legacy names, system property names and default property lists.

/// A CRM object type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ObjectKind {
    Contact,
    Company,
    Deal,
    Product,
    LineItem,
    Invoice,
    CommercePayment,
    Note,
}

impl ObjectKind {
    pub const ALL: [ObjectKind; 8] = [
        ObjectKind::Contact,
        ObjectKind::Company,
        ObjectKind::Deal,
        ObjectKind::Product,
        ObjectKind::LineItem,
        ObjectKind::Invoice,
        ObjectKind::CommercePayment,
        ObjectKind::Note,
    ];

    /// The name in paths (`/crm/v3/objects/{name}`).
    pub fn path_name(self) -> &'static str {
        match self {
            Self::Contact => "contacts",
            Self::Company => "companies",
            Self::Deal => "deals",
            Self::Product => "products",
            Self::LineItem => "line_items",
            Self::Invoice => "invoices",
            Self::CommercePayment => "commerce_payments",
            Self::Note => "notes",
        }
    }

    /// docs/hubspot.md §0: object type ids.
    pub fn type_id(self) -> &'static str {
        match self {
            Self::Contact => "0-1",
            Self::Company => "0-2",
            Self::Deal => "0-3",
            Self::Product => "0-7",
            Self::LineItem => "0-8",
            Self::Invoice => "0-53",
            Self::CommercePayment => "0-101",
            Self::Note => "0-46",
        }
    }

    /// The upper-case legacy name used in some error messages (docs/hubspot.md §2.2: "Could not
    /// get some CONTACT objects"). UNVERIFIED for invoices, payments and notes.
    pub fn legacy_name(self) -> &'static str {
        match self {
            Self::Contact => "CONTACT",
            Self::Company => "COMPANY",
            Self::Deal => "DEAL",
            Self::Product => "PRODUCT",
            Self::LineItem => "LINE_ITEM",
            Self::Invoice => "INVOICE",
            Self::CommercePayment => "COMMERCE_PAYMENT",
            Self::Note => "NOTE",
        }
    }

    /// Singular name for messages ("Contact already exists").
    pub fn label(self) -> &'static str {
        match self {
            Self::Contact => "Contact",
            Self::Company => "Company",
            Self::Deal => "Deal",
            Self::Product => "Product",
            Self::LineItem => "Line item",
            Self::Invoice => "Invoice",
            Self::CommercePayment => "Payment",
            Self::Note => "Note",
        }
    }

    /// docs/hubspot.md §5.2: the legacy per-object webhook prefix (`contact.creation`);
    /// `None` for types that only have generic `object.*` events (no `invoice.*` legacy type).
    pub fn legacy_webhook_prefix(self) -> Option<&'static str> {
        match self {
            Self::Contact => Some("contact"),
            Self::Company => Some("company"),
            Self::Deal => Some("deal"),
            Self::Product => Some("product"),
            Self::LineItem => Some("line_item"),
            Self::Invoice | Self::CommercePayment | Self::Note => None,
        }
    }

    /// docs/hubspot.md §2.3: contacts use `lastmodifieddate`, the others `hs_lastmodifieddate`.
    pub fn last_modified_property(self) -> &'static str {
        match self {
            Self::Contact => "lastmodifieddate",
            _ => "hs_lastmodifieddate",
        }
    }

    /// docs/hubspot.md §2.3: `createdate` on contacts and deals (and, per the fixtures, companies,
    /// products and line items), `hs_createdate` on invoices and other objects.
    pub fn create_date_property(self) -> &'static str {
        match self {
            Self::Contact | Self::Company | Self::Deal | Self::Product | Self::LineItem => {
                "createdate"
            }
            Self::Invoice | Self::CommercePayment | Self::Note => "hs_createdate",
        }
    }

    /// docs/hubspot.md §2.3: properties returned by get/list when `properties` is omitted
    /// (besides the system ones, which the fixtures show are always present).
    pub fn default_properties(self) -> &'static [&'static str] {
        match self {
            Self::Contact => &["firstname", "lastname", "email"],
            Self::Deal => &["dealname", "amount", "closedate", "pipeline", "dealstage"],
            Self::Product => &["name", "description", "price"],
            Self::Company => &["name", "domain"],
            Self::LineItem => &["quantity", "amount", "price", "name"],
            Self::Invoice | Self::CommercePayment => &[],
            Self::Note => &["hs_timestamp", "hs_note_body"],
        }
    }

    /// docs/hubspot.md §2.4: properties search returns when `properties` is omitted
    /// (the system ones are added by the caller).
    pub fn default_search_properties(self) -> &'static [&'static str] {
        match self {
            Self::Contact => &["email", "firstname", "lastname"],
            Self::Deal => &["dealname", "amount", "closedate", "pipeline", "dealstage"],
            Self::Product => &["name", "description", "price"],
            Self::LineItem => &["quantity", "amount", "price"],
            Self::Company => &["name", "domain"],
            Self::Invoice | Self::CommercePayment | Self::Note => &[],
        }
    }

    /// Properties the free-text search `query` looks in. UNVERIFIED: HubSpot's exact list.
    pub fn query_properties(self) -> &'static [&'static str] {
        match self {
            Self::Contact => &["firstname", "lastname", "email", "phone", "company"],
            Self::Company => &["name", "domain", "phone"],
            Self::Deal => &["dealname"],
            Self::Product | Self::LineItem => &["name", "description", "hs_sku"],
            Self::Invoice => &["hs_number", "hs_title"],
            Self::CommercePayment => &["hs_reference_number"],
            Self::Note => &["hs_note_body"],
        }
    }

    /// docs/hubspot.md §0: "Either the name (`contacts`) or the ID (`0-1`) can go in `{objectType}`".
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|k| k.path_name().eq_ignore_ascii_case(s) || k.type_id() == s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_names_and_type_ids() {
        assert_eq!(ObjectKind::parse("contacts"), Some(ObjectKind::Contact));
        assert_eq!(ObjectKind::parse("0-53"), Some(ObjectKind::Invoice));
        assert_eq!(
            ObjectKind::parse("0-101"),
            Some(ObjectKind::CommercePayment)
        );
        assert_eq!(ObjectKind::parse("tickets"), None);
        for k in ObjectKind::ALL {
            assert_eq!(ObjectKind::parse(k.path_name()), Some(k));
        }
    }
}
