//! End-to-end tests of the api-server over real HTTP, against the in-process Notion emulator.

mod activity;
mod auth;
mod binary;
mod connections;
mod databases;
mod demo;
mod elections;
mod errors;
mod hardening;
mod health_history;
mod links;
mod notion;
mod openapi;
mod operations;
mod schema;
mod store;
mod support;
mod timestamps;
mod webhooks;
