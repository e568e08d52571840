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
pub struct Integration {
    /// Its bot user id.
    pub id: Uuid,
    /// Its name (Notion names it in 404 messages).
    pub name: String,
    /// What its tokens may do.
    pub capabilities: Capabilities,
    /// Roots shared with the integration; their descendants are visible too.
    pub shared: HashSet<Uuid>,
    /// Sees everything (an admin token for tests that act "as a human").
    pub all_access: bool,
}

/// A person in the workspace.
#[derive(Debug, Clone)]
pub struct Person {
    /// User id.
    pub id: Uuid,
    /// Display name; `None` for a person without one.
    pub name: Option<String>,
    /// Email address.
    pub email: String,
}

/// Where an object lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Parent {
    /// At the workspace top level.
    Workspace,
    /// Under a page.
    Page(Uuid),
    /// A row of a data source.
    DataSource(Uuid),
    /// Under a block.
    Block(Uuid),
}

impl Parent {
    /// The parent's id (`None` for the workspace).
    pub fn id(self) -> Option<Uuid> {
        match self {
            Self::Workspace => None,
            Self::Page(id) | Self::DataSource(id) | Self::Block(id) => Some(id),
        }
    }
}

/// A page: a row of a data source, or a standalone page under a page or the workspace.
#[derive(Debug, Clone)]
pub struct Page {
    /// Page id.
    pub id: Uuid,
    /// Where it lives.
    pub parent: Parent,
    /// Property values in read shape (the `<type>` member), keyed by property id.
    pub props: HashMap<String, Value>,
    /// Creation time (truncated to the minute, as Notion stores it).
    pub created_time: Timestamp,
    /// Last edit time (truncated to the minute).
    pub last_edited_time: Timestamp,
    /// Who created it (person or bot id).
    pub created_by: Uuid,
    /// Who last edited it.
    pub last_edited_by: Uuid,
    /// In the trash itself (see [`State::page_trashed`] for the trash of its data source or database).
    pub in_trash: bool,
    /// Archived (`is_archived`, separate from the trash).
    pub is_archived: bool,
    /// Locked against edits in the UI.
    pub is_locked: bool,
    /// The icon object, or `null`.
    pub icon: Value,
    /// The cover object, or `null`.
    pub cover: Value,
    /// Creation order in the workspace (ties in sorts, `unique_id`).
    pub seq: u64,
}

/// One property of a data source's schema.
#[derive(Debug, Clone, PartialEq)]
pub struct PropSchema {
    /// URL-encoded short id as Notion returns it (`title` for the title property).
    pub id: String,
    /// Its name.
    pub name: String,
    /// Its type (`title`, `status`, `relation`...).
    pub kind: String,
    /// The `<type>` configuration object (options and groups for status, options for select...).
    pub config: Value,
    /// Its description, if any.
    pub description: Option<String>,
}

impl PropSchema {
    /// Whether `key` names this property (by name, by id as returned, or by decoded id).
    pub fn matches(&self, key: &str) -> bool {
        self.name == key || self.id == key || crate::util::percent_decode(&self.id) == key
    }

    /// Option objects of a select/multi_select/status property.
    pub fn options(&self) -> &[Value] {
        self.config
            .get("options")
            .and_then(Value::as_array)
            .map_or(&[], Vec::as_slice)
    }
}

/// A database: a container of data sources.
#[derive(Debug, Clone)]
pub struct Database {
    /// Database id.
    pub id: Uuid,
    /// The page it lives on (or the workspace).
    pub parent: Parent,
    /// Title as rich text.
    pub title: Vec<Value>,
    /// Description as rich text.
    pub description: Vec<Value>,
    /// Its data sources, first one first.
    pub data_sources: Vec<Uuid>,
    /// Shown inline in its parent page.
    pub is_inline: bool,
    /// In the trash.
    pub in_trash: bool,
    /// Locked against edits in the UI.
    pub is_locked: bool,
    /// Creation time (kept to the millisecond, as Notion answers it for databases).
    pub created_time: Timestamp,
    /// Last edit time (to the millisecond).
    pub last_edited_time: Timestamp,
    /// Who created it.
    pub created_by: Uuid,
    /// The icon object, or `null`.
    pub icon: Value,
    /// The cover object, or `null`.
    pub cover: Value,
    /// Creation order in the workspace.
    pub seq: u64,
}

/// A data source: the schema and the rows.
#[derive(Debug, Clone)]
pub struct DataSource {
    /// Data source id.
    pub id: Uuid,
    /// The database that contains it.
    pub database_id: Uuid,
    /// Title as rich text.
    pub title: Vec<Value>,
    /// Description as rich text.
    pub description: Vec<Value>,
    /// The schema, in order.
    pub properties: Vec<PropSchema>,
    /// Creation time (truncated to the minute).
    pub created_time: Timestamp,
    /// Last edit time (truncated to the minute).
    pub last_edited_time: Timestamp,
    /// Who created it.
    pub created_by: Uuid,
    /// Who last edited it.
    pub last_edited_by: Uuid,
    /// In the trash itself (its database may be too).
    pub in_trash: bool,
    /// The icon object, or `null`.
    pub icon: Value,
    /// Row ids in creation order (an index so queries never scan the whole page table).
    pub pages: Vec<Uuid>,
    /// Creation order in the workspace.
    pub seq: u64,
}

impl DataSource {
    /// The property `key` names (by name, id or decoded id).
    pub fn prop(&self, key: &str) -> Option<&PropSchema> {
        self.properties.iter().find(|p| p.matches(key))
    }

    /// The title property.
    pub fn title_prop(&self) -> Option<&PropSchema> {
        self.properties.iter().find(|p| p.kind == "title")
    }
}

/// A content block.
#[derive(Debug, Clone)]
pub struct Block {
    /// Block id.
    pub id: Uuid,
    /// The page or block it is under.
    pub parent: Parent,
    /// Its type (`paragraph`, `to_do`...).
    pub kind: String,
    /// The `<type>` object, without `children` (those are blocks of their own).
    pub content: Value,
    /// In the trash.
    pub in_trash: bool,
    /// Creation time (truncated to the minute).
    pub created_time: Timestamp,
    /// Last edit time (truncated to the minute).
    pub last_edited_time: Timestamp,
    /// Who created it.
    pub created_by: Uuid,
    /// Who last edited it.
    pub last_edited_by: Uuid,
}

/// A comment on a page or block.
#[derive(Debug, Clone)]
pub struct Comment {
    /// Comment id.
    pub id: Uuid,
    /// The page or block it is on.
    pub parent: Uuid,
    /// Whether `parent` is a page (else a block).
    pub parent_is_page: bool,
    /// The discussion thread it belongs to.
    pub discussion_id: Uuid,
    /// Its text as rich text (response shape).
    pub rich_text: Vec<Value>,
    /// When it was made.
    pub created_time: Timestamp,
    /// The bot that made it.
    pub created_by: Uuid,
    /// The name shown as its author.
    pub display_name: String,
}

/// An OAuth client configured in the workspace.
#[derive(Debug, Clone)]
pub struct OAuthClient {
    /// `client_id`.
    pub client_id: String,
    /// `client_secret`.
    pub client_secret: String,
    /// Allowed redirect URIs (the first is the default).
    pub redirect_uris: Vec<String>,
    /// Index of the integration whose bot its tokens act as.
    pub integration: usize,
}

/// OAuth state of one workspace: the clients its file lists. The grants (codes, access and refresh
/// tokens) span workspaces, so the emulator keeps them.
#[derive(Debug, Clone, Default)]
pub struct OAuthState {
    /// Configured clients.
    pub clients: Vec<OAuthClient>,
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
pub struct CursorEntry {
    /// The route and object it was issued for (a cursor of one query does not resume another).
    pub scope: String,
    /// The whole ordered result, shared by every cursor into it.
    pub ids: Arc<Vec<Uuid>>,
    /// Where the next page starts.
    pub offset: usize,
    /// Whether the result cap cut the result (the last page says `incomplete`).
    pub capped: bool,
}

/// Opaque cursors for queries and search (bounded; the oldest are forgotten first).
#[derive(Debug, Clone, Default)]
pub struct CursorStore {
    entries: HashMap<String, CursorEntry>,
    order: VecDeque<String>,
}

const MAX_CURSORS: usize = 4096;

impl CursorStore {
    /// Registers a cursor (forgetting the oldest beyond a bound).
    pub fn insert(&mut self, token: String, entry: CursorEntry) {
        if self.order.len() >= MAX_CURSORS
            && let Some(old) = self.order.pop_front()
        {
            self.entries.remove(&old);
        }
        self.order.push_back(token.clone());
        self.entries.insert(token, entry);
    }

    /// The snapshot a cursor token points into.
    pub fn get(&self, token: &str) -> Option<&CursorEntry> {
        self.entries.get(token)
    }
}

/// Who is acting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Actor {
    /// An integration, by index.
    Bot(usize),
    /// A person editing in "the UI" (the control API or the Rust API).
    Human(Uuid),
}

/// The whole emulated workspace.
#[derive(Debug, Clone)]
pub struct State {
    /// Workspace id.
    pub workspace_id: Uuid,
    /// Workspace name.
    pub workspace_name: String,
    /// Workspace icon (a URL or an emoji), if the file gives one.
    pub workspace_icon: Option<String>,
    /// Integrations; an integration is addressed by its index here.
    pub integrations: Vec<Integration>,
    /// Bearer token → integration index (file tokens and OAuth-issued ones).
    pub tokens: HashMap<String, usize>,
    /// People; the first is who edits "in the UI".
    pub people: Vec<Person>,
    /// Every page, rows and standalone pages alike.
    pub pages: HashMap<Uuid, Page>,
    /// Databases.
    pub databases: HashMap<Uuid, Database>,
    /// Data sources.
    pub data_sources: HashMap<Uuid, DataSource>,
    /// Content blocks.
    pub blocks: HashMap<Uuid, Block>,
    /// Ordered children of a page or block: blocks, child pages and child databases.
    pub children: HashMap<Uuid, Vec<Uuid>>,
    /// Comments, oldest first.
    pub comments: Vec<Comment>,
    /// OAuth clients listed for this workspace.
    pub oauth: OAuthState,
    /// Opaque cursors of queries and searches.
    pub cursors: CursorStore,
    /// Changes since the workspace was loaded (bounded; the webhook hook point).
    pub events: VecDeque<Event>,
    /// How many events were ever emitted (the deque forgets the oldest; a webhook emitter reads
    /// the ones past what it saw).
    pub emitted: u64,
    /// The last creation order handed out (see [`Page::seq`]).
    pub(crate) seq: u64,
    /// The seeded generator behind ids, cursors and tokens.
    pub rng: SplitMix,
    /// How many results a query returns at most (Notion: 10,000).
    pub query_result_cap: usize,
}

const MAX_EVENTS: usize = 10_000;

impl State {
    pub(crate) fn empty(seed: u64) -> Self {
        Self {
            workspace_id: Uuid::nil(),
            workspace_name: String::new(),
            workspace_icon: None,
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
            emitted: 0,
            seq: 0,
            rng: SplitMix::new(seed),
            query_result_cap: 10_000,
        }
    }

    pub(crate) fn next_seq(&mut self) -> u64 {
        self.seq += 1;
        self.seq
    }

    /// A new object id from the seeded generator.
    pub fn new_id(&mut self) -> Uuid {
        self.rng.uuid()
    }

    /// The hook point for webhooks: every mutation reports here.
    pub fn emit(&mut self, event: Event) {
        if self.events.len() >= MAX_EVENTS {
            self.events.pop_front();
        }
        self.events.push_back(event);
        self.emitted += 1;
    }

    /// The events emitted after the first `seen` (at most the ones still kept), oldest first.
    pub fn events_since(&self, seen: u64) -> impl Iterator<Item = &Event> {
        let new = self.emitted.saturating_sub(seen);
        let kept = self.events.len() as u64;
        let skip = kept.saturating_sub(new) as usize;
        self.events.iter().skip(skip)
    }

    pub(crate) fn actor_id(&self, actor: Actor) -> Uuid {
        match actor {
            Actor::Bot(i) => self.integrations[i].id,
            Actor::Human(id) => id,
        }
    }

    /// The first person, who edits "in the UI".
    pub fn human(&self) -> Uuid {
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
    pub fn can_see(&self, integration: usize, id: Uuid) -> bool {
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
    pub fn add_child(&mut self, parent: Uuid, child: Uuid, after: Option<Uuid>) -> usize {
        let list = self.children.entry(parent).or_default();
        let pos = after
            .and_then(|a| list.iter().position(|c| *c == a).map(|i| i + 1))
            .unwrap_or(list.len());
        list.insert(pos, child);
        pos
    }

    /// The page's plain title.
    pub fn page_title(&self, page: &Page) -> String {
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
    pub fn page_trashed(&self, page: &Page) -> bool {
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

    /// The integration's bot id, dashed (as 404 bodies carry it).
    pub fn integration_id_str(&self, integration: usize) -> String {
        fmt_id(self.integrations[integration].id)
    }
}

/// Joins the `plain_text` of every rich text item.
pub fn plain_text(items: &Value) -> String {
    items
        .as_array()
        .map(|arr| {
            arr.iter()
                .filter_map(|i| i.get("plain_text").and_then(Value::as_str))
                .collect::<String>()
        })
        .unwrap_or_default()
}
