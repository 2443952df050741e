//! `Seed::Demo` for HubSpot: the contacts and products of `crate::demo_data` that are on
//! HubSpot, plus two deals with line items and contact associations.

use serde_json::{Map, Value, json};

use super::object_types::ObjectKind;
use super::store::{Store, WriteCtx};
use crate::demo_data::{PEOPLE, PRODUCTS};

fn props(v: Value) -> Map<String, Value> {
    let mut m = v.as_object().cloned().unwrap_or_default();
    m.retain(|_, v| v.as_str().is_some_and(|s| !s.is_empty()));
    m
}

fn create(
    store: &mut Store,
    kind: ObjectKind,
    input: Map<String, Value>,
    ctx: &mut WriteCtx,
) -> u64 {
    let writes = store
        .check_create(kind, &input, &[])
        .unwrap_or_else(|e| panic!("demo {} is invalid: {}", kind.path_name(), e.message()));
    store.apply_create(kind, writes, ctx)
}

/// Fills an empty store with the demo data.
pub fn seed_demo(store: &mut Store, ctx: &mut WriteCtx) {
    let mut contacts = Vec::new();
    for p in PEOPLE.iter().filter(|p| p.on_hubspot) {
        let input = props(json!({
            "firstname": p.first_name, "lastname": p.last_name, "email": p.email,
            "company": p.company, "phone": p.phone, "address": p.street, "city": p.city,
            "state": p.region, "zip": p.postal_code, "country": p.country,
        }));
        contacts.push(create(store, ObjectKind::Contact, input, ctx));
    }
    let mut products = Vec::new();
    for p in PRODUCTS.iter().filter(|p| p.on_hubspot) {
        let input = props(json!({
            "name": p.name, "hs_sku": p.sku, "description": p.description,
            "price": p.price, "hs_cost_of_goods_sold": p.cost,
        }));
        products.push(create(store, ObjectKind::Product, input, ctx));
    }
    let deals = [
        (
            "Onboarding and first quarter of support",
            "appointmentscheduled",
            [(0usize, "1"), (1usize, "3")],
        ),
        (
            "Expansion order",
            "contractsent",
            [(1usize, "6"), (2usize, "2")],
        ),
    ];
    for (i, (name, stage, lines)) in deals.into_iter().enumerate() {
        let Some(contact) = contacts.get(i).copied() else {
            continue;
        };
        let deal = create(
            store,
            ObjectKind::Deal,
            props(json!({"dealname": name, "dealstage": stage, "pipeline": "default"})),
            ctx,
        );
        let _ = store.associate(
            ObjectKind::Deal,
            deal,
            ObjectKind::Contact,
            contact,
            &[3],
            ctx,
        );
        let mut total = rust_decimal::Decimal::ZERO;
        for (product_index, quantity) in lines {
            let Some(product) = products.get(product_index % products.len().max(1)).copied() else {
                continue;
            };
            let line = create(
                store,
                ObjectKind::LineItem,
                props(json!({"hs_product_id": product.to_string(), "quantity": quantity})),
                ctx,
            );
            let _ = store.associate(
                ObjectKind::Deal,
                deal,
                ObjectKind::LineItem,
                line,
                &[19],
                ctx,
            );
            if let Some(amount) = store.record(ObjectKind::LineItem, line).and_then(|r| {
                r.properties
                    .get("amount")?
                    .parse::<rust_decimal::Decimal>()
                    .ok()
            }) {
                total += amount;
            }
        }
        let writes = store
            .check_update(
                ObjectKind::Deal,
                deal,
                &props(json!({"amount": total.to_string()})),
                &[],
            )
            .expect("deal amount is a number");
        store.apply_update(ObjectKind::Deal, deal, writes, ctx);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hubspot::store::Actor;

    #[test]
    fn demo_has_hubspot_people_products_and_deals_with_lines() {
        let mut store = Store::new(1, 0);
        let mut ctx = WriteCtx::new(0, Actor::user(1));
        seed_demo(&mut store, &mut ctx);
        let n = |k| store.records(k).count();
        assert_eq!(
            n(ObjectKind::Contact),
            PEOPLE.iter().filter(|p| p.on_hubspot).count()
        );
        assert_eq!(
            n(ObjectKind::Product),
            PRODUCTS.iter().filter(|p| p.on_hubspot).count()
        );
        assert_eq!(n(ObjectKind::Deal), 2);
        let deal = store.records(ObjectKind::Deal).next().unwrap().id;
        assert_eq!(
            store
                .associated_ids(ObjectKind::Deal, deal, ObjectKind::LineItem)
                .len(),
            2
        );
        assert_eq!(
            store
                .associated_ids(ObjectKind::Deal, deal, ObjectKind::Contact)
                .len(),
            1
        );
        let line = store.associated_ids(ObjectKind::Deal, deal, ObjectKind::LineItem)[0];
        assert!(
            store
                .record(ObjectKind::LineItem, line)
                .unwrap()
                .properties
                .contains_key("hs_product_id")
        );
    }
}
