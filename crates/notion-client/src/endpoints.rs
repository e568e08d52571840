//! The endpoints: one method per Notion operation, plus streams over paginated lists.

use std::collections::{BTreeMap, HashSet};
use std::future::Future;

use futures::future::BoxFuture;
use futures::stream::{self, BoxStream, StreamExt, TryStreamExt};
use jiff::Timestamp;
use reqwest::Method;
use secrecy::{ExposeSecret, SecretString};
use serde_json::{Value, json};

use crate::client::{Call, NotionClient, OAuthCredentials, percent_decode};
use crate::error::{ErrorKind, NotionError, Result};
use crate::id::NotionId;
use crate::objects::{
    Block, BlockNode, Comment, ListResponse, OAuthToken, Page, RequestStatus, SearchResult,
    TokenIntrospection, User,
};
use crate::property::{PropertyValue, Rollup};
use crate::query::{
    DateCondition, Direction, Filter, Query, QueryAllReport, SearchRequest, Sort, TimestampKind,
};
use crate::retry::OperationKind::{IdempotentWrite, NonIdempotentWrite, Read};
use crate::rich_text::RichText;
use crate::schema::{DataSource, Database};
use crate::version::{BlockPositionForm, NotionVersion};

/// Where a new page goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum PageParent {
    /// A row of a data source (2025-09-03).
    DataSource(NotionId),
    /// A row of a database (2022-06-28, or a single-source database on 2025-09-03).
    Database(NotionId),
    /// A sub-page of a page.
    Page(NotionId),
}

impl PageParent {
    fn to_json(self) -> Value {
        match self {
            Self::DataSource(id) => json!({"type": "data_source_id", "data_source_id": id}),
            Self::Database(id) => json!({"type": "database_id", "database_id": id}),
            Self::Page(id) => json!({"type": "page_id", "page_id": id}),
        }
    }
}

/// A create-page request.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct CreatePage {
    /// Where the page goes.
    pub parent: PageParent,
    /// Property values by name or id.
    pub properties: BTreeMap<String, PropertyValue>,
    /// Content blocks, as Notion block JSON (≤ 100).
    pub children: Vec<Value>,
}

impl CreatePage {
    /// A page with no properties yet.
    pub fn new(parent: PageParent) -> Self {
        Self {
            parent,
            properties: BTreeMap::new(),
            children: Vec::new(),
        }
    }

    /// Sets a property value.
    pub fn property(mut self, name: impl Into<String>, value: PropertyValue) -> Self {
        self.properties.insert(name.into(), value);
        self
    }

    /// Adds content blocks.
    pub fn children(mut self, blocks: Vec<Value>) -> Self {
        self.children = blocks;
        self
    }
}

/// A create-database request. `properties` are schema configurations by name, e.g.
/// `{"Name": {"title": {}}, "Voting Status": {"status": {}}, "Results Link": {"url": {}}}`.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct CreateDatabase {
    /// The page the database goes in.
    pub parent_page: NotionId,
    /// Title.
    pub title: Vec<RichText>,
    /// Schema configurations by property name.
    pub properties: serde_json::Map<String, Value>,
}

impl CreateDatabase {
    /// A database in this page with this title and schema.
    pub fn new(
        parent_page: NotionId,
        title: Vec<RichText>,
        properties: serde_json::Map<String, Value>,
    ) -> Self {
        Self {
            parent_page,
            title,
            properties,
        }
    }
}

/// Where [`NotionClient::move_page`] moves a page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum MoveTarget {
    /// Under this page.
    Page(NotionId),
    /// Into this data source, as a row (2025-09-03 and later).
    DataSource(NotionId),
}

/// Where [`NotionClient::append_block_children_at`] puts the new blocks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum BlockPosition {
    /// After the last child (Notion's default).
    End,
    /// Before the first child (2026-03-11 and later).
    Start,
    /// Right after this child block.
    AfterBlock(NotionId),
}

impl BlockPosition {
    /// The body fields for a version's form: `after` until 2025-09-03, `position` after.
    fn body_fields(self, version: NotionVersion) -> Result<serde_json::Map<String, Value>> {
        let mut fields = serde_json::Map::new();
        match (version.block_position_form(), self) {
            (_, Self::End) => {}
            (BlockPositionForm::After, Self::AfterBlock(id)) => {
                fields.insert("after".into(), json!(id));
            }
            (BlockPositionForm::After, Self::Start) => {
                return Err(NotionError::invalid_request(format!(
                    "appending at the start of a block needs Notion-Version 2026-03-11 or later (this client sends {version}); append after a block instead"
                )));
            }
            (BlockPositionForm::Position, Self::AfterBlock(id)) => {
                fields.insert(
                    "position".into(),
                    json!({"type": "after_block", "after_block": {"id": id}}),
                );
            }
            (BlockPositionForm::Position, Self::Start) => {
                fields.insert("position".into(), json!({"type": "start"}));
            }
        }
        Ok(fields)
    }
}

/// Where a new comment goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum CommentParent {
    /// A new discussion on a page.
    Page(NotionId),
    /// A reply in an existing discussion.
    Discussion(NotionId),
}

fn paginate<T, F, Fut>(fetch: F) -> BoxStream<'static, Result<T>>
where
    T: Send + 'static,
    F: FnMut(Option<String>) -> Fut + Send + 'static,
    Fut: Future<Output = Result<ListResponse<T>>> + Send + 'static,
{
    enum Cursor {
        Start,
        Next(String),
        Done,
    }
    stream::try_unfold((Cursor::Start, fetch), |(cursor, mut fetch)| async move {
        let start = match cursor {
            Cursor::Done => return Ok::<_, NotionError>(None),
            Cursor::Start => None,
            Cursor::Next(c) => Some(c),
        };
        let page = fetch(start).await?;
        let next = match page.continuation() {
            Some(c) => Cursor::Next(c.to_owned()),
            None => Cursor::Done,
        };
        // A capped list ends with `has_more: false`: say so instead of ending as if complete.
        let cut_off = page
            .incomplete_reason()
            .map(|reason| Err(result_cut_off(reason)));
        let items = stream::iter(page.results.into_iter().map(Ok).chain(cut_off));
        Ok(Some((items, (next, fetch))))
    })
    .try_flatten()
    .boxed()
}

/// The error a stream ends with when Notion stopped a list early (`request_status`).
fn result_cut_off(reason: &str) -> NotionError {
    NotionError::invalid_request(format!(
        "Notion stopped this list early ({reason}): a query returns at most 10,000 results; \
         use NotionClient::query_all (which continues in created_time windows) or narrow the filter"
    ))
}

fn query_body(query: &Query) -> Result<Value> {
    serde_json::to_value(query)
        .map_err(|e| NotionError::invalid_request(format!("cannot encode the query: {e}")))
}

impl NotionClient {
    // ----- pages -----

    /// `GET /v1/pages/{page_id}`; `filter_properties` (names or ids, as returned by Notion)
    /// limits the properties returned; empty means all.
    pub async fn retrieve_page(
        &self,
        page_id: NotionId,
        filter_properties: &[&str],
    ) -> Result<Page> {
        let mut call = Call::new(
            Method::GET,
            "/v1/pages/{page_id}",
            format!("/v1/pages/{page_id}"),
            Read,
        );
        for prop in filter_properties {
            call = call.query("filter_properties", percent_decode(prop));
        }
        self.send(call).await
    }

    /// `POST /v1/pages`. Not retried on 5xx or network errors (it could create a duplicate).
    pub async fn create_page(&self, request: &CreatePage) -> Result<Page> {
        let mut parent = request.parent;
        if self.inner.version.is_legacy()
            && let PageParent::DataSource(id) = parent
        {
            parent = PageParent::Database(id);
        }
        let mut body = json!({
            "parent": parent.to_json(),
            "properties": request.properties,
        });
        if !request.children.is_empty() {
            body["children"] = Value::Array(request.children.clone());
        }
        self.send(
            Call::new(
                Method::POST,
                "/v1/pages",
                "/v1/pages".into(),
                NonIdempotentWrite,
            )
            .body(body),
        )
        .await
    }

    /// `PATCH /v1/pages/{page_id}` with `properties` only. Values are absolute, so the request
    /// is retried like a read. Omitted properties stay unchanged; the update is atomic.
    ///
    /// ```no_run
    /// # async fn f(client: notion_client::NotionClient, page: notion_client::NotionId) -> notion_client::Result<()> {
    /// use notion_client::PropertyValue;
    /// client
    ///     .update_page_properties(page, [
    ///         ("Voting Status", PropertyValue::status_name("In Voting")),
    ///         ("Results Link", PropertyValue::url(Some("https://vote.example/e/1/results"))),
    ///     ])
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub async fn update_page_properties<I, K>(
        &self,
        page_id: NotionId,
        properties: I,
    ) -> Result<Page>
    where
        I: IntoIterator<Item = (K, PropertyValue)>,
        K: Into<String>,
    {
        let props: BTreeMap<String, PropertyValue> =
            properties.into_iter().map(|(k, v)| (k.into(), v)).collect();
        self.patch_page(page_id, json!({ "properties": props }))
            .await
    }

    /// Moves a page to the trash (`in_trash: true`; `archived` on 2022-06-28).
    pub async fn trash_page(&self, page_id: NotionId) -> Result<Page> {
        let key = self.trash_key();
        self.patch_page(page_id, json!({ key: true })).await
    }

    /// Restores a page from the trash.
    pub async fn restore_page(&self, page_id: NotionId) -> Result<Page> {
        let key = self.trash_key();
        self.patch_page(page_id, json!({ key: false })).await
    }

    fn trash_key(&self) -> &'static str {
        self.inner.version.trash_field_name()
    }

    /// `POST /v1/pages/{page_id}/move`: gives a page a new parent (a page, or a data source
    /// where it becomes a row). Moving to a data source needs a version with data sources.
    /// Repeating it is harmless, so it is retried like a read.
    pub async fn move_page(&self, page_id: NotionId, to: MoveTarget) -> Result<Page> {
        let parent = match to {
            MoveTarget::Page(id) => json!({"type": "page_id", "page_id": id}),
            MoveTarget::DataSource(id) => {
                if self.inner.version.is_legacy() {
                    return Err(NotionError::invalid_request(format!(
                        "moving a page into data source {id} needs Notion-Version 2025-09-03 or later (this client sends {})",
                        self.inner.version
                    )));
                }
                json!({"type": "data_source_id", "data_source_id": id})
            }
        };
        self.send(
            Call::new(
                Method::POST,
                "/v1/pages/{page_id}/move",
                format!("/v1/pages/{page_id}/move"),
                IdempotentWrite,
            )
            .body(json!({ "parent": parent })),
        )
        .await
    }

    async fn patch_page(&self, page_id: NotionId, body: Value) -> Result<Page> {
        self.send(
            Call::new(
                Method::PATCH,
                "/v1/pages/{page_id}",
                format!("/v1/pages/{page_id}"),
                IdempotentWrite,
            )
            .body(body),
        )
        .await
    }

    /// `GET /v1/pages/{page_id}/properties/{property_id}`, following every cursor, so relation,
    /// people, title and rich-text values longer than the 25 items of a page response come back
    /// whole. `property_id` is the id as Notion returns it (URL-encoded; passed as-is).
    pub async fn retrieve_page_property_item(
        &self,
        page_id: NotionId,
        property_id: &str,
    ) -> Result<PropertyValue> {
        let path = format!("/v1/pages/{page_id}/properties/{property_id}");
        let mut cursor: Option<String> = None;
        let mut items: Vec<Value> = Vec::new();
        let mut item_type: Option<String> = None;
        loop {
            let mut call = Call::new(
                Method::GET,
                "/v1/pages/{page_id}/properties/{property_id}",
                path.clone(),
                Read,
            );
            if let Some(c) = &cursor {
                call = call.query("start_cursor", c.clone());
            }
            let value: Value = self.send(call).await?;
            if value.get("object").and_then(Value::as_str) != Some("list") {
                return crate::client::decode_json(value.to_string().as_bytes());
            }
            let page: ListResponse<Value> = crate::objects::decode_value(value)
                .map_err(|e: serde_json::Error| NotionError::decode("", e))?;
            if item_type.is_none() {
                item_type = page
                    .property_item
                    .as_ref()
                    .and_then(|p| p.get("type"))
                    .and_then(Value::as_str)
                    .map(str::to_owned);
            }
            let next = page.continuation().map(str::to_owned);
            items.extend(page.results);
            match next {
                Some(c) => cursor = Some(c),
                None => break,
            }
        }
        let ty = item_type
            .or_else(|| {
                items
                    .first()
                    .and_then(|i| i.get("type"))
                    .and_then(Value::as_str)
                    .map(str::to_owned)
            })
            .unwrap_or_else(|| "rich_text".to_owned());
        let decode_err = |e: serde_json::Error| NotionError::decode("results", e);
        if ty == "rollup" {
            let values = items
                .into_iter()
                .map(serde_json::from_value::<PropertyValue>)
                .collect::<std::result::Result<Vec<_>, _>>()
                .map_err(decode_err)?;
            return Ok(PropertyValue::Rollup(Rollup::Array(values)));
        }
        let values: Vec<Value> = items
            .into_iter()
            .filter_map(|mut item| item.get_mut(&ty).map(Value::take))
            .collect();
        let json = json!({ "type": ty, ty.clone(): values });
        serde_json::from_value(json).map_err(decode_err)
    }

    // ----- databases and data sources -----

    /// `GET /v1/databases/{database_id}`: on 2025-09-03 the container with its data sources; on
    /// 2022-06-28 also the schema.
    pub async fn retrieve_database(&self, database_id: NotionId) -> Result<Database> {
        self.send(Call::new(
            Method::GET,
            "/v1/databases/{database_id}",
            format!("/v1/databases/{database_id}"),
            Read,
        ))
        .await
    }

    /// `POST /v1/databases`: on 2025-09-03 the schema goes to `initial_data_source`; on
    /// 2022-06-28 to `properties`. Not retried on 5xx or network errors.
    pub async fn create_database(&self, request: &CreateDatabase) -> Result<Database> {
        let mut body = json!({
            "parent": {"type": "page_id", "page_id": request.parent_page},
            "title": request.title,
        });
        if self.inner.version.is_legacy() {
            body["properties"] = Value::Object(request.properties.clone());
        } else {
            body["initial_data_source"] = json!({ "properties": request.properties });
        }
        self.send(
            Call::new(
                Method::POST,
                "/v1/databases",
                "/v1/databases".into(),
                NonIdempotentWrite,
            )
            .body(body),
        )
        .await
    }

    /// The data source to use for a database id: on 2025-09-03 its only data source (resolved
    /// once and cached for every clone); on 2022-06-28 the database id itself.
    ///
    /// A database with several data sources is refused (`InvalidRequest`), naming them, because
    /// picking one silently could read or write the wrong table.
    pub async fn resolve_data_source(&self, database_id: NotionId) -> Result<NotionId> {
        if self.inner.version.is_legacy() {
            return Ok(database_id);
        }
        if let Some(id) = self.cached_data_source(database_id) {
            return Ok(id);
        }
        let db = self.retrieve_database(database_id).await?;
        let id = match db.data_sources.as_slice() {
            [only] => only.id,
            [] => {
                return Err(NotionError::invalid_request(format!(
                    "database {database_id} has no data source"
                )));
            }
            many => {
                let ids: Vec<String> = many
                    .iter()
                    .map(|d| format!("{} ({})", d.id, d.name))
                    .collect();
                return Err(NotionError::invalid_request(format!(
                    "database {database_id} has {} data sources: {}; pass the data source id instead",
                    many.len(),
                    ids.join(", ")
                )));
            }
        };
        self.inner
            .data_source_cache
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(database_id, id);
        Ok(id)
    }

    fn cached_data_source(&self, database_id: NotionId) -> Option<NotionId> {
        self.inner
            .data_source_cache
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&database_id)
            .copied()
    }

    /// Passes `result` through, first dropping the cached resolution `database_id` → `ds` when
    /// Notion answered 404 for a resolved (not legacy) data source: it may have been replaced.
    fn forget_stale_data_source<T>(
        &self,
        database_id: NotionId,
        ds: NotionId,
        result: Result<T>,
    ) -> Result<T> {
        if let Err(e) = &result
            && matches!(e.kind(), ErrorKind::NotFound)
            && ds != database_id
        {
            self.inner
                .data_source_cache
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .remove(&database_id);
        }
        result
    }

    /// `GET /v1/data_sources/{data_source_id}` (2025-09-03). On 2022-06-28 the id is taken as a
    /// database id and its legacy schema is returned in the same shape.
    pub async fn retrieve_data_source(&self, data_source_id: NotionId) -> Result<DataSource> {
        if self.inner.version.is_legacy() {
            return Ok(self
                .retrieve_database(data_source_id)
                .await?
                .into_legacy_data_source());
        }
        self.send(Call::new(
            Method::GET,
            "/v1/data_sources/{data_source_id}",
            format!("/v1/data_sources/{data_source_id}"),
            Read,
        ))
        .await
    }

    /// The schema of a database on either version (resolving its data source on 2025-09-03).
    pub async fn retrieve_database_schema(&self, database_id: NotionId) -> Result<DataSource> {
        let ds = self.resolve_data_source(database_id).await?;
        let result = self.retrieve_data_source(ds).await;
        self.forget_stale_data_source(database_id, ds, result)
    }

    /// Updates a schema: `PATCH /v1/data_sources/{id}` (2025-09-03) or
    /// `PATCH /v1/databases/{id}` (2022-06-28). `properties` maps names to configurations
    /// (`{"Results Link": {"url": {}}}`); `null` removes a property.
    pub async fn update_data_source_schema(
        &self,
        data_source_id: NotionId,
        properties: serde_json::Map<String, Value>,
    ) -> Result<DataSource> {
        let body = json!({ "properties": properties });
        if self.inner.version.is_legacy() {
            let db: Database = self
                .send(
                    Call::new(
                        Method::PATCH,
                        "/v1/databases/{database_id}",
                        format!("/v1/databases/{data_source_id}"),
                        IdempotentWrite,
                    )
                    .body(body),
                )
                .await?;
            return Ok(db.into_legacy_data_source());
        }
        self.send(
            Call::new(
                Method::PATCH,
                "/v1/data_sources/{data_source_id}",
                format!("/v1/data_sources/{data_source_id}"),
                IdempotentWrite,
            )
            .body(body),
        )
        .await
    }

    /// One page of a query: `POST /v1/data_sources/{id}/query` (2025-09-03) or the legacy
    /// `POST /v1/databases/{id}/query` (2022-06-28, where the id is the database id).
    pub async fn query_data_source(
        &self,
        data_source_id: NotionId,
        query: &Query,
    ) -> Result<ListResponse<Page>> {
        let mut call = if self.inner.version.is_legacy() {
            Call::new(
                Method::POST,
                "/v1/databases/{database_id}/query",
                format!("/v1/databases/{data_source_id}/query"),
                Read,
            )
        } else {
            Call::new(
                Method::POST,
                "/v1/data_sources/{data_source_id}/query",
                format!("/v1/data_sources/{data_source_id}/query"),
                Read,
            )
        };
        for prop in &query.filter_properties {
            call = call.query("filter_properties", percent_decode(prop));
        }
        self.send(call.body(query_body(query)?)).await
    }

    /// One page of a query by database id, on either version (resolving the data source on
    /// 2025-09-03; a stale resolution is dropped when Notion answers 404).
    pub async fn query_database(
        &self,
        database_id: NotionId,
        query: &Query,
    ) -> Result<ListResponse<Page>> {
        let ds = self.resolve_data_source(database_id).await?;
        let result = self.query_data_source(ds, query).await;
        self.forget_stale_data_source(database_id, ds, result)
    }

    /// Every page of a query, following cursors (stops on `has_more` without a cursor). At
    /// Notion's 10,000-result cap the stream yields the pages it got, then an `InvalidRequest`
    /// error naming the `incomplete_reason` (never a silent truncation): use
    /// [`NotionClient::query_all`] to go past it.
    pub fn query_data_source_stream(
        &self,
        data_source_id: NotionId,
        query: Query,
    ) -> BoxStream<'static, Result<Page>> {
        self.query_stream(data_source_id, query, false)
    }

    /// Like [`NotionClient::query_data_source_stream`], by database id on either version.
    pub fn query_database_stream(
        &self,
        database_id: NotionId,
        query: Query,
    ) -> BoxStream<'static, Result<Page>> {
        self.query_stream(database_id, query, true)
    }

    /// Pages through a query by data source id, or by database id when `by_database`.
    fn query_stream(
        &self,
        id: NotionId,
        query: Query,
        by_database: bool,
    ) -> BoxStream<'static, Result<Page>> {
        let client = self.clone();
        paginate(move |cursor| {
            let client = client.clone();
            let mut q = query.clone();
            q.start_cursor = cursor;
            async move {
                if by_database {
                    client.query_database(id, &q).await
                } else {
                    client.query_data_source(id, &q).await
                }
            }
        })
    }

    /// Every page matching a query, past Notion's 10,000-results-per-query cap.
    ///
    /// Orders by `created_time` ascending; when Notion reports
    /// `query_result_limit_reached`, it queries again with
    /// `created_time on_or_after <last seen>` ANDed with the caller's filter, skipping the pages
    /// already returned at that boundary. The query must not have sorts of its own
    /// (`InvalidRequest`). Takes a data source id (a database id on 2022-06-28).
    ///
    /// When no window can narrow it (more pages than the cap share one `created_time`), the stream
    /// ends with an `InvalidRequest` error; [`query_all_reporting`](Self::query_all_reporting)
    /// ends it normally instead and says so in its report.
    pub fn query_all(
        &self,
        data_source_id: NotionId,
        query: Query,
    ) -> BoxStream<'static, Result<Page>> {
        self.query_all_inner(data_source_id, query, None)
    }

    /// [`query_all`](Self::query_all), recording into `report` each time the cap was reached and
    /// the query continued, and ending the stream without an error (recorded as
    /// `unnarrowable_at`) when no `created_time` window can narrow the query: the caller then
    /// reads the pages it is missing one by one.
    pub fn query_all_reporting(
        &self,
        data_source_id: NotionId,
        query: Query,
        report: QueryAllReport,
    ) -> BoxStream<'static, Result<Page>> {
        self.query_all_inner(data_source_id, query, Some(report))
    }

    fn query_all_inner(
        &self,
        data_source_id: NotionId,
        query: Query,
        report: Option<QueryAllReport>,
    ) -> BoxStream<'static, Result<Page>> {
        struct State {
            report: Option<QueryAllReport>,
            client: NotionClient,
            id: NotionId,
            query: Query,
            cursor: Option<String>,
            window: Option<Timestamp>,
            last_created: Option<Timestamp>,
            seen_at_last: HashSet<NotionId>,
            done: bool,
        }
        if !query.sorts.is_empty() {
            return stream::once(async {
                Err(NotionError::invalid_request(
                    "query_all orders by created_time to page past the 10,000-result cap; remove the query's sorts",
                ))
            })
            .boxed();
        }
        let state = State {
            report,
            client: self.clone(),
            id: data_source_id,
            query,
            cursor: None,
            window: None,
            last_created: None,
            seen_at_last: HashSet::new(),
            done: false,
        };
        stream::try_unfold(state, |mut st| async move {
            if st.done {
                return Ok(None);
            }
            let mut q = st.query.clone();
            q.sorts = vec![Sort::timestamp(TimestampKind::CreatedTime, Direction::Ascending)];
            q.start_cursor = st.cursor.take();
            if let Some(window) = st.window {
                let boundary = Filter::created_time(DateCondition::on_or_after(window));
                q.filter = Some(match q.filter.take() {
                    Some(f) => Filter::and(vec![f, boundary]),
                    None => boundary,
                });
            }
            let page = st.client.query_data_source(st.id, &q).await?;
            let next_cursor = page.continuation().map(str::to_owned);
            let capped = page.incomplete_reason() == Some(RequestStatus::QUERY_RESULT_LIMIT_REACHED);
            let mut fresh = Vec::with_capacity(page.results.len());
            for p in page.results {
                match st.last_created {
                    Some(last) if p.created_time < last => {
                        // Only possible for pages returned earlier in this window; keep them.
                    }
                    Some(last) if p.created_time == last => {
                        if !st.seen_at_last.insert(p.id) {
                            continue;
                        }
                    }
                    _ => {
                        st.last_created = Some(p.created_time);
                        st.seen_at_last.clear();
                        st.seen_at_last.insert(p.id);
                    }
                }
                fresh.push(Ok(p));
            }
            if let Some(c) = next_cursor {
                st.cursor = Some(c);
            } else if capped {
                let next = st.last_created;
                if next.is_none() || next == st.window {
                    if let Some(report) = &st.report {
                        report.update(|r| r.unnarrowable_at = next.or(st.window));
                        st.done = true;
                        return Ok(Some((stream::iter(fresh), st)));
                    }
                    return Err(NotionError::invalid_request(format!(
                        "more than 10,000 pages share created_time {}; narrow the filter to read them all",
                        next.map(|t| t.to_string()).unwrap_or_default()
                    )));
                }
                st.window = next;
                if let Some(report) = &st.report {
                    report.update(|r| r.continued += 1);
                }
            } else {
                st.done = true;
            }
            Ok(Some((stream::iter(fresh), st)))
        })
        .try_flatten()
        .boxed()
    }

    // ----- search -----

    /// One page of `POST /v1/search` (titles only, over everything shared with the integration).
    pub async fn search(&self, request: &SearchRequest) -> Result<ListResponse<SearchResult>> {
        let mut call = Call::new(Method::POST, "/v1/search", "/v1/search".into(), Read)
            .body(request.to_body(self.inner.version.is_legacy()));
        for prop in &request.filter_properties {
            call = call.query("filter_properties", percent_decode(prop));
        }
        self.send(call).await
    }

    /// Every search result, following cursors.
    pub fn search_stream(
        &self,
        request: SearchRequest,
    ) -> BoxStream<'static, Result<SearchResult>> {
        let client = self.clone();
        paginate(move |cursor| {
            let client = client.clone();
            let mut r = request.clone();
            r.start_cursor = cursor;
            async move { client.search(&r).await }
        })
    }

    // ----- blocks -----

    /// One page of `GET /v1/blocks/{block_id}/children`.
    pub async fn list_block_children(
        &self,
        block_id: NotionId,
        start_cursor: Option<&str>,
        page_size: Option<u32>,
    ) -> Result<ListResponse<Block>> {
        let mut call = Call::new(
            Method::GET,
            "/v1/blocks/{block_id}/children",
            format!("/v1/blocks/{block_id}/children"),
            Read,
        );
        if let Some(c) = start_cursor {
            call = call.query("start_cursor", c);
        }
        if let Some(n) = page_size {
            call = call.query("page_size", n.to_string());
        }
        self.send(call).await
    }

    /// Every child block, following cursors.
    pub fn block_children_stream(&self, block_id: NotionId) -> BoxStream<'static, Result<Block>> {
        let client = self.clone();
        paginate(move |cursor| {
            let client = client.clone();
            async move {
                client
                    .list_block_children(block_id, cursor.as_deref(), None)
                    .await
            }
        })
    }

    /// `PATCH /v1/blocks/{block_id}/children`: appends up to 100 blocks (Notion block JSON).
    /// Not retried on 5xx or network errors (it could append twice).
    pub async fn append_block_children(
        &self,
        block_id: NotionId,
        children: Vec<Value>,
    ) -> Result<ListResponse<Block>> {
        self.append_block_children_at(block_id, children, BlockPosition::End)
            .await
    }

    /// Like [`NotionClient::append_block_children`], at a position: sent as `after` until
    /// 2025-09-03 and as a `position` object from 2026-03-11 (`Start` needs 2026-03-11).
    pub async fn append_block_children_at(
        &self,
        block_id: NotionId,
        children: Vec<Value>,
        position: BlockPosition,
    ) -> Result<ListResponse<Block>> {
        let mut body = position.body_fields(self.inner.version)?;
        body.insert("children".into(), Value::Array(children));
        self.send(
            Call::new(
                Method::PATCH,
                "/v1/blocks/{block_id}/children",
                format!("/v1/blocks/{block_id}/children"),
                NonIdempotentWrite,
            )
            .body(Value::Object(body)),
        )
        .await
    }

    /// Walks nested blocks: the children of `block_id`, with their children, down to
    /// `max_depth` levels (1 = direct children only). Child pages and databases are not entered
    /// (they are separate pages).
    pub async fn retrieve_block_tree(
        &self,
        block_id: NotionId,
        max_depth: usize,
    ) -> Result<Vec<BlockNode>> {
        self.walk_blocks(block_id, max_depth).await
    }

    fn walk_blocks(
        &self,
        block_id: NotionId,
        depth: usize,
    ) -> BoxFuture<'_, Result<Vec<BlockNode>>> {
        Box::pin(async move {
            if depth == 0 {
                return Ok(Vec::new());
            }
            let blocks: Vec<Block> = self.block_children_stream(block_id).try_collect().await?;
            let mut nodes = Vec::with_capacity(blocks.len());
            for block in blocks {
                let descend = block.has_children
                    && !matches!(block.block_type.as_str(), "child_page" | "child_database");
                let children = if descend {
                    self.walk_blocks(block.id, depth - 1).await?
                } else {
                    Vec::new()
                };
                nodes.push(BlockNode { block, children });
            }
            Ok(nodes)
        })
    }

    // ----- comments -----

    /// One page of `GET /v1/comments?block_id=…` (a page id works as block id).
    pub async fn list_comments(
        &self,
        block_id: NotionId,
        start_cursor: Option<&str>,
    ) -> Result<ListResponse<Comment>> {
        let mut call = Call::new(Method::GET, "/v1/comments", "/v1/comments".into(), Read)
            .query("block_id", block_id.to_string());
        if let Some(c) = start_cursor {
            call = call.query("start_cursor", c);
        }
        self.send(call).await
    }

    /// Every comment on a page or block, following cursors.
    pub fn comments_stream(&self, block_id: NotionId) -> BoxStream<'static, Result<Comment>> {
        let client = self.clone();
        paginate(move |cursor| {
            let client = client.clone();
            async move { client.list_comments(block_id, cursor.as_deref()).await }
        })
    }

    /// `POST /v1/comments`. Not retried on 5xx or network errors.
    pub async fn create_comment(
        &self,
        parent: CommentParent,
        rich_text: Vec<RichText>,
    ) -> Result<Comment> {
        let mut body = json!({ "rich_text": rich_text });
        match parent {
            CommentParent::Page(id) => body["parent"] = json!({ "page_id": id }),
            CommentParent::Discussion(id) => body["discussion_id"] = json!(id),
        }
        self.send(
            Call::new(
                Method::POST,
                "/v1/comments",
                "/v1/comments".into(),
                NonIdempotentWrite,
            )
            .body(body),
        )
        .await
    }

    // ----- users -----

    /// One page of `GET /v1/users`.
    pub async fn list_users(&self, start_cursor: Option<&str>) -> Result<ListResponse<User>> {
        let mut call = Call::new(Method::GET, "/v1/users", "/v1/users".into(), Read);
        if let Some(c) = start_cursor {
            call = call.query("start_cursor", c);
        }
        self.send(call).await
    }

    /// Every user of the workspace, following cursors.
    pub fn users_stream(&self) -> BoxStream<'static, Result<User>> {
        let client = self.clone();
        paginate(move |cursor| {
            let client = client.clone();
            async move { client.list_users(cursor.as_deref()).await }
        })
    }

    /// `GET /v1/users/{user_id}`.
    pub async fn retrieve_user(&self, user_id: NotionId) -> Result<User> {
        self.send(Call::new(
            Method::GET,
            "/v1/users/{user_id}",
            format!("/v1/users/{user_id}"),
            Read,
        ))
        .await
    }

    /// `GET /v1/users/me`: the integration's bot user (a cheap token check).
    pub async fn me(&self) -> Result<User> {
        self.send(Call::new(
            Method::GET,
            "/v1/users/me",
            "/v1/users/me".into(),
            Read,
        ))
        .await
    }

    // ----- OAuth -----

    /// Exchanges an authorization code for an access token (`POST /v1/oauth/token`, HTTP Basic
    /// auth with the client id and secret). `redirect_uri` must match the authorize request's.
    /// Not retried on 5xx or network errors (a code is single-use).
    pub async fn exchange_oauth_code(
        &self,
        credentials: &OAuthCredentials,
        code: &str,
        redirect_uri: Option<&str>,
    ) -> Result<OAuthToken> {
        let mut body = json!({ "grant_type": "authorization_code", "code": code });
        if let Some(uri) = redirect_uri {
            body["redirect_uri"] = json!(uri);
        }
        self.oauth_call("/v1/oauth/token", credentials, body, NonIdempotentWrite)
            .await
    }

    /// Refreshes an access token; Notion rotates the refresh token too.
    pub async fn refresh_oauth_token(
        &self,
        credentials: &OAuthCredentials,
        refresh_token: &SecretString,
    ) -> Result<OAuthToken> {
        let body = json!({ "grant_type": "refresh_token", "refresh_token": refresh_token.expose_secret() });
        self.oauth_call("/v1/oauth/token", credentials, body, NonIdempotentWrite)
            .await
    }

    /// Revokes a token (`POST /v1/oauth/revoke`).
    pub async fn revoke_oauth_token(
        &self,
        credentials: &OAuthCredentials,
        token: &SecretString,
    ) -> Result<()> {
        let body = json!({ "token": token.expose_secret() });
        let _: Value = self
            .oauth_call("/v1/oauth/revoke", credentials, body, IdempotentWrite)
            .await?;
        Ok(())
    }

    /// Reports whether a token is active (`POST /v1/oauth/introspect`).
    pub async fn introspect_oauth_token(
        &self,
        credentials: &OAuthCredentials,
        token: &SecretString,
    ) -> Result<TokenIntrospection> {
        let body = json!({ "token": token.expose_secret() });
        self.oauth_call("/v1/oauth/introspect", credentials, body, Read)
            .await
    }

    async fn oauth_call<T: serde::de::DeserializeOwned>(
        &self,
        path: &'static str,
        credentials: &OAuthCredentials,
        body: Value,
        kind: crate::retry::OperationKind,
    ) -> Result<T> {
        self.send(
            Call::new(Method::POST, path, path.to_owned(), kind)
                .basic_auth(credentials)
                .body(body),
        )
        .await
    }
}
