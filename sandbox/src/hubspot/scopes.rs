//! Scope enforcement per endpoint (docs/hubspot.md §1.4, §1.7): which scopes each API route
//! needs, and the 403 `MISSING_SCOPES` answer for a token that has none of them.

use axum::extract::Request;
use axum::http::{Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

use super::errors::ApiError;
use super::oauth_grants::Granted;
use super::object_types::ObjectKind;

/// Every scope the sandbox knows; an authorize request may only ask for these. The list for
/// tokens that carry every scope.
pub const KNOWN_SCOPES: &[&str] = &[
    "oauth",
    "automation",
    "e-commerce",
    "timeline",
    "crm.objects.contacts.read",
    "crm.objects.contacts.write",
    "crm.objects.companies.read",
    "crm.objects.companies.write",
    "crm.objects.deals.read",
    "crm.objects.deals.write",
    "crm.objects.products.read",
    "crm.objects.products.write",
    "crm.objects.line_items.read",
    "crm.objects.line_items.write",
    "crm.objects.invoices.read",
    "crm.objects.invoices.write",
    "crm.objects.commercepayments.read",
    "crm.objects.commercepayments.write",
    "crm.schemas.contacts.read",
    "crm.schemas.contacts.write",
    "crm.schemas.companies.read",
    "crm.schemas.companies.write",
    "crm.schemas.deals.read",
    "crm.schemas.deals.write",
    "crm.schemas.invoices.read",
    "crm.schemas.invoices.write",
    "crm.schemas.commercepayments.read",
    "crm.schemas.commercepayments.write",
];

/// Read or write access.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Access {
    Read,
    Write,
}

/// Records of a type: the per-object scopes in the object API pages, e.g.
/// https://developers.hubspot.com/docs/api-reference/latest/crm/objects/contacts/guide and
/// .../crm/objects/products/guide (products and line items also take the older `e-commerce`);
/// notes take the contact scopes
/// (https://developers.hubspot.com/docs/api-reference/latest/crm/activities/notes/guide).
fn object_scopes(kind: ObjectKind, access: Access) -> Vec<&'static str> {
    use Access::{Read, Write};
    match (kind, access) {
        (ObjectKind::Contact | ObjectKind::Note, Read) => vec!["crm.objects.contacts.read"],
        (ObjectKind::Contact | ObjectKind::Note, Write) => vec!["crm.objects.contacts.write"],
        (ObjectKind::Company, Read) => vec!["crm.objects.companies.read"],
        (ObjectKind::Company, Write) => vec!["crm.objects.companies.write"],
        (ObjectKind::Deal, Read) => vec!["crm.objects.deals.read"],
        (ObjectKind::Deal, Write) => vec!["crm.objects.deals.write"],
        (ObjectKind::Product, Read) => vec!["crm.objects.products.read", "e-commerce"],
        (ObjectKind::Product, Write) => vec!["crm.objects.products.write", "e-commerce"],
        (ObjectKind::LineItem, Read) => vec!["crm.objects.line_items.read", "e-commerce"],
        (ObjectKind::LineItem, Write) => vec!["crm.objects.line_items.write", "e-commerce"],
        (ObjectKind::Invoice, Read) => vec!["crm.objects.invoices.read"],
        (ObjectKind::Invoice, Write) => vec!["crm.objects.invoices.write"],
        (ObjectKind::CommercePayment, Read) => vec!["crm.objects.commercepayments.read"],
        (ObjectKind::CommercePayment, Write) => vec!["crm.objects.commercepayments.write"],
    }
}

/// Property definitions of a type (https://developers.hubspot.com/docs/api-reference/latest/crm/properties/guide):
/// reading takes the schema or the object read scope; creating or changing takes the schema
/// write scope (products and line items: `e-commerce`). UNVERIFIED: the exact alternatives
/// HubSpot accepts for reads, and the notes and payments schema scopes.
fn schema_scopes(kind: ObjectKind, access: Access) -> Vec<&'static str> {
    let schema = |read: &'static str, write: &'static str| match access {
        Access::Read => vec![read],
        Access::Write => vec![write],
    };
    let mut scopes = match kind {
        ObjectKind::Contact => schema("crm.schemas.contacts.read", "crm.schemas.contacts.write"),
        ObjectKind::Company => schema("crm.schemas.companies.read", "crm.schemas.companies.write"),
        ObjectKind::Deal => schema("crm.schemas.deals.read", "crm.schemas.deals.write"),
        ObjectKind::Invoice => schema("crm.schemas.invoices.read", "crm.schemas.invoices.write"),
        ObjectKind::CommercePayment => schema(
            "crm.schemas.commercepayments.read",
            "crm.schemas.commercepayments.write",
        ),
        ObjectKind::Product | ObjectKind::LineItem => vec!["e-commerce"],
        ObjectKind::Note => object_scopes(kind, access),
    };
    if access == Access::Read {
        for s in object_scopes(kind, Access::Read) {
            if !scopes.contains(&s) {
                scopes.push(s);
            }
        }
    }
    scopes
}

/// The scopes (any one suffices) a request needs, or `None` for a route without a scope
/// requirement in the sandbox.
pub fn required_scopes(method: &Method, path: &str) -> Option<Vec<&'static str>> {
    let path = path.trim_end_matches('/');
    let after = |prefixes: &[&str]| {
        prefixes
            .iter()
            .find_map(|p| path.strip_prefix(p))
            .map(|rest| {
                rest.split('/')
                    .filter(|s| !s.is_empty())
                    .collect::<Vec<_>>()
            })
    };
    let reading = *method == Method::GET;
    if let Some(rest) = after(&[
        "/crm/v3/objects/",
        "/crm/v4/objects/",
        "/crm/objects/2026-03/",
    ]) {
        let kind = ObjectKind::parse(rest.first()?)?;
        // `/{type}/{id}/associations/...`: the from-object's scopes (associations v4,
        // https://developers.hubspot.com/docs/api-reference/latest/crm/associations/guide).
        let read = reading
            || (rest.get(2) != Some(&"associations")
                && (rest.last() == Some(&"search") || rest[1..] == ["batch", "read"]));
        return Some(object_scopes(
            kind,
            if read { Access::Read } else { Access::Write },
        ));
    }
    if let Some(rest) = after(&[
        "/crm/v4/associations/",
        "/crm/associations/v4/",
        "/crm/associations/2026-03/",
    ]) {
        let kind = ObjectKind::parse(rest.first()?)?;
        let read = reading || rest.last() == Some(&"read");
        return Some(object_scopes(
            kind,
            if read { Access::Read } else { Access::Write },
        ));
    }
    if let Some(rest) = after(&["/crm/v3/properties/", "/crm/properties/2026-03/"]) {
        let kind = ObjectKind::parse(rest.first()?)?;
        let read = reading || rest.last() == Some(&"read");
        return Some(schema_scopes(
            kind,
            if read { Access::Read } else { Access::Write },
        ));
    }
    // Workflow action callbacks (docs/hubspot.md §6.3).
    if path.starts_with("/automation/") {
        return Some(vec!["automation"]);
    }
    None
}

/// HubSpot's 403 for a token without the endpoint's scopes (docs/hubspot.md §1.7, §9.4).
pub fn missing_scopes(required: &[&str]) -> ApiError {
    let mut body = Map::new();
    body.insert("status".into(), "error".into());
    body.insert(
        "message".into(),
        "This app hasn't been granted all required scopes to make this call. Read more about required scopes here: https://developers.hubspot.com/scopes.".into(),
    );
    body.insert(
        "errors".into(),
        json!([{
            "message": "One or more of the following scopes are required.",
            "context": {"requiredGranularScopes": required},
        }]),
    );
    body.insert(
        "links".into(),
        json!({"scopes": "https://developers.hubspot.com/scopes"}),
    );
    body.insert("category".into(), Value::from("MISSING_SCOPES"));
    ApiError {
        status: StatusCode::FORBIDDEN,
        body,
    }
}

/// Middleware after the bearer check: 403 `MISSING_SCOPES` when the request's [`Granted`]
/// scopes hold none of the route's.
pub async fn require_scopes(req: Request, next: Next) -> Response {
    let granted = req
        .extensions()
        .get::<Granted>()
        .cloned()
        .unwrap_or(Granted::All);
    if let Some(required) = required_scopes(req.method(), req.uri().path())
        && !granted.any_of(&required)
    {
        return missing_scopes(&required).into_response();
    }
    next.run(req).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_api_area_maps_to_its_scopes() {
        let get = Method::GET;
        let post = Method::POST;
        assert_eq!(
            required_scopes(&get, "/crm/objects/2026-03/contacts/12"),
            Some(vec!["crm.objects.contacts.read"])
        );
        assert_eq!(
            required_scopes(&post, "/crm/objects/2026-03/contacts/search"),
            Some(vec!["crm.objects.contacts.read"])
        );
        assert_eq!(
            required_scopes(&post, "/crm/v3/objects/products/batch/read"),
            Some(vec!["crm.objects.products.read", "e-commerce"])
        );
        assert_eq!(
            required_scopes(&post, "/crm/objects/2026-03/0-53/batch/upsert"),
            Some(vec!["crm.objects.invoices.write"])
        );
        assert_eq!(
            required_scopes(
                &Method::PUT,
                "/crm/v4/objects/deals/1/associations/default/line_items/2"
            ),
            Some(vec!["crm.objects.deals.write"])
        );
        assert_eq!(
            required_scopes(
                &post,
                "/crm/associations/2026-03/invoices/contacts/batch/read"
            ),
            Some(vec!["crm.objects.invoices.read"])
        );
        assert_eq!(
            required_scopes(&post, "/crm/properties/2026-03/contacts"),
            Some(vec!["crm.schemas.contacts.write"])
        );
        assert_eq!(
            required_scopes(&get, "/crm/properties/2026-03/contacts"),
            Some(vec![
                "crm.schemas.contacts.read",
                "crm.objects.contacts.read"
            ])
        );
        assert_eq!(
            required_scopes(&post, "/crm/properties/2026-03/products"),
            Some(vec!["e-commerce"])
        );
        assert_eq!(
            required_scopes(&post, "/automation/actions/callbacks/2026-03/x/complete"),
            Some(vec!["automation"])
        );
        assert_eq!(required_scopes(&get, "/_sandbox/stats"), None);
        for list in [
            required_scopes(&post, "/crm/objects/2026-03/commerce_payments"),
            required_scopes(&post, "/crm/objects/2026-03/notes"),
        ] {
            assert!(list.unwrap().iter().all(|s| KNOWN_SCOPES.contains(s)));
        }
    }

    #[test]
    fn the_denial_has_hubspots_missing_scopes_shape() {
        let e = missing_scopes(&["crm.schemas.contacts.write"]);
        assert_eq!(e.status, StatusCode::FORBIDDEN);
        assert_eq!(e.category(), "MISSING_SCOPES");
        assert_eq!(
            e.body["errors"][0]["context"]["requiredGranularScopes"],
            json!(["crm.schemas.contacts.write"])
        );
    }
}
