//! Starting a whole server from [`Settings`]: store, Notion (or the built-in emulator), the app,
//! and (in demo mode) the sample data.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpListener};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use bin_support::{NotionSettings, OAuthConfig};
use jiff::{SignedDuration, Timestamp};
use notion_emulator::{Emulator, EmulatorConfig};
use rand::Rng;
use secrecy::{ExposeSecret, SecretString};
use store::{OpenMode, SharedStore, StoreLocation};
use sync_driver::{DaemonOptions, DriverConfig, DriverError, SyncDriver, SystemClock};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::app::{DOCS_PATH, serve};
use crate::config::{DEMO_KEY_FILE, Settings, USER_AGENT};
use crate::metrics::Metrics;
use crate::routes::connections::CALLBACK_PATH;
use crate::state::{AppState, OAuthApp};

/// A running api-server.
#[derive(Debug)]
pub struct RunningServer {
    addr: SocketAddr,
    links_base: String,
    admin_token: SecretString,
    token_generated: bool,
    emulator: Option<Emulator>,
    shutdown: CancellationToken,
    http: JoinHandle<std::io::Result<()>>,
    sync: Option<JoinHandle<Result<(), DriverError>>>,
}

impl RunningServer {
    /// The bound address (the real port when listening on port 0).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://ADDR`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The base of the results links the sync writes: `BASE_URL`, or in demo mode without one,
    /// [`RunningServer::base_url`] (where the demo serves a placeholder results page).
    pub fn results_base_url(&self) -> &str {
        &self.links_base
    }

    /// The admin token (generated in demo mode when none was configured).
    pub fn admin_token(&self) -> &SecretString {
        &self.admin_token
    }

    /// Whether the admin token was generated at start.
    pub fn token_generated(&self) -> bool {
        self.token_generated
    }

    /// The built-in emulator, in demo mode.
    pub fn emulator(&self) -> Option<&Emulator> {
        self.emulator.as_ref()
    }

    /// Asks the server to stop (as SIGTERM does).
    pub fn stop(&self) {
        self.shutdown.cancel();
    }

    /// Waits until the server has stopped (after the shutdown token is cancelled and the requests in
    /// flight are done), then stops the emulator.
    pub async fn wait(self) -> anyhow::Result<()> {
        let result = self.http.await.context("the HTTP server task failed")?;
        if let Some(sync) = self.sync {
            // The loop stops on the same token; it finishes and records the cycle in flight.
            self.shutdown.cancel();
            match sync.await {
                Ok(Ok(())) => {}
                Ok(Err(error)) => tracing::error!(%error, "the embedded sync loop failed"),
                Err(error) => tracing::error!(%error, "the embedded sync loop panicked"),
            }
        }
        if let Some(emulator) = self.emulator {
            emulator.shutdown().await;
        }
        result.context("the HTTP server failed")
    }
}

/// The demo's own address as a results-link base: a wildcard listen address (`0.0.0.0`, `::`) is
/// reached on loopback.
fn demo_base_url(addr: SocketAddr) -> String {
    let ip = match addr.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(ip) if ip.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
        ip => ip,
    };
    format!("http://{}", SocketAddr::new(ip, addr.port()))
}

fn generate_token() -> SecretString {
    let bytes: [u8; 24] = rand::rng().random();
    SecretString::from(bytes.iter().map(|b| format!("{b:02x}")).collect::<String>())
}

/// The OAuth settings: from the flags, or in demo mode (when no client is configured) the
/// built-in emulator's demo OAuth app, redirected to this server's own callback, with its token
/// key kept in a file beside the demo store. `None`: OAuth is off.
fn oauth_config(
    settings: &Settings,
    notion: &NotionSettings,
    demo_base: &str,
) -> anyhow::Result<Option<OAuthConfig>> {
    if !settings.demo {
        return Ok(settings.oauth.settings(notion, &settings.base_url, None)?);
    }
    let mut args = settings.oauth.clone();
    let blank = |value: &Option<String>| value.as_deref().is_none_or(|v| v.trim().is_empty());
    if blank(&args.client_id) && blank(&args.client_secret) {
        args.client_id = Some(notion_emulator::demo::OAUTH_CLIENT_ID.to_owned());
        args.client_secret = Some(notion_emulator::demo::OAUTH_CLIENT_SECRET.to_owned());
        if blank(&args.redirect_uri) {
            args.redirect_uri = Some(format!("{demo_base}{CALLBACK_PATH}"));
        }
    }
    let folder = settings
        .database_path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let key_file = folder.join(DEMO_KEY_FILE);
    Ok(args.settings(notion, demo_base, Some(&key_file))?)
}

async fn open_store(settings: &Settings) -> anyhow::Result<SharedStore> {
    let location = StoreLocation::Sqlite(settings.database_path.clone());
    store::open_store(&location, OpenMode::CreateIfMissing)
        .await
        .with_context(|| format!("cannot open {location} (DATABASE_URL)"))
}

/// Starts the server described by `settings`: opens (and migrates) the store, connects to Notion
/// or starts the built-in emulator, binds `settings.listen`, logs `Listening at http://ADDR` once,
/// and serves until `shutdown` is cancelled.
pub async fn start(
    settings: Settings,
    shutdown: CancellationToken,
) -> anyhow::Result<RunningServer> {
    let store = open_store(&settings).await?;

    // Bound before the emulator and the driver exist: in demo mode the results links and the
    // OAuth redirect URI point at the real address.
    let listener = TcpListener::bind(settings.listen)
        .with_context(|| format!("cannot listen on {} (LISTEN_ADDR)", settings.listen))?;
    listener.set_nonblocking(true)?;
    let addr = listener.local_addr()?;
    let demo_base = demo_base_url(addr);

    let (emulator, notion) = if settings.demo {
        let workspace = crate::demo::with_oauth_redirect(
            crate::demo::workspace(),
            &format!("{demo_base}{CALLBACK_PATH}"),
        );
        let config = EmulatorConfig::default().with_workspace(workspace);
        let emulator = Emulator::start(config)
            .await
            .context("cannot start the built-in Notion emulator")?;
        let notion = NotionSettings {
            api_key: Some(SecretString::from(notion_emulator::demo::TOKEN.to_owned())),
            api_base: emulator.base_url(),
            ..settings.notion.clone()
        };
        (Some(emulator), notion)
    } else {
        (None, settings.notion.clone())
    };
    let oauth = oauth_config(&settings, &notion, &demo_base)?;
    let notion = notion
        .client_builder(USER_AGENT)?
        .max_retry_wait(Duration::from_secs(10))
        .build()
        .context(
            "cannot build the Notion client (NOTION_API_BASE, NOTION_MAX_RPM, NOTION_MAX_RPS)",
        )?;

    let (admin_token, token_generated) = match &settings.admin_token {
        Some(token) => (token.clone(), false),
        None => (generate_token(), true),
    };

    let links_base = if settings.demo && !settings.base_url_given {
        demo_base.clone()
    } else {
        settings.base_url.clone()
    };

    let mut driver_config =
        DriverConfig::new(links_base.clone(), settings.notion.allowlist.clone());
    driver_config.min_interval = SignedDuration::try_from(settings.min_sync_interval)
        .context("MIN_SYNC_INTERVAL is too large")?;
    let mut driver = SyncDriver::new(SharedStore::clone(&store), notion, driver_config);
    let oauth = match oauth {
        Some(config) => {
            let app = OAuthApp {
                client_id: config.driver.credentials.client_id.clone(),
                redirect_uri: config.redirect_uri,
                authorize_url: config.authorize_url,
            };
            driver = driver.with_oauth(config.driver);
            Some(Arc::new(app))
        }
        None => None,
    };
    match &oauth {
        Some(app) => tracing::info!(redirect_uri = %app.redirect_uri, "OAuth connections are on"),
        None => tracing::info!(
            "OAuth connections are off (set NOTION_OAUTH_CLIENT_ID and NOTION_OAUTH_CLIENT_SECRET to connect Notion workspaces)"
        ),
    }
    // The default connection every link made before connections belongs to.
    store
        .ensure_internal_connection(Timestamp::now())
        .await
        .context("cannot record the internal Notion connection in the store")?;
    if let Some(token) = &settings.webhook_verification_token {
        store
            .set_active_webhook_token(
                &store::ConnectionId::internal(),
                token.expose_secret(),
                Some("environment"),
                Timestamp::now(),
            )
            .await
            .context("cannot store NOTION_WEBHOOK_VERIFICATION_TOKEN")?;
        tracing::info!("webhook events are verified with NOTION_WEBHOOK_VERIFICATION_TOKEN");
    }

    if settings.demo {
        // After the listener is bound: a second demo on the same address stops before it empties
        // the store of the first.
        let now = Timestamp::now();
        crate::demo::claim_store(&store, &settings.database_path, now).await?;
        // The workspaces an earlier run connected lived in that run's emulator.
        crate::demo::forget_connections(&store).await?;
        crate::demo::seed(&driver, now, settings.demo_step)
            .await
            .context("cannot create the demo elections")?;
    }
    let sync = settings.embedded_sync.then(|| {
        let driver = driver.clone();
        let shutdown = shutdown.clone();
        let options = DaemonOptions {
            interval: settings.sync_interval,
            ..DaemonOptions::default()
        };
        tracing::info!(interval = ?settings.sync_interval, "embedded sync loop started");
        tokio::spawn(async move {
            driver
                .run_daemon(Arc::new(SystemClock), shutdown, options)
                .await
        })
    });

    let webhook_store = SharedStore::clone(&store);
    let state = AppState {
        store,
        admin_token: admin_token.clone(),
        driver,
        oauth,
        metrics: Metrics::new(),
        demo: settings.demo,
        notion_page_view_base: emulator
            .as_ref()
            .map(|e| format!("{}/__emulator/pages/", e.base_url())),
        shutdown: shutdown.clone(),
    };

    tracing::info!("Listening at http://{addr}");

    let http = tokio::spawn(serve(state, listener, settings.workers, shutdown.clone())?);
    if let Some(emulator) = emulator.as_ref().filter(|_| settings.demo) {
        // The emulator delivers to the receiver now serving: an edit in its workspace reaches
        // the election within seconds. The demo works without it (polling catches every edit).
        let url = format!("{demo_base}/webhooks/notion");
        if let Err(error) = crate::demo::subscribe_webhooks(emulator, &webhook_store, url).await {
            tracing::warn!(error = %format!("{error:#}"), "demo: webhooks are off; polling syncs the edits");
        }
    }

    let server = RunningServer {
        addr,
        links_base,
        admin_token,
        token_generated,
        emulator,
        shutdown,
        http,
        sync,
    };
    if settings.demo {
        print_demo_banner(&server);
    }
    Ok(server)
}

/// Prints, once, where everything is in demo mode (stdout, not the log: it holds the token).
fn print_demo_banner(server: &RunningServer) {
    let base = server.base_url();
    let token = if server.token_generated {
        format!(
            "{} (generated for this run; set ADMIN_TOKEN to choose one)",
            server.admin_token.expose_secret()
        )
    } else {
        "the ADMIN_TOKEN you set".to_owned()
    };
    let emulator = server
        .emulator
        .as_ref()
        .map(|e| format!("{}/__emulator", e.base_url()))
        .unwrap_or_else(|| "-".into());
    let results = &server.links_base;
    let placeholder = if *results == base {
        " (a demo placeholder; set BASE_URL for the voting app)"
    } else {
        ""
    };
    println!(
        "\nelection-notion-sync demo is running\n\
         \n  Admin page              {base}/admin\
         \n  API docs (try it out)   {base}{DOCS_PATH}\
         \n  OpenAPI document        {base}/openapi.json\
         \n  Emulated Notion         {emulator}\
         \n  Results links           {results}/e/{{election_id}}/results{placeholder}\
         \n  Admin token             {token}\
         \n\n  curl -H 'Authorization: Bearer <token>' {base}/admin/elections\n\
         \nPress Ctrl-C to stop.\n"
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_links_reach_a_wildcard_listener_on_loopback() {
        for (addr, expected) in [
            ("127.0.0.1:8080", "http://127.0.0.1:8080"),
            ("0.0.0.0:3000", "http://127.0.0.1:3000"),
            ("[::]:3000", "http://[::1]:3000"),
            ("192.168.1.5:80", "http://192.168.1.5:80"),
        ] {
            assert_eq!(demo_base_url(addr.parse().unwrap()), expected, "{addr}");
        }
    }
}
