//! Notion connections: the client (with its pacer, the connection's budget) and the allowlist
//! that belong to one authorization of one workspace, found by a connection id.
//!
//! The driver asks for a connection by id instead of holding one client, so that several
//! workspaces (each with its own token, budget and allowlist) are reached the same way. Every
//! process has the internal connection ([`ConnectionId::internal`], `NOTION_API_KEY`'s); OAuth
//! connections are opened from the store when first used (see `oauth.rs`).

use std::collections::BTreeMap;
use std::fmt;

use std::sync::Arc;
pub use store::ConnectionId;

use notion_client::NotionClient;

use crate::{Allowlist, NotionOperations};

/// One connection as the driver uses it: the Notion client of that connection, the databases it
/// may search and link, and the [`NotionOperations`] the driver performs through it (the client
/// itself unless replaced, e.g. by a test's mock). Cheap to clone; clones share the client's
/// pacer and caches.
#[derive(Clone)]
pub struct Connection {
    /// The connection's client. Every user of the connection must use this client (or a clone):
    /// its pacer is the connection's request budget.
    pub client: NotionClient,
    /// The databases of this connection that may be searched and linked.
    pub allowlist: Allowlist,
    /// What replaces the client's operations; `None`: the client's own.
    operations: Option<Arc<dyn NotionOperations>>,
}

impl fmt::Debug for Connection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Connection")
            .field("client", &self.client)
            .field("allowlist", &self.allowlist)
            .field("operations_replaced", &self.operations.is_some())
            .finish()
    }
}

impl Connection {
    /// A connection of `client` allowing the databases of `allowlist`.
    pub fn new(client: NotionClient, allowlist: Allowlist) -> Self {
        Self {
            client,
            allowlist,
            operations: None,
        }
    }

    /// The same connection performing its Notion operations through `operations` instead of
    /// the client (the client still owns the pacer and the request counts). For tests that
    /// provoke failures Notion cannot be made to show on demand.
    #[must_use]
    pub fn with_operations(mut self, operations: Arc<dyn NotionOperations>) -> Self {
        self.operations = Some(operations);
        self
    }

    /// The Notion operations of this connection.
    pub fn operations(&self) -> &dyn NotionOperations {
        match &self.operations {
            Some(operations) => operations.as_ref(),
            None => &self.client,
        }
    }
}

/// The connections a driver was built with, by id. Always holds the internal connection (the
/// default), so the operations that do not name one have one to use.
#[derive(Debug, Clone)]
pub struct Connections {
    /// Kept apart from the others so that it can never be missing.
    default: Connection,
    others: BTreeMap<ConnectionId, Connection>,
}

impl Connections {
    /// The connections of a process with `default` as its default connection.
    pub fn new(default: Connection) -> Self {
        Self {
            default,
            others: BTreeMap::new(),
        }
    }

    /// Adds or replaces the connection `id` (the default one too), returning the one it replaced.
    pub fn insert(&mut self, id: ConnectionId, connection: Connection) -> Option<Connection> {
        if id.is_internal() {
            Some(std::mem::replace(&mut self.default, connection))
        } else {
            self.others.insert(id, connection)
        }
    }

    /// The connection `id`, if there is one.
    pub fn get(&self, id: &ConnectionId) -> Option<&Connection> {
        if id.is_internal() {
            Some(&self.default)
        } else {
            self.others.get(id)
        }
    }

    /// The default connection.
    pub fn default_connection(&self) -> &Connection {
        &self.default
    }

    /// Every connection with its id, the default one first.
    pub fn iter(&self) -> impl Iterator<Item = (ConnectionId, &Connection)> {
        std::iter::once((ConnectionId::internal(), &self.default))
            .chain(self.others.iter().map(|(id, c)| (id.clone(), c)))
    }

    /// The same connections with each client replaced by `f(client)` (e.g. a stats scope).
    pub(crate) fn map_clients(&self, f: impl Fn(&NotionClient) -> NotionClient) -> Self {
        let map = |c: &Connection| Connection {
            client: f(&c.client),
            ..c.clone()
        };
        Self {
            default: map(&self.default),
            others: self
                .others
                .iter()
                .map(|(id, c)| (id.clone(), map(c)))
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client() -> NotionClient {
        NotionClient::builder().build().unwrap()
    }

    #[test]
    fn the_default_connection_is_always_there_and_others_are_found_by_id() {
        let default = client();
        let allowlist = Allowlist::parse("3e631832-5efa-4702-8171-8b8a0e6651ba:Elections").unwrap();
        let mut connections = Connections::new(Connection::new(default.clone(), allowlist.clone()));
        let found = connections.get(&ConnectionId::internal()).unwrap();
        assert!(found.client.pacer().same_as(default.pacer()));
        assert_eq!(found.allowlist, allowlist);

        let other = ConnectionId::parse("conn_0196f6a9c1c97d8a9b3e2f4a5b6c7d8e").unwrap();
        assert!(connections.get(&other).is_none());
        let second = client();
        assert!(
            connections
                .insert(
                    other.clone(),
                    Connection::new(second.clone(), Allowlist::default())
                )
                .is_none()
        );
        assert!(
            connections
                .get(&other)
                .unwrap()
                .client
                .pacer()
                .same_as(second.pacer())
        );
        assert!(
            connections
                .default_connection()
                .client
                .pacer()
                .same_as(default.pacer()),
            "each connection keeps its own pacer"
        );

        let scoped = connections.map_clients(NotionClient::with_stats_scope);
        assert_eq!(scoped.iter().count(), 2);
        assert!(
            scoped
                .default_connection()
                .client
                .pacer()
                .same_as(default.pacer())
        );
    }
}
