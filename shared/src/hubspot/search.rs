//! CRM search: filter groups, operators, one sort, pages of 200, and a full scan that gets past
//! the 10,000-result cap by partitioning on `hs_object_id` (docs/hubspot.md §2.4).

use reqwest::Method;
use serde::{Deserialize, Serialize};

use super::client::{Call, HubspotClient, Lane};
use super::error::{HubspotError, Result};
use super::limits;
use super::objects::{HubspotObject, ObjectType, Page};
use super::version;

/// Search operators (§2.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Operator {
    Eq,
    Neq,
    Lt,
    Lte,
    Gt,
    Gte,
    Between,
    In,
    NotIn,
    HasProperty,
    NotHasProperty,
    ContainsToken,
    NotContainsToken,
}

/// One filter: `value` for comparisons, `value`+`highValue` for BETWEEN, `values` for IN.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Filter {
    pub property_name: String,
    pub operator: Operator,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub value: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub high_value: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub values: Option<Vec<String>>,
}

impl Filter {
    pub fn compare(property: &str, operator: Operator, value: impl Into<String>) -> Self {
        Filter {
            property_name: property.to_owned(),
            operator,
            value: Some(value.into()),
            high_value: None,
            values: None,
        }
    }

    pub fn eq(property: &str, value: impl Into<String>) -> Self {
        Self::compare(property, Operator::Eq, value)
    }

    pub fn gt(property: &str, value: impl Into<String>) -> Self {
        Self::compare(property, Operator::Gt, value)
    }

    pub fn gte(property: &str, value: impl Into<String>) -> Self {
        Self::compare(property, Operator::Gte, value)
    }

    pub fn between(property: &str, low: impl Into<String>, high: impl Into<String>) -> Self {
        Filter {
            high_value: Some(high.into()),
            ..Self::compare(property, Operator::Between, low)
        }
    }

    /// `IN`: string values must be lower case (§2.4), except enumerations (case-sensitive);
    /// the caller knows which, so values are sent as given.
    pub fn in_values<I: IntoIterator<Item = S>, S: Into<String>>(
        property: &str,
        values: I,
    ) -> Self {
        Filter {
            property_name: property.to_owned(),
            operator: Operator::In,
            value: None,
            high_value: None,
            values: Some(values.into_iter().map(Into::into).collect()),
        }
    }

    pub fn has_property(property: &str) -> Self {
        Filter {
            property_name: property.to_owned(),
            operator: Operator::HasProperty,
            value: None,
            high_value: None,
            values: None,
        }
    }
}

/// Filters ANDed together; groups are ORed (§2.4).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FilterGroup {
    pub filters: Vec<Filter>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Direction {
    Ascending,
    Descending,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Sort {
    pub property_name: String,
    pub direction: Direction,
}

/// `PublicObjectSearchRequest` (§2.4).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SearchRequest {
    #[serde(default)]
    pub filter_groups: Vec<FilterGroup>,
    /// At most one sort (§2.4: "Only one sort rule can be applied").
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub sorts: Vec<Sort>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub query: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub properties: Vec<String>,
    /// Page size; 0 means the maximum, 200.
    #[serde(default)]
    pub limit: u32,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub after: Option<String>,
}

impl SearchRequest {
    /// Checks the documented limits before sending: 5 groups, 6 filters per group, 18 filters,
    /// one sort, 200 per page, 3,000-character query (§2.4).
    pub fn validate(&self) -> Result<()> {
        let invalid = |m: String| Err(HubspotError::InvalidRequest(m));
        if self.filter_groups.len() > limits::SEARCH_MAX_GROUPS {
            return invalid(format!(
                "{} filter groups (max {})",
                self.filter_groups.len(),
                limits::SEARCH_MAX_GROUPS
            ));
        }
        if let Some(g) = self
            .filter_groups
            .iter()
            .find(|g| g.filters.len() > limits::SEARCH_MAX_FILTERS_PER_GROUP)
        {
            return invalid(format!(
                "{} filters in one group (max {})",
                g.filters.len(),
                limits::SEARCH_MAX_FILTERS_PER_GROUP
            ));
        }
        let total: usize = self.filter_groups.iter().map(|g| g.filters.len()).sum();
        if total > limits::SEARCH_MAX_FILTERS {
            return invalid(format!(
                "{total} filters (max {})",
                limits::SEARCH_MAX_FILTERS
            ));
        }
        if self.sorts.len() > 1 {
            return invalid(format!("{} sorts (max 1)", self.sorts.len()));
        }
        if self.limit > limits::SEARCH_PAGE_SIZE {
            return invalid(format!(
                "limit {} (max {})",
                self.limit,
                limits::SEARCH_PAGE_SIZE
            ));
        }
        if self
            .query
            .as_ref()
            .is_some_and(|q| q.chars().count() > 3000)
        {
            return invalid("query longer than 3,000 characters".into());
        }
        Ok(())
    }
}

/// What a full scan did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SearchScan {
    pub results: Vec<HubspotObject>,
    /// Search requests made.
    pub requests: usize,
    /// Times the scan restarted past the 10,000 cap with a new `hs_object_id` floor.
    pub partitions: usize,
}

/// The property search partitions on (§2.4 "partitioning on `hs_object_id`").
pub const PARTITION_PROPERTY: &str = "hs_object_id";

impl HubspotClient {
    /// One page of `POST /crm/objects/2026-03/{type}/search` (search budget: 5/s).
    pub async fn search_page(
        &self,
        object_type: ObjectType,
        request: &SearchRequest,
    ) -> Result<Page<HubspotObject>> {
        request.validate()?;
        let mut body = request.clone();
        if body.limit == 0 {
            body.limit = limits::SEARCH_PAGE_SIZE;
        }
        let call = Call::new(
            "objects.search",
            Method::POST,
            version::objects_search(object_type.path_name()),
        )
        .json(serde_json::to_value(&body).expect("search request serialises"))
        .lane(Lane::Search);
        self.send(call).await
    }

    /// Every match of `request`, however many. Sorts by `hs_object_id` ascending (replacing
    /// any sort, as only one is allowed) and adds `hs_object_id > last seen` to every filter
    /// group whenever the next page would pass the 10,000-result cap, so no page ever asks
    /// beyond it (§2.4: "Attempting to page beyond 10,000 will result in a 400 error").
    /// Search is eventually consistent: records written moments ago may be missing (§2.4).
    pub async fn search_all(
        &self,
        object_type: ObjectType,
        request: &SearchRequest,
    ) -> Result<SearchScan> {
        let mut base = request.clone();
        base.sorts = vec![Sort {
            property_name: PARTITION_PROPERTY.to_owned(),
            direction: Direction::Ascending,
        }];
        base.after = None;
        if base.limit == 0 {
            base.limit = limits::SEARCH_PAGE_SIZE;
        }
        if base.filter_groups.is_empty() {
            base.filter_groups.push(FilterGroup::default());
        }
        // Validate with the floor filter in place, so a scan that must partition cannot fail
        // half-way on the filter limits.
        with_floor(&base, "0").validate()?;
        let mut scan = SearchScan::default();
        let mut floor: Option<String> = None;
        let mut after: Option<String> = None;
        loop {
            let mut page_request = match &floor {
                Some(f) => with_floor(&base, f),
                None => base.clone(),
            };
            page_request.after = after.clone();
            let page = self.search_page(object_type, &page_request).await?;
            scan.requests += 1;
            let last_id = page.results.last().map(|o| o.id.clone());
            let next = page.next_after().map(str::to_owned);
            scan.results.extend(page.results);
            let Some(next) = next else {
                return Ok(scan);
            };
            let offset: u64 = next.parse().unwrap_or(u64::MAX);
            if offset + u64::from(base.limit) > limits::SEARCH_RESULT_CAP {
                let Some(last) = last_id else {
                    return Ok(scan);
                };
                floor = Some(last);
                after = None;
                scan.partitions += 1;
            } else {
                after = Some(next);
            }
        }
    }
}

/// `base` with `hs_object_id > floor` added to every group.
fn with_floor(base: &SearchRequest, floor: &str) -> SearchRequest {
    let mut r = base.clone();
    for group in &mut r.filter_groups {
        group.filters.push(Filter::gt(PARTITION_PROPERTY, floor));
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> String {
        let path = format!(
            "{}/../tests/fixtures/hubspot/{name}",
            env!("CARGO_MANIFEST_DIR")
        );
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
    }

    #[test]
    fn the_documented_request_round_trips() {
        let text = fixture("search-request-filter-groups.json");
        let request: SearchRequest = serde_json::from_str(&text).unwrap();
        assert_eq!(request.filter_groups.len(), 2);
        assert_eq!(request.filter_groups[0].filters[1].operator, Operator::Neq);
        assert_eq!(
            request.filter_groups[1].filters[0].operator,
            Operator::NotHasProperty
        );
        let mut back = serde_json::to_value(&request).unwrap();
        back.as_object_mut().unwrap().remove("limit");
        assert_eq!(
            back,
            serde_json::from_str::<serde_json::Value>(&text).unwrap()
        );
        request.validate().unwrap();
    }

    #[test]
    fn filters_serialise_like_the_docs() {
        let f = Filter::between("amount", "1", "5");
        assert_eq!(
            serde_json::to_value(&f).unwrap(),
            serde_json::json!({"propertyName":"amount","operator":"BETWEEN","value":"1","highValue":"5"})
        );
        let f = Filter::in_values("email", ["a@x.com"]);
        assert_eq!(
            serde_json::to_value(&f).unwrap(),
            serde_json::json!({"propertyName":"email","operator":"IN","values":["a@x.com"]})
        );
    }

    #[test]
    fn limits_are_checked_before_sending() {
        let group = |n| FilterGroup {
            filters: (0..n).map(|i| Filter::eq("p", i.to_string())).collect(),
        };
        let too_many_groups = SearchRequest {
            filter_groups: (0..6).map(|_| group(1)).collect(),
            ..Default::default()
        };
        assert!(too_many_groups.validate().is_err());
        let too_wide = SearchRequest {
            filter_groups: vec![group(7)],
            ..Default::default()
        };
        assert!(too_wide.validate().is_err());
        let too_many_total = SearchRequest {
            filter_groups: vec![group(6), group(6), group(6), group(1)],
            ..Default::default()
        };
        assert!(too_many_total.validate().is_err());
        let ok = SearchRequest {
            filter_groups: vec![group(6), group(6), group(6)],
            limit: 200,
            ..Default::default()
        };
        ok.validate().unwrap();
        let two_sorts = SearchRequest {
            sorts: vec![
                Sort {
                    property_name: "a".into(),
                    direction: Direction::Ascending,
                },
                Sort {
                    property_name: "b".into(),
                    direction: Direction::Descending,
                },
            ],
            ..Default::default()
        };
        assert!(two_sorts.validate().is_err());
        assert!(
            SearchRequest {
                limit: 201,
                ..Default::default()
            }
            .validate()
            .is_err()
        );
    }

    #[test]
    fn the_floor_goes_into_every_group() {
        let base = SearchRequest {
            filter_groups: vec![
                FilterGroup {
                    filters: vec![Filter::eq("a", "1")],
                },
                FilterGroup {
                    filters: vec![Filter::eq("b", "2")],
                },
            ],
            ..Default::default()
        };
        let r = with_floor(&base, "42");
        for g in &r.filter_groups {
            assert_eq!(g.filters.last().unwrap(), &Filter::gt("hs_object_id", "42"));
        }
    }
}
