//! Every workspace the emulator serves, and what spans them: the public integrations (OAuth apps)
//! installable in several workspaces, their grants (codes, access and refresh tokens), and the
//! OAuth settings tests turn (auto-consent, access-token lifetime, clients registered at run time).

use std::collections::HashMap;
use std::time::Duration;

use jiff::Timestamp;
use notion_workspace::model::{Capabilities, Integration, State};
use notion_workspace::{Workspace, WorkspaceError};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Opt-in auto-consent: `GET /v1/oauth/authorize` redirects at once with a code, as if a person had
/// chosen `workspace_id` and ticked `share`, instead of showing the consent page.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AutoConsent {
    /// The workspace to authorize (default: the first one where the client's integration is
    /// installable).
    pub workspace_id: Option<Uuid>,
    /// Pages and databases of that workspace to share with the integration (added to what it can
    /// see already; empty: it keeps what it has).
    pub share: Vec<Uuid>,
}

/// A public integration registered at run time (`POST /__emulator/oauth/clients`), installable in
/// every workspace: each workspace gets a bot of this name with nothing shared until a consent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OAuthClientRegistration {
    /// `client_id`.
    pub client_id: String,
    /// `client_secret`.
    pub client_secret: String,
    /// The redirect URIs `authorize` accepts (the first is the default).
    pub redirect_uris: Vec<String>,
    /// The integration's name (its bot's name; default: the client id).
    #[serde(default)]
    pub name: Option<String>,
}

/// One public integration and where it can be installed.
#[derive(Debug, Clone)]
pub(crate) struct OAuthApp {
    pub(crate) client_id: String,
    pub(crate) client_secret: String,
    pub(crate) redirect_uris: Vec<String>,
    pub(crate) name: String,
    /// (workspace index, integration index) of each workspace where it is installable.
    pub(crate) installs: Vec<(usize, usize)>,
}

/// What a code or token grants: one client acting as one integration of one workspace.
#[derive(Debug, Clone)]
pub(crate) struct Grant {
    pub(crate) client_id: String,
    pub(crate) workspace: usize,
    pub(crate) integration: usize,
    pub(crate) issued_at: Timestamp,
    /// When an access token stops working (`None`: never).
    pub(crate) expires_at: Option<Timestamp>,
}

/// Settings kept across workspace reloads and resets.
#[derive(Debug, Clone, Default)]
pub(crate) struct OAuthSettings {
    pub(crate) auto_consent: Option<AutoConsent>,
    pub(crate) token_lifetime: Option<Duration>,
    pub(crate) registered: Vec<OAuthClientRegistration>,
}

/// Apps, pending codes and issued tokens.
#[derive(Debug, Clone, Default)]
pub(crate) struct OAuthApps {
    pub(crate) apps: Vec<OAuthApp>,
    /// Pending codes, with the `redirect_uri` given to authorize (if any).
    pub(crate) codes: HashMap<String, (Grant, Option<String>)>,
    /// Refresh tokens, with the access token each last issued.
    pub(crate) refresh_tokens: HashMap<String, (Grant, String)>,
    /// Access tokens issued (also in their workspace's `State::tokens`).
    pub(crate) access_tokens: HashMap<String, Grant>,
    pub(crate) settings: OAuthSettings,
}

/// Requests answered 429 `public_api_request_blocked` (Notion: do not retry), by token or workspace.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Blocked {
    /// Bearer tokens whose requests are blocked.
    pub tokens: Vec<String>,
    /// Workspaces whose every request is blocked.
    pub workspace_ids: Vec<Uuid>,
}

/// The served workspaces (never empty) and the OAuth apps spanning them.
#[derive(Debug)]
pub(crate) struct Spaces {
    pub(crate) list: Vec<State>,
    pub(crate) oauth: OAuthApps,
    pub(crate) blocked: Blocked,
}

impl Spaces {
    /// Builds every workspace of the file and installs the OAuth apps (the file's, then the
    /// registered ones).
    pub(crate) fn build(
        ws: &Workspace,
        seed: u64,
        now: Timestamp,
        cap: usize,
        settings: OAuthSettings,
    ) -> Result<Self, WorkspaceError> {
        let list = ws.build_all(seed, now, cap)?;
        let mut spaces = Self {
            list,
            oauth: OAuthApps::default(),
            blocked: Blocked::default(),
        };
        for w in 0..spaces.list.len() {
            for c in spaces.list[w].oauth.clients.clone() {
                let name = spaces.list[w].integrations[c.integration].name.clone();
                let app = spaces.app_entry(&c.client_id, &c.client_secret, &name);
                for r in &c.redirect_uris {
                    if !app.redirect_uris.contains(r) {
                        app.redirect_uris.push(r.clone());
                    }
                }
                app.installs.push((w, c.integration));
            }
        }
        for reg in settings.registered.clone() {
            spaces.install(&reg).map_err(WorkspaceError::Invalid)?;
        }
        spaces.oauth.settings = settings;
        Ok(spaces)
    }

    fn app_entry(&mut self, client_id: &str, secret: &str, name: &str) -> &mut OAuthApp {
        let idx = match self
            .oauth
            .apps
            .iter()
            .position(|a| a.client_id == client_id)
        {
            Some(i) => i,
            None => {
                self.oauth.apps.push(OAuthApp {
                    client_id: client_id.to_owned(),
                    client_secret: secret.to_owned(),
                    redirect_uris: Vec::new(),
                    name: name.to_owned(),
                    installs: Vec::new(),
                });
                self.oauth.apps.len() - 1
            }
        };
        &mut self.oauth.apps[idx]
    }

    /// Installs a registered client in every workspace: a bot of its name (reused when the
    /// workspace has one already), nothing shared.
    pub(crate) fn install(&mut self, reg: &OAuthClientRegistration) -> Result<(), String> {
        if reg.client_id.is_empty() || reg.client_secret.is_empty() {
            return Err("client_id and client_secret must not be empty".to_owned());
        }
        if reg.redirect_uris.is_empty() {
            return Err(format!(
                "oauth client {:?} needs at least one redirect URI",
                reg.client_id
            ));
        }
        if self.oauth.apps.iter().any(|a| a.client_id == reg.client_id) {
            return Err(format!("oauth client {:?} exists already", reg.client_id));
        }
        let name = reg.name.clone().unwrap_or_else(|| reg.client_id.clone());
        let mut installs = Vec::new();
        for (w, state) in self.list.iter_mut().enumerate() {
            let idx = match state.integrations.iter().position(|i| i.name == name) {
                Some(i) => i,
                None => {
                    let id = state.new_id();
                    state.integrations.push(Integration {
                        id,
                        name: name.clone(),
                        capabilities: Capabilities::default(),
                        shared: Default::default(),
                        all_access: false,
                    });
                    state.integrations.len() - 1
                }
            };
            installs.push((w, idx));
        }
        self.oauth.apps.push(OAuthApp {
            client_id: reg.client_id.clone(),
            client_secret: reg.client_secret.clone(),
            redirect_uris: reg.redirect_uris.clone(),
            name,
            installs,
        });
        Ok(())
    }

    /// The first workspace (the one tests address by default).
    pub(crate) fn first(&self) -> &State {
        &self.list[0]
    }

    /// The workspace and integration a bearer token acts as.
    pub(crate) fn by_token(&self, token: &str) -> Option<(usize, usize)> {
        self.list
            .iter()
            .enumerate()
            .find_map(|(w, s)| s.tokens.get(token).map(|i| (w, *i)))
    }

    /// The workspace holding a page, database, data source or block.
    pub(crate) fn holding(&self, id: Uuid) -> Option<usize> {
        self.list.iter().position(|s| {
            s.pages.contains_key(&id)
                || s.databases.contains_key(&id)
                || s.data_sources.contains_key(&id)
                || s.blocks.contains_key(&id)
        })
    }

    /// The workspace holding `id`, or the first one when none does (so "not found" comes from there).
    pub(crate) fn holding_or_first(&mut self, id: Uuid) -> &mut State {
        let w = self.holding(id).unwrap_or(0);
        &mut self.list[w]
    }

    /// A workspace by id.
    pub(crate) fn by_workspace_id(&self, id: Uuid) -> Option<usize> {
        self.list.iter().position(|s| s.workspace_id == id)
    }
}
