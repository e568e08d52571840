//! Graceful shutdown on SIGINT and SIGTERM.

use tokio_util::sync::CancellationToken;

/// Returns a token that is cancelled on the first SIGINT (Ctrl-C) or SIGTERM.
///
/// Both signals mean "finish what is in flight, record it, and exit": a daemon stopped by its service
/// manager (SIGTERM) and one stopped by a person (Ctrl-C) behave the same. Must be called inside a
/// tokio runtime.
pub fn shutdown_token() -> CancellationToken {
    let token = CancellationToken::new();
    let cancel = token.clone();
    tokio::spawn(async move {
        wait_for_signal().await;
        tracing::info!("shutdown requested; finishing work in flight");
        cancel.cancel();
    });
    token
}

#[cfg(unix)]
async fn wait_for_signal() {
    use tokio::signal::unix::{SignalKind, signal};
    match signal(SignalKind::terminate()) {
        Ok(mut terminate) => {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = terminate.recv() => {}
            }
        }
        Err(error) => {
            tracing::warn!(%error, "cannot listen for SIGTERM; only Ctrl-C stops gracefully");
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}

#[cfg(not(unix))]
async fn wait_for_signal() {
    let _ = tokio::signal::ctrl_c().await;
}
