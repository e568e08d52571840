//! Integration tests: the emulator over real HTTP (reqwest against the in-process server).

mod common;

mod auth_errors;
mod binary;
mod contract;
mod control;
mod databases;
mod faults_limits;
mod fidelity;
mod oauth;
mod pages;
mod property_items;
mod queries;
mod sdk_js;
mod search_blocks_users;
mod versions;
mod webhooks;
