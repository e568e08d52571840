//! Placeholder entry point; the binary is built out in its own issue.

fn main() {}
