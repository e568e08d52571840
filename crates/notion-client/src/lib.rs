#![doc = include_str!("../README.md")]

mod client;
mod endpoints;
mod error;
mod id;
mod objects;
mod pacer;
mod priority;
mod property;
mod query;
mod retry;
mod rich_text;
mod schema;
mod stats;
mod version;

pub use client::{NotionClient, NotionClientBuilder, OAuthCredentials, decode_json};
pub use endpoints::{
    BlockPosition, CommentParent, CreateDatabase, CreatePage, MoveTarget, PageParent,
};
pub use error::{ApiErrorBody, ErrorKind, NotionError, Result, SavedGuidance};
pub use id::{IdParseError, NotionId};
pub use objects::{
    Block, BlockNode, Comment, ListResponse, OAuthToken, Page, Parent, Person, RequestStatus,
    SearchResult, TokenIntrospection, User,
};
pub use pacer::{Pacer, PacerConfigError, RequestBudget};
pub use priority::Priority;
pub use property::{
    DateValue, FileRef, Formula, PageProperty, PropertyValue, RelationRef, Rollup, SelectOption,
    UniqueId, Verification,
};
pub use query::{
    CapRecord, DateCondition, Direction, Filter, OptionCondition, Query, QueryAllReport,
    SearchObject, SearchRequest, Sort, TextCondition, TimestampKind,
};
pub use retry::{
    AttemptFailure, JitterSource, OperationKind, RetryDecision, RetryPolicy, random_jitter,
};
pub use rich_text::{
    Annotations, Link, MAX_RICH_TEXT_ITEMS, MAX_TEXT_CONTENT_CHARS, RichText, RichTextContent,
    TextContent, TextTooLong, plain_text, rich_text_from_str,
};
pub use schema::{DataSource, DataSourceRef, Database, PropertySchema, StatusGroup};
pub use secrecy::SecretString;
pub use stats::{ClientStats, EndpointStatus};
pub use version::{BlockPositionForm, NotionVersion, UnsupportedVersion};
