//! The workspace file format (plain JSON a person can write) and the built-in demo workspace.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use uuid::Uuid;

use crate::model::{Actor, Capabilities, Integration, OAuthClient, Parent, Person, State};
use crate::ops;
use crate::richtext;

/// A workspace file: what to load into the emulator. See `docs/EMULATOR.md` for the format.
///
/// A file describes one workspace (today's format), and may list more in [`Workspace::workspaces`]:
/// the file's workspaces are then its top-level one followed by each listed one, or only the listed
/// ones when the top level holds nothing but `workspaces` (see [`Workspace::all`]).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Workspace {
    /// Workspace id (random when absent).
    #[serde(default)]
    pub id: Option<Uuid>,
    /// Workspace name (shown by `GET /v1/users/me`).
    #[serde(default)]
    pub name: String,
    /// Workspace icon (a URL or an emoji), answered as `workspace_icon` by the OAuth token endpoint.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub icon: Option<String>,
    /// People (the first one is who edits "in the UI").
    #[serde(default)]
    pub people: Vec<PersonSpec>,
    /// Integrations and their tokens.
    #[serde(default)]
    pub integrations: Vec<IntegrationSpec>,
    /// OAuth clients (public integrations).
    #[serde(default)]
    pub oauth_clients: Vec<OAuthClientSpec>,
    /// Standalone pages (not database rows), in order: parents before children.
    #[serde(default)]
    pub pages: Vec<PageSpec>,
    /// Databases with their data sources and rows.
    #[serde(default)]
    pub databases: Vec<DatabaseSpec>,
    /// Further workspaces of the same file, each in this same format (without `workspaces` of its
    /// own). A token acts only in the workspace that holds it; an OAuth client listed in several
    /// workspaces (same `client_id`) is one public integration installable in each of them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub workspaces: Vec<Self>,
}

/// A person.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PersonSpec {
    /// User id.
    pub id: Uuid,
    /// Display name; absent or `null` for a person without one (2026-12-01 answers `name: null`).
    #[serde(default)]
    pub name: Option<String>,
    /// Email.
    #[serde(default)]
    pub email: String,
}

/// An integration: a bot user, its tokens, capabilities and what is shared with it.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IntegrationSpec {
    /// Bot user id.
    pub id: Uuid,
    /// Integration name (appears in 404 messages).
    pub name: String,
    /// Bearer tokens that act as this integration.
    #[serde(default)]
    pub tokens: Vec<String>,
    /// Capabilities (all true when absent).
    #[serde(default)]
    pub capabilities: Capabilities,
    /// Ids of pages/databases shared with it (their descendants are shared too).
    #[serde(default)]
    pub shared: Vec<Uuid>,
    /// Sees everything, regardless of sharing.
    #[serde(default)]
    pub all_access: bool,
}

/// An OAuth client.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OAuthClientSpec {
    /// `client_id`.
    pub client_id: String,
    /// `client_secret`.
    pub client_secret: String,
    /// Allowed redirect URIs.
    #[serde(default)]
    pub redirect_uris: Vec<String>,
    /// Name of the integration whose bot the issued tokens act as.
    pub integration: String,
}

/// Where a page or database lives: `{"page_id": "…"}` or `{"workspace": true}`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ParentSpec {
    /// Parent page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page_id: Option<Uuid>,
    /// At the workspace top level.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub workspace: Option<bool>,
}

impl ParentSpec {
    fn to_parent(&self) -> Parent {
        self.page_id.map_or(Parent::Workspace, Parent::Page)
    }
}

/// A standalone page.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PageSpec {
    /// Page id.
    pub id: Uuid,
    /// Parent (workspace when absent).
    #[serde(default)]
    pub parent: ParentSpec,
    /// Title text.
    pub title: String,
    /// Icon object, e.g. `{"type":"emoji","emoji":"🗳️"}`.
    #[serde(default)]
    pub icon: Option<Value>,
    /// Content blocks in the append-children request format.
    #[serde(default)]
    pub children: Vec<Value>,
    /// In the trash.
    #[serde(default)]
    pub in_trash: bool,
}

/// A database with its data sources.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatabaseSpec {
    /// Database id.
    pub id: Uuid,
    /// Parent page (or workspace).
    #[serde(default)]
    pub parent: ParentSpec,
    /// Title text.
    pub title: String,
    /// Description text.
    #[serde(default)]
    pub description: String,
    /// Inline database.
    #[serde(default)]
    pub is_inline: bool,
    /// Icon object.
    #[serde(default)]
    pub icon: Option<Value>,
    /// Data sources (at least one).
    pub data_sources: Vec<DataSourceSpec>,
}

/// A data source: schema and rows.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DataSourceSpec {
    /// Data source id.
    pub id: Uuid,
    /// Title (the database's when absent).
    #[serde(default)]
    pub title: Option<String>,
    /// Schema: property name → definition as in the API (`{"type":"status","status":{…}}`), with an
    /// optional fixed `id`.
    pub properties: Map<String, Value>,
    /// Rows.
    #[serde(default)]
    pub pages: Vec<RowSpec>,
}

/// A row of a data source.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RowSpec {
    /// Page id.
    pub id: Uuid,
    /// Property values: API write format, or shorthand (`"Name": "Budget"`, `"Voting Status": "Done"`,
    /// `"Done?": true`, `"Votes": 12`).
    #[serde(default)]
    pub properties: Map<String, Value>,
    /// Creation time (load time when absent).
    #[serde(default)]
    pub created_time: Option<Timestamp>,
    /// Last edit time (creation time when absent).
    #[serde(default)]
    pub last_edited_time: Option<Timestamp>,
    /// In the trash.
    #[serde(default)]
    pub in_trash: bool,
    /// Icon object.
    #[serde(default)]
    pub icon: Option<Value>,
    /// Content blocks.
    #[serde(default)]
    pub children: Vec<Value>,
}

/// Why a workspace file could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum WorkspaceError {
    /// The JSON does not match the format.
    #[error("workspace file is not valid: {0}")]
    Parse(#[from] serde_json::Error),
    /// A value is invalid (names the object and the problem).
    #[error("workspace file is not valid: {0}")]
    Invalid(String),
}

/// The demo workspace's JSON, embedded so the binary works from any directory.
pub const DEMO_WORKSPACE_JSON: &str = include_str!("../../../fixtures/workspaces/demo.json");

impl Workspace {
    /// The built-in demo workspace (`fixtures/workspaces/demo.json`).
    pub fn demo() -> Self {
        // The embedded file is checked by a unit test, so this cannot fail at run time.
        Self::from_json(DEMO_WORKSPACE_JSON).unwrap_or_default()
    }

    /// Parses a workspace file.
    pub fn from_json(json: &str) -> Result<Self, WorkspaceError> {
        Ok(serde_json::from_str(json)?)
    }

    /// Adds an integration to the first workspace (builder style).
    pub fn with_integration(mut self, spec: IntegrationSpec) -> Self {
        self.first_mut().integrations.push(spec);
        self
    }

    /// Whether the top level describes a workspace of its own (anything but `workspaces`).
    fn has_own_content(&self) -> bool {
        self.id.is_some()
            || !self.name.is_empty()
            || self.icon.is_some()
            || !self.people.is_empty()
            || !self.integrations.is_empty()
            || !self.oauth_clients.is_empty()
            || !self.pages.is_empty()
            || !self.databases.is_empty()
    }

    /// The file's workspaces in order: the top-level one (unless the top level holds nothing but
    /// `workspaces`), then each entry of `workspaces`. The first is the one tests address by
    /// default (its first integration's token is the emulator's demo token).
    pub fn all(&self) -> Vec<&Self> {
        let mut out = Vec::with_capacity(1 + self.workspaces.len());
        if self.has_own_content() || self.workspaces.is_empty() {
            out.push(self);
        }
        out.extend(self.workspaces.iter());
        out
    }

    /// The first workspace of the file (see [`Workspace::all`]), to edit.
    pub fn first_mut(&mut self) -> &mut Self {
        if !self.has_own_content() && !self.workspaces.is_empty() {
            &mut self.workspaces[0]
        } else {
            self
        }
    }

    /// Builds every workspace of the file (see [`Workspace::all`]), the first from `seed` exactly
    /// as [`Workspace::build`] does and the others from seeds derived from it. Checks what spans
    /// workspaces: ids and tokens are unique across them, nested `workspaces` are refused, and an
    /// OAuth client listed in several workspaces has the same secret in each.
    pub fn build_all(
        &self,
        seed: u64,
        now: Timestamp,
        query_result_cap: usize,
    ) -> Result<Vec<State>, WorkspaceError> {
        let mut states: Vec<State> = Vec::new();
        for (i, ws) in self.all().into_iter().enumerate() {
            if i > 0 && !ws.workspaces.is_empty() {
                return Err(WorkspaceError::Invalid(format!(
                    "workspace {:?} lists workspaces of its own; list every workspace at the top level",
                    ws.name
                )));
            }
            // The first workspace keeps the seed, so its generated ids are those of a one-workspace file.
            let ws_seed = seed.wrapping_add((i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15));
            let state = ws.build(ws_seed, now, query_result_cap)?;
            for earlier in &states {
                if earlier.workspace_id == state.workspace_id {
                    return Err(WorkspaceError::Invalid(format!(
                        "workspace id {} is used twice",
                        state.workspace_id
                    )));
                }
                if state.tokens.keys().any(|t| earlier.tokens.contains_key(t)) {
                    return Err(WorkspaceError::Invalid(format!(
                        "a token of workspace {:?} is also a token of workspace {:?}",
                        state.workspace_name, earlier.workspace_name
                    )));
                }
                for c in &state.oauth.clients {
                    if let Some(other) = earlier
                        .oauth
                        .clients
                        .iter()
                        .find(|o| o.client_id == c.client_id)
                        && other.client_secret != c.client_secret
                    {
                        return Err(WorkspaceError::Invalid(format!(
                            "oauth client {:?} has different secrets in workspaces {:?} and {:?}",
                            c.client_id, earlier.workspace_name, state.workspace_name
                        )));
                    }
                }
            }
            states.push(state);
        }
        Ok(states)
    }

    /// Builds the live workspace the top level of this file describes (ignoring `workspaces`; see
    /// [`Workspace::build_all`]). `seed` drives the generated ids, cursors and
    /// tokens, `now` stands for the load time of objects the file gives no time, and
    /// `query_result_cap` is how many results a query returns at most (Notion: 10,000).
    pub fn build(
        &self,
        seed: u64,
        now: Timestamp,
        query_result_cap: usize,
    ) -> Result<State, WorkspaceError> {
        let mut state = State::empty(seed);
        state.query_result_cap = query_result_cap;
        state.workspace_id = self.id.unwrap_or_else(|| state.new_id());
        state.workspace_name = if self.name.is_empty() {
            "Emulated workspace".to_owned()
        } else {
            self.name.clone()
        };
        state.workspace_icon = self.icon.clone();
        for p in &self.people {
            state.people.push(Person {
                id: p.id,
                name: p.name.clone(),
                email: p.email.clone(),
            });
        }
        for (idx, i) in self.integrations.iter().enumerate() {
            for t in &i.tokens {
                if state.tokens.insert(t.clone(), idx).is_some() {
                    return Err(WorkspaceError::Invalid(format!(
                        "token of integration {:?} is used twice",
                        i.name
                    )));
                }
            }
            state.integrations.push(Integration {
                id: i.id,
                name: i.name.clone(),
                capabilities: i.capabilities,
                shared: i.shared.iter().copied().collect(),
                all_access: i.all_access,
            });
        }
        for c in &self.oauth_clients {
            let integration = state
                .integrations
                .iter()
                .position(|i| i.name == c.integration)
                .ok_or_else(|| {
                    WorkspaceError::Invalid(format!(
                        "oauth client {:?} names unknown integration {:?}",
                        c.client_id, c.integration
                    ))
                })?;
            state.oauth.clients.push(OAuthClient {
                client_id: c.client_id.clone(),
                client_secret: c.client_secret.clone(),
                redirect_uris: c.redirect_uris.clone(),
                integration,
            });
        }
        let actor = Actor::Human(state.human());
        let invalid = |what: String, e: crate::error::ApiError| {
            WorkspaceError::Invalid(format!("{what}: {}", e.message))
        };
        for p in &self.pages {
            let props = serde_json::json!({ "title": [{"text": {"content": p.title}}] });
            let children = Value::Array(p.children.clone());
            ops::create_page(
                &mut state,
                actor,
                now,
                ops::NewPage {
                    id: Some(p.id),
                    parent: p.parent.to_parent(),
                    properties: &props,
                    icon: p.icon.clone().unwrap_or(Value::Null),
                    cover: Value::Null,
                    children: Some(&children),
                    created_time: None,
                    last_edited_time: None,
                    in_trash: p.in_trash,
                    loading: true,
                },
            )
            .map_err(|e| invalid(format!("page {}", p.id), e))?;
        }
        for db in &self.databases {
            let Some((first, rest)) = db.data_sources.split_first() else {
                return Err(WorkspaceError::Invalid(format!(
                    "database {} has no data source",
                    db.id
                )));
            };
            let props = ops::build_properties(
                &mut state,
                Some(&Value::Object(first.properties.clone())),
                "properties",
            )
            .map_err(|e| invalid(format!("data source {}", first.id), e))?;
            let title = richtext::from_plain(&db.title);
            ops::create_database(
                &mut state,
                actor,
                now,
                ops::NewDatabase {
                    id: Some(db.id),
                    data_source_id: Some(first.id),
                    parent: db.parent.to_parent(),
                    title: title.clone(),
                    description: richtext::from_plain(&db.description),
                    is_inline: db.is_inline,
                    icon: db.icon.clone().unwrap_or(Value::Null),
                    cover: Value::Null,
                    properties: props,
                },
            );
            if let Some(t) = &first.title
                && let Some(ds) = state.data_sources.get_mut(&first.id)
            {
                ds.title = richtext::from_plain(t);
            }
            for extra in rest {
                let props = ops::build_properties(
                    &mut state,
                    Some(&Value::Object(extra.properties.clone())),
                    "properties",
                )
                .map_err(|e| invalid(format!("data source {}", extra.id), e))?;
                let t = richtext::from_plain(extra.title.as_deref().unwrap_or(&db.title));
                let generated =
                    ops::create_data_source(&mut state, actor, now, db.id, t, props, Value::Null);
                // Give the data source its fixed id.
                if let Some(mut ds) = state.data_sources.remove(&generated) {
                    ds.id = extra.id;
                    state.data_sources.insert(extra.id, ds);
                    if let Some(d) = state.databases.get_mut(&db.id) {
                        for id in &mut d.data_sources {
                            if *id == generated {
                                *id = extra.id;
                            }
                        }
                    }
                }
            }
            for ds in &db.data_sources {
                for row in &ds.pages {
                    let props = Value::Object(row.properties.clone());
                    let children = Value::Array(row.children.clone());
                    ops::create_page(
                        &mut state,
                        actor,
                        now,
                        ops::NewPage {
                            id: Some(row.id),
                            parent: Parent::DataSource(ds.id),
                            properties: &props,
                            icon: row.icon.clone().unwrap_or(Value::Null),
                            cover: Value::Null,
                            children: Some(&children),
                            created_time: row.created_time,
                            last_edited_time: row.last_edited_time,
                            in_trash: row.in_trash,
                            loading: true,
                        },
                    )
                    .map_err(|e| invalid(format!("page {}", row.id), e))?;
                }
            }
        }
        // Loading is not an edit: start the event log empty.
        state.events.clear();
        Ok(state)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_workspace_parses_and_builds() {
        let ws = Workspace::from_json(DEMO_WORKSPACE_JSON).unwrap();
        let state = ws.build(1, Timestamp::now(), 10_000).unwrap();
        assert!(state.databases.len() >= 3);
        assert!(!state.tokens.is_empty());
    }

    #[test]
    fn demo_file_holds_two_workspaces_the_first_at_the_top_level() {
        let ws = Workspace::demo();
        let all = ws.all();
        assert_eq!(all.len(), 2);
        assert_eq!(all[0].id, Some(crate::demo::WORKSPACE_ID));
        assert_eq!(all[1].id, Some(crate::demo::SECOND_WORKSPACE_ID));
        let states = ws.build_all(1, Timestamp::now(), 10_000).unwrap();
        assert_eq!(states[0].workspace_name, "Election Demo Workspace");
        assert_eq!(states[1].workspace_name, "Second Demo Workspace");
        assert!(
            states[1]
                .databases
                .contains_key(&crate::demo::BOARD_ELECTIONS_DB)
        );
        assert!(
            !states[0]
                .databases
                .contains_key(&crate::demo::BOARD_ELECTIONS_DB)
        );
        assert_eq!(states[1].tokens.get(crate::demo::SECOND_TOKEN), Some(&0));
    }

    #[test]
    fn a_list_only_file_has_no_top_level_workspace() {
        let ws = Workspace::from_json(
            r#"{"workspaces": [{"name": "A", "integrations": [{"id": "b0000000-0000-4000-8000-00000000000a", "name": "x", "tokens": ["ta"]}]},
                              {"name": "B", "integrations": [{"id": "b0000000-0000-4000-8000-00000000000b", "name": "x", "tokens": ["tb"]}]}]}"#,
        )
        .unwrap();
        let states = ws.build_all(1, Timestamp::now(), 10).unwrap();
        assert_eq!(states.len(), 2);
        assert_eq!(states[0].workspace_name, "A");
        let mut ws = ws;
        assert_eq!(ws.first_mut().name, "A");
    }

    #[test]
    fn tokens_and_ids_are_unique_across_workspaces() {
        let dup_token = Workspace::from_json(
            r#"{"workspaces": [{"name": "A", "integrations": [{"id": "b0000000-0000-4000-8000-00000000000a", "name": "x", "tokens": ["t"]}]},
                              {"name": "B", "integrations": [{"id": "b0000000-0000-4000-8000-00000000000b", "name": "x", "tokens": ["t"]}]}]}"#,
        )
        .unwrap();
        let e = dup_token.build_all(1, Timestamp::now(), 10).unwrap_err();
        assert!(e.to_string().contains("token"), "{e}");
        let dup_id = Workspace::from_json(
            r#"{"workspaces": [{"id": "0e1ec710-0000-4000-8000-000000000000"}, {"id": "0e1ec710-0000-4000-8000-000000000000"}]}"#,
        )
        .unwrap();
        let e = dup_id.build_all(1, Timestamp::now(), 10).unwrap_err();
        assert!(e.to_string().contains("used twice"), "{e}");
        let nested = Workspace::from_json(
            r#"{"workspaces": [{"name": "A"}, {"name": "B", "workspaces": [{"name": "C"}]}]}"#,
        )
        .unwrap();
        assert!(nested.build_all(1, Timestamp::now(), 10).is_err());
    }
}
