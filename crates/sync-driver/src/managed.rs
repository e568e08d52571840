//! Managed databases (issue 12): every election gets one page in the database, found by its key
//! or created, and linked; the usual sync then keeps it. Only the IO is here; every decision is
//! `sync_engine::plan_pass` (creates, links, duplicates, the sweep and its brake) and
//! `sync_engine::creation_writes` (what a new page holds).
//!
//! Creation is keyed so that a page is never made twice: a `LeaseKey::ManagedCreate` per
//! database and election is taken first, the key is looked up in Notion while it is held, and
//! the store is checked for a link another runner recorded; a create that fails in a way that
//! may have saved it (a 503 after the write, a lost answer) is looked up by key again.

use std::collections::BTreeMap;
use std::sync::Arc;

use jiff::Timestamp;
use notion_client::{
    CreatePage, ErrorKind, Filter, NotionError, NotionId, Page, PageParent, Query, TextCondition,
};
use serde::Serialize;
use store::{
    DatabaseMode, ElectionRecord, LeaseKey, ManagedDatabase, ManagedPassSummary, PassKindStored,
};
use sync_engine::{
    DatabaseSchema, ElectionId, FieldMapping, ManagedElection, ManagedPlan, NotionLink, PassKind,
    PassOptions, PropertyKind, PropertyRef, SchemaProperty, SeenPage, Sweep, WindowMapping,
    creation_writes, next_delta_cursor, plan_pass,
};

use crate::cycle::QUERY_PAGE_SIZE;
use crate::observe::{database_schema, page_observation};
use crate::{DriverError, SyncDriver};

/// Keys looked up in one query (an `or` of `equals` filters).
const KEYS_PER_QUERY: usize = 100;

/// The date property a managed page's voting window is written to, when the database has it.
pub const VOTING_WINDOW_PROPERTY_NAME: &str = "Voting Window";

/// How a pass over a managed database runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ManagedPassOptions {
    /// Full (the replace pass, `backfill`) or delta.
    pub full: bool,
    /// Plan and report, write nothing.
    pub preview: bool,
    /// The most pages the sweep may trash.
    pub max_deletes: usize,
    /// Lifts the brake for this pass.
    pub allow_mass_delete: bool,
}

impl Default for ManagedPassOptions {
    fn default() -> Self {
        Self {
            full: false,
            preview: false,
            max_deletes: sync_engine::DEFAULT_MAX_DELETES,
            allow_mass_delete: false,
        }
    }
}

/// What one pass over a managed database planned and did.
#[derive(Debug, Clone, Serialize)]
pub struct ManagedPassReport {
    /// The database.
    pub database_id: String,
    /// Whether it was a preview.
    pub preview: bool,
    /// The plan (the same for a preview and a real pass).
    pub plan: Option<ManagedPlan>,
    /// Pages created, by election.
    pub created: Vec<(ElectionId, String)>,
    /// Pages found by key (and linked), by election.
    pub linked: Vec<(ElectionId, String)>,
    /// Pages trashed.
    pub trashed: Vec<String>,
    /// Elections another process is creating a page for right now (left to it).
    pub busy: Vec<ElectionId>,
    /// What failed, for people.
    pub errors: Vec<String>,
    /// The elections whose step failed (their errors are in `errors`): the delta's cursor stops
    /// before the first of them.
    pub failed: Vec<ElectionId>,
    /// Whether something failed that is no one election's (a read, a trash): the cursor stays.
    pub failed_generally: bool,
}

impl ManagedPassReport {
    fn new(database_id: &str, preview: bool) -> Self {
        Self {
            database_id: database_id.to_owned(),
            preview,
            plan: None,
            created: Vec::new(),
            linked: Vec::new(),
            trashed: Vec::new(),
            busy: Vec::new(),
            errors: Vec::new(),
            failed: Vec::new(),
            failed_generally: false,
        }
    }

    /// Notes a failure that is no one election's.
    fn fail(&mut self, message: String) {
        self.errors.push(message);
        self.failed_generally = true;
    }

    /// Notes a failure of election `id`'s step.
    fn fail_election(&mut self, id: &ElectionId, message: String) {
        self.errors.push(message);
        self.failed.push(id.clone());
    }

    /// Why the brake halted the sweep, if it did.
    pub fn halted(&self) -> Option<String> {
        match self.plan.as_ref()?.sweep {
            Sweep::Halted(reason) => Some(reason.to_string()),
            _ => None,
        }
    }
}

/// The key property and schema a pass works with.
struct Target {
    database_id: NotionId,
    schema: Arc<DatabaseSchema>,
    key: SchemaProperty,
    mapping: FieldMapping,
}

/// The link mapping of a managed page: the default one, the key as the election id property,
/// the voting window where the database has a date property for it, resolved to ids.
fn managed_mapping(schema: &DatabaseSchema, key: &SchemaProperty) -> FieldMapping {
    let mut mapping = FieldMapping {
        election_id: Some(PropertyRef::with_id(&key.id, &key.name)),
        ..FieldMapping::default()
    };
    if schema
        .named(VOTING_WINDOW_PROPERTY_NAME)
        .is_some_and(|p| p.kind == PropertyKind::Date)
    {
        mapping.voting_window = Some(WindowMapping::Range {
            property: PropertyRef::named(VOTING_WINDOW_PROPERTY_NAME),
        });
    }
    mapping.resolved_against(schema)
}

/// The key property of `schema` named `name`: it must be rich text. The error says what to do.
pub(crate) fn key_property(
    schema: &DatabaseSchema,
    name: &str,
) -> Result<SchemaProperty, DriverError> {
    match schema.named(name) {
        Some(p) if p.kind == PropertyKind::RichText => Ok(p.clone()),
        Some(p) => Err(DriverError::InvalidInput {
            field: "key_property",
            message: format!(
                "the property '{name}' is of type {}, not rich text: the key must be a Text \
                 property holding each page's election id",
                p.kind.as_str()
            ),
        }),
        None => Err(DriverError::InvalidInput {
            field: "key_property",
            message: format!(
                "the database has no property '{name}': add a Text property with that name in \
                 Notion (it holds each page's election id), or name another one (it has: {})",
                schema.names().join(", ")
            ),
        }),
    }
}

fn seen(page: &Page, key: &SchemaProperty) -> SeenPage {
    let text = page
        .properties
        .values()
        .find(|p| p.id == key.id)
        .or_else(|| page.properties.get(&key.name))
        .and_then(|p| p.value.as_plain_text())
        .unwrap_or_default();
    SeenPage {
        page_id: page.id.to_string(),
        key: text.trim().to_owned(),
        created_time: page.created_time,
    }
}

/// Whether a failed create may have made the page (so look it up before trying again).
fn may_have_created(error: &NotionError) -> bool {
    error.saved_guidance().is_some()
        || matches!(error.kind(), ErrorKind::Server | ErrorKind::Transport)
}

impl SyncDriver {
    /// The delta of every managed database: the elections changed since its cursor that have no
    /// page there get one (found by key, else created) and a link. A database with no such
    /// election costs no request. Called once per cycle, before the linked elections are
    /// loaded, so new links are synced by the same cycle.
    pub async fn run_managed_deltas(
        &self,
        now: Timestamp,
        preview: bool,
    ) -> Vec<ManagedPassReport> {
        let databases = match self.inner.store.list_managed_databases().await {
            Ok(databases) => databases,
            Err(e) => {
                tracing::warn!(error = %e, "could not list managed databases");
                return Vec::new();
            }
        };
        let mut reports = Vec::new();
        for db in databases {
            let options = ManagedPassOptions {
                preview,
                ..ManagedPassOptions::default()
            };
            let report = self.managed_pass(&db, None, now, options).await;
            if !report.errors.is_empty() {
                tracing::warn!(database = %db.database_id, errors = ?report.errors, "managed delta");
            }
            reports.push(report);
        }
        reports
    }

    /// Gives one election its page in every managed database at once (the api-server calls
    /// it when an election is created), without moving any cursor.
    pub async fn manage_election(&self, id: &ElectionId, now: Timestamp) -> Vec<ManagedPassReport> {
        let Ok(databases) = self.inner.store.list_managed_databases().await else {
            return Vec::new();
        };
        let mut reports = Vec::new();
        for db in databases {
            reports.push(
                self.managed_pass(&db, Some(id), now, ManagedPassOptions::default())
                    .await,
            );
        }
        reports
    }

    /// The replace pass of one managed database (`sync-runner backfill --database`): reads every
    /// page (ceil(N/100) queries), gives every election its page, and only after the final page
    /// came back without an error sweeps the pages whose key names no election, as the
    /// database's `on_election_deleted` says and unless the brake halts it. Errors:
    /// `InvalidInput` (field `database`) for a malformed id or a database that is not managed.
    pub async fn backfill_managed(
        &self,
        database_id: &str,
        now: Timestamp,
        options: ManagedPassOptions,
    ) -> Result<ManagedPassReport, DriverError> {
        let id = NotionId::parse(database_id).map_err(|e| DriverError::InvalidInput {
            field: "database",
            message: e.to_string(),
        })?;
        let db = self
            .inner
            .store
            .get_managed_database(&id.to_string())
            .await?
            .filter(|db| db.settings.mode == DatabaseMode::Managed)
            .ok_or_else(|| DriverError::InvalidInput {
                field: "database",
                message: format!(
                    "the database {id} is not managed: switch it with PATCH \
                     /admin/notion/databases/{id} {{\"mode\": \"managed\"}} first"
                ),
            })?;
        let options = ManagedPassOptions {
            full: true,
            ..options
        };
        Ok(self.managed_pass(&db, None, now, options).await)
    }

    /// Reads a database's schema and finds its key property (for switching it to managed).
    pub async fn check_managed_schema(
        &self,
        database_id: &NotionId,
        key_property_name: &str,
        now: Timestamp,
    ) -> Result<(), DriverError> {
        let driver = self.for_database(database_id, now).await?;
        driver.check_allowlisted(database_id)?;
        let schema = database_schema(&driver.database_schema(*database_id).await?);
        key_property(&schema, key_property_name).map(|_| ())
    }

    async fn managed_target(&self, db: &ManagedDatabase) -> Result<Target, DriverError> {
        let database_id =
            NotionId::parse(&db.database_id).map_err(|e| DriverError::InvalidInput {
                field: "database_id",
                message: e.to_string(),
            })?;
        self.check_allowlisted(&database_id)?;
        let schema = database_schema(&self.database_schema(database_id).await?);
        let key = key_property(&schema, &db.settings.key_property)?;
        let mapping = managed_mapping(&schema, &key);
        Ok(Target {
            database_id,
            schema: Arc::new(schema),
            key,
            mapping,
        })
    }

    /// One pass: `only` one election (no cursor), else the delta or (`options.full`) the
    /// replace pass. Errors are in the report: a managed database never stops a cycle.
    async fn managed_pass(
        &self,
        db: &ManagedDatabase,
        only: Option<&ElectionId>,
        now: Timestamp,
        options: ManagedPassOptions,
    ) -> ManagedPassReport {
        let mut report = ManagedPassReport::new(&db.database_id, options.preview);
        let records = match self.pass_elections(db, only, options.full).await {
            Ok(records) => records,
            Err(e) => {
                report.fail(e.to_string());
                return report;
            }
        };
        let pass_options = PassOptions {
            include_existing: db.settings.include_existing,
            managed_since: db.managed_since.unwrap_or(now),
            on_election_deleted: db.settings.on_election_deleted,
            max_deletes: options.max_deletes,
            allow_mass_delete: options.allow_mass_delete,
        };
        let linked_page = |r: &ElectionRecord| {
            r.links
                .iter()
                .find(|l| l.link.notion_database_id == db.database_id)
                .map(|l| l.link.notion_page_id.clone())
        };
        let pages_linked: Vec<Option<String>> = records.iter().map(linked_page).collect();
        let managed: Vec<ManagedElection<'_>> = records
            .iter()
            .zip(&pages_linked)
            .map(|(r, page)| ManagedElection {
                election: &r.election,
                linked_page: page.as_deref(),
            })
            .collect();
        // A delta with nothing to create or link costs no request at all.
        if !options.full {
            let wanted = plan_pass(&managed, &[], &pass_options, PassKind::Delta);
            if wanted.creates.is_empty() {
                self.finish_delta(db, only, &records, &report, options.preview)
                    .await;
                return report;
            }
        }
        let connection = match NotionId::parse(&db.database_id) {
            Ok(id) => self.for_database(&id, now).await,
            Err(e) => Err(DriverError::InvalidInput {
                field: "database_id",
                message: e.to_string(),
            }),
        };
        let driver = match connection {
            Ok(driver) => driver,
            Err(e) => {
                report.fail(e.to_string());
                return report;
            }
        };
        driver
            .managed_pass_on(
                db,
                &managed,
                &records,
                pass_options,
                now,
                options,
                &mut report,
            )
            .await;
        report
    }

    /// The elections a pass looks at.
    async fn pass_elections(
        &self,
        db: &ManagedDatabase,
        only: Option<&ElectionId>,
        full: bool,
    ) -> Result<Vec<ElectionRecord>, DriverError> {
        let store = &self.inner.store;
        Ok(match only {
            Some(id) => vec![store.get_election(id).await?],
            None if full => store.elections_updated_since(None).await?,
            None => store.elections_updated_since(db.delta_cursor).await?,
        })
    }

    #[allow(clippy::too_many_arguments)]
    async fn managed_pass_on(
        &self,
        db: &ManagedDatabase,
        managed: &[ManagedElection<'_>],
        records: &[ElectionRecord],
        pass_options: PassOptions,
        now: Timestamp,
        options: ManagedPassOptions,
        report: &mut ManagedPassReport,
    ) {
        let target = match self.managed_target(db).await {
            Ok(target) => target,
            Err(e) => {
                report.fail(e.to_string());
                return;
            }
        };
        let holder = self.inner.config.holder.clone();
        let mut held: Vec<LeaseKey> = Vec::new();
        let mut retake: Vec<String> = Vec::new();
        // The candidates' creation leases first: the key is looked up while they are held.
        let candidates = plan_pass(managed, &[], &pass_options, PassKind::Delta).creates;
        let mut busy = Vec::new();
        if !options.preview {
            for id in &candidates {
                let key = LeaseKey::ManagedCreate {
                    database_id: db.database_id.clone(),
                    election_id: id.clone(),
                };
                match self
                    .inner
                    .store
                    .claim_lease(&key, &holder, self.inner.config.lease_ttl, now)
                    .await
                {
                    Ok(Some(claim)) => {
                        if claim.taken_from.is_some() {
                            retake.push(id.as_str().to_owned());
                        }
                        held.push(key);
                    }
                    Ok(None) => busy.push(id.clone()),
                    Err(e) => report.fail_election(id, format!("lease for {id}: {e}")),
                }
            }
        }
        let (mut pages, complete) = if options.full {
            self.read_all_pages(&target, report).await
        } else {
            let keys: Vec<String> = candidates
                .iter()
                .filter(|id| !busy.contains(id))
                .map(|id| id.as_str().to_owned())
                .collect();
            match self.find_by_keys(&target, &keys).await {
                Ok(pages) => (pages, true),
                Err(e) => {
                    report.fail(format!("looking up keys: {e}"));
                    self.release_all(&held, &holder).await;
                    return;
                }
            }
        };
        if options.full && !retake.is_empty() {
            // A dead runner's lease: its page may have been created after the full read.
            match self.find_by_keys(&target, &retake).await {
                Ok(found) => pages.extend(found),
                Err(e) => report.fail(format!("looking up keys: {e}")),
            }
        }
        let seen_pages: Vec<SeenPage> = pages.values().map(|p| seen(p, &target.key)).collect();
        let kind = if options.full {
            PassKind::Full { complete }
        } else {
            PassKind::Delta
        };
        let mut plan = plan_pass(managed, &seen_pages, &pass_options, kind);
        plan.creates.retain(|id| !busy.contains(id));
        report.busy = busy;
        if !options.preview {
            let by_id: BTreeMap<&str, &ElectionRecord> = records
                .iter()
                .map(|r| (r.election.id.as_str(), r))
                .collect();
            for (id, page_id) in &plan.links {
                let page = pages.get(page_id.as_str());
                if let (Some(record), Some(page)) = (by_id.get(id.as_str()), page) {
                    match self.record_managed_link(record, &target, page, now).await {
                        Ok(()) => report.linked.push((id.clone(), page_id.clone())),
                        Err(e) => report.fail_election(id, format!("linking {id}: {e}")),
                    }
                }
            }
            for id in &plan.creates {
                if let Some(record) = by_id.get(id.as_str()) {
                    self.create_managed_page(db, record, &target, now, report)
                        .await;
                }
            }
            self.release_all(&held, &holder).await;
            if plan.sweep == Sweep::Swept {
                for trash in &plan.trashes {
                    match NotionId::parse(&trash.page_id) {
                        Ok(page) => match self.notion_ops().trash_page(page).await {
                            Ok(_) => report.trashed.push(trash.page_id.clone()),
                            Err(e) => report.fail(format!("trashing {}: {e}", trash.page_id)),
                        },
                        Err(e) => report.fail(e.to_string()),
                    }
                }
            }
        }
        report.plan = Some(plan);
        if !options.preview {
            self.finish_pass(db, records, report, now, options.full, complete)
                .await;
        }
    }

    /// Every page of the database, by id, with whether the final page came back cleanly.
    async fn read_all_pages(
        &self,
        target: &Target,
        report: &mut ManagedPassReport,
    ) -> (BTreeMap<String, Page>, bool) {
        let mut pages = BTreeMap::new();
        let mut query = Query::new().page_size(QUERY_PAGE_SIZE).filter_properties(
            target
                .mapping
                .properties()
                .iter()
                .filter_map(|(_, r)| r.id.clone()),
        );
        loop {
            match self
                .notion_ops()
                .query_database(target.database_id, &query)
                .await
            {
                Ok(list) => {
                    for page in list.results {
                        pages.insert(page.id.to_string(), page);
                    }
                    if list
                        .request_status
                        .as_ref()
                        .is_some_and(|s| s.status_type == "incomplete")
                    {
                        report.fail(
                            "the query stopped at Notion's result cap: nothing was swept".into(),
                        );
                        return (pages, false);
                    }
                    match list.next_cursor.filter(|_| list.has_more) {
                        Some(cursor) => query.start_cursor = Some(cursor),
                        None => return (pages, true),
                    }
                }
                Err(e) => {
                    report.fail(format!(
                        "reading the database stopped ({e}): nothing was swept"
                    ));
                    return (pages, false);
                }
            }
        }
    }

    /// The pages whose key is one of `keys`, by id: one query per 100 keys.
    async fn find_by_keys(
        &self,
        target: &Target,
        keys: &[String],
    ) -> Result<BTreeMap<String, Page>, NotionError> {
        let mut pages = BTreeMap::new();
        for chunk in keys.chunks(KEYS_PER_QUERY) {
            let filters = chunk
                .iter()
                .map(|k| Filter::rich_text(&target.key.id, TextCondition::Equals(k.clone())))
                .collect();
            let mut query = Query::new()
                .page_size(QUERY_PAGE_SIZE)
                .filter(Filter::or(filters))
                .filter_properties(
                    target
                        .mapping
                        .properties()
                        .iter()
                        .filter_map(|(_, r)| r.id.clone()),
                );
            loop {
                let list = self
                    .notion_ops()
                    .query_database(target.database_id, &query)
                    .await?;
                for page in list.results {
                    pages.insert(page.id.to_string(), page);
                }
                match list.next_cursor.filter(|_| list.has_more) {
                    Some(cursor) => query.start_cursor = Some(cursor),
                    None => break,
                }
            }
        }
        Ok(pages)
    }

    /// Creates the page of one election (after checking no other runner linked one meanwhile)
    /// and links it; a failure that may have created it looks the key up again.
    async fn create_managed_page(
        &self,
        db: &ManagedDatabase,
        record: &ElectionRecord,
        target: &Target,
        now: Timestamp,
        report: &mut ManagedPassReport,
    ) {
        let id = &record.election.id;
        match self.inner.store.get_election(id).await {
            Ok(current)
                if current
                    .links
                    .iter()
                    .any(|l| l.link.notion_database_id == db.database_id) =>
            {
                return;
            }
            Ok(_) => {}
            Err(e) => {
                report.fail_election(id, format!("{id}: {e}"));
                return;
            }
        }
        let link = NotionLink {
            mapping: target.mapping.clone(),
            ..NotionLink::new(target.database_id.to_string(), "")
        };
        let writes = creation_writes(
            now,
            &record.election,
            &link,
            &target.schema,
            &target.key,
            &self.inner.config.base_url,
            &db.settings.created,
        );
        let data_source = match self
            .notion_ops()
            .resolve_data_source(target.database_id)
            .await
        {
            Ok(ds) => ds,
            Err(e) => {
                report.fail_election(id, format!("creating the page of {id}: {e}"));
                return;
            }
        };
        let mut request = CreatePage::new(PageParent::DataSource(data_source));
        for write in &writes {
            match crate::cycle::property_value(&write.to) {
                Ok(value) => request = request.property(write.property.clone(), value),
                Err(e) => {
                    report.fail_election(id, format!("creating the page of {id}: {e}"));
                    return;
                }
            }
        }
        let page = match self.notion_ops().create_page(&request).await {
            Ok(page) => page,
            Err(e) if may_have_created(&e) => {
                match self.find_by_keys(target, &[id.as_str().to_owned()]).await {
                    Ok(found) if !found.is_empty() => {
                        let oldest = found
                            .into_values()
                            .min_by_key(|p| (p.created_time, p.id.to_string()));
                        match oldest {
                            Some(page) => page,
                            None => return,
                        }
                    }
                    _ => {
                        report.fail_election(id, format!("creating the page of {id}: {e}"));
                        return;
                    }
                }
            }
            Err(e) => {
                report.fail_election(id, format!("creating the page of {id}: {e}"));
                return;
            }
        };
        match self.record_managed_link(record, target, &page, now).await {
            Ok(()) => report.created.push((id.clone(), page.id.to_string())),
            Err(e) => report.fail_election(id, format!("linking {id}: {e}")),
        }
    }

    /// Links `record` to `page` (primary when it has no other link) with what the page shows as
    /// its first observation.
    async fn record_managed_link(
        &self,
        record: &ElectionRecord,
        target: &Target,
        page: &Page,
        now: Timestamp,
    ) -> Result<(), DriverError> {
        let link = NotionLink {
            notion_database_id: target.database_id.to_string(),
            notion_page_id: page.id.to_string(),
            notion_page_url: Some(page.url.clone()).filter(|u| !u.is_empty()),
            mapping: target.mapping.clone(),
        };
        let store = &self.inner.store;
        let primary = record.links.is_empty();
        let added = store
            .add_link(&record.election.id, &link, primary, now)
            .await?;
        let schema = target.schema.restricted_to(&link.mapping);
        store
            .save_observation(&added.id, &page_observation(page, schema, now))
            .await?;
        tracing::info!(election = %record.election.id, page = %page.id, "managed page linked");
        Ok(())
    }

    async fn release_all(&self, held: &[LeaseKey], holder: &str) {
        for key in held {
            let _ = self.inner.store.release_lease(key, holder).await;
        }
    }

    /// A delta with nothing to do still moves the cursor (a real one).
    async fn finish_delta(
        &self,
        db: &ManagedDatabase,
        only: Option<&ElectionId>,
        records: &[ElectionRecord],
        report: &ManagedPassReport,
        preview: bool,
    ) {
        if preview || only.is_some() {
            return;
        }
        self.move_cursor(db, records, report).await;
    }

    async fn move_cursor(
        &self,
        db: &ManagedDatabase,
        records: &[ElectionRecord],
        report: &ManagedPassReport,
    ) {
        let failed = |id: &ElectionId| report.busy.contains(id) || report.failed.contains(id);
        let looked_at: Vec<(Timestamp, bool)> = records
            .iter()
            .map(|r| (r.election.updated_at, !failed(&r.election.id)))
            .collect();
        if report.failed_generally {
            return;
        }
        if let Some(cursor) = next_delta_cursor(&looked_at)
            && Some(cursor) != db.delta_cursor
            && let Err(e) = self
                .inner
                .store
                .set_managed_cursor(&db.database_id, cursor)
                .await
        {
            tracing::warn!(database = %db.database_id, error = %e, "could not move the managed cursor");
        }
    }

    /// Records the pass's summary and moves the cursor.
    async fn finish_pass(
        &self,
        db: &ManagedDatabase,
        records: &[ElectionRecord],
        report: &ManagedPassReport,
        now: Timestamp,
        full: bool,
        complete: bool,
    ) {
        self.move_cursor(db, records, report).await;
        let Some(plan) = &report.plan else { return };
        let summary = ManagedPassSummary {
            kind: if full {
                PassKindStored::Full
            } else {
                PassKindStored::Delta
            },
            at: now,
            complete: complete && report.errors.is_empty(),
            managed_pages: plan.managed_pages as u64,
            orphans: plan.orphans.len() as u64,
            duplicates: plan.duplicates.iter().map(|d| d.others.len() as u64).sum(),
            created: report.created.len() as u64,
            linked: report.linked.len() as u64,
            trashed: report.trashed.len() as u64,
            halted: report.halted(),
        };
        if let Err(e) = self
            .inner
            .store
            .record_managed_pass(&db.database_id, &summary)
            .await
        {
            tracing::warn!(database = %db.database_id, error = %e, "could not record the managed pass");
        }
    }
}
