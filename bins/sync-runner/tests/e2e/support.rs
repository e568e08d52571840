//! What every end-to-end test needs: an emulator, a temp SQLite file, the runner binary.

use std::io::Read;
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use jiff::{SignedDuration, Timestamp};
use notion_emulator::{Emulator, EmulatorConfig, Workspace, demo};
use serde_json::Value;
use store::{NewElection, SqliteStore};
use sync_engine::{ElectionId, NotionLink};
use tempfile::TempDir;
use uuid::Uuid;

/// The runner binary under test.
pub(crate) const BIN: &str = env!("CARGO_BIN_EXE_sync-runner");

/// The public base URL the tests configure.
pub(crate) const BASE_URL: &str = "https://vote.example.org";

/// One test's world.
pub(crate) struct World {
    pub(crate) emu: Emulator,
    pub(crate) dir: TempDir,
    pub(crate) store: Arc<SqliteStore>,
    pub(crate) token: String,
}

/// The finished output of a runner process.
#[derive(Debug)]
pub(crate) struct Ran {
    pub(crate) code: i32,
    pub(crate) stdout: String,
    pub(crate) stderr: String,
}

impl Ran {
    pub(crate) fn assert_code(&self, code: i32) -> &Self {
        assert_eq!(
            self.code, code,
            "exit code\nstdout:\n{}\nstderr:\n{}",
            self.stdout, self.stderr
        );
        self
    }

    pub(crate) fn json(&self) -> Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| panic!("{e}: {}", self.stdout))
    }
}

impl World {
    /// The demo workspace, no rate limit, a fresh store file.
    pub(crate) fn new() -> Self {
        Self::with(EmulatorConfig::default().without_rate_limit())
    }

    pub(crate) fn with(config: EmulatorConfig) -> Self {
        let emu =
            Emulator::start_blocking(config.with_workspace(Workspace::demo())).expect("emulator");
        let dir = tempfile::tempdir().expect("tempdir");
        let store = Arc::new(SqliteStore::open(dir.path().join("elections.db")).expect("store"));
        let token = emu.demo_token();
        Self {
            emu,
            dir,
            store,
            token,
        }
    }

    pub(crate) fn db_path(&self) -> PathBuf {
        self.dir.path().join("elections.db")
    }

    /// A runner command with the whole configuration in the environment (and nothing inherited
    /// that could change it).
    pub(crate) fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(BIN);
        for var in [
            "NOTION_API_KEY",
            "NOTION_API_BASE",
            "NOTION_VERSION",
            "NOTION_DATABASE_ALLOWLIST",
            "NOTION_MAX_RPS",
            "DATABASE_URL",
            "BASE_URL",
            "SYNC_INTERVAL",
            "MIN_SYNC_INTERVAL",
            "SYNC_RECONCILE_EVERY",
            "SYNC_LEASE_TTL",
            "RUST_LOG_FORMAT",
        ] {
            cmd.env_remove(var);
        }
        cmd.env("NOTION_API_KEY", &self.token)
            .env("NOTION_API_BASE", self.emu.base_url())
            .env(
                "DATABASE_URL",
                format!("sqlite:{}", self.db_path().display()),
            )
            .env("BASE_URL", BASE_URL)
            .env(
                "NOTION_DATABASE_ALLOWLIST",
                format!("{}:Elections", demo::ELECTIONS_DB),
            )
            .env("NOTION_MAX_RPS", "200")
            .env("MIN_SYNC_INTERVAL", "1s")
            .env("RUST_LOG", "info")
            .env("NO_COLOR", "1")
            .args(args)
            .stdin(Stdio::null());
        cmd
    }

    /// Runs the runner to completion (at most 60 s).
    pub(crate) fn run(&self, args: &[&str]) -> Ran {
        run_command(self.command(args))
    }

    /// Starts a runner in the background, output captured.
    pub(crate) fn spawn(&self, args: &[&str]) -> Child {
        self.command(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn sync-runner")
    }

    /// Creates an election opening and closing at these instants, linked to `page` of `database`.
    pub(crate) fn election(
        &self,
        id: &str,
        page: Uuid,
        database: Uuid,
        open_at: Timestamp,
        close_at: Timestamp,
    ) -> ElectionId {
        let now = Timestamp::now();
        let record = self
            .store
            .create_election(
                NewElection {
                    id: Some(ElectionId::parse(id).unwrap()),
                    title: format!("Election {id}"),
                    description: String::new(),
                    open_at,
                    close_at,
                },
                now,
            )
            .expect("create election");
        let link = NotionLink::new(database.to_string(), page.to_string());
        self.store
            .set_link(&record.election.id, &link, now)
            .expect("link");
        record.election.id
    }

    /// An election open now (opened an hour ago, closes in a day), linked to a page of the demo
    /// Elections database.
    pub(crate) fn open_election(&self, id: &str, page: Uuid) -> ElectionId {
        let now = Timestamp::now();
        self.election(
            id,
            page,
            demo::ELECTIONS_DB,
            now - SignedDuration::from_hours(1),
            now + SignedDuration::from_hours(24),
        )
    }

    /// The page's status option name.
    pub(crate) fn status_of(&self, page: Uuid) -> Option<String> {
        self.emu
            .page_property(page, "Voting Status")
            .and_then(|p| p["status"]["name"].as_str().map(str::to_owned))
    }

    /// The page's results link.
    pub(crate) fn results_link_of(&self, page: Uuid) -> Option<String> {
        self.emu
            .page_property(page, "Results Link")
            .and_then(|p| p["url"].as_str().map(str::to_owned))
    }

    /// Successful page writes served so far.
    pub(crate) fn patches(&self) -> u64 {
        self.emu
            .request_counts()
            .get("PATCH /v1/pages/{page_id}", 200)
    }

    /// A new row in the demo Elections database, as a person would add it.
    pub(crate) fn new_page(&self, title: &str, status: &str) -> Uuid {
        self.emu
            .create_page_as_user(
                demo::ELECTIONS_DS,
                serde_json::json!({
                    "Name": {"title": [{"text": {"content": title}}]},
                    "Voting Status": {"status": {"name": status}}
                }),
            )
            .expect("create page")
    }
}

/// Runs a command to completion, killing it after 60 s.
pub(crate) fn run_command(mut cmd: Command) -> Ran {
    let child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn sync-runner");
    let (status, stdout, stderr) = wait_with_timeout(child, Duration::from_secs(60));
    Ran {
        code: status.code().unwrap_or(-1),
        stdout,
        stderr,
    }
}

/// Waits for a child (reading its output meanwhile), killing it after `timeout`.
pub(crate) fn wait_with_timeout(
    mut child: Child,
    timeout: Duration,
) -> (ExitStatus, String, String) {
    let mut out = child.stdout.take().expect("stdout piped");
    let mut err = child.stderr.take().expect("stderr piped");
    let out_reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = out.read_to_string(&mut s);
        s
    });
    let err_reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = err.read_to_string(&mut s);
        s
    });
    let deadline = Instant::now() + timeout;
    let status = loop {
        if let Some(status) = child.try_wait().expect("try_wait") {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let status = child.wait().expect("wait");
            let stderr = err_reader.join().unwrap_or_default();
            panic!("sync-runner did not finish within {timeout:?} ({status}); stderr:\n{stderr}");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    (
        status,
        out_reader.join().unwrap_or_default(),
        err_reader.join().unwrap_or_default(),
    )
}

/// Sends a signal (`TERM`, `INT`) to a child.
pub(crate) fn signal(child: &Child, name: &str) {
    let status = Command::new("kill")
        .args([format!("-{name}"), child.id().to_string()])
        .status()
        .expect("kill");
    assert!(status.success(), "kill -{name} failed");
}

/// Polls `condition` every 100 ms until it holds, panicking with `what` after `timeout`.
pub(crate) fn wait_until(what: &str, timeout: Duration, mut condition: impl FnMut() -> bool) {
    let deadline = Instant::now() + timeout;
    while !condition() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Replaces what changes from run to run (instants, UUIDs, durations) and collapses runs of
/// spaces, so outputs can be snapshotted.
pub(crate) fn redact(text: &str) -> String {
    let mut out = String::new();
    for line in text.lines() {
        let words: Vec<String> = line.split_whitespace().map(redact_word).collect();
        out.push_str(&words.join(" "));
        out.push('\n');
    }
    out
}

fn redact_word(word: &str) -> String {
    let trimmed = word.trim_matches(|c: char| "(),.;".contains(c));
    let replacement = if is_time(trimmed) {
        Some("[TIME]")
    } else if is_uuid(trimmed)
        && !trimmed.starts_with("d0000000")
        && !trimmed.starts_with("e0000000")
    {
        Some("[UUID]")
    } else if is_duration(trimmed) {
        Some("[DURATION]")
    } else if trimmed.starts_with("sync-runner:") {
        Some("[HOLDER]")
    } else if trimmed.starts_with("lnk_") {
        Some("[LINK]")
    } else {
        None
    };
    match replacement {
        Some(r) => word.replace(trimmed, r),
        None => word.to_owned(),
    }
}

fn is_time(s: &str) -> bool {
    s.len() == 20 && s.as_bytes()[10] == b'T' && s.ends_with('Z') && s.parse::<Timestamp>().is_ok()
}

fn is_uuid(s: &str) -> bool {
    s.len() == 36 && Uuid::parse_str(s).is_ok()
}

fn is_duration(s: &str) -> bool {
    let digits = s.trim_end_matches(|c: char| c.is_ascii_alphabetic());
    let unit = &s[digits.len()..];
    !digits.is_empty()
        && digits
            .chars()
            .all(|c| c.is_ascii_digit() || c == '.' || c == 'm')
        && matches!(unit, "ms" | "s")
}
