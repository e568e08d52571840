//! The in-memory workspace: integrations, users, pages, databases, data sources, blocks, comments.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::Arc;

use jiff::Timestamp;
use serde::Serialize;
use serde_json::Value;
use uuid::Uuid;

use crate::util::{SplitMix, fmt_id};

/// What an integration (a token) may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, Serialize)]
#[serde(default)]
pub struct Capabilities {
    /// Read pages, databases, data sources, blocks, search.
    pub read_content: bool,
    /// Update pages, data sources, blocks.
    pub update_content: bool,
    /// Create pages, databases, blocks.
    pub insert_content: bool,
    /// List comments.
    pub read_comments: bool,
    /// Create comments.
    pub insert_comments: bool,
    /// List and retrieve users.
    pub read_users: bool,
}

impl Default for Capabilities {
    fn default() -> Self {
        Self {
            read_content: true,
            update_content: true,
            insert_content: true,
            read_comments: true,
            insert_comments: true,
            read_users: true,
        }
    }
}

/// An integration (connection): a bot user with tokens, capabilities and the objects shared with it.
#[derive(Debug, Clone)]
pub(crate) struct Integration {
    pub(crate) id: Uuid,
    pub(crate) name: String,
    pub(crate) capabilities: Capabilities,
    /// Roots shared with the integration; their descendants are visible too.
    pub(crate) shared: HashSet<Uuid>,
    /// Sees everything (an admin token for tests that act "as a human").
    pub(crate) all_access: bool,
}

/// A person in the workspace.
#[derive(Debug, Clone)]
pub(crate) struct Person {
    pub(crate) id: Uuid,
    pub(crate) name: Option<String>,
    pub(crate) email: String,
}

/// Where an object lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Parent {
    Workspace,
    Page(Uuid),
    DataSource(Uuid),
    Block(Uuid),
}

impl Parent {
    pub(crate) fn id(self) -> Option<Uuid> {
        match self {
            Self::Workspace => None,
            Self::Page(id) | Self::DataSource(id) | Self::Block(id) => Some(id),
        }
    }
}

/// A page: a row of a data source, or a standalone page under a page or the workspace.
#[derive(Debug, Clone)]
pub(crate) struct Page {
    pub(crate) id: Uuid,
    pub(crate) parent: Parent,
    /// Property values in read shape (the `<type>` member), keyed by property id.
    pub(crate) props: HashMap<String, Value>,
    pub(crate) created_time: Timestamp,
    pub(crate) last_edited_time: Timestamp,
    pub(crate) created_by: Uuid,
    pub(crate) last_edited_by: Uuid,
    pub(crate) in_trash: bool,
    pub(crate) is_archived: bool,
    pub(crate) is_locked: bool,
    pub(crate) icon: Value,
    pub(crate) cover: Value,
    pub(crate) seq: u64,
}

/// One property of a data source's schema.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct PropSchema {
    /// URL-encoded short id as Notion returns it (`title` for the title property).
    pub(crate) id: String,
    pub(crate) name: String,
    pub(crate) kind: String,
    /// The `<type>` configuration object (options and groups for status, options for select...).
    pub(crate) config: Value,
    pub(crate) description: Option<String>,
}

impl PropSchema {
    /// Whether `key` names this property (by name, by id as returned, or by decoded id).
    pub(crate) fn matches(&self, key: &str) -> bool {
        self.name == key || self.id == key || crate::util::percent_decode(&self.id) == key
    }

    /// Option objects of a select/multi_select/status property.
    pub(crate) fn options(&self) -> &[Value] {
        self.config
            .get("options")
            .and_then(Value::as_array)
            .map_or(&[], Vec::as_slice)
    }
}

/// A database: a container of data sources.
#[derive(Debug, Clone)]
pub(crate) struct Database {
    pub(crate) id: Uuid,
    pub(crate) parent: Parent,
    pub(crate) title: Vec<Value>,
    pub(crate) description: Vec<Value>,
    pub(crate) data_sources: Vec<Uuid>,
    pub(crate) is_inline: bool,
    pub(crate) in_trash: bool,
    pub(crate) is_locked: bool,
    pub(crate) created_time: Timestamp,
    pub(crate) last_edited_time: Timestamp,
    pub(crate) created_by: Uuid,
    pub(crate) icon: Value,
    pub(crate) cover: Value,
    pub(crate) seq: u64,
}

/// A data source: the schema and the rows.
#[derive(Debug, Clone)]
pub(crate) struct DataSource {
    pub(crate) id: Uuid,
    pub(crate) database_id: Uuid,
    pub(crate) title: Vec<Value>,
    pub(crate) description: Vec<Value>,
    pub(crate) properties: Vec<PropSchema>,
    pub(crate) created_time: Timestamp,
    pub(crate) last_edited_time: Timestamp,
    pub(crate) created_by: Uuid,
    pub(crate) last_edited_by: Uuid,
    pub(crate) in_trash: bool,
    pub(crate) icon: Value,
    /// Row ids in creation order (an index so queries never scan the whole page table).
    pub(crate) pages: Vec<Uuid>,
    pub(crate) seq: u64,
}

impl DataSource {
    pub(crate) fn prop(&self, key: &str) -> Option<&PropSchema> {
        self.properties.iter().find(|p| p.matches(key))
    }

    pub(crate) fn title_prop(&self) -> Option<&PropSchema> {
        self.properties.iter().find(|p| p.kind == "title")
    }
}

/// A content block.
#[derive(Debug, Clone)]
pub(crate) struct Block {
    pub(crate) id: Uuid,
    pub(crate) parent: Parent,
    pub(crate) kind: String,
    pub(crate) content: Value,
    pub(crate) in_trash: bool,
    pub(crate) created_time: Timestamp,
    pub(crate) last_edited_time: Timestamp,
    pub(crate) created_by: Uuid,
    pub(crate) last_edited_by: Uuid,
}

/// A comment on a page or block.
#[derive(Debug, Clone)]
pub(crate) struct Comment {
    pub(crate) id: Uuid,
    pub(crate) parent: Uuid,
    pub(crate) parent_is_page: bool,
    pub(crate) discussion_id: Uuid,
    pub(crate) rich_text: Vec<Value>,
    pub(crate) created_time: Timestamp,
    pub(crate) created_by: Uuid,
    pub(crate) display_name: String,
}

/// An OAuth client configured in the workspace.
#[derive(Debug, Clone)]
pub(crate) struct OAuthClient {
    pub(crate) client_id: String,
    pub(crate) client_secret: String,
    pub(crate) redirect_uris: Vec<String>,
    pub(crate) integration: usize,
}

/// A token issued by the OAuth endpoints.
#[derive(Debug, Clone)]
pub(crate) struct OAuthGrant {
    pub(crate) client_id: String,
    pub(crate) integration: usize,
    pub(crate) issued_at: Timestamp,
}

/// OAuth state: clients, pending codes, refresh tokens.
#[derive(Debug, Clone, Default)]
pub(crate) struct OAuthState {
    pub(crate) clients: Vec<OAuthClient>,
    pub(crate) codes: HashMap<String, (OAuthGrant, Option<String>)>,
    pub(crate) refresh_tokens: HashMap<String, (OAuthGrant, String)>,
    pub(crate) access_tokens: HashMap<String, OAuthGrant>,
}

/// Something that changed in the workspace; the hook point for webhooks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type")]
pub enum Event {
    /// A page was created.
    #[serde(rename = "page.created")]
    PageCreated {
        /// The page.
        page_id: Uuid,
        /// Who did it (bot or person id).
        author: Uuid,
        /// When (emulator clock, RFC 3339).
        timestamp: String,
    },
    /// Page properties changed.
    #[serde(rename = "page.properties_updated")]
    PagePropertiesUpdated {
        /// The page.
        page_id: Uuid,
        /// Ids of the properties written.
        updated_properties: Vec<String>,
        /// Who did it.
        author: Uuid,
        /// When.
        timestamp: String,
    },
    /// A page went to the trash.
    #[serde(rename = "page.deleted")]
    PageDeleted {
        /// The page.
        page_id: Uuid,
        /// Who did it.
        author: Uuid,
        /// When.
        timestamp: String,
    },
    /// A page came back from the trash.
    #[serde(rename = "page.undeleted")]
    PageUndeleted {
        /// The page.
        page_id: Uuid,
        /// Who did it.
        author: Uuid,
        /// When.
        timestamp: String,
    },
    /// A data source's schema changed.
    #[serde(rename = "data_source.schema_updated")]
    DataSourceSchemaUpdated {
        /// The data source.
        data_source_id: Uuid,
        /// Who did it.
        author: Uuid,
        /// When.
        timestamp: String,
    },
    /// A comment was added.
    #[serde(rename = "comment.created")]
    CommentCreated {
        /// The comment.
        comment_id: Uuid,
        /// The page or block it is on.
        parent_id: Uuid,
        /// Who did it.
        author: Uuid,
        /// When.
        timestamp: String,
    },
}

/// A snapshot of an ordered result list, addressed by opaque cursors.
#[derive(Debug, Clone)]
pub(crate) struct CursorEntry {
    pub(crate) scope: String,
    pub(crate) ids: Arc<Vec<Uuid>>,
    pub(crate) offset: usize,
    pub(crate) capped: bool,
}

/// Opaque cursors for queries and search (bounded; the oldest are forgotten first).
#[derive(Debug, Clone, Default)]
pub(crate) struct CursorStore {
    entries: HashMap<String, CursorEntry>,
    order: VecDeque<String>,
}

const MAX_CURSORS: usize = 4096;

impl CursorStore {
    pub(crate) fn insert(&mut self, token: String, entry: CursorEntry) {
        if self.order.len() >= MAX_CURSORS
            && let Some(old) = self.order.pop_front()
        {
            self.entries.remove(&old);
        }
        self.order.push_back(token.clone());
        self.entries.insert(token, entry);
    }

    pub(crate) fn get(&self, token: &str) -> Option<&CursorEntry> {
        self.entries.get(token)
    }
}

/// Who is acting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Actor {
    /// An integration, by index.
    Bot(usize),
    /// A person editing in "the UI" (the control API or the Rust API).
    Human(Uuid),
}

/// The whole emulated workspace.
#[derive(Debug, Clone)]
pub(crate) struct State {
    pub(crate) workspace_id: Uuid,
    pub(crate) workspace_name: String,
    pub(crate) integrations: Vec<Integration>,
    pub(crate) tokens: HashMap<String, usize>,
    pub(crate) people: Vec<Person>,
    pub(crate) pages: HashMap<Uuid, Page>,
    pub(crate) databases: HashMap<Uuid, Database>,
    pub(crate) data_sources: HashMap<Uuid, DataSource>,
    pub(crate) blocks: HashMap<Uuid, Block>,
    /// Ordered children of a page or block: blocks, child pages and child databases.
    pub(crate) children: HashMap<Uuid, Vec<Uuid>>,
    pub(crate) comments: Vec<Comment>,
    pub(crate) oauth: OAuthState,
    pub(crate) cursors: CursorStore,
    pub(crate) events: VecDeque<Event>,
    pub(crate) seq: u64,
    pub(crate) rng: SplitMix,
    /// How many results a query returns at most (Notion: 10,000).
    pub(crate) query_result_cap: usize,
}

const MAX_EVENTS: usize = 10_000;

impl State {
    pub(crate) fn empty(seed: u64) -> Self {
        Self {
            workspace_id: Uuid::nil(),
            workspace_name: String::new(),
            integrations: Vec::new(),
            tokens: HashMap::new(),
            people: Vec::new(),
            pages: HashMap::new(),
            databases: HashMap::new(),
            data_sources: HashMap::new(),
            blocks: HashMap::new(),
            children: HashMap::new(),
            comments: Vec::new(),
            oauth: OAuthState::default(),
            cursors: CursorStore::default(),
            events: VecDeque::new(),
            seq: 0,
            rng: SplitMix::new(seed),
            query_result_cap: 10_000,
        }
    }

    pub(crate) fn next_seq(&mut self) -> u64 {
        self.seq += 1;
        self.seq
    }

    pub(crate) fn new_id(&mut self) -> Uuid {
        self.rng.uuid()
    }

    /// The hook point for webhooks: every mutation reports here.
    pub(crate) fn emit(&mut self, event: Event) {
        if self.events.len() >= MAX_EVENTS {
            self.events.pop_front();
        }
        self.events.push_back(event);
    }

    pub(crate) fn actor_id(&self, actor: Actor) -> Uuid {
        match actor {
            Actor::Bot(i) => self.integrations[i].id,
            Actor::Human(id) => id,
        }
    }

    /// The first person, who edits "in the UI".
    pub(crate) fn human(&self) -> Uuid {
        self.people.first().map_or(Uuid::nil(), |p| p.id)
    }

    /// The parent of any object, for the sharing walk.
    pub(crate) fn parent_of(&self, id: Uuid) -> Option<Uuid> {
        if let Some(p) = self.pages.get(&id) {
            return match p.parent {
                Parent::DataSource(ds) => self.data_sources.get(&ds).map(|d| d.database_id),
                other => other.id(),
            };
        }
        if let Some(ds) = self.data_sources.get(&id) {
            return Some(ds.database_id);
        }
        if let Some(db) = self.databases.get(&id) {
            return db.parent.id();
        }
        if let Some(b) = self.blocks.get(&id) {
            return b.parent.id();
        }
        None
    }

    /// Whether the integration can see `id` (it, or an ancestor, is shared with it).
    pub(crate) fn can_see(&self, integration: usize, id: Uuid) -> bool {
        let integ = &self.integrations[integration];
        if integ.all_access {
            return true;
        }
        let mut current = Some(id);
        for _ in 0..64 {
            let Some(cur) = current else { return false };
            if integ.shared.contains(&cur) {
                return true;
            }
            current = self.parent_of(cur);
        }
        false
    }

    /// Adds `child` to the end (or after `after`) of `parent`'s children.
    pub(crate) fn add_child(&mut self, parent: Uuid, child: Uuid, after: Option<Uuid>) -> usize {
        let list = self.children.entry(parent).or_default();
        let pos = after
            .and_then(|a| list.iter().position(|c| *c == a).map(|i| i + 1))
            .unwrap_or(list.len());
        list.insert(pos, child);
        pos
    }

    /// The page's plain title.
    pub(crate) fn page_title(&self, page: &Page) -> String {
        let key = match page.parent {
            Parent::DataSource(ds) => self
                .data_sources
                .get(&ds)
                .and_then(|d| d.title_prop())
                .map_or_else(|| "title".to_owned(), |p| p.id.clone()),
            _ => "title".to_owned(),
        };
        page.props.get(&key).map(plain_text).unwrap_or_default()
    }

    /// Whether a page is in the trash, directly or through its data source or database.
    pub(crate) fn page_trashed(&self, page: &Page) -> bool {
        page.in_trash
            || match page.parent {
                Parent::DataSource(ds) => self.data_sources.get(&ds).is_some_and(|d| {
                    d.in_trash
                        || self
                            .databases
                            .get(&d.database_id)
                            .is_some_and(|db| db.in_trash)
                }),
                _ => false,
            }
    }

    pub(crate) fn integration_id_str(&self, integration: usize) -> String {
        fmt_id(self.integrations[integration].id)
    }
}

/// Joins the `plain_text` of every rich text item.
pub(crate) fn plain_text(items: &Value) -> String {
    items
        .as_array()
        .map(|arr| {
            arr.iter()
                .filter_map(|i| i.get("plain_text").and_then(Value::as_str))
                .collect::<String>()
        })
        .unwrap_or_default()
}
