//! Integration tests: a real SQLite file, the real Notion client and the notion-emulator over
//! HTTP, with the emulator's clock and a `ManualClock` under the test's control.

mod common;
mod connections;
mod cycle;
mod link;
mod links;
mod lost_response;
mod managed;
mod mapping;
mod moved;
mod oauth;
mod query_cap;
mod rate_limit;
mod records;
mod saved_503;
mod webhooks;
