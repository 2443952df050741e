//! Which HubSpot deal a QBO invoice belongs to: the deal our action recorded, a
//! `HubSpot deal: <id>` tag in PrivateNote or a configured custom field, else (opt-in) the
//! contact's most recently modified open deal.

use crate::hubspot::HubspotObject;
use crate::quickbooks::entities::Invoice;

/// The tag accountants (and our workflow action) put in `PrivateNote`.
pub const DEAL_TAG_PREFIX: &str = "HubSpot deal:";

/// `HubSpot deal: <id>`.
pub fn deal_tag(deal_id: &str) -> String {
    format!("{DEAL_TAG_PREFIX} {deal_id}")
}

/// Where a deal reference came from, most trusted first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DealReference {
    /// The mirrored invoice is already associated with this deal (recorded when our action
    /// created the invoice, or by an earlier resolution).
    Recorded(String),
    /// A tag in PrivateNote or the configured custom field.
    InvoiceTag(String),
    /// The contact's most recently modified open deal (off by default).
    ContactOpenDeal(String),
}

impl DealReference {
    pub fn deal_id(&self) -> &str {
        match self {
            DealReference::Recorded(id)
            | DealReference::InvoiceTag(id)
            | DealReference::ContactOpenDeal(id) => id,
        }
    }
}

/// The digits after the tag prefix (case-insensitive) in `text`, if any.
fn tagged_id(text: &str) -> Option<String> {
    let lower = text.to_ascii_lowercase();
    let start = lower.find(&DEAL_TAG_PREFIX.to_ascii_lowercase())? + DEAL_TAG_PREFIX.len();
    let id: String = text[start..]
        .trim_start()
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    (!id.is_empty()).then_some(id)
}

/// The deal id from the invoice's PrivateNote tag, or from the legacy custom field named
/// `custom_field` (its value a bare id or a tag).
pub fn parse_deal_reference(invoice: &Invoice, custom_field: Option<&str>) -> Option<String> {
    if let Some(id) = invoice.private_note.as_deref().and_then(tagged_id) {
        return Some(id);
    }
    let name = custom_field?;
    let fields = invoice.extra.get("CustomField")?.as_array()?;
    let value = fields
        .iter()
        .find(|f| f.get("Name").and_then(|n| n.as_str()) == Some(name))?
        .get("StringValue")?
        .as_str()?
        .trim();
    if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
        Some(value.to_owned())
    } else {
        tagged_id(value)
    }
}

/// The most recently modified deal that is not closed (`hs_is_closed` != true).
pub fn pick_open_deal(deals: &[HubspotObject]) -> Option<&str> {
    deals
        .iter()
        .filter(|d| d.get("hs_is_closed") != Some("true"))
        .max_by_key(|d| d.get("hs_lastmodifieddate").unwrap_or("").to_owned())
        .map(|d| d.id.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn tags_are_found_in_private_note_or_a_custom_field() {
        let mut invoice = Invoice {
            private_note: Some("Voided - hubspot DEAL: 1234 (per Ann)".into()),
            ..Invoice::default()
        };
        assert_eq!(
            parse_deal_reference(&invoice, None).as_deref(),
            Some("1234")
        );
        invoice.private_note = Some(deal_tag("99"));
        assert_eq!(parse_deal_reference(&invoice, None).as_deref(), Some("99"));
        invoice.private_note = Some("HubSpot deal: none".into());
        assert_eq!(parse_deal_reference(&invoice, None), None);
        invoice.extra.insert(
            "CustomField".into(),
            json!([{"DefinitionId":"1","Name":"Deal","Type":"StringType","StringValue":"555"}]),
        );
        assert_eq!(
            parse_deal_reference(&invoice, Some("Deal")).as_deref(),
            Some("555")
        );
        assert_eq!(parse_deal_reference(&invoice, Some("Other")), None);
    }

    #[test]
    fn the_open_deal_is_the_latest_modified_not_closed() {
        let deal = |id: &str, closed: &str, modified: &str| HubspotObject {
            id: id.into(),
            properties: [
                ("hs_is_closed".to_owned(), closed.to_owned()),
                ("hs_lastmodifieddate".to_owned(), modified.to_owned()),
            ]
            .into(),
            ..HubspotObject::default()
        };
        let deals = [
            deal("1", "false", "2026-01-01T00:00:00Z"),
            deal("2", "true", "2026-03-01T00:00:00Z"),
            deal("3", "false", "2026-02-01T00:00:00Z"),
        ];
        assert_eq!(pick_open_deal(&deals), Some("3"));
        assert_eq!(pick_open_deal(&deals[1..2]), None);
    }
}
