//! Integration tests of notion-client: contract tests against recorded Notion traffic,
//! HTTP-level tests against wiremock, and the real client against the in-process emulator.

mod contract;
mod emulator;
mod http;
mod pacing;
mod versions;
