//! `notion-emulator`: serves an emulated Notion REST API (demo workspace by default).

use std::net::SocketAddr;
use std::process::ExitCode;

use anyhow::Context;
use clap::Parser;
use notion_emulator::{Emulator, EmulatorConfig, RateLimit, WebhookSpec, Workspace};

/// Local emulator of Notion's REST API, for tests and offline demos.
#[derive(Debug, Parser)]
#[command(
    version,
    about,
    after_help = "Example:\n  notion-emulator --listen 127.0.0.1:7700 --rate-limit off\n  curl -H 'Authorization: Bearer ntn_demo_election_sync_token' -H 'Notion-Version: 2025-09-03' \\\n       http://127.0.0.1:7700/v1/data_sources/d5000000-0000-4000-8000-000000000001\n\nSee docs/EMULATOR.md for the control API under /__emulator/."
)]
struct Args {
    /// Address to listen on.
    #[arg(long, env = "NOTION_EMULATOR_LISTEN", default_value = "127.0.0.1:7700")]
    listen: SocketAddr,
    /// Workspace JSON file to serve instead of the built-in demo workspace.
    #[arg(long, env = "NOTION_EMULATOR_WORKSPACE")]
    workspace: Option<std::path::PathBuf>,
    /// Token for the workspace's first integration (the demo integration). Its value is never
    /// shown in this help.
    #[arg(long, env = "NOTION_EMULATOR_TOKEN", hide_env_values = true)]
    token: Option<String>,
    /// Per-token rate limit: N/60s, N (per 60 s) or off.
    #[arg(long, env = "NOTION_EMULATOR_RATE_LIMIT", default_value = "180/60s")]
    rate_limit: String,
    /// Workspace budget shared by every integration: N/300s, N (per 60 s) or off.
    #[arg(
        long,
        env = "NOTION_EMULATOR_WORKSPACE_RATE_LIMIT",
        default_value = "off"
    )]
    workspace_rate_limit: String,
    /// Maximum results per query before request_status=incomplete.
    #[arg(long, default_value_t = 10_000)]
    query_result_cap: usize,
    /// Subscribe this URL to the workspace's webhook events at start (e.g. the api-server's
    /// http://127.0.0.1:8080/webhooks/notion): it gets the verification POST, then signed events,
    /// delivered at once, in order. More subscriptions, with realism knobs: POST /__emulator/webhooks.
    #[arg(long, env = "NOTION_EMULATOR_WEBHOOK_URL")]
    webhook_url: Option<String>,
    /// The verification token of the --webhook-url subscription (default: a fresh one, printed).
    /// Its value is never shown in this help.
    #[arg(
        long,
        env = "NOTION_EMULATOR_WEBHOOK_VERIFICATION_TOKEN",
        hide_env_values = true,
        requires = "webhook_url"
    )]
    webhook_verification_token: Option<String>,
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .init();
    match run(Args::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("notion-emulator: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: Args) -> anyhow::Result<()> {
    let workspace = match &args.workspace {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("reading workspace file {}", path.display()))?;
            Workspace::from_json(&text).with_context(|| format!("in {}", path.display()))?
        }
        None => Workspace::demo(),
    };
    let rate_limit = RateLimit::parse(&args.rate_limit)
        .map_err(anyhow::Error::msg)
        .context("--rate-limit")?;
    let workspace_rate_limit = RateLimit::parse(&args.workspace_rate_limit)
        .map_err(anyhow::Error::msg)
        .context("--workspace-rate-limit")?;
    let mut config = EmulatorConfig::default()
        .with_workspace(workspace)
        .with_listen(args.listen)
        .with_rate_limit(rate_limit)
        .with_workspace_rate_limit(workspace_rate_limit)
        .with_query_result_cap(args.query_result_cap);
    if let Some(token) = args.token {
        config = config.with_token(token);
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let emulator = Emulator::start(config).await?;
        println!("Notion emulator serving {}", emulator.base_url());
        println!("  token:     {}", emulator.demo_token());
        println!("  workspace: {}/__emulator/", emulator.base_url());
        if let Some(url) = &args.webhook_url {
            let given = args.webhook_verification_token.is_some();
            let mut spec = WebhookSpec::new(url.clone());
            spec.verification_token = args.webhook_verification_token.clone();
            let sub = emulator.subscribe_webhook(spec).context("--webhook-url")?;
            println!("  webhooks:  {url} (subscription {})", sub.id);
            if !given {
                println!("  webhook verification token: {}", sub.verification_token);
            }
        }
        tokio::signal::ctrl_c().await?;
        emulator.shutdown().await;
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verify_cli() {
        use clap::CommandFactory;
        Args::command().debug_assert();
    }
}
