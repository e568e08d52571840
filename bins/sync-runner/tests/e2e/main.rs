//! End-to-end tests of the `sync-runner` binary against the in-process Notion emulator over HTTP,
//! with a temp SQLite file: every behaviour as an operator runs it.

#![allow(missing_docs)]

mod cli;
mod daemon;
mod links;
mod managed;
mod once;
mod support;
