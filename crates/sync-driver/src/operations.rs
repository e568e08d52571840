//! The Notion operations the driver performs, behind one trait.
//!
//! The driver never calls Notion except through [`NotionOperations`]; [`NotionClient`] is its
//! implementation. Tests replace it (e.g. with a `mockall` mock) to provoke what Notion over
//! HTTP cannot be made to do on demand, such as a write Notion applied whose answer was lost.
//! What belongs to the connection rather than to an operation (the pacer, the request counts,
//! the token) stays on the connection's client.

use async_trait::async_trait;
use futures::stream::BoxStream;
use notion_client::{
    CreatePage, DataSource, ListResponse, NotionClient, NotionError, NotionId, Page, Priority,
    PropertyValue, Query, QueryAllReport,
};

/// The Notion reads and writes of the sync and of the admin API's link operations.
#[async_trait]
pub trait NotionOperations: Send + Sync {
    /// One page with its properties (all of them when `filter_properties` is empty; owned so
    /// that the trait stays easy to mock).
    async fn retrieve_page(
        &self,
        page_id: NotionId,
        filter_properties: Vec<String>,
    ) -> Result<Page, NotionError>;

    /// Sets page properties (absolute values, so sending it twice is harmless) at `priority`
    /// in the connection's queue; answers the page as Notion stored it.
    async fn update_page_properties(
        &self,
        page_id: NotionId,
        properties: Vec<(String, PropertyValue)>,
        priority: Priority,
    ) -> Result<Page, NotionError>;

    /// The schema (properties, status options) of a database's data source.
    async fn retrieve_database_schema(
        &self,
        database_id: NotionId,
    ) -> Result<DataSource, NotionError>;

    /// The data source of a database (the database itself under the legacy API version).
    async fn resolve_data_source(&self, database_id: NotionId) -> Result<NotionId, NotionError>;

    /// One data source by id.
    async fn retrieve_data_source(
        &self,
        data_source_id: NotionId,
    ) -> Result<DataSource, NotionError>;

    /// Creates a page (a managed database's new row). Never retried: it could create a second.
    async fn create_page(&self, request: &CreatePage) -> Result<Page, NotionError>;

    /// Moves a page to the trash (a managed database's sweep).
    async fn trash_page(&self, page_id: NotionId) -> Result<Page, NotionError>;

    /// One page of a database query's results.
    async fn query_database(
        &self,
        database_id: NotionId,
        query: &Query,
    ) -> Result<ListResponse<Page>, NotionError>;

    /// Every result of a data-source query, past Notion's result cap, reporting in `report`
    /// how often it continued past the cap.
    fn query_all_reporting(
        &self,
        data_source_id: NotionId,
        query: Query,
        report: QueryAllReport,
    ) -> BoxStream<'static, Result<Page, NotionError>>;
}

#[async_trait]
impl NotionOperations for NotionClient {
    async fn retrieve_page(
        &self,
        page_id: NotionId,
        filter_properties: Vec<String>,
    ) -> Result<Page, NotionError> {
        let names: Vec<&str> = filter_properties.iter().map(String::as_str).collect();
        Self::retrieve_page(self, page_id, &names).await
    }

    async fn update_page_properties(
        &self,
        page_id: NotionId,
        properties: Vec<(String, PropertyValue)>,
        priority: Priority,
    ) -> Result<Page, NotionError> {
        self.with_priority(priority)
            .update_page_properties(page_id, properties)
            .await
    }

    async fn retrieve_database_schema(
        &self,
        database_id: NotionId,
    ) -> Result<DataSource, NotionError> {
        Self::retrieve_database_schema(self, database_id).await
    }

    async fn resolve_data_source(&self, database_id: NotionId) -> Result<NotionId, NotionError> {
        Self::resolve_data_source(self, database_id).await
    }

    async fn retrieve_data_source(
        &self,
        data_source_id: NotionId,
    ) -> Result<DataSource, NotionError> {
        Self::retrieve_data_source(self, data_source_id).await
    }

    async fn create_page(&self, request: &CreatePage) -> Result<Page, NotionError> {
        Self::create_page(self, request).await
    }

    async fn trash_page(&self, page_id: NotionId) -> Result<Page, NotionError> {
        Self::trash_page(self, page_id).await
    }

    async fn query_database(
        &self,
        database_id: NotionId,
        query: &Query,
    ) -> Result<ListResponse<Page>, NotionError> {
        Self::query_database(self, database_id, query).await
    }

    fn query_all_reporting(
        &self,
        data_source_id: NotionId,
        query: Query,
        report: QueryAllReport,
    ) -> BoxStream<'static, Result<Page, NotionError>> {
        Self::query_all_reporting(self, data_source_id, query, report)
    }
}
