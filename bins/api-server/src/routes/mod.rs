//! The route handlers, one module per area.

pub(crate) mod activity;
pub(crate) mod changes;
pub(crate) mod connections;
pub(crate) mod databases;
pub(crate) mod elections;
pub(crate) mod health;
pub(crate) mod health_history;
pub(crate) mod links;
pub(crate) mod notion;
pub(crate) mod runs;
pub(crate) mod schema;
pub(crate) mod webhooks;
