//! Notion objects: pages, parents, users, blocks, comments, list envelopes, search results.

use std::collections::BTreeMap;

use jiff::Timestamp;
use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;

use crate::id::NotionId;
use crate::property::PageProperty;
use crate::rich_text::{RichText, plain_text};
use crate::schema::{DataSource, Database};

/// A Notion user: a person or a bot. Page responses often carry only `id`.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[non_exhaustive]
pub struct User {
    /// The user's id.
    pub id: NotionId,
    /// Display name; `None` when absent (partial users) or `null` (2026-12-01 may send `null`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Avatar URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub avatar_url: Option<String>,
    /// `person` or `bot` (absent on partial users).
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub user_type: Option<String>,
    /// Person details (`email`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub person: Option<Person>,
    /// Bot details (`owner`, `workspace_name`, `workspace_id`, …), as raw JSON.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bot: Option<Value>,
}

/// Person details of a user.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[non_exhaustive]
pub struct Person {
    /// The person's email, when the integration may read it.
    #[serde(default)]
    pub email: Option<String>,
}

/// Where an object lives.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Parent {
    /// A data source (2025-09-03); carries its database too.
    DataSourceId {
        /// The data source.
        data_source_id: NotionId,
        /// Its database.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        database_id: Option<NotionId>,
    },
    /// A database (2022-06-28 pages, and data sources' parent).
    DatabaseId {
        /// The database.
        database_id: NotionId,
    },
    /// A page.
    PageId {
        /// The page.
        page_id: NotionId,
    },
    /// A block.
    BlockId {
        /// The block.
        block_id: NotionId,
    },
    /// The workspace itself.
    Workspace {
        /// Always true.
        #[serde(default)]
        workspace: bool,
    },
    /// A parent kind this client does not know yet.
    #[serde(other)]
    Unknown,
}

impl Parent {
    /// The data source id, for rows of a data source.
    pub fn data_source_id(&self) -> Option<NotionId> {
        match self {
            Self::DataSourceId { data_source_id, .. } => Some(*data_source_id),
            _ => None,
        }
    }

    /// The database id, for rows of a database (either version).
    pub fn database_id(&self) -> Option<NotionId> {
        match self {
            Self::DataSourceId { database_id, .. } => *database_id,
            Self::DatabaseId { database_id } => Some(*database_id),
            _ => None,
        }
    }

    /// The page id, for sub-pages.
    pub fn page_id(&self) -> Option<NotionId> {
        match self {
            Self::PageId { page_id } => Some(*page_id),
            _ => None,
        }
    }
}

/// A page (a row of a data source, or a free-standing page).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[non_exhaustive]
pub struct Page {
    /// The page id.
    pub id: NotionId,
    /// When the page was created (Notion rounds it to the minute).
    pub created_time: Timestamp,
    /// When the page was last edited (Notion rounds it to the minute).
    pub last_edited_time: Timestamp,
    /// Who created it.
    #[serde(default)]
    pub created_by: Option<User>,
    /// Who edited it last.
    #[serde(default)]
    pub last_edited_by: Option<User>,
    /// Where it lives (data source, database, page, workspace).
    pub parent: Parent,
    /// In the trash.
    #[serde(default)]
    pub in_trash: bool,
    /// Deprecated alias of `in_trash` (before 2026-03-11).
    #[serde(default)]
    pub archived: bool,
    /// In the "archived" partition of its data source.
    #[serde(default)]
    pub is_archived: bool,
    /// Locked against edits in the Notion UI.
    #[serde(default)]
    pub is_locked: bool,
    /// Properties by name (a page outside a data source has only `title`).
    #[serde(default)]
    pub properties: BTreeMap<String, PageProperty>,
    /// The page's Notion URL.
    #[serde(default)]
    pub url: String,
    /// The public URL, when published.
    #[serde(default)]
    pub public_url: Option<String>,
    /// Icon, as raw JSON.
    #[serde(default)]
    pub icon: Option<Value>,
    /// Cover, as raw JSON.
    #[serde(default)]
    pub cover: Option<Value>,
}

impl Page {
    /// The property with this name (or, failing that, this property id).
    pub fn property(&self, name_or_id: &str) -> Option<&PageProperty> {
        self.properties
            .get(name_or_id)
            .or_else(|| self.properties.values().find(|p| p.id == name_or_id))
    }

    /// The title property, whatever it is named.
    pub fn title_property(&self) -> Option<&PageProperty> {
        self.properties.values().find(|p| p.type_name() == "title")
    }

    /// The page title as plain text (every segment joined); empty when untitled.
    pub fn title(&self) -> String {
        self.title_property()
            .and_then(|p| p.as_plain_text())
            .unwrap_or_default()
    }

    /// True when the page is in the trash (checks `in_trash` and the older `archived`).
    pub fn is_trashed(&self) -> bool {
        self.in_trash || self.archived
    }
}

/// A block (paragraph, heading, child page…). The type-specific content is kept as raw JSON.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[non_exhaustive]
pub struct Block {
    /// The block id.
    pub id: NotionId,
    /// Where it lives.
    #[serde(default)]
    pub parent: Option<Parent>,
    /// Creation time.
    #[serde(default)]
    pub created_time: Option<Timestamp>,
    /// Last edit time.
    #[serde(default)]
    pub last_edited_time: Option<Timestamp>,
    /// Whether it has children (fetch them with the block-children endpoints).
    #[serde(default)]
    pub has_children: bool,
    /// In the trash.
    #[serde(default)]
    pub in_trash: bool,
    /// Deprecated alias of `in_trash`.
    #[serde(default)]
    pub archived: bool,
    /// The block type, e.g. `paragraph`, `child_page`.
    #[serde(rename = "type")]
    pub block_type: String,
    /// Every other field, including the `<type>` content object.
    #[serde(flatten)]
    pub rest: serde_json::Map<String, Value>,
}

impl Block {
    /// True for a meeting-notes block, whichever name the version gives it (`transcription`
    /// before 2026-03-11, `meeting_notes` after).
    pub fn is_meeting_notes(&self) -> bool {
        matches!(self.block_type.as_str(), "meeting_notes" | "transcription")
    }

    /// The type-specific content object (`block[block.type]`).
    pub fn content(&self) -> Option<&Value> {
        self.rest.get(&self.block_type)
    }

    /// The plain text of the content's `rich_text`, or a child page's title.
    pub fn plain_text(&self) -> Option<String> {
        let content = self.content()?;
        if let Some(rt) = content.get("rich_text") {
            let segments: Vec<RichText> = serde_json::from_value(rt.clone()).ok()?;
            return Some(plain_text(&segments));
        }
        content.get("title")?.as_str().map(str::to_owned)
    }
}

/// A block with its children, as produced by the nested-block walker.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct BlockNode {
    /// The block.
    pub block: Block,
    /// Its children, in order (empty when it has none or the depth limit was reached).
    pub children: Vec<Self>,
}

/// A comment.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[non_exhaustive]
pub struct Comment {
    /// The comment id.
    pub id: NotionId,
    /// The page or block it is on.
    pub parent: Parent,
    /// The discussion thread it belongs to.
    pub discussion_id: NotionId,
    /// Creation time.
    pub created_time: Timestamp,
    /// Last edit time.
    #[serde(default)]
    pub last_edited_time: Option<Timestamp>,
    /// Author.
    pub created_by: User,
    /// The comment text.
    #[serde(default)]
    pub rich_text: Vec<RichText>,
    /// How the author is shown, as raw JSON.
    #[serde(default)]
    pub display_name: Option<Value>,
}

/// Why a query stopped early (`request_status`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct RequestStatus {
    /// `complete` or `incomplete`.
    #[serde(rename = "type")]
    pub status_type: String,
    /// For incomplete results, e.g. `query_result_limit_reached`.
    #[serde(default)]
    pub incomplete_reason: Option<String>,
}

impl RequestStatus {
    /// The `incomplete_reason` of a query cut off at Notion's 10,000-results-per-query cap.
    pub const QUERY_RESULT_LIMIT_REACHED: &'static str = "query_result_limit_reached";

    /// True when Notion stopped at its 10,000-results-per-query cap.
    pub fn is_result_limit_reached(&self) -> bool {
        self.incomplete_reason() == Some(Self::QUERY_RESULT_LIMIT_REACHED)
    }

    /// Why the results are incomplete (`type: "incomplete"`), e.g. `query_result_limit_reached`;
    /// `None` for complete results. An incomplete status without a reason reads as `"unknown"`.
    pub fn incomplete_reason(&self) -> Option<&str> {
        (self.status_type == "incomplete")
            .then(|| self.incomplete_reason.as_deref().unwrap_or("unknown"))
    }
}

/// One page of a paginated list (`{"object":"list","results","next_cursor","has_more",…}`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[non_exhaustive]
pub struct ListResponse<T> {
    /// The items of this page.
    pub results: Vec<T>,
    /// The cursor of the next page (opaque: never parse or store it).
    #[serde(default)]
    pub next_cursor: Option<String>,
    /// Whether there is a next page.
    #[serde(default)]
    pub has_more: bool,
    /// Set when a query stopped early (10,000-result cap).
    #[serde(default)]
    pub request_status: Option<RequestStatus>,
    /// The list's `type` discriminator, e.g. `block`, `page_or_data_source`.
    #[serde(rename = "type", default)]
    pub list_type: Option<String>,
    /// For property-item lists: `{id, next_url, type, <type>}` (rollup aggregates live here).
    #[serde(default)]
    pub property_item: Option<Value>,
}

impl<T> ListResponse<T> {
    /// Why Notion stopped this list early (`request_status.incomplete_reason`, e.g.
    /// [`RequestStatus::QUERY_RESULT_LIMIT_REACHED`]); `None` when the results are complete.
    /// A capped page has `has_more: false`, so this is the only sign that rows are missing.
    pub fn incomplete_reason(&self) -> Option<&str> {
        self.request_status
            .as_ref()
            .and_then(RequestStatus::incomplete_reason)
    }

    /// The cursor to continue with, or `None` when the list is finished.
    ///
    /// Guards against `has_more: true` with no cursor (which would otherwise loop forever).
    pub fn continuation(&self) -> Option<&str> {
        if self.has_more {
            self.next_cursor.as_deref().filter(|c| !c.is_empty())
        } else {
            None
        }
    }
}

/// A search result: a page, a data source (2025-09-03) or a database (2022-06-28).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum SearchResult {
    /// A page.
    Page(Box<Page>),
    /// A data source.
    DataSource(Box<DataSource>),
    /// A database (legacy version).
    Database(Box<Database>),
    /// An object kind this client does not know yet, as raw JSON.
    Other(Value),
}

impl SearchResult {
    /// The object's id, when it has one.
    pub fn id(&self) -> Option<NotionId> {
        match self {
            Self::Page(p) => Some(p.id),
            Self::DataSource(d) => Some(d.id),
            Self::Database(d) => Some(d.id),
            Self::Other(v) => v.get("id")?.as_str()?.parse().ok(),
        }
    }
}

/// Decodes a raw value with a path-aware error message.
pub(crate) fn decode_value<T: serde::de::DeserializeOwned, E: serde::de::Error>(
    value: Value,
) -> Result<T, E> {
    serde_path_to_error::deserialize::<_, T>(value)
        .map_err(|e| E::custom(format!("at `{}`: {}", e.path(), e.inner())))
}

impl<'de> Deserialize<'de> for SearchResult {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let value = Value::deserialize(deserializer)?;
        match value.get("object").and_then(Value::as_str) {
            Some("page") => decode_value(value).map(|p| Self::Page(Box::new(p))),
            Some("data_source") => decode_value(value).map(|d| Self::DataSource(Box::new(d))),
            Some("database") => decode_value(value).map(|d| Self::Database(Box::new(d))),
            Some(_) => Ok(Self::Other(value)),
            None => Err(D::Error::missing_field("object")),
        }
    }
}

/// An OAuth access token as returned by `POST /v1/oauth/token`.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct OAuthToken {
    /// The access token (a secret).
    pub access_token: secrecy::SecretString,
    /// `bearer`.
    pub token_type: String,
    /// The refresh token, when Notion issued one (rotated on every refresh).
    pub refresh_token: Option<secrecy::SecretString>,
    /// The bot user id of the connection.
    pub bot_id: Option<String>,
    /// The workspace id.
    pub workspace_id: Option<String>,
    /// The workspace name.
    pub workspace_name: Option<String>,
    /// The workspace icon.
    pub workspace_icon: Option<String>,
    /// Who owns the connection, as raw JSON.
    pub owner: Option<Value>,
    /// The template page duplicated during authorization, if any.
    pub duplicated_template_id: Option<String>,
    /// Seconds the access token lives, when Notion says (tokens that expire must be refreshed).
    pub expires_in: Option<u64>,
}

impl<'de> Deserialize<'de> for OAuthToken {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        struct Raw {
            access_token: String,
            #[serde(default)]
            token_type: String,
            #[serde(default)]
            refresh_token: Option<String>,
            #[serde(default)]
            bot_id: Option<String>,
            #[serde(default)]
            workspace_id: Option<String>,
            #[serde(default)]
            workspace_name: Option<String>,
            #[serde(default)]
            workspace_icon: Option<String>,
            #[serde(default)]
            owner: Option<Value>,
            #[serde(default)]
            duplicated_template_id: Option<String>,
            #[serde(default)]
            expires_in: Option<u64>,
        }
        let raw = Raw::deserialize(deserializer)?;
        Ok(Self {
            access_token: raw.access_token.into(),
            token_type: raw.token_type,
            refresh_token: raw.refresh_token.map(Into::into),
            bot_id: raw.bot_id,
            workspace_id: raw.workspace_id,
            workspace_name: raw.workspace_name,
            workspace_icon: raw.workspace_icon,
            owner: raw.owner,
            duplicated_template_id: raw.duplicated_template_id,
            expires_in: raw.expires_in,
        })
    }
}

/// The answer of `POST /v1/oauth/introspect`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct TokenIntrospection {
    /// Whether the token is active.
    pub active: bool,
    /// Granted scope, when reported.
    #[serde(default)]
    pub scope: Option<String>,
    /// Issued-at, seconds since the epoch, when reported.
    #[serde(default)]
    pub iat: Option<i64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_null_user_name_and_a_capped_list_decode() {
        let user: User = serde_json::from_value(serde_json::json!({
            "object": "user", "id": "7775f3a3-893f-43fa-b625-460c61094c78", "name": null,
            "avatar_url": null, "type": "person", "person": {"email": null}
        }))
        .unwrap();
        assert_eq!(user.name, None);
        let list: ListResponse<Value> = serde_json::from_value(serde_json::json!({
            "object": "list", "results": [], "next_cursor": null, "has_more": false,
            "type": "page_or_data_source", "page_or_data_source": {},
            "request_status": {"type": "incomplete", "incomplete_reason": "query_result_limit_reached"}
        }))
        .unwrap();
        assert_eq!(list.incomplete_reason(), Some("query_result_limit_reached"));
        assert_eq!(list.continuation(), None);
    }
}
