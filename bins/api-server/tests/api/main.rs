//! End-to-end tests of the api-server over real HTTP, against the in-process Notion emulator.

mod auth;
mod binary;
mod elections;
mod errors;
mod operations;
mod support;
