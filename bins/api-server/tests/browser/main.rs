//! Browser tests of the admin web page: headless Chromium (Debian's `chromium` and
//! `chromium-driver`, installed by scripts/test) driven with fantoccini against a real api-server
//! and the Notion emulator. Screenshots of the main screens land in `target/browser-screenshots/`.

mod connections;
mod elections;
mod harness;
mod health;
mod links;
mod live;
mod managed;
mod notion;
mod sync_runs;
mod webhooks;
