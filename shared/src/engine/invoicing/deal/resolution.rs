//! Which HubSpot deal a QBO invoice belongs to: the deal our action recorded, a
//! `HubSpot deal: <id>` tag in PrivateNote or a configured custom field, else the contact's
//! single open deal whose line items or amount match the invoice; otherwise no guess.

use std::collections::BTreeMap;

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
    /// The contact's only open deal whose line items are the invoice's item lines.
    MatchedLineItems(String),
}

impl DealReference {
    pub fn deal_id(&self) -> &str {
        match self {
            DealReference::Recorded(id)
            | DealReference::InvoiceTag(id)
            | DealReference::MatchedOpenDeal(id)
            | DealReference::MatchedLineItems(id) => id,
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
    /// Exactly one open deal has the invoice's line items.
    LineItems(String),
    /// The contact has no open deal: the invoice belongs to the contact only.
    NoOpenDeal,
    /// Open deals exist but none or several match: never a guess; these are the candidates,
    /// for the person who tags the invoice.
    Ambiguous(Vec<DealCandidate>),
    /// Several open deals have exactly the invoice's line items: never a guess; these.
    SameLineItems(Vec<DealCandidate>),
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
        .map(candidate)
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

/// The line-item properties [`choose_open_deal_by_lines`] reads.
pub const LINE_MATCH_PROPERTIES: &[&str] =
    &["hs_product_id", "name", "quantity", "price", "amount"];

/// One item line as both sides can name it: the HubSpot product (or, for an unlinked item, the
/// item's name), the quantity and the amount to the cent.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct LineKey {
    pub product: String,
    pub quantity: Decimal,
    pub amount: Decimal,
}

fn product_key(product_id: Option<&str>, name: Option<&str>) -> Option<String> {
    match (product_id.map(str::trim), name.map(str::trim)) {
        (Some(id), _) if !id.is_empty() => Some(format!("product:{id}")),
        (_, Some(name)) if !name.is_empty() => Some(format!("name:{}", name.to_lowercase())),
        _ => None,
    }
}

/// The invoice's item lines (sorted) as [`LineKey`]s; `products` maps QBO item id to the
/// linked HubSpot product id. Text, subtotal, discount and tax lines are not item lines.
pub fn invoice_line_keys(invoice: &Invoice, products: &BTreeMap<String, String>) -> Vec<LineKey> {
    let mut keys: Vec<LineKey> = invoice
        .line
        .iter()
        .filter(|l| !l.is_subtotal())
        .filter_map(|line| {
            let item = line.sales_item_line_detail.as_ref()?.item_ref.as_ref()?;
            let detail = line.sales_item_line_detail.as_ref()?;
            Some(LineKey {
                product: product_key(
                    products.get(&item.value).map(String::as_str),
                    item.name.as_deref(),
                )?,
                quantity: detail.qty.unwrap_or(Decimal::ONE).normalize(),
                amount: line.amount.unwrap_or_default().round_dp(2),
            })
        })
        .collect();
    keys.sort();
    keys
}

/// A deal's line items (sorted) as [`LineKey`]s; the amount is `amount`, else quantity x price.
pub fn deal_line_keys(line_items: &[HubspotObject]) -> Vec<LineKey> {
    let number =
        |o: &HubspotObject, p: &str| o.get(p).and_then(|v| v.trim().parse::<Decimal>().ok());
    let mut keys: Vec<LineKey> = line_items
        .iter()
        .filter_map(|li| {
            let quantity = number(li, "quantity").unwrap_or(Decimal::ONE);
            let amount = number(li, "amount")
                .or_else(|| number(li, "price").map(|p| p * quantity))
                .unwrap_or_default();
            Some(LineKey {
                product: product_key(li.get("hs_product_id"), li.get("name"))?,
                quantity: quantity.normalize(),
                amount: amount.round_dp(2),
            })
        })
        .collect();
    keys.sort();
    keys
}

/// Line items first, then amount (docs/architecture.md §4, deal resolution): among the
/// contact's open deals, the one whose line items are exactly the invoice's item lines (same
/// products, quantities and amounts); several such deals are never a guess (they are the
/// candidates); when none matches, or the invoice has no item lines, [`choose_open_deal`].
/// `lines_of` holds each deal's line items (deals without any may be absent).
pub fn choose_open_deal_by_lines(
    deals: &[HubspotObject],
    lines_of: &BTreeMap<String, Vec<HubspotObject>>,
    invoice_lines: &[LineKey],
    total: Decimal,
) -> OpenDealChoice {
    if !invoice_lines.is_empty() {
        let matching: Vec<DealCandidate> = deals
            .iter()
            .filter(|d| d.get("hs_is_closed") != Some("true"))
            .filter(|d| {
                lines_of
                    .get(&d.id)
                    .is_some_and(|items| deal_line_keys(items) == invoice_lines)
            })
            .map(candidate)
            .collect();
        match matching.len() {
            0 => {}
            1 => return OpenDealChoice::LineItems(matching[0].id.clone()),
            _ => return OpenDealChoice::SameLineItems(matching),
        }
    }
    choose_open_deal(deals, total)
}

fn candidate(d: &HubspotObject) -> DealCandidate {
    DealCandidate {
        id: d.id.clone(),
        name: d.get("dealname").unwrap_or("").to_owned(),
        amount: d
            .get("amount")
            .and_then(|a| a.trim().parse::<Decimal>().ok()),
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
    ambiguous_deal_message_of("contact", candidates, total)
}

/// As [`ambiguous_deal_message`] for the deals of `owner` ("contact", or "company" under the
/// company customer model, docs/admin.md §6).
pub fn ambiguous_deal_message_of(
    owner: &str,
    candidates: &[DealCandidate],
    total: Decimal,
) -> String {
    let listed: Vec<String> = candidates.iter().map(ToString::to_string).collect();
    format!(
        "no single open deal of the {owner} has the invoice's amount {total}; candidates: {}. \
         Put \"{DEAL_TAG_PREFIX} <id>\" in the invoice's private note to choose one",
        listed.join(", ")
    )
}

/// The warning when several open deals carry the invoice's line items.
pub fn same_line_items_message(candidates: &[DealCandidate]) -> String {
    same_line_items_message_of("contact", candidates)
}

/// As [`same_line_items_message`] for the deals of `owner`.
pub fn same_line_items_message_of(owner: &str, candidates: &[DealCandidate]) -> String {
    let listed: Vec<String> = candidates.iter().map(ToString::to_string).collect();
    format!(
        "several open deals of the {owner} have the invoice's line items; candidates: {}. \
         Put \"{DEAL_TAG_PREFIX} <id>\" in the invoice's private note to choose one",
        listed.join(", ")
    )
}

/// The deal reference and the warning (if any) of an open-deal choice of invoice `total`.
pub fn open_deal_outcome(
    choice: OpenDealChoice,
    total: Decimal,
) -> (Option<DealReference>, Option<String>) {
    open_deal_outcome_of("contact", choice, total)
}

/// As [`open_deal_outcome`] for the deals of `owner` ("contact" or "company").
pub fn open_deal_outcome_of(
    owner: &str,
    choice: OpenDealChoice,
    total: Decimal,
) -> (Option<DealReference>, Option<String>) {
    match choice {
        OpenDealChoice::LineItems(id) => (Some(DealReference::MatchedLineItems(id)), None),
        OpenDealChoice::One(id) => (Some(DealReference::MatchedOpenDeal(id)), None),
        OpenDealChoice::NoOpenDeal => (None, None),
        OpenDealChoice::Ambiguous(c) => (None, Some(ambiguous_deal_message_of(owner, &c, total))),
        OpenDealChoice::SameLineItems(c) => (None, Some(same_line_items_message_of(owner, &c))),
    }
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

    #[test]
    fn line_items_choose_before_the_amount_and_twins_are_not_a_guess() {
        use crate::quickbooks::entities::{Line, Ref, SalesItemLineDetail};
        let line = |item: &str, qty: i64, amount: i64| Line {
            amount: Some(Decimal::from(amount)),
            sales_item_line_detail: Some(SalesItemLineDetail {
                item_ref: Some(Ref::to(item)),
                qty: Some(Decimal::from(qty)),
                ..SalesItemLineDetail::default()
            }),
            ..Line::default()
        };
        let invoice = Invoice {
            line: vec![line("7", 2, 20), line("8", 1, 5)],
            total_amt: Some(Decimal::from(25)),
            ..Invoice::default()
        };
        let products: BTreeMap<String, String> = [
            ("7".to_owned(), "p7".to_owned()),
            ("8".to_owned(), "p8".to_owned()),
        ]
        .into();
        let keys = invoice_line_keys(&invoice, &products);
        assert_eq!(keys.len(), 2);
        let item = |product: &str, qty: &str, price: &str| HubspotObject {
            properties: [
                ("hs_product_id".to_owned(), product.to_owned()),
                ("quantity".to_owned(), qty.to_owned()),
                ("price".to_owned(), price.to_owned()),
            ]
            .into(),
            ..HubspotObject::default()
        };
        let deal = |id: &str, amount: &str| HubspotObject {
            id: id.into(),
            properties: [
                ("amount".to_owned(), amount.to_owned()),
                ("dealname".to_owned(), format!("Deal {id}")),
            ]
            .into(),
            ..HubspotObject::default()
        };
        let deals = [deal("1", "25"), deal("2", "99"), deal("3", "25")];
        let mut lines_of = BTreeMap::new();
        // Deal 2 has the lines (in another order, "2.0" quantity) though not the amount.
        lines_of.insert(
            "2".to_owned(),
            vec![item("p8", "1", "5"), item("p7", "2.0", "10")],
        );
        lines_of.insert("3".to_owned(), vec![item("p7", "1", "20")]);
        let total = Decimal::from(25);
        assert_eq!(
            choose_open_deal_by_lines(&deals, &lines_of, &keys, total),
            OpenDealChoice::LineItems("2".into())
        );
        lines_of.insert(
            "1".to_owned(),
            vec![item("p7", "2", "10"), item("p8", "1", "5")],
        );
        match choose_open_deal_by_lines(&deals, &lines_of, &keys, total) {
            OpenDealChoice::SameLineItems(c) => {
                let ids: Vec<&str> = c.iter().map(|c| c.id.as_str()).collect();
                assert_eq!(ids, ["1", "2"]);
                let (deal, why) = open_deal_outcome(OpenDealChoice::SameLineItems(c), total);
                assert_eq!(deal, None);
                assert!(why.unwrap().contains("1 \"Deal 1\""));
            }
            other => panic!("{other:?}"),
        }
        // No line items anywhere: the amount rule (deals 1 and 3 both have 25: ambiguous).
        assert!(matches!(
            choose_open_deal_by_lines(&deals, &BTreeMap::new(), &keys, total),
            OpenDealChoice::Ambiguous(c) if c.len() == 3
        ));
        assert_eq!(
            choose_open_deal_by_lines(&deals[1..2], &BTreeMap::new(), &[], Decimal::from(99)),
            OpenDealChoice::One("2".into())
        );
    }
}
