#![doc = include_str!("../README.md")]

mod app;
mod auth;
pub mod config;
pub mod demo;
mod error;
mod extract;
mod headers;
mod limits;
mod metrics;
mod models;
mod responses;
mod routes;
mod run;
mod state;
mod throttle;
mod time;
mod web;

pub use app::{DOCS_PATH, OPENAPI_PATH, openapi, serve};
pub use auth::is_authorized;
pub use config::{Cli, ConfigError, Settings};
pub use error::{ApiError, ErrorDetail, ErrorResponse, from_notion};
pub use extract::{ApiJson, Instant, MAX_JSON_BODY};
pub use metrics::Metrics;
pub use models::*;
pub use run::{RunningServer, start};
pub use state::{AppState, OAuthApp};
