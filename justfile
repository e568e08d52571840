# Conveniences for developers; the README's two commands need no `just`.

# List the recipes.
default:
    @just --list

# Run the whole system on embedded defaults (SQLite + built-in Notion emulator + demo workspace).
demo:
    cargo run -p api-server -- --demo

# Run every test, installing what the tests need.
test:
    scripts/test

# Format, lint and test, as CI does.
ci:
    .ci/run

# Format the workspace.
fmt:
    cargo fmt --all

# Lint the workspace with warnings as errors.
lint:
    cargo clippy --workspace --all-targets -- -D warnings

# Serve the Notion emulator with its demo workspace.
emulator:
    cargo run -p notion-emulator -- --listen 127.0.0.1:7878

# Run the benchmarks.
bench:
    cargo bench --workspace
