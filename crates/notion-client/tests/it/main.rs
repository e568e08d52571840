//! Integration tests of notion-client: contract tests against recorded Notion traffic, and
//! HTTP-level tests against wiremock.

mod contract;
mod http;
