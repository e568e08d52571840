//! Turning Notion pages, schemas and errors into the planner's plain data.

use std::sync::Arc;

use jiff::Timestamp;
use notion_client::{DataSource, ErrorKind, NotionError, Page, PropertyValue};
use sync_engine::{
    DatabaseSchema, DateValue, NotionLink, ObservedValue, PageObservation, PropertyKind,
    SchemaProperty, SyncError, SyncErrorKind,
};

/// A database schema as the engine reads it: every property with its id, name, type and option
/// names.
pub fn database_schema(schema: &DataSource) -> DatabaseSchema {
    DatabaseSchema {
        properties: schema
            .properties
            .values()
            .map(|p| SchemaProperty {
                id: p.id.clone(),
                name: p.name.clone(),
                kind: PropertyKind::from(p.property_type.as_str()),
                options: p.option_names().into_iter().map(str::to_owned).collect(),
            })
            .collect(),
    }
}

/// The schema a page shows of itself: each of its properties with its id, name and type (no
/// options). Enough to read the page's values and to see what its properties are called now.
pub(crate) fn page_schema(page: &Page) -> DatabaseSchema {
    DatabaseSchema {
        properties: page
            .properties
            .iter()
            .map(|(name, p)| SchemaProperty {
                id: p.id.clone(),
                name: name.clone(),
                kind: PropertyKind::from(p.value.type_name()),
                options: Vec::new(),
            })
            .collect(),
    }
}

/// The part of a database schema an observation of `link`'s page keeps: the properties its
/// mapping refers to (by id or name).
pub fn schema_observation(schema: &DataSource, link: &NotionLink) -> DatabaseSchema {
    database_schema(schema).restricted_to(&link.mapping)
}

/// An observation of `page` with `schema` (fresh or as last observed): the value of
/// every property of `schema` the page carries, by property id.
///
/// Text is the joined plain text of every rich-text segment.
pub fn page_observation(
    page: &Page,
    schema: impl Into<Arc<DatabaseSchema>>,
    observed_at: Timestamp,
) -> PageObservation {
    let schema: Arc<DatabaseSchema> = schema.into();
    let values = schema
        .properties
        .iter()
        .filter_map(|property| {
            let on_page = page
                .properties
                .values()
                .find(|p| p.id == property.id)
                .or_else(|| page.properties.get(&property.name))?;
            Some((property.id.clone(), observed_value(&on_page.value)))
        })
        .collect();
    PageObservation {
        observed_at,
        last_edited_time: Some(page.last_edited_time),
        in_trash: page.is_trashed(),
        values,
        schema,
    }
}

/// A page property's value as the planner reads it.
fn observed_value(value: &PropertyValue) -> ObservedValue {
    match value.type_name() {
        "title" | "rich_text" => ObservedValue::Text(value.as_plain_text().unwrap_or_default()),
        "status" => ObservedValue::Status(value.as_status_name().map(str::to_owned)),
        "select" => ObservedValue::Select(value.as_select_name().map(str::to_owned)),
        "url" => ObservedValue::Url(value.as_url().filter(|u| !u.is_empty()).map(str::to_owned)),
        "date" => ObservedValue::Date(value.as_date().and_then(|d| {
            Some(DateValue {
                start: instant(&d.start)?,
                end: d.end.as_deref().and_then(instant),
            })
        })),
        _ => ObservedValue::Other,
    }
}

/// A Notion date or date-time as an instant: a date without a time is its midnight, UTC.
fn instant(text: &str) -> Option<Timestamp> {
    text.parse::<Timestamp>().ok().or_else(|| {
        text.parse::<jiff::civil::Date>()
            .ok()
            .and_then(|d| d.to_zoned(jiff::tz::TimeZone::UTC).ok())
            .map(|z| z.timestamp())
    })
}

/// Whether a page returned with `filter_properties` disagrees with the schema we hold: a mapped
/// property the schema has came back missing or with another type, or one the schema lacks came
/// back. The schema then gets re-read.
pub(crate) fn schema_looks_stale(page: &Page, link: &NotionLink, schema: &DatabaseSchema) -> bool {
    link.mapping.properties().into_iter().any(|(_, reference)| {
        match schema.resolve(reference) {
            Some(known) => {
                let on_page = page
                    .properties
                    .values()
                    .find(|p| p.id == known.id)
                    .map(|p| p.value.type_name().to_owned());
                on_page.is_none_or(|kind| kind != known.kind.as_str())
            }
            // A property the schema lacks but the page has: the schema is old.
            None => page.properties.contains_key(&reference.name),
        }
    })
}

/// What a failed Notion request means for one election's sync. Keeps Notion's status, code and
/// message. `status_write` says whether the failing request was a page update that set the status
/// (a 400 then most likely means the status option does not exist).
pub fn sync_error_from_notion(error: &NotionError, status_write: bool) -> SyncError {
    let message = match (error.message(), error.kind()) {
        (Some(message), _) => message.to_owned(),
        // The client's text starts with "could not reach Notion", which the description says
        // already: keep the request and the causes (the URL that failed names the host used).
        (None, ErrorKind::Transport) => transport_message(error),
        (None, _) => error.to_string(),
    };
    // Notion's text for a blocked integration does not say that waiting is useless: ours does.
    let message = if matches!(error.kind(), ErrorKind::RequestBlocked) {
        error.to_string()
    } else {
        message
    };
    let kind = match error.kind() {
        ErrorKind::RateLimited { .. } => SyncErrorKind::RateLimited,
        ErrorKind::Server | ErrorKind::Conflict | ErrorKind::Decode { .. } => SyncErrorKind::Server,
        ErrorKind::Transport => SyncErrorKind::Network,
        // Blocked by Notion: permanent (backs off) until someone acts, unlike a rate limit.
        ErrorKind::Unauthorized | ErrorKind::Restricted | ErrorKind::RequestBlocked => {
            SyncErrorKind::Unauthorized
        }
        ErrorKind::NotFound => SyncErrorKind::NotFoundOrUnshared,
        ErrorKind::Validation => classify_validation(&message, status_write),
        ErrorKind::InvalidRequest => SyncErrorKind::Validation,
        _ => match error.status() {
            Some(status) if status >= 500 => SyncErrorKind::Server,
            _ => SyncErrorKind::Validation,
        },
    };
    match (error.status(), error.code()) {
        (Some(status), Some(code)) => SyncError::from_notion(kind, status, code, message),
        (Some(status), None) => SyncError {
            kind,
            status: Some(status),
            code: None,
            message,
        },
        _ => SyncError::new(kind, message),
    }
}

/// `OPERATION: cause: cause …` of a request that got no answer, each cause once.
fn transport_message(error: &NotionError) -> String {
    let mut parts: Vec<String> = error.operation().map(str::to_owned).into_iter().collect();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        let text = cause.to_string();
        // Error types often repeat their cause in their own text.
        if !text.is_empty() && !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        source = cause.source();
    }
    if parts.is_empty() {
        parts.push("no answer".to_owned());
    }
    parts.join(": ")
}

/// Notion's `validation_error` covers many causes; the code cannot tell them apart, so the message
/// refines the kind where it is explicit, and a rejected status write defaults to a missing option.
fn classify_validation(message: &str, status_write: bool) -> SyncErrorKind {
    let lower = message.to_lowercase();
    if lower.contains("archived") || lower.contains("in trash") {
        SyncErrorKind::PageTrashed
    } else if lower.contains("is not a property that exists")
        || lower.contains("could not find property")
    {
        SyncErrorKind::PropertyMissing
    } else if lower.contains("is expected to be") {
        SyncErrorKind::PropertyWrongType
    } else if status_write {
        SyncErrorKind::StatusOptionMissing
    } else {
        SyncErrorKind::Validation
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use notion_client::decode_json;

    fn link() -> NotionLink {
        NotionLink::new(
            "d0000000-0000-4000-8000-000000000001",
            "e0000000-0000-4000-8000-000000000001",
        )
    }

    /// A page as the 2025-09-03 API returns it, trimmed from a recorded response, with a title
    /// split into several segments (a link and a bold word) and a mention in the description.
    const PAGE: &str = r#"{
      "object": "page", "id": "e0000000-0000-4000-8000-000000000001",
      "created_time": "2026-01-05T09:00:00.000Z", "last_edited_time": "2026-03-01T09:07:00.000Z",
      "parent": {"type": "data_source_id", "data_source_id": "d5000000-0000-4000-8000-000000000001",
                 "database_id": "d0000000-0000-4000-8000-000000000001"},
      "in_trash": false, "archived": false, "is_archived": false, "is_locked": false,
      "url": "https://www.notion.so/Board-e0000000000040008000000000000001", "public_url": null,
      "properties": {
        "Name": {"id": "title", "type": "title", "title": [
          {"type": "text", "text": {"content": "Board ", "link": null}, "plain_text": "Board ", "href": null,
           "annotations": {"bold": false, "italic": false, "strikethrough": false, "underline": false, "code": false, "color": "default"}},
          {"type": "text", "text": {"content": "President", "link": null}, "plain_text": "President", "href": null,
           "annotations": {"bold": true, "italic": false, "strikethrough": false, "underline": false, "code": false, "color": "default"}},
          {"type": "text", "text": {"content": " 2026", "link": {"url": "https://example.org"}}, "plain_text": " 2026", "href": "https://example.org",
           "annotations": {"bold": false, "italic": false, "strikethrough": false, "underline": false, "code": false, "color": "default"}}
        ]},
        "Description": {"id": "desc", "type": "rich_text", "rich_text": [
          {"type": "text", "text": {"content": "Elect ", "link": null}, "plain_text": "Elect ", "href": null,
           "annotations": {"bold": false, "italic": false, "strikethrough": false, "underline": false, "code": false, "color": "default"}},
          {"type": "mention", "mention": {"type": "user", "user": {"object": "user", "id": "a0000000-0000-4000-8000-000000000001"}},
           "plain_text": "@Ada Admin", "href": null,
           "annotations": {"bold": false, "italic": false, "strikethrough": false, "underline": false, "code": false, "color": "default"}}
        ]},
        "Voting Status": {"id": "v%3Ast", "type": "status", "status": {"id": "5e000000-0000-4000-8000-000000000001", "name": "Not started", "color": "default"}},
        "Results Link": {"id": "link", "type": "url", "url": null}
      }
    }"#;

    const SCHEMA: &str = r#"{
      "object": "data_source", "id": "d5000000-0000-4000-8000-000000000001",
      "title": [], "description": [],
      "parent": {"type": "database_id", "database_id": "d0000000-0000-4000-8000-000000000001"},
      "properties": {
        "Name": {"id": "title", "name": "Name", "description": null, "type": "title", "title": {}},
        "Description": {"id": "desc", "name": "Description", "description": null, "type": "rich_text", "rich_text": {}},
        "Voting Status": {"id": "v%3Ast", "name": "Voting Status", "description": null, "type": "status",
          "status": {"options": [
            {"id": "o1", "name": "Not started", "color": "default", "description": null},
            {"id": "o2", "name": "In Voting", "color": "blue", "description": null},
            {"id": "o3", "name": "Done", "color": "green", "description": null}],
           "groups": [{"id": "g1", "name": "To-do", "color": "gray", "option_ids": ["o1"]}]}},
        "Results Link": {"id": "link", "name": "Results Link", "description": null, "type": "url", "url": {}}
      }
    }"#;

    #[test]
    fn observation_joins_every_segment_and_reads_the_schema() {
        let page: Page = decode_json(PAGE.as_bytes()).unwrap();
        let schema: DataSource = decode_json(SCHEMA.as_bytes()).unwrap();
        let link = link();
        let schema = schema_observation(&schema, &link);
        let status = schema.named("Voting Status").unwrap();
        assert_eq!(
            (status.id.as_str(), &status.kind),
            ("v%3Ast", &PropertyKind::Status)
        );
        assert_eq!(status.options, ["Not started", "In Voting", "Done"]);
        assert_eq!(
            schema.named("Results Link").unwrap().kind,
            PropertyKind::Url
        );
        let at: Timestamp = "2026-03-01T09:08:00Z".parse().unwrap();
        let obs = page_observation(&page, schema.clone(), at);
        let text = |id: &str| obs.values.get(id).and_then(ObservedValue::as_text);
        assert_eq!(text("title"), Some("Board President 2026"));
        assert_eq!(text("desc"), Some("Elect @Ada Admin"));
        assert_eq!(obs.status(&link.mapping), Some("Not started"));
        assert_eq!(obs.results_link(&link.mapping), None);
        assert!(!obs.in_trash);
        assert_eq!(
            obs.last_edited_time,
            Some("2026-03-01T09:07:00Z".parse().unwrap())
        );
        assert!(!schema_looks_stale(&page, &link, &schema));
    }

    #[test]
    fn empty_values_and_missing_properties_are_none() {
        let mut json: serde_json::Value = serde_json::from_str(PAGE).unwrap();
        json["properties"]["Name"]["title"] = serde_json::json!([]);
        json["properties"]["Voting Status"]["status"] = serde_json::Value::Null;
        json["properties"]
            .as_object_mut()
            .unwrap()
            .remove("Description");
        json["in_trash"] = serde_json::json!(true);
        let page: Page = serde_json::from_value(json).unwrap();
        let link = link();
        let full = schema_observation(&decode_json(SCHEMA.as_bytes()).unwrap(), &link);
        let obs = page_observation(&page, full.clone(), Timestamp::UNIX_EPOCH);
        assert_eq!(
            obs.values.get("title"),
            Some(&ObservedValue::Text(String::new()))
        );
        assert_eq!(obs.status(&link.mapping), None);
        assert_eq!(obs.values.get("desc"), None);
        assert!(obs.in_trash);
        // The schema says Description exists but the page lacks it: re-read the schema.
        assert!(schema_looks_stale(&page, &link, &full));
    }

    #[test]
    fn a_blocked_integration_is_a_permanent_error_that_says_what_to_do() {
        let body = br#"{"object":"error","status":429,"code":"rate_limited","message":"Blocked.","additional_data":{"rate_limit_reason":"public_api_request_blocked"}}"#;
        let error = NotionError::from_response(429, body, None, None);
        let sync_error = sync_error_from_notion(&error, false);
        assert_eq!(sync_error.kind, SyncErrorKind::Unauthorized);
        assert_eq!(
            sync_engine::classify_error(&sync_error),
            sync_engine::ErrorClass::Permanent
        );
        assert!(
            sync_error.message.contains("retrying will not help"),
            "{}",
            sync_error.message
        );
    }

    #[test]
    fn the_stored_schema_keeps_only_the_properties_the_link_maps() {
        let schema: DataSource = decode_json(SCHEMA.as_bytes()).unwrap();
        let mut link = link();
        link.mapping.status.property = sync_engine::PropertyRef::named("Status");
        link.mapping.results_link = sync_engine::PropertyRef::with_id("v%3Ast", "Old name");
        link.mapping.title.property = sync_engine::PropertyRef::named("Nothing");
        let kept = schema_observation(&schema, &link);
        let names: Vec<_> = kept.properties.iter().map(|p| p.name.as_str()).collect();
        // "Status" does not exist; the results link's id finds "Voting Status".
        assert_eq!(names, ["Description", "Voting Status"]);
    }

    #[test]
    fn a_network_failure_is_described_once_with_the_request_and_its_causes() {
        #[derive(Debug, thiserror::Error)]
        #[error("error sending request for url (http://127.0.0.1:9/v1/users/me)")]
        struct Sending(#[source] std::io::Error);

        let refused =
            std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "connection refused");
        let error = NotionError::transport(Sending(refused)).with_operation("GET /v1/users/me");
        let sync_error = sync_error_from_notion(&error, false);
        assert_eq!(sync_error.kind, SyncErrorKind::Network);
        assert_eq!(
            sync_error.describe(),
            "Could not reach Notion: GET /v1/users/me: error sending request for url \
             (http://127.0.0.1:9/v1/users/me): connection refused. Check the network path to \
             Notion's API (NOTION_API_BASE); the sync retries on the next cycle."
        );

        // Without an operation (a write cut short by the lease bound): the cause alone.
        let timeout = std::io::Error::new(
            std::io::ErrorKind::TimedOut,
            "the page update took too long",
        );
        let text = sync_error_from_notion(&NotionError::transport(timeout), true).describe();
        assert!(
            text.starts_with("Could not reach Notion: the page update took too long. "),
            "{text}"
        );
    }
}
