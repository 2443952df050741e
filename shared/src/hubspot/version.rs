//! The one HubSpot API version constant (`2026-03`) and every request path built from it.
//! Changing the version (e.g. to `2026-09`) is a one-line edit here (docs/hubspot.md §0).

/// Date-based API version used for every call (docs/hubspot.md §0: GA since 2026-03-30).
pub const API_VERSION: &str = "2026-03";

/// Production base URL (docs/hubspot.md, top: "Base URL for every API call").
pub const DEFAULT_BASE_URL: &str = "https://api.hubapi.com";

/// `/crm/objects/2026-03/{type}`
pub fn objects(object_type: &str) -> String {
    format!("/crm/objects/{API_VERSION}/{object_type}")
}

/// `/crm/objects/2026-03/{type}/{id}`
pub fn object(object_type: &str, id: &str) -> String {
    format!("{}/{}", objects(object_type), encode_segment(id))
}

/// `/crm/objects/2026-03/{type}/batch/{action}` (read, create, update, upsert, archive).
pub fn objects_batch(object_type: &str, action: &str) -> String {
    format!("{}/batch/{action}", objects(object_type))
}

/// `/crm/objects/2026-03/{type}/search`
pub fn objects_search(object_type: &str) -> String {
    format!("{}/search", objects(object_type))
}

/// `/crm/objects/2026-03/{type}/merge` (contacts; docs/hubspot.md §2.1, §2.5).
pub fn objects_merge(object_type: &str) -> String {
    format!("{}/merge", objects(object_type))
}

/// `/crm/objects/2026-03/{from}/{id}/associations/default/{to}/{to_id}` (§3).
pub fn association_default(from_type: &str, from_id: &str, to_type: &str, to_id: &str) -> String {
    format!(
        "{}/associations/default/{to_type}/{}",
        object(from_type, from_id),
        encode_segment(to_id)
    )
}

/// `/crm/objects/2026-03/{from}/{id}/associations/{to}` (list one record's associations, §3).
pub fn object_associations(from_type: &str, from_id: &str, to_type: &str) -> String {
    format!("{}/associations/{to_type}", object(from_type, from_id))
}

/// `/crm/associations/2026-03/{from}/{to}/batch/{action}` (§0 path mapping, §3).
pub fn associations_batch(from_type: &str, to_type: &str, action: &str) -> String {
    format!("/crm/associations/{API_VERSION}/{from_type}/{to_type}/batch/{action}")
}

/// `/crm/properties/2026-03/{type}` (§4).
pub fn properties(object_type: &str) -> String {
    format!("/crm/properties/{API_VERSION}/{object_type}")
}

/// `/crm/properties/2026-03/{type}/{name}`
pub fn property(object_type: &str, name: &str) -> String {
    format!("{}/{}", properties(object_type), encode_segment(name))
}

/// `/crm/properties/2026-03/{type}/groups`
pub fn property_groups(object_type: &str) -> String {
    format!("{}/groups", properties(object_type))
}

/// `/crm/properties/2026-03/{type}/groups/{name}`
pub fn property_group(object_type: &str, name: &str) -> String {
    format!("{}/{}", property_groups(object_type), encode_segment(name))
}

/// `/oauth/2026-03/token` (§1.2).
pub fn oauth_token() -> String {
    format!("/oauth/{API_VERSION}/token")
}

/// Percent-encodes one path segment (record ids are numeric, but `idProperty` lookups put
/// emails and other values in the path).
fn encode_segment(segment: &str) -> String {
    url::form_urlencoded::byte_serialize(segment.as_bytes())
        .collect::<String>()
        .replace('+', "%20")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_follow_the_date_based_mapping() {
        assert_eq!(objects("contacts"), "/crm/objects/2026-03/contacts");
        assert_eq!(object("0-53", "12"), "/crm/objects/2026-03/0-53/12");
        assert_eq!(
            objects_batch("products", "upsert"),
            "/crm/objects/2026-03/products/batch/upsert"
        );
        assert_eq!(
            association_default("line_items", "1", "deals", "2"),
            "/crm/objects/2026-03/line_items/1/associations/default/deals/2"
        );
        assert_eq!(
            associations_batch("invoices", "contacts", "create"),
            "/crm/associations/2026-03/invoices/contacts/batch/create"
        );
        assert_eq!(
            property_group("deals", "quickbooks"),
            "/crm/properties/2026-03/deals/groups/quickbooks"
        );
        assert_eq!(oauth_token(), "/oauth/2026-03/token");
    }

    #[test]
    fn ids_in_paths_are_encoded() {
        assert_eq!(
            object("contacts", "jon doe@x.com"),
            "/crm/objects/2026-03/contacts/jon%20doe%40x.com"
        );
    }
}
