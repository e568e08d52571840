//! Integration tests: the emulator over real HTTP (reqwest against the in-process server).

mod common;

mod auth_errors;
mod control;
mod databases;
mod faults_limits;
mod pages;
mod queries;
mod search_blocks_users;
