//! What Notion POSTs: the one-time verification body, or an event envelope.

use std::fmt;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

/// The type of an event. Types this crate does not know (Notion adds some now and then) are
/// [`EventType::Unknown`] with the name as sent: never a parse error, so the receiver can accept
/// and ignore them as Notion's docs advise.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(from = "String", into = "String")]
#[non_exhaustive]
pub enum EventType {
    /// `page.created`.
    PageCreated,
    /// `page.properties_updated`: `data.updated_properties` holds property ids.
    PagePropertiesUpdated,
    /// `page.content_updated` (blocks of the page, not its properties).
    PageContentUpdated,
    /// `page.moved`.
    PageMoved,
    /// `page.deleted` (moved to the trash).
    PageDeleted,
    /// `page.undeleted` (restored from the trash).
    PageUndeleted,
    /// `page.locked`.
    PageLocked,
    /// `page.unlocked`.
    PageUnlocked,
    /// `data_source.schema_updated`: a property of the data source was added, renamed or removed.
    DataSourceSchemaUpdated,
    /// `data_source.content_updated`.
    DataSourceContentUpdated,
    /// `database.schema_updated` (API versions before 2025-09-03).
    DatabaseSchemaUpdated,
    /// `comment.created`.
    CommentCreated,
    /// Any other type, spelled as Notion sent it.
    Unknown(String),
}

const KNOWN: [(&str, EventType); 12] = [
    ("page.created", EventType::PageCreated),
    ("page.properties_updated", EventType::PagePropertiesUpdated),
    ("page.content_updated", EventType::PageContentUpdated),
    ("page.moved", EventType::PageMoved),
    ("page.deleted", EventType::PageDeleted),
    ("page.undeleted", EventType::PageUndeleted),
    ("page.locked", EventType::PageLocked),
    ("page.unlocked", EventType::PageUnlocked),
    (
        "data_source.schema_updated",
        EventType::DataSourceSchemaUpdated,
    ),
    (
        "data_source.content_updated",
        EventType::DataSourceContentUpdated,
    ),
    ("database.schema_updated", EventType::DatabaseSchemaUpdated),
    ("comment.created", EventType::CommentCreated),
];

impl EventType {
    /// The name Notion uses (`page.properties_updated`, …).
    pub fn as_str(&self) -> &str {
        match self {
            Self::Unknown(name) => name,
            known => KNOWN
                .iter()
                .find(|(_, t)| t == known)
                .map_or("", |(name, _)| name),
        }
    }

    /// Whether this crate knows the type.
    pub fn is_known(&self) -> bool {
        !matches!(self, Self::Unknown(_))
    }
}

impl From<String> for EventType {
    fn from(name: String) -> Self {
        KNOWN
            .iter()
            .find(|(known, _)| *known == name)
            .map_or(Self::Unknown(name), |(_, t)| t.clone())
    }
}

impl From<&str> for EventType {
    fn from(name: &str) -> Self {
        Self::from(name.to_owned())
    }
}

impl From<EventType> for String {
    fn from(t: EventType) -> Self {
        t.as_str().to_owned()
    }
}

impl fmt::Display for EventType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Who made a change: `person`, `bot` or `agent` (others are kept as [`AuthorType::Other`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuthorType {
    /// A person in the Notion UI.
    Person,
    /// An integration (ours when we wrote through the API).
    Bot,
    /// A Notion AI agent.
    Agent,
    /// A kind Notion added since.
    #[serde(other)]
    Other,
}

/// One author of an event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Author {
    /// The user or bot id.
    pub id: Uuid,
    /// Which kind of user.
    #[serde(rename = "type")]
    pub kind: AuthorType,
}

/// The object an event is about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entity {
    /// Its id (a page, data source, database, comment, …).
    pub id: Uuid,
    /// `page`, `data_source`, `database`, `comment`, … as sent.
    #[serde(rename = "type")]
    pub kind: String,
}

/// An event as Notion sends it (`BaseWebhookPayload`). Only the fields the sync uses are typed;
/// `data` is kept whole because its shape depends on the type.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Envelope {
    /// The event's id: the same on every delivery attempt, so it dedupes retries.
    pub id: Uuid,
    /// When the change happened (order events by it: delivery is not ordered).
    pub timestamp: Timestamp,
    /// The workspace.
    pub workspace_id: Uuid,
    /// The workspace's name.
    #[serde(default)]
    pub workspace_name: Option<String>,
    /// The subscription that delivered it.
    #[serde(default)]
    pub subscription_id: Option<Uuid>,
    /// The integration (connection) the subscription belongs to.
    #[serde(default)]
    pub integration_id: Option<Uuid>,
    /// The type.
    #[serde(rename = "type")]
    pub event_type: EventType,
    /// Who made the change.
    #[serde(default)]
    pub authors: Vec<Author>,
    /// Which bots can see the entity (public connections only).
    #[serde(default)]
    pub accessible_by: Option<Vec<Author>>,
    /// Which delivery attempt this is (1–8).
    #[serde(default = "first_attempt")]
    pub attempt_number: u32,
    /// The API version of the subscription.
    #[serde(default)]
    pub api_version: Option<String>,
    /// What the event is about.
    pub entity: Entity,
    /// Type-specific data (`parent`, `updated_properties`, …).
    #[serde(default)]
    pub data: Value,
}

fn first_attempt() -> u32 {
    1
}

impl Envelope {
    /// `data.updated_properties` of a `page.properties_updated` event: the property ids (empty
    /// when absent or of another shape).
    pub fn updated_properties(&self) -> Vec<String> {
        self.data
            .get("updated_properties")
            .and_then(Value::as_array)
            .map(|ids| {
                ids.iter()
                    .filter_map(|v| v.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// `data.parent.data_source_id`, when the parent is a data source's database.
    pub fn parent_data_source(&self) -> Option<Uuid> {
        self.data
            .pointer("/parent/data_source_id")
            .and_then(Value::as_str)
            .and_then(|s| Uuid::parse_str(s).ok())
    }

    /// Whether every author is one of `our_bots` (and there is at least one): our own write coming
    /// back, which must not make the sync read (or it would trigger itself).
    pub fn only_authored_by(&self, our_bots: &[Uuid]) -> bool {
        !self.authors.is_empty() && self.authors.iter().all(|a| our_bots.contains(&a.id))
    }
}

/// What a POST to the webhook URL carries.
#[derive(Debug, Clone, PartialEq)]
pub enum Incoming {
    /// The one-time, unsigned `{"verification_token": "…"}` of a new subscription.
    Verification {
        /// The token to confirm in Notion and to verify later events with.
        verification_token: String,
    },
    /// A (signed) event.
    Event(Box<Envelope>),
}

/// Why a body is not a Notion webhook body.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ParseError {
    /// Larger than [`crate::MAX_BODY_BYTES`].
    #[error("the body is {len} bytes; Notion's webhook bodies are at most {max} bytes")]
    TooLarge {
        /// Its length.
        len: usize,
        /// The cap.
        max: usize,
    },
    /// Not JSON, or JSON without the envelope's required fields.
    #[error("the body is not a Notion webhook event or verification: {0}")]
    Invalid(#[from] serde_json::Error),
}

/// Reads a body: a verification (a JSON object whose only key is `verification_token`) or an
/// event envelope. An event of an unknown type parses.
pub fn parse_body(body: &[u8]) -> Result<Incoming, ParseError> {
    if body.len() > crate::MAX_BODY_BYTES {
        return Err(ParseError::TooLarge {
            len: body.len(),
            max: crate::MAX_BODY_BYTES,
        });
    }
    #[derive(Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Verification {
        verification_token: String,
    }
    if let Ok(v) = serde_json::from_slice::<Verification>(body) {
        return Ok(Incoming::Verification {
            verification_token: v.verification_token,
        });
    }
    Ok(Incoming::Event(Box::new(serde_json::from_slice(body)?)))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = r#"{"id":"367cba44-b6f3-4c92-81e7-6a2e9659efd4","timestamp":"2026-11-30T10:00:01.250Z","workspace_id":"13950b26-c203-4f3b-b97d-93ec06319565","workspace_name":"Elections","subscription_id":"29d75c0d-5546-4b2c-8b2f-0d1e3e3bc1ad","integration_id":"0ef104cd-477e-4d9e-9b3b-6ed2b0a4b3ab","type":"page.properties_updated","authors":[{"id":"c7c11cca-1d73-471d-9b6e-bdef51470190","type":"person"}],"accessible_by":[{"id":"556a1abf-4f08-40c6-878a-75890d2a88ba","type":"bot"}],"attempt_number":1,"api_version":"2025-09-03","entity":{"id":"153104cd-477e-809d-8dc4-ff2d96ae3090","type":"page"},"data":{"parent":{"id":"13950b26-c203-4f3b-b97d-93ec06319565","type":"database","data_source_id":"1c1104cd-477e-8046-8d8b-000b3f5ee2b4"},"updated_properties":["XGe%40","title"]}}"#;

    #[test]
    fn the_documented_envelope_parses() {
        let Incoming::Event(e) = parse_body(SAMPLE.as_bytes()).unwrap() else {
            panic!("an event")
        };
        assert_eq!(e.event_type, EventType::PagePropertiesUpdated);
        assert_eq!(e.updated_properties(), ["XGe%40", "title"]);
        assert_eq!(e.authors[0].kind, AuthorType::Person);
        assert_eq!(
            e.parent_data_source(),
            Some("1c1104cd-477e-8046-8d8b-000b3f5ee2b4".parse().unwrap())
        );
        assert_eq!(e.timestamp.to_string(), "2026-11-30T10:00:01.25Z");
    }

    #[test]
    fn an_unknown_type_and_author_kind_parse() {
        let body = SAMPLE
            .replace("page.properties_updated", "page.teleported")
            .replace(r#""type":"person""#, r#""type":"robot""#);
        let Incoming::Event(e) = parse_body(body.as_bytes()).unwrap() else {
            panic!("an event")
        };
        assert_eq!(e.event_type, EventType::Unknown("page.teleported".into()));
        assert_eq!(e.event_type.as_str(), "page.teleported");
        assert_eq!(e.authors[0].kind, AuthorType::Other);
    }

    #[test]
    fn a_verification_body_is_told_from_an_event() {
        let got = parse_body(br#"{"verification_token":"secret_abc"}"#).unwrap();
        assert_eq!(
            got,
            Incoming::Verification {
                verification_token: "secret_abc".into()
            }
        );
    }

    #[test]
    fn bad_bodies_are_errors_not_panics() {
        for body in [
            &b""[..],
            b"{",
            b"[]",
            b"{\"id\":1}",
            &SAMPLE.as_bytes()[..SAMPLE.len() - 9],
        ] {
            assert!(matches!(parse_body(body), Err(ParseError::Invalid(_))));
        }
        let big = vec![b' '; crate::MAX_BODY_BYTES + 1];
        assert!(matches!(parse_body(&big), Err(ParseError::TooLarge { .. })));
    }

    #[test]
    fn every_known_type_round_trips_its_name() {
        for (name, t) in KNOWN {
            assert_eq!(EventType::from(name), t);
            assert_eq!(t.as_str(), name);
        }
    }
}
