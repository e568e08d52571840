//! What every browser test needs: a real api-server (the library's `start`, on 127.0.0.1:0) on a
//! temp store, pointed at an in-process Notion emulator, and headless Chromium driven through a
//! chromedriver this harness starts on a free port and kills on drop.

use std::fs::File;
use std::net::TcpListener;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use api_server::{Cli, RunningServer, start};
use clap::Parser;
use fantoccini::{Client, ClientBuilder, Locator};
use notion_emulator::{Emulator, EmulatorConfig, demo};
use serde_json::{Value, json};
use tempfile::TempDir;
use tokio_util::sync::CancellationToken;

/// The admin token of test servers.
pub(crate) const TOKEN: &str = "browser-test-admin-token-42";

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// The Chromium flags that work on this project's machines (docs: STYLE.md, fantoccini row).
const CHROMIUM_FLAGS: &[&str] = &[
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
];

/// How long a wait for the page may last before the test fails (a limit on waiting for the
/// browser, not a speed requirement).
const PATIENCE: Duration = Duration::from_secs(40);

/// The public integration the OAuth browser tests register at the emulator.
pub(crate) const OAUTH_CLIENT_ID: &str = "browser-oauth-client";
const OAUTH_CLIENT_SECRET: &str = "browser-oauth-secret";
/// Its name (its bot's, in every workspace).
pub(crate) const OAUTH_APP_NAME: &str = "Election Sync (OAuth, browser test)";

/// The viewer's time zone in the tests: not UTC, so that conversions show.
pub(crate) const VIEWER_TZ: &str = "America/New_York";

/// One test's world: emulator, api-server, chromedriver and a browser session.
pub(crate) struct Env {
    pub(crate) emulator: Emulator,
    pub(crate) server: RunningServer,
    pub(crate) browser: Client,
    pub(crate) http: reqwest::Client,
    name: &'static str,
    driver: Child,
    _store: TempDir,
    _profile: TempDir,
    _lock: File,
}

fn output_dir() -> PathBuf {
    // CARGO_TARGET_TMPDIR is target/tmp: screenshots go next to it, in target/browser-screenshots.
    let tmp = Path::new(env!("CARGO_TARGET_TMPDIR"));
    tmp.parent().unwrap_or(tmp).join("browser-screenshots")
}

fn require_browser() {
    for (path, package) in [(CHROMIUM, "chromium"), (CHROMEDRIVER, "chromium-driver")] {
        assert!(
            Path::new(path).exists(),
            "{path} is missing: the browser tests need headless Chromium and its driver. Run \
             scripts/test (it installs them), or `apt-get install -y chromium chromium-driver` \
             ({package})."
        );
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free local port")
        .port()
}

/// Browser tests take one machine-wide lock: each runs a whole Chromium, and on a 2-core machine
/// several at once (nextest runs tests as parallel processes) only make each slower.
fn take_lock() -> File {
    let path = Path::new(env!("CARGO_TARGET_TMPDIR")).join("browser-tests.lock");
    std::fs::create_dir_all(path.parent().expect("parent")).expect("target tmp dir");
    let file = File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .expect("lock file");
    file.lock().expect("browser test lock");
    file
}

impl Env {
    /// Starts everything with the demo workspace and the allowlist `Elections` + `Legacy Elections`.
    pub(crate) async fn start(name: &'static str) -> Self {
        Self::start_configured(name, "500", &[]).await
    }

    /// As [`Env::start`], with the server pacing Notion at `max_rps` requests per second (its
    /// `--max-rps`, which sets the sync health page's budget line).
    pub(crate) async fn start_paced(name: &'static str, max_rps: &str) -> Self {
        Self::start_configured(name, max_rps, &[]).await
    }

    /// As [`Env::start`], with extra api-server flags (e.g. `--embedded-sync`).
    pub(crate) async fn start_with(name: &'static str, extra: &[&str]) -> Self {
        Self::start_configured(name, "500", extra).await
    }

    /// As [`Env::start`], with OAuth on: a public integration registered at the emulator whose
    /// redirect URI is this server's own callback (on a port chosen before the server starts), so
    /// the browser goes through the emulator's real consent page and back.
    pub(crate) async fn start_with_oauth(name: &'static str) -> Self {
        let port = free_port();
        let listen = format!("127.0.0.1:{port}");
        let redirect = format!("http://{listen}/oauth/notion/callback");
        let key =
            secrecy::ExposeSecret::expose_secret(&token_seal::TokenKey::generate().to_base64())
                .to_owned();
        let extra = [
            "--notion-oauth-client-id",
            OAUTH_CLIENT_ID,
            "--notion-oauth-client-secret",
            OAUTH_CLIENT_SECRET,
            "--notion-oauth-redirect-uri",
            &redirect,
            "--token-encryption-key",
            &key,
        ];
        Self::start_full(name, "500", &extra, Some((&listen, &redirect))).await
    }

    /// As [`Env::start`], with both a pace and extra flags.
    async fn start_configured(name: &'static str, max_rps: &str, extra: &[&str]) -> Self {
        Self::start_full(name, max_rps, extra, None).await
    }

    /// Everything; `oauth`: the address to listen on and the redirect URI to register for
    /// [`OAUTH_CLIENT_ID`] at the emulator.
    async fn start_full(
        name: &'static str,
        max_rps: &str,
        extra: &[&str],
        oauth: Option<(&str, &str)>,
    ) -> Self {
        require_browser();
        let lock = take_lock();

        let emulator = Emulator::start(EmulatorConfig::default().without_rate_limit())
            .await
            .expect("emulator starts");
        if let Some((_, redirect)) = oauth {
            emulator
                .register_oauth_client(notion_emulator::OAuthClientRegistration {
                    client_id: OAUTH_CLIENT_ID.into(),
                    client_secret: OAUTH_CLIENT_SECRET.into(),
                    redirect_uris: vec![redirect.to_owned()],
                    name: Some(OAUTH_APP_NAME.into()),
                })
                .expect("the OAuth client registers");
        }
        let store = tempfile::tempdir().expect("temp dir");
        let db = store.path().join("browser.db");
        let allowlist = format!(
            "{}:Elections,{}:Legacy Elections",
            demo::ELECTIONS_DB,
            demo::LEGACY_DB
        );
        let base = emulator.base_url();
        let listen = oauth.map_or("127.0.0.1:0", |(listen, _)| listen);
        let mut args = vec![
            "api-server",
            "--listen",
            listen,
            "--admin-token",
            TOKEN,
            "--notion-api-key",
            demo::TOKEN,
            "--notion-api-base",
            &base,
            "--notion-database-allowlist",
            &allowlist,
            "--database-url",
            db.to_str().expect("utf-8 path"),
            "--max-rps",
            max_rps,
            "--workers",
            "2",
        ];
        args.extend_from_slice(extra);
        let settings = Cli::try_parse_from(args)
            .expect("flags parse")
            .settings()
            .expect("valid settings");
        let server = start(settings, CancellationToken::new())
            .await
            .expect("server starts");

        let port = free_port();
        let driver = Command::new(CHROMEDRIVER)
            .arg(format!("--port={port}"))
            .env("TZ", VIEWER_TZ)
            // Its own process group, so that Drop can end chromedriver and the Chromium it started.
            .process_group(0)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {CHROMEDRIVER}: {e}; run scripts/test"));
        let http = reqwest::Client::new();
        let driver_url = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + PATIENCE;
        loop {
            let ready = http
                .get(format!("{driver_url}/status"))
                .send()
                .await
                .ok()
                .filter(|r| r.status().is_success());
            if ready.is_some() {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "chromedriver did not answer on port {port}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }

        let profile = tempfile::tempdir().expect("profile dir");
        let mut args: Vec<String> = CHROMIUM_FLAGS.iter().map(|s| (*s).to_owned()).collect();
        args.push(format!("--user-data-dir={}", profile.path().display()));
        args.push("--window-size=1280,900".into());
        args.push("--lang=en-US".into());
        let capabilities = json!({
            "browserName": "chrome",
            "goog:chromeOptions": {"binary": CHROMIUM, "args": args},
        });
        let capabilities = serde_json::from_value(capabilities).expect("capabilities object");
        let browser = ClientBuilder::rustls()
            .expect("rustls")
            .capabilities(capabilities)
            .connect(&driver_url)
            .await
            .expect("a Chromium session through chromedriver");

        Self {
            emulator,
            server,
            browser,
            http,
            name,
            driver,
            _store: store,
            _profile: profile,
            _lock: lock,
        }
    }

    /// The server's SQLite file, for a test that acts as the sync-runner (another process on it).
    pub(crate) fn db_path(&self) -> PathBuf {
        self._store.path().join("browser.db")
    }

    /// The absolute URL of a path on the api-server.
    pub(crate) fn url(&self, path: &str) -> String {
        format!("{}{path}", self.server.base_url())
    }

    /// Opens a page of the api-server.
    pub(crate) async fn open(&self, path: &str) {
        self.browser.goto(&self.url(path)).await.expect("navigate");
    }

    /// Signs in through the sign-in page and waits for the elections list.
    pub(crate) async fn sign_in(&self) {
        self.open("/ui/sign-in").await;
        self.type_into("#admin-token", TOKEN).await;
        self.click("#sign-in-submit").await;
        self.wait_for_path("/ui/").await;
        self.wait_text("#list-status", "election").await;
    }

    /// Calls the JSON API with the admin token.
    pub(crate) async fn api(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> Value {
        let mut request = self.http.request(method, self.url(path)).bearer_auth(TOKEN);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.expect("API request");
        let status = response.status();
        let body: Value = response.json().await.unwrap_or(Value::Null);
        assert!(status.is_success(), "{path}: {status} {body}");
        body
    }

    /// Creates an election through the API; returns its id.
    pub(crate) async fn create_election(
        &self,
        title: &str,
        open_at: &str,
        close_at: &str,
    ) -> String {
        let body = self
            .api(
                reqwest::Method::POST,
                "/admin/elections",
                Some(json!({"title": title, "description": "From the test", "open_at": open_at, "close_at": close_at})),
            )
            .await;
        body["election"]["id"].as_str().expect("id").to_owned()
    }

    pub(crate) async fn find(&self, css: &str) -> fantoccini::elements::Element {
        match self
            .browser
            .wait()
            .at_most(PATIENCE)
            .for_element(Locator::Css(css))
            .await
        {
            Ok(element) => element,
            Err(error) => self.fail(&format!("no element {css}: {error}")).await,
        }
    }

    pub(crate) async fn click(&self, css: &str) {
        let element = self.find(css).await;
        if let Err(error) = element.click().await {
            self.fail(&format!("cannot click {css}: {error}")).await;
        }
    }

    pub(crate) async fn type_into(&self, css: &str, text: &str) {
        let element = self.find(css).await;
        element.clear().await.expect("clear");
        element.send_keys(text).await.expect("type");
    }

    /// Runs a script in the page (its `arguments` are `args`) and returns its value.
    pub(crate) async fn js(&self, script: &str, args: Vec<Value>) -> Value {
        self.browser
            .execute(script, args)
            .await
            .expect("script runs")
    }

    /// The visible text of the first element matching `css` (empty when absent or hidden); for a
    /// `<select>`, the labels of all its options.
    pub(crate) async fn text(&self, css: &str) -> String {
        self.js(
            "const n = document.querySelector(arguments[0]);
             if (!n || n.closest('[hidden]')) return '';
             return n.tagName === 'SELECT' ? [...n.options].map(o => o.text).join('\\n') : n.innerText;",
            vec![json!(css)],
        )
        .await
        .as_str()
        .unwrap_or_default()
        .to_owned()
    }

    /// Waits until the element's visible text contains `needle`; returns the text.
    pub(crate) async fn wait_text(&self, css: &str, needle: &str) -> String {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let text = self.text(css).await;
            if text.contains(needle) {
                return text;
            }
            if Instant::now() > deadline {
                self.fail(&format!("{css} never showed {needle:?}; it shows {text:?}"))
                    .await;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Waits until a script returns `true`.
    pub(crate) async fn wait_js(&self, what: &str, script: &str) {
        let deadline = Instant::now() + PATIENCE;
        while self.js(script, vec![]).await != Value::Bool(true) {
            if Instant::now() > deadline {
                self.fail(&format!("timed out waiting until {what}")).await;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    pub(crate) async fn wait_for_path(&self, path: &str) {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let url = self.browser.current_url().await.expect("current url");
            if url.path() == path {
                return;
            }
            if Instant::now() > deadline {
                self.fail(&format!("expected to arrive at {path}, still at {url}"))
                    .await;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Scrolls the element to the top of the window (for a screenshot of that part of the page).
    pub(crate) async fn scroll_to(&self, css: &str) {
        self.js(
            "const n = document.querySelector(arguments[0]); if (n) n.scrollIntoView({block: 'start'});",
            vec![json!(css)],
        )
        .await;
    }

    /// Saves a PNG of the window as `target/browser-screenshots/<test>-<name>.png`.
    pub(crate) async fn screenshot(&self, name: &str) -> PathBuf {
        let png = self.browser.screenshot().await.expect("screenshot");
        let dir = output_dir();
        std::fs::create_dir_all(&dir).expect("screenshot folder");
        let path = dir.join(format!("{}-{name}.png", self.name));
        std::fs::write(&path, png).expect("screenshot written");
        path
    }

    /// Saves `<test>-<name>-desktop.png` at 1280×800 and `<test>-<name>-phone.png` at 390×844
    /// (after checking that nothing is wider than the phone), each from the top of `css`, and
    /// leaves the window at the desktop size.
    pub(crate) async fn screenshots(&self, name: &str, css: &str) {
        for (width, height, label) in [(1280, 800, "desktop"), (390, 844, "phone")] {
            self.browser
                .set_window_size(width, height)
                .await
                .expect("resize");
            if width < 600 {
                self.wait_js(
                    "the page fits the phone's width",
                    "return document.documentElement.scrollWidth <= window.innerWidth;",
                )
                .await;
            }
            self.scroll_to(css).await;
            self.screenshot(&format!("{name}-{label}")).await;
        }
        self.browser
            .set_window_size(1280, 800)
            .await
            .expect("resize");
    }

    /// Saves a screenshot of the moment, then fails the test with `message`.
    pub(crate) async fn fail(&self, message: &str) -> ! {
        let shot = self.screenshot("failure").await;
        panic!("{message} (screenshot: {})", shot.display());
    }

    /// Sets the window to a phone's size, lets the layout settle, and checks nothing is wider.
    pub(crate) async fn assert_fits_width(&self, width: u32) {
        self.browser
            .set_window_size(width, 900)
            .await
            .expect("resize");
        self.wait_js(
            "the page fits the narrow window",
            "return document.documentElement.scrollWidth <= window.innerWidth;",
        )
        .await;
    }
}

impl Env {
    /// Ends the browser session (Chromium exits), then the rest goes with `Drop`.
    pub(crate) async fn finish(self) {
        let _ = self.browser.clone().close().await;
    }
}

impl Drop for Env {
    fn drop(&mut self) {
        // chromedriver and any Chromium it started share the process group we gave it: end them
        // all (by that group's id), so a failed test leaves no browser behind.
        let group = self.driver.id();
        if group > 1 {
            let _ = Command::new("kill")
                .args(["-s", "KILL", "--", &format!("-{group}")])
                .stdin(Stdio::null())
                .status();
        }
        let _ = self.driver.kill();
        let _ = self.driver.wait();
        self.server.stop();
    }
}
