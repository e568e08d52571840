//! `sync-runner`: the sync daemon and operator CLI. Everything lives in the library.

fn main() -> std::process::ExitCode {
    sync_runner::main_impl()
}
