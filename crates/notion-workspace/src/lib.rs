#![doc = include_str!("../README.md")]

pub mod demo;
mod error;
pub mod fidelity;
pub mod model;
pub mod ops;
mod props;
pub mod query;
pub mod render;
pub mod richtext;
pub mod util;
mod version;
mod workspace;

pub use error::{ApiError, ApiResult};
pub use version::{ACCEPTED_VERSIONS, ApiVersion};
pub use workspace::{
    DEMO_WORKSPACE_JSON, DataSourceSpec, DatabaseSpec, IntegrationSpec, OAuthClientSpec, PageSpec,
    ParentSpec, PersonSpec, RowSpec, Workspace, WorkspaceError,
};
