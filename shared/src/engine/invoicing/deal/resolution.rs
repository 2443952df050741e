//! Which HubSpot deal a QBO invoice belongs to: the deal our action recorded, a
//! `HubSpot deal: <id>` tag in PrivateNote or a configured custom field, else the contact's
//! single open deal whose amount matches the invoice; otherwise no guess, the candidates listed.

use rust_decimal::Decimal;

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
    /// The contact's only open deal whose amount equals the invoice's total.
    MatchedOpenDeal(String),
}

impl DealReference {
    pub fn deal_id(&self) -> &str {
        match self {
            DealReference::Recorded(id)
            | DealReference::InvoiceTag(id)
            | DealReference::MatchedOpenDeal(id) => id,
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

/// The deal properties [`choose_open_deal`] reads.
pub const DEAL_MATCH_PROPERTIES: &[&str] = &["dealname", "amount", "hs_is_closed"];

/// What the contact's deals say about an invoice without a recorded deal or a tag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OpenDealChoice {
    /// Exactly one open deal has the invoice's amount.
    One(String),
    /// The contact has no open deal: the invoice belongs to the contact only.
    NoOpenDeal,
    /// Open deals exist but none or several match: never a guess; these are the candidates,
    /// for the person who tags the invoice.
    Ambiguous(Vec<DealCandidate>),
}

/// An open deal that could be the invoice's, as shown to the person who decides.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DealCandidate {
    pub id: String,
    pub name: String,
    pub amount: Option<Decimal>,
}

impl std::fmt::Display for DealCandidate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} \"{}\"", self.id, self.name)?;
        match self.amount {
            Some(amount) => write!(f, " ({amount})"),
            None => write!(f, " (no amount)"),
        }
    }
}

/// The contact's open deal (`hs_is_closed` not "true") whose `amount` equals the invoice's
/// `total` to the cent, when exactly one does (docs/architecture.md §4, deal resolution).
pub fn choose_open_deal(deals: &[HubspotObject], total: Decimal) -> OpenDealChoice {
    let open: Vec<DealCandidate> = deals
        .iter()
        .filter(|d| d.get("hs_is_closed") != Some("true"))
        .map(|d| DealCandidate {
            id: d.id.clone(),
            name: d.get("dealname").unwrap_or("").to_owned(),
            amount: d
                .get("amount")
                .and_then(|a| a.trim().parse::<Decimal>().ok()),
        })
        .collect();
    if open.is_empty() {
        return OpenDealChoice::NoOpenDeal;
    }
    let cents = |d: Decimal| d.round_dp(2);
    let matching: Vec<&DealCandidate> = open
        .iter()
        .filter(|c| c.amount.is_some_and(|a| cents(a) == cents(total)))
        .collect();
    match matching.as_slice() {
        [one] => OpenDealChoice::One(one.id.clone()),
        _ => OpenDealChoice::Ambiguous(open),
    }
}

/// The field name of the warning an unclear deal leaves on an invoice's status.
pub const DEAL_WARNING_FIELD: &str = "deal";

/// What to do about that warning.
pub fn deal_warning_fix() -> String {
    format!(
        "Put \"{DEAL_TAG_PREFIX} <id>\" with one of the candidate deals in the QuickBooks \
         invoice's private note; until then the invoice is on the contact only"
    )
}

/// The warning an ambiguous choice leaves on the invoice's status: the candidates and the fix.
pub fn ambiguous_deal_message(candidates: &[DealCandidate], total: Decimal) -> String {
    let listed: Vec<String> = candidates.iter().map(ToString::to_string).collect();
    format!(
        "no single open deal of the contact has the invoice's amount {total}; candidates: {}. \
         Put \"{DEAL_TAG_PREFIX} <id>\" in the invoice's private note to choose one",
        listed.join(", ")
    )
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
    fn only_a_single_open_deal_with_the_invoice_amount_is_chosen() {
        let deal = |id: &str, closed: &str, amount: &str| HubspotObject {
            id: id.into(),
            properties: [
                ("hs_is_closed".to_owned(), closed.to_owned()),
                ("amount".to_owned(), amount.to_owned()),
                ("dealname".to_owned(), format!("Deal {id}")),
            ]
            .into(),
            ..HubspotObject::default()
        };
        let total = Decimal::new(2000, 2);
        let deals = [
            deal("1", "false", "500"),
            deal("2", "true", "20"),
            deal("3", "false", "20.00"),
        ];
        assert_eq!(
            choose_open_deal(&deals, total),
            OpenDealChoice::One("3".into())
        );
        // The closed deal with the amount does not count; an open one without it is listed.
        match choose_open_deal(&deals[..2], total) {
            OpenDealChoice::Ambiguous(c) => {
                assert_eq!(c.len(), 1);
                assert_eq!(c[0].id, "1");
                let message = ambiguous_deal_message(&c, total);
                assert!(message.contains("1 \"Deal 1\" (500)"), "{message}");
                assert!(message.contains("HubSpot deal: <id>"), "{message}");
            }
            other => panic!("{other:?}"),
        }
        // Two open deals with the amount: no guess.
        let twins = [deal("4", "false", "20"), deal("5", "false", "20")];
        assert!(matches!(
            choose_open_deal(&twins, total),
            OpenDealChoice::Ambiguous(c) if c.len() == 2
        ));
        assert_eq!(
            choose_open_deal(&deals[1..2], total),
            OpenDealChoice::NoOpenDeal
        );
        assert_eq!(choose_open_deal(&[], total), OpenDealChoice::NoOpenDeal);
    }
}
