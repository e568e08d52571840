//! The commands that only read or reset the store: `status`, `runs list`, `runs logs`, `state get`,
//! `state reset`. None of them needs Notion credentials.

use std::collections::BTreeMap;

use jiff::Timestamp;
use notion_client::NotionId;
use serde::Serialize;
use store::{
    LeaseKey, LinkedElection, LinkedFilter, ListRequest, LogAction, LogEntry, OpenMode,
    RunActivity, RunFilter, RunWithLogs, SharedStore, SyncRun,
};
use sync_engine::{ElectionUpdate, PageWrite, Phase, PropertyRole, SyncError, SyncPlan};

use crate::cli::{RunsListArgs, RunsLogsArgs, StateGetArgs, StateResetArgs, StatusArgs};
use crate::config::{error_chain, open_store};

/// Opens the store named by `DATABASE_URL` for a read-only command: never creates one. A missing
/// store is a configuration error (exit 78) naming the path looked at and how to fix it.
async fn open_existing_store(args: &bin_support::DatabaseArgs) -> Result<SharedStore> {
    let location = args.store_location()?;
    store::open_store(&location, OpenMode::Existing)
        .await
        .map_err(|e| {
            crate::error::RunnerError::config(
                "DATABASE_URL",
                format!(
                    "{}. Point DATABASE_URL (or --database-url) at the store the api-server and `sync-runner run` use",
                    error_chain(&e)
                ),
            )
        })
}
use crate::error::{Result, RunnerError};
use crate::exit_codes;
use crate::output::{Table, duration, print, print_json, short_link, time, truncate};

/// One link of an election in `status --json` (an election with several links has a row per
/// link, each with its own page, mapping and sync state).
#[derive(Debug, Serialize)]
struct ElectionStatus {
    election_id: String,
    title: String,
    /// The link this row is about (`lnk_…`).
    link_id: String,
    /// The Notion connection the link goes through (`internal`, or an OAuth connection's id).
    connection_id: String,
    /// Whether it is the election's primary link (the one the admin API's singular routes use).
    primary: bool,
    phase: Phase,
    open_at: Timestamp,
    close_at: Timestamp,
    database_id: String,
    page_id: String,
    page_url: Option<String>,
    /// Last status observed on (or written to) the page.
    notion_status: Option<String>,
    /// The status this link's mapping gives the election's phase now: what a sync writes.
    desired_status: String,
    last_sync_at: Option<Timestamp>,
    last_attempt_at: Option<Timestamp>,
    last_error: Option<String>,
    error_class: Option<String>,
    consecutive_failures: u32,
    next_attempt_at: Option<Timestamp>,
    link_broken: bool,
    /// `no`, `yes` (this election) or `global`.
    paused: &'static str,
}

#[derive(Debug, Serialize)]
struct LeaseStatus {
    holder: String,
    acquired_at: Timestamp,
    expires_at: Timestamp,
}

/// One Notion connection, as `status` shows it (never a token).
#[derive(Debug, Serialize)]
struct ConnectionStatus {
    id: String,
    kind: &'static str,
    workspace_name: Option<String>,
    workspace_id: Option<String>,
    /// `active`, `needs_reauthorization` or `revoked`.
    state: &'static str,
    state_reason: Option<String>,
    /// The links made through it.
    links: usize,
}

/// Notion webhooks, as `status` shows them.
#[derive(Debug, Serialize)]
struct WebhookStatus {
    /// Connections with an active verification token.
    active_tokens: usize,
    /// An active token and an event within the healthy window: the daemon then polls every
    /// `--poll-interval-with-webhooks`.
    healthy: bool,
    /// The inbox's counters (last event, by type, backlog, refused signatures, lag).
    #[serde(flatten)]
    health: store::WebhookHealth,
}

#[derive(Debug, Serialize)]
struct Status {
    now: Timestamp,
    paused_globally_since: Option<Timestamp>,
    lease: Option<LeaseStatus>,
    connections: Vec<ConnectionStatus>,
    webhooks: WebhookStatus,
    elections: Vec<ElectionStatus>,
}

fn election_status(e: &LinkedElection, now: Timestamp, global: bool) -> ElectionStatus {
    let paused = if global {
        "global"
    } else if e.paused {
        "yes"
    } else {
        "no"
    };
    ElectionStatus {
        election_id: e.election.id.to_string(),
        title: e.election.title.clone(),
        link_id: e.link_id.to_string(),
        connection_id: e.connection_id.to_string(),
        primary: e.primary,
        phase: e.election.phase(now),
        open_at: e.election.open_at,
        close_at: e.election.close_at,
        database_id: e.link.notion_database_id.clone(),
        page_id: e.link.notion_page_id.clone(),
        page_url: e.link.notion_page_url.clone(),
        notion_status: e
            .state
            .last_observation
            .as_ref()
            .and_then(|o| o.status(&e.link.mapping).map(str::to_owned)),
        desired_status: e.link.status_value_for(e.election.phase(now)).to_owned(),
        last_sync_at: e.state.notion_last_sync_at,
        last_attempt_at: e.state.last_attempt_at,
        last_error: e.state.notion_last_sync_error.clone(),
        error_class: e.state.error_class.map(|c| c.as_str().to_owned()),
        consecutive_failures: e.state.consecutive_failures,
        next_attempt_at: e
            .state
            .next_attempt_at
            .filter(|_| e.state.error_class.is_some()),
        link_broken: e.state.link_broken,
        paused,
    }
}

/// `status`.
pub(crate) async fn status(args: StatusArgs) -> Result<u8> {
    let store = open_existing_store(&args.common.store).await?;
    let now = Timestamp::now();
    let filter = LinkedFilter {
        include_paused: true,
        ..LinkedFilter::default()
    };
    let linked = store.list_linked(&filter).await?;
    let pauses = store.pause_status().await?;
    let lease = store.get_lease(&LeaseKey::Global).await?;
    let global = pauses.global_paused_at.is_some();
    let connections = store
        .list_connections()
        .await?
        .into_iter()
        .map(|c| ConnectionStatus {
            links: linked.iter().filter(|l| l.connection_id == c.id).count(),
            id: c.id.to_string(),
            kind: c.kind.as_str(),
            workspace_name: c.workspace_name,
            workspace_id: c.workspace_id,
            state: c.state.as_str(),
            state_reason: c.state_reason,
        })
        .collect();
    let window = crate::config::signed(
        crate::config::WEBHOOK_HEALTHY_WINDOW,
        &args.webhook_healthy_window,
    )?;
    let active_tokens = store.active_webhook_tokens().await?.len();
    let health = store.webhook_health(now).await?;
    let webhooks = WebhookStatus {
        active_tokens,
        healthy: active_tokens > 0
            && health
                .last_received_at
                .is_some_and(|at| now.duration_since(at) < window),
        health,
    };
    let status = Status {
        now,
        connections,
        webhooks,
        paused_globally_since: pauses.global_paused_at,
        lease: lease.filter(|l| l.expires_at > now).map(|l| LeaseStatus {
            holder: l.holder,
            acquired_at: l.acquired_at,
            expires_at: l.expires_at,
        }),
        elections: linked
            .iter()
            .map(|e| election_status(e, now, global))
            .collect(),
    };
    if args.json {
        print_json(&status)?;
        return Ok(exit_codes::OK);
    }
    let mut text = String::new();
    if status.elections.is_empty() {
        text.push_str("No election is linked to a Notion page yet.\n");
    } else {
        // One row per link: an election linked to two pages has two rows.
        let mut table = Table::new(&[
            "ELECTION",
            "TITLE",
            "LINK",
            "PRIMARY",
            "DATABASE",
            "PAGE",
            "PHASE",
            "NOTION STATUS",
            "DESIRED",
            "LAST SYNC",
            "PAUSED",
            "LAST ERROR",
        ]);
        for e in &status.elections {
            let mut error = e
                .last_error
                .as_deref()
                .map(|m| truncate(m, 100))
                .unwrap_or_else(|| "-".into());
            if let Some(at) = e.next_attempt_at.filter(|at| *at > now) {
                error.push_str(&format!(" (next attempt {})", time(Some(at))));
            }
            if e.link_broken {
                error.push_str(" [link broken]");
            }
            table.row(vec![
                e.election_id.clone(),
                truncate(&e.title, 32),
                short_link(&e.link_id),
                if e.primary { "yes" } else { "no" }.to_owned(),
                e.database_id.clone(),
                e.page_id.clone(),
                e.phase.to_string(),
                e.notion_status.clone().unwrap_or_else(|| "-".into()),
                e.desired_status.clone(),
                time(e.last_sync_at),
                e.paused.to_owned(),
                error,
            ]);
        }
        text.push_str(&table.render());
    }
    // The connections, once there is more than the internal one (OAuth workspaces).
    if status.connections.iter().any(|c| c.kind != "internal") {
        let mut table = Table::new(&["CONNECTION", "WORKSPACE", "STATE", "LINKS", "WHY"]);
        for c in &status.connections {
            table.row(vec![
                c.id.clone(),
                c.workspace_name
                    .clone()
                    .or_else(|| c.workspace_id.clone())
                    .unwrap_or_else(|| "-".into()),
                c.state.to_owned(),
                c.links.to_string(),
                match (c.state, &c.state_reason) {
                    ("active", _) => "-".to_owned(),
                    (_, Some(reason)) => format!(
                        "{}: connect the workspace again from the admin page's Connections page",
                        truncate(reason, 80)
                    ),
                    _ => "connect the workspace again from the admin page's Connections page"
                        .to_owned(),
                },
            ]);
        }
        text.push_str("\nNotion connections:\n");
        text.push_str(&table.render());
    }
    let hooks = &status.webhooks;
    if hooks.active_tokens > 0 || hooks.health.events_total > 0 || hooks.health.rejected_total > 0 {
        let state = if hooks.healthy {
            "healthy (polling is the net)"
        } else {
            "not healthy (polling every interval)"
        };
        text.push_str(&format!(
            "\nNotion webhooks: {state}; {} active token(s); last event {}; {} event(s), {} waiting; {} refused signature(s); last lag {}.\n",
            hooks.active_tokens,
            time(hooks.health.last_received_at),
            hooks.health.events_total,
            hooks.health.unprocessed,
            hooks.health.rejected_total,
            hooks
                .health
                .last_lag
                .map_or_else(|| "-".to_owned(), |d| format!("{:.1}s", d.as_secs_f64())),
        ));
    }
    if let Some(since) = status.paused_globally_since {
        text.push_str(&format!(
            "\nSync is paused for every election since {} (`sync-runner resume` to restart).\n",
            time(Some(since))
        ));
    }
    if let Some(lease) = &status.lease {
        text.push_str(&format!(
            "\nSync lease held by {} until {}.\n",
            lease.holder,
            time(Some(lease.expires_at))
        ));
    }
    print(&text).map_err(anyhow::Error::from)?;
    Ok(exit_codes::OK)
}

fn run_duration(run: &SyncRun) -> String {
    match run.finished_at {
        Some(end) => duration(end.duration_since(run.started_at)),
        None => "unfinished".to_owned(),
    }
}

/// `runs list`.
pub(crate) async fn runs_list(args: RunsListArgs) -> Result<u8> {
    let store = open_existing_store(&args.common.store).await?;
    let limit = args.limit;
    let activity = if args.all {
        RunActivity::All
    } else {
        RunActivity::Changes
    };
    let page = store
        .list_runs_filtered(&RunFilter { activity }, &ListRequest::first(limit))
        .await?;
    let hidden = match activity {
        RunActivity::All => 0,
        RunActivity::Changes => store.count_idle_runs_after(page.items.first()).await?,
    };
    if args.json {
        print_json(&serde_json::json!({
            "activity": activity.as_str(),
            "runs": page.items,
            "idle_cycles_hidden": hidden,
        }))?;
        return Ok(exit_codes::OK);
    }
    // The idle cycles hidden are those newer than the newest run listed (all, if none is).
    let hidden_line = match hidden {
        0 => String::new(),
        1 => "+ 1 idle cycle hidden since the newest run listed; --all shows it\n".to_owned(),
        n => format!("+ {n} idle cycles hidden since the newest run listed; --all shows them\n"),
    };
    if page.items.is_empty() {
        let text = if hidden == 0 {
            "No sync run recorded yet.\n".to_owned()
        } else {
            let s = if hidden == 1 { "" } else { "s" };
            format!(
                "No sync run with changes yet, only {hidden} idle cycle{s}; --all shows them.\n"
            )
        };
        print(&text).map_err(anyhow::Error::from)?;
        return Ok(exit_codes::OK);
    }
    let mut table = Table::new(&[
        "RUN", "TRIGGER", "STARTED", "DURATION", "READ", "WRITTEN", "PULLED", "FAILED", "REQUESTS",
        "ERROR",
    ]);
    for run in &page.items {
        let c = run.counts;
        table.row(vec![
            run.id.to_string(),
            run.trigger.to_string(),
            time(Some(run.started_at)),
            run_duration(run),
            c.read.to_string(),
            c.written.to_string(),
            c.pulled.to_string(),
            c.failed.to_string(),
            c.notion_requests.to_string(),
            run.error
                .as_deref()
                .map(|e| truncate(e, 80))
                .unwrap_or_else(|| "-".into()),
        ]);
    }
    print(&format!("{}{hidden_line}", table.render())).map_err(anyhow::Error::from)?;
    Ok(exit_codes::OK)
}

/// What a log entry did, in one line for people (`--json` keeps the whole detail): its error,
/// else a rendering of its detail by action, else the detail's JSON cut short.
fn log_detail(entry: &LogEntry) -> String {
    if let Some(error) = &entry.entry.error {
        return truncate(error, 120);
    }
    let Some(detail) = &entry.entry.detail else {
        return "-".to_owned();
    };
    let plan = || serde_json::from_value::<SyncPlan>(detail.clone()).ok();
    let rendered = match entry.entry.action {
        LogAction::Read => serde_json::from_value::<ReadSummary>(detail.clone())
            .ok()
            .map(|summary| read_detail(&summary)),
        LogAction::Wrote => plan().map(|plan| match &plan.page_write {
            Some(write) => write_detail(write),
            None => format!("phase {}, nothing written", plan.phase),
        }),
        // A pull after a write logs the update alone; a pull without a write logs the plan.
        // (A plan is tried first: any object reads as an `ElectionUpdate` with nothing in it.)
        LogAction::Pulled => match plan() {
            Some(plan) => plan.election_update.map(|update| pull_detail(&update)),
            None => serde_json::from_value::<ElectionUpdate>(detail.clone())
                .ok()
                .map(|update| pull_detail(&update)),
        },
        LogAction::NoChange | LogAction::Skipped => {
            plan().map(|plan| format!("phase {}, no change", plan.phase))
        }
        LogAction::Failed => serde_json::from_value::<SyncError>(detail.clone())
            .ok()
            .map(|error| error.describe()),
    };
    truncate(
        &rendered.unwrap_or_else(|| detail.to_string()),
        DETAIL_WIDTH,
    )
}

/// The widest DETAIL cell of `runs logs`.
const DETAIL_WIDTH: usize = 160;

/// The widest value shown in a DETAIL change (`"old" → "new"`).
const VALUE_WIDTH: usize = 40;

/// The detail of a database's `read` entry, as the driver records it.
#[derive(Debug, serde::Deserialize)]
struct ReadSummary {
    database_id: String,
    #[serde(default)]
    reconciled: bool,
    #[serde(default)]
    queried: bool,
    pages_read: u64,
    notion_requests: u64,
    #[serde(default)]
    written: u64,
    #[serde(default)]
    pulled: u64,
    #[serde(default)]
    failed: u64,
    cursor_from: Option<Timestamp>,
    cursor_to: Option<Timestamp>,
}

fn plural(n: u64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// `database D: 42 pages read (changes since the cursor), 1 written, cursor T1 → T2, 3 requests`.
fn read_detail(r: &ReadSummary) -> String {
    let how = if r.reconciled {
        "full read"
    } else if r.queried {
        "changes since the cursor"
    } else {
        "no query: planned from the stored pages"
    };
    let mut parts = vec![format!(
        "{} read ({how})",
        plural(r.pages_read, "page", "pages")
    )];
    for (n, what) in [
        (r.written, "written"),
        (r.pulled, "pulled"),
        (r.failed, "failed"),
    ] {
        if n > 0 {
            parts.push(format!("{n} {what}"));
        }
    }
    let (from, to) = (cursor(r.cursor_from), cursor(r.cursor_to));
    parts.push(if r.cursor_from == r.cursor_to {
        format!("cursor {to} (unchanged)")
    } else {
        // Even when both show the same second: it moved.
        format!("cursor {from} → {to}")
    });
    parts.push(plural(r.notion_requests, "request", "requests"));
    format!("database {}: {}", r.database_id, parts.join(", "))
}

fn cursor(at: Option<Timestamp>) -> String {
    at.map_or_else(|| "none".to_owned(), |at| time(Some(at)))
}

/// A text value in a change: quoted and cut short; `(empty)` when there is none.
fn value(text: Option<&str>) -> String {
    match text {
        None | Some("") => "(empty)".to_owned(),
        Some(text) => format!("{:?}", truncate(text, VALUE_WIDTH)),
    }
}

/// `Voting Status: "Not started" → "In Voting"; Results Link: set`.
fn write_detail(write: &PageWrite) -> String {
    let mut parts = Vec::new();
    for property in &write.properties {
        if property.role == PropertyRole::ResultsLink {
            let how = match &property.from {
                None => "set",
                Some(_) => "replaced",
            };
            parts.push(format!("{}: {how}", property.property));
        } else {
            let from = property.from.as_ref().map(ToString::to_string);
            parts.push(format!(
                "{}: {} → {}",
                property.property,
                value(from.as_deref()),
                value(Some(&property.to.to_string()))
            ));
        }
    }
    if parts.is_empty() {
        return "nothing written".to_owned();
    }
    parts.join("; ")
}

/// `title: "Old" → "New"; description: "…" → "…"`.
fn pull_detail(update: &ElectionUpdate) -> String {
    let mut parts = Vec::new();
    for (field, change) in [
        ("title", &update.title),
        ("description", &update.description),
    ] {
        if let Some(change) = change {
            parts.push(format!(
                "{field}: {} → {}",
                value(Some(&change.from)),
                value(Some(&change.to))
            ));
        }
    }
    if parts.is_empty() {
        return "nothing pulled".to_owned();
    }
    parts.join("; ")
}

/// `runs logs RUN_ID`.
pub(crate) async fn runs_logs(args: RunsLogsArgs) -> Result<u8> {
    let id = store::parse_run_id(&args.run_id)?;
    let store = open_existing_store(&args.common.store).await?;
    let RunWithLogs { run, logs } = store.get_run(id).await?;
    if args.json {
        print_json(&RunWithLogs { run, logs })?;
        return Ok(exit_codes::OK);
    }
    let c = run.counts;
    let mut text = format!(
        "Run {} ({}) by {}\nStarted {}, {}\nRead {}, planned {}, written {}, pulled {}, failed {}; {} Notion requests\n",
        run.id,
        run.trigger,
        run.holder,
        time(Some(run.started_at)),
        match run.finished_at {
            Some(end) => format!("finished {} ({})", time(Some(end)), run_duration(&run)),
            None => "unfinished (still running, or the runner stopped before recording its end)"
                .to_owned(),
        },
        c.read,
        c.planned,
        c.written,
        c.pulled,
        c.failed,
        c.notion_requests,
    );
    if let Some(error) = &run.error {
        text.push_str(&format!("Error: {error}\n"));
    }
    text.push('\n');
    if logs.is_empty() {
        text.push_str("No log entries.\n");
    } else {
        let mut table = Table::new(&["AT", "ELECTION", "PAGE", "ACTION", "DETAIL"]);
        for entry in &logs {
            table.row(vec![
                time(Some(entry.entry.at)),
                entry
                    .entry
                    .election_id
                    .as_ref()
                    .map(ToString::to_string)
                    .unwrap_or_else(|| "-".into()),
                entry.entry.page_id.clone().unwrap_or_else(|| "-".into()),
                entry.entry.action.as_str().to_owned(),
                log_detail(entry),
            ]);
        }
        text.push_str(&table.render());
    }
    print(&text).map_err(anyhow::Error::from)?;
    Ok(exit_codes::OK)
}

#[derive(Debug, Serialize)]
struct DatabaseState {
    database_id: String,
    /// Elections with at least one link to a page of this database.
    linked_elections: usize,
    /// Links to pages of this database (an election may have several).
    links: usize,
    /// Greatest `last_edited_time` processed; `None`: the next cycle reads every page.
    last_edited_cursor: Option<Timestamp>,
    last_full_reconcile_at: Option<Timestamp>,
    updated_at: Option<Timestamp>,
}

/// `state get`.
pub(crate) async fn state_get(args: StateGetArgs) -> Result<u8> {
    let store = open_existing_store(&args.common.store).await?;
    let filter = LinkedFilter {
        include_paused: true,
        ..LinkedFilter::default()
    };
    let cursors = store.list_cursors().await?;
    let linked = store.list_linked(&filter).await?;
    let mut databases: BTreeMap<String, DatabaseState> = BTreeMap::new();
    let mut counted = std::collections::BTreeSet::new();
    for e in &linked {
        let database = databases
            .entry(e.link.notion_database_id.clone())
            .or_insert_with(|| DatabaseState {
                database_id: e.link.notion_database_id.clone(),
                linked_elections: 0,
                links: 0,
                last_edited_cursor: None,
                last_full_reconcile_at: None,
                updated_at: None,
            });
        database.links += 1;
        // Two links of one election to pages of one database count it once.
        if counted.insert((e.link.notion_database_id.as_str(), e.election.id.as_str())) {
            database.linked_elections += 1;
        }
    }
    for cursor in cursors {
        let entry = databases
            .entry(cursor.database_id.clone())
            .or_insert_with(|| DatabaseState {
                database_id: cursor.database_id.clone(),
                linked_elections: 0,
                links: 0,
                last_edited_cursor: None,
                last_full_reconcile_at: None,
                updated_at: None,
            });
        entry.last_edited_cursor = cursor.last_edited_cursor;
        entry.last_full_reconcile_at = cursor.last_full_reconcile_at;
        entry.updated_at = Some(cursor.updated_at);
    }
    let databases: Vec<DatabaseState> = databases.into_values().collect();
    if args.json {
        print_json(&serde_json::json!({ "databases": databases }))?;
        return Ok(exit_codes::OK);
    }
    if databases.is_empty() {
        print("No linked database and no stored cursor.\n").map_err(anyhow::Error::from)?;
        return Ok(exit_codes::OK);
    }
    let mut table = Table::new(&[
        "DATABASE",
        "LINKED",
        "CHANGE CURSOR",
        "LAST RECONCILE",
        "UPDATED",
    ]);
    for d in &databases {
        table.row(vec![
            d.database_id.clone(),
            d.linked_elections.to_string(),
            match d.last_edited_cursor {
                Some(at) => time(Some(at)),
                None => "none (next cycle reads every page)".to_owned(),
            },
            time(d.last_full_reconcile_at),
            time(d.updated_at),
        ]);
    }
    print(&table.render()).map_err(anyhow::Error::from)?;
    Ok(exit_codes::OK)
}

/// The databases of `linked`, each once, sorted.
fn linked_databases(linked: &[LinkedElection]) -> Vec<String> {
    let mut databases: Vec<String> = linked
        .iter()
        .map(|e| e.link.notion_database_id.clone())
        .collect();
    databases.sort();
    databases.dedup();
    databases
}

/// Whether two stored or typed ids name the same Notion database (dashes and case aside).
fn same_database(a: &str, b: &str) -> bool {
    match (NotionId::parse(a), NotionId::parse(b)) {
        (Ok(a), Ok(b)) => a == b,
        _ => a.trim() == b.trim(),
    }
}

/// `state reset [DATABASE_ID]`.
pub(crate) async fn state_reset(args: StateResetArgs) -> Result<u8> {
    let database = match args.database.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(text) => Some(
            NotionId::parse(text)
                .map_err(|e| RunnerError::Usage(format!("DATABASE_ID: {e}")))?
                .to_string(),
        ),
    };
    let store = open_store(&args.common.store).await?;
    let filter = LinkedFilter {
        include_paused: true,
        ..LinkedFilter::default()
    };
    let linked = linked_databases(&store.list_linked(&filter).await?);
    let removed = match &database {
        None => Some(store.reset_cursors(None).await?),
        Some(db) => {
            // The stored cursors of this database, however its id was written.
            let stored: Vec<String> = store
                .list_cursors()
                .await?
                .into_iter()
                .map(|c| c.database_id)
                .filter(|id| same_database(id, db))
                .collect();
            if stored.is_empty() && !linked.iter().any(|l| same_database(l, db)) {
                // No election uses it and nothing is stored: the id names nothing here.
                None
            } else {
                let mut removed = 0;
                for id in &stored {
                    removed += store.reset_cursors(Some(id)).await?;
                }
                Some(removed)
            }
        }
    };
    let Some(removed) = removed else {
        let db = database.unwrap_or_default();
        return Err(RunnerError::Usage(if linked.is_empty() {
            format!(
                "no linked election uses the Notion database {db}: no election is linked to Notion yet"
            )
        } else {
            format!(
                "no linked election uses the Notion database {db}; the linked databases are {} (see `sync-runner state get`)",
                linked.join(", ")
            )
        }));
    };
    let unlinked = database
        .as_deref()
        .filter(|db| !linked.iter().any(|l| same_database(l, db)));
    let text = match (&database, removed) {
        // A cursor left from an earlier link.
        (Some(db), _) if unlinked.is_some() => {
            format!("Removed the change cursor of {db}, which no linked election uses any more.\n")
        }
        (Some(db), 0) => {
            format!("No cursor was stored for {db}: its next cycle reads every page already.\n")
        }
        (Some(db), _) => format!(
            "Reset the change cursor of {db}: the next cycle reads every linked page of it.\n"
        ),
        (None, n) => {
            format!("Reset {n} change cursor(s): the next cycle reads every linked page.\n")
        }
    };
    tracing::info!(database = ?database, removed, "change cursors reset");
    print(&text).map_err(anyhow::Error::from)?;
    Ok(exit_codes::OK)
}
