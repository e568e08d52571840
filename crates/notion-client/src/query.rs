//! Typed query filters, sorts, and the query and search request bodies.

use std::sync::{Arc, Mutex};

use jiff::Timestamp;
use serde::{Serialize, Serializer};
use serde_json::{Value, json};

/// A condition on text-like properties (title, rich text, URL, email, phone number).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum TextCondition {
    /// Equal to.
    Equals(String),
    /// Not equal to.
    DoesNotEqual(String),
    /// Contains.
    Contains(String),
    /// Does not contain.
    DoesNotContain(String),
    /// Starts with.
    StartsWith(String),
    /// Ends with.
    EndsWith(String),
    /// Empty.
    IsEmpty,
    /// Not empty.
    IsNotEmpty,
}

impl TextCondition {
    fn to_json(&self) -> Value {
        match self {
            Self::Equals(v) => json!({ "equals": v }),
            Self::DoesNotEqual(v) => json!({ "does_not_equal": v }),
            Self::Contains(v) => json!({ "contains": v }),
            Self::DoesNotContain(v) => json!({ "does_not_contain": v }),
            Self::StartsWith(v) => json!({ "starts_with": v }),
            Self::EndsWith(v) => json!({ "ends_with": v }),
            Self::IsEmpty => json!({ "is_empty": true }),
            Self::IsNotEmpty => json!({ "is_not_empty": true }),
        }
    }
}

/// A condition on status and select properties (by option name).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum OptionCondition {
    /// The option is this one.
    Equals(String),
    /// The option is not this one.
    DoesNotEqual(String),
    /// No option set.
    IsEmpty,
    /// Some option set.
    IsNotEmpty,
}

impl OptionCondition {
    fn to_json(&self) -> Value {
        match self {
            Self::Equals(v) => json!({ "equals": v }),
            Self::DoesNotEqual(v) => json!({ "does_not_equal": v }),
            Self::IsEmpty => json!({ "is_empty": true }),
            Self::IsNotEmpty => json!({ "is_not_empty": true }),
        }
    }
}

/// A condition on dates and timestamps. Values are ISO 8601 dates or date-times.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum DateCondition {
    /// On that date.
    Equals(String),
    /// Strictly before.
    Before(String),
    /// Strictly after.
    After(String),
    /// On or before.
    OnOrBefore(String),
    /// On or after.
    OnOrAfter(String),
    /// Empty.
    IsEmpty,
    /// Not empty.
    IsNotEmpty,
}

impl DateCondition {
    /// On or after an instant.
    pub fn on_or_after(ts: Timestamp) -> Self {
        Self::OnOrAfter(ts.to_string())
    }

    /// On or before an instant.
    pub fn on_or_before(ts: Timestamp) -> Self {
        Self::OnOrBefore(ts.to_string())
    }

    /// Strictly after an instant.
    pub fn after(ts: Timestamp) -> Self {
        Self::After(ts.to_string())
    }

    /// Strictly before an instant.
    pub fn before(ts: Timestamp) -> Self {
        Self::Before(ts.to_string())
    }

    fn to_json(&self) -> Value {
        match self {
            Self::Equals(v) => json!({ "equals": v }),
            Self::Before(v) => json!({ "before": v }),
            Self::After(v) => json!({ "after": v }),
            Self::OnOrBefore(v) => json!({ "on_or_before": v }),
            Self::OnOrAfter(v) => json!({ "on_or_after": v }),
            Self::IsEmpty => json!({ "is_empty": true }),
            Self::IsNotEmpty => json!({ "is_not_empty": true }),
        }
    }
}

/// The page timestamps a filter or sort can use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TimestampKind {
    /// When the page was created.
    CreatedTime,
    /// When the page was last edited (rounded to the minute by Notion).
    LastEditedTime,
}

impl TimestampKind {
    fn as_str(self) -> &'static str {
        match self {
            Self::CreatedTime => "created_time",
            Self::LastEditedTime => "last_edited_time",
        }
    }
}

/// A query filter. Build with the constructors, combine with [`Filter::and`] / [`Filter::or`].
///
/// ```
/// use notion_client::{Filter, OptionCondition, TextCondition};
/// let f = Filter::and(vec![
///     Filter::title("Name", TextCondition::Contains("Mayor".into())),
///     Filter::status("Voting Status", OptionCondition::Equals("In Voting".into())),
/// ]);
/// assert_eq!(
///     serde_json::to_value(&f).unwrap()["and"][1],
///     serde_json::json!({"property": "Voting Status", "status": {"equals": "In Voting"}})
/// );
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Filter {
    /// A condition on one property: `{"property": name, "<type>": condition}`.
    Property {
        /// Property name or id.
        property: String,
        /// The property type key, e.g. `title`, `status`.
        property_type: &'static str,
        /// The condition object.
        condition: Value,
    },
    /// A condition on a page timestamp.
    Timestamp {
        /// Which timestamp.
        timestamp: TimestampKind,
        /// The condition.
        condition: DateCondition,
    },
    /// All of these.
    And(Vec<Self>),
    /// Any of these.
    Or(Vec<Self>),
}

impl Filter {
    fn property(
        property: impl Into<String>,
        property_type: &'static str,
        condition: Value,
    ) -> Self {
        Self::Property {
            property: property.into(),
            property_type,
            condition,
        }
    }

    /// A condition on a title property.
    pub fn title(property: impl Into<String>, condition: TextCondition) -> Self {
        Self::property(property, "title", condition.to_json())
    }

    /// A condition on a rich-text property.
    pub fn rich_text(property: impl Into<String>, condition: TextCondition) -> Self {
        Self::property(property, "rich_text", condition.to_json())
    }

    /// A condition on a URL property.
    pub fn url(property: impl Into<String>, condition: TextCondition) -> Self {
        Self::property(property, "url", condition.to_json())
    }

    /// A condition on an email property.
    pub fn email(property: impl Into<String>, condition: TextCondition) -> Self {
        Self::property(property, "email", condition.to_json())
    }

    /// A condition on a status property.
    pub fn status(property: impl Into<String>, condition: OptionCondition) -> Self {
        Self::property(property, "status", condition.to_json())
    }

    /// A condition on a select property.
    pub fn select(property: impl Into<String>, condition: OptionCondition) -> Self {
        Self::property(property, "select", condition.to_json())
    }

    /// A checkbox equal to `checked`.
    pub fn checkbox(property: impl Into<String>, checked: bool) -> Self {
        Self::property(property, "checkbox", json!({ "equals": checked }))
    }

    /// A condition on a date property.
    pub fn date(property: impl Into<String>, condition: DateCondition) -> Self {
        Self::property(property, "date", condition.to_json())
    }

    /// A condition on the page's creation time.
    pub fn created_time(condition: DateCondition) -> Self {
        Self::Timestamp {
            timestamp: TimestampKind::CreatedTime,
            condition,
        }
    }

    /// A condition on the page's last edit time.
    pub fn last_edited_time(condition: DateCondition) -> Self {
        Self::Timestamp {
            timestamp: TimestampKind::LastEditedTime,
            condition,
        }
    }

    /// All of these filters.
    pub fn and(filters: Vec<Self>) -> Self {
        Self::And(filters)
    }

    /// Any of these filters.
    pub fn or(filters: Vec<Self>) -> Self {
        Self::Or(filters)
    }

    /// The filter's JSON.
    pub fn to_json(&self) -> Value {
        match self {
            Self::Property {
                property,
                property_type,
                condition,
            } => {
                let mut obj = serde_json::Map::new();
                obj.insert("property".into(), Value::String(property.clone()));
                obj.insert((*property_type).into(), condition.clone());
                Value::Object(obj)
            }
            Self::Timestamp {
                timestamp,
                condition,
            } => {
                let mut obj = serde_json::Map::new();
                obj.insert("timestamp".into(), Value::String(timestamp.as_str().into()));
                obj.insert(timestamp.as_str().into(), condition.to_json());
                Value::Object(obj)
            }
            Self::And(fs) => json!({ "and": fs.iter().map(Self::to_json).collect::<Vec<_>>() }),
            Self::Or(fs) => json!({ "or": fs.iter().map(Self::to_json).collect::<Vec<_>>() }),
        }
    }
}

impl Serialize for Filter {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.to_json().serialize(serializer)
    }
}

/// Sort direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// Smallest / oldest first.
    Ascending,
    /// Largest / newest first.
    Descending,
}

/// A query sort.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
#[non_exhaustive]
pub enum Sort {
    /// By a property.
    Property {
        /// Property name or id.
        property: String,
        /// Direction.
        direction: Direction,
    },
    /// By a page timestamp.
    Timestamp {
        /// Which timestamp.
        timestamp: TimestampKind,
        /// Direction.
        direction: Direction,
    },
}

impl Sort {
    /// Sort by a property.
    pub fn property(property: impl Into<String>, direction: Direction) -> Self {
        Self::Property {
            property: property.into(),
            direction,
        }
    }

    /// Sort by a page timestamp.
    pub fn timestamp(timestamp: TimestampKind, direction: Direction) -> Self {
        Self::Timestamp {
            timestamp,
            direction,
        }
    }
}

/// A data source (or legacy database) query.
///
/// `filter_properties` limits which properties come back (names or ids): ask only for what you
/// need. `start_cursor` is managed by the streaming helpers; set it only for manual paging.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[non_exhaustive]
pub struct Query {
    /// Filter.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub filter: Option<Filter>,
    /// Sorts, applied in order.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub sorts: Vec<Sort>,
    /// Page size (1..=100; Notion's default is 100).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub page_size: Option<u32>,
    /// Cursor of the page to fetch.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start_cursor: Option<String>,
    /// Properties to return (sent as the `filter_properties` query parameter, not in the body).
    #[serde(skip)]
    pub filter_properties: Vec<String>,
}

impl Query {
    /// An empty query (every non-archived row, Notion's order).
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the filter.
    pub fn filter(mut self, filter: Filter) -> Self {
        self.filter = Some(filter);
        self
    }

    /// Adds a sort.
    pub fn sort(mut self, sort: Sort) -> Self {
        self.sorts.push(sort);
        self
    }

    /// Sets the page size.
    pub fn page_size(mut self, size: u32) -> Self {
        self.page_size = Some(size);
        self
    }

    /// Adds one property to return (name or id), keeping those already named. On 2026-12-01
    /// a query that names none returns only the title.
    pub fn with_property(mut self, name_or_id: impl Into<String>) -> Self {
        let name_or_id = name_or_id.into();
        if !self.filter_properties.contains(&name_or_id) {
            self.filter_properties.push(name_or_id);
        }
        self
    }

    /// Sets the properties to return.
    pub fn filter_properties<I, S>(mut self, props: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.filter_properties = props.into_iter().map(Into::into).collect();
        self
    }
}

/// What a search returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SearchObject {
    /// Pages only.
    Page,
    /// Data sources only (databases on 2022-06-28).
    DataSource,
}

/// A search request (titles only, over everything shared with the integration).
#[derive(Debug, Clone, Default, PartialEq)]
#[non_exhaustive]
pub struct SearchRequest {
    /// Text to look for in titles; `None` lists everything shared.
    pub query: Option<String>,
    /// Only pages or only data sources.
    pub object: Option<SearchObject>,
    /// Order by last edit time; Notion's default is most recent first.
    pub sort: Option<Direction>,
    /// Page size (1..=100).
    pub page_size: Option<u32>,
    /// Cursor of the page to fetch.
    pub start_cursor: Option<String>,
    /// Page properties to return (the `filter_properties` query parameter). On 2026-12-01
    /// search results carry only the title unless this names more.
    pub filter_properties: Vec<String>,
}

impl SearchRequest {
    /// Sets the page properties to return (names or ids, as Notion returns them).
    pub fn filter_properties<I, S>(mut self, props: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.filter_properties = props.into_iter().map(Into::into).collect();
        self
    }

    /// A search for this text.
    pub fn text(query: impl Into<String>) -> Self {
        Self {
            query: Some(query.into()),
            ..Self::default()
        }
    }

    /// Restricts the kind of results.
    pub fn only(mut self, object: SearchObject) -> Self {
        self.object = Some(object);
        self
    }

    /// The request body for a Notion version (`data_source` vs legacy `database` filter value).
    pub(crate) fn to_body(&self, legacy: bool) -> Value {
        let mut body = serde_json::Map::new();
        if let Some(q) = &self.query {
            body.insert("query".into(), json!(q));
        }
        if let Some(obj) = self.object {
            let value = match (obj, legacy) {
                (SearchObject::Page, _) => "page",
                (SearchObject::DataSource, false) => "data_source",
                (SearchObject::DataSource, true) => "database",
            };
            body.insert(
                "filter".into(),
                json!({"property": "object", "value": value}),
            );
        }
        if let Some(dir) = self.sort {
            body.insert(
                "sort".into(),
                json!({"direction": dir, "timestamp": "last_edited_time"}),
            );
        }
        if let Some(size) = self.page_size {
            body.insert("page_size".into(), json!(size));
        }
        if let Some(cursor) = &self.start_cursor {
            body.insert("start_cursor".into(), json!(cursor));
        }
        Value::Object(body)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_and_sorts_serialise_to_notion_json() {
        let ts: Timestamp = "2026-07-04T09:08:00Z".parse().unwrap();
        let q = Query::new()
            .filter(Filter::or(vec![
                Filter::checkbox("Done", true),
                Filter::last_edited_time(DateCondition::on_or_after(ts)),
                Filter::rich_text("Description", TextCondition::IsEmpty),
                Filter::date("Opens", DateCondition::Before("2026-09-01".into())),
            ]))
            .sort(Sort::timestamp(
                TimestampKind::CreatedTime,
                Direction::Ascending,
            ))
            .sort(Sort::property("Name", Direction::Descending))
            .page_size(100)
            .filter_properties(["title"]);
        assert_eq!(
            serde_json::to_value(&q).unwrap(),
            json!({
                "filter": {"or": [
                    {"property": "Done", "checkbox": {"equals": true}},
                    {"timestamp": "last_edited_time", "last_edited_time": {"on_or_after": "2026-07-04T09:08:00Z"}},
                    {"property": "Description", "rich_text": {"is_empty": true}},
                    {"property": "Opens", "date": {"before": "2026-09-01"}}
                ]},
                "sorts": [
                    {"timestamp": "created_time", "direction": "ascending"},
                    {"property": "Name", "direction": "descending"}
                ],
                "page_size": 100
            })
        );
    }

    #[test]
    fn search_filter_value_depends_on_version() {
        let s = SearchRequest::text("Mayor").only(SearchObject::DataSource);
        assert_eq!(s.to_body(false)["filter"]["value"], "data_source");
        assert_eq!(s.to_body(true)["filter"]["value"], "database");
    }
}

/// What [`NotionClient::query_all_reporting`](crate::NotionClient::query_all_reporting) met on
/// its way past Notion's 10,000-results-per-query cap, for the caller's run log. A cheap handle:
/// clones share the same record, which fills in while the stream is read.
#[derive(Debug, Clone, Default)]
pub struct QueryAllReport(Arc<Mutex<CapRecord>>);

/// The record behind a [`QueryAllReport`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct CapRecord {
    /// How many times a query reported `query_result_limit_reached` and was continued from the
    /// last `created_time` seen.
    pub continued: u32,
    /// When no `created_time` window could narrow the query (more pages than the cap share this
    /// creation minute): the stream ended there, and pages created at or after it may be missing.
    pub unnarrowable_at: Option<Timestamp>,
}

impl QueryAllReport {
    /// A new, empty report.
    pub fn new() -> Self {
        Self::default()
    }

    /// What was recorded so far.
    pub fn get(&self) -> CapRecord {
        *self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    pub(crate) fn update(&self, f: impl FnOnce(&mut CapRecord)) {
        f(&mut self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner));
    }
}
