//! The store contract: what every backend of [`store::Store`] must do, written against the trait
//! and run against each backend (today SQLite, on real temporary files). A backend is added with
//! one factory in `backend.rs` and its name in the `backends` list below; every case then runs
//! against it too. What only one engine can show (SQLite's WAL, a file deleted under it, a process
//! killed mid-transaction, a lock held by another process, a full disk) is in that engine's own
//! test file (`tests/sqlite.rs`).

mod backend;
mod connections;
mod control;
mod demo;
mod elections;
mod links;
mod managed;
mod runs;
mod support;
mod webhooks;

/// Runs every case against every backend: a module per backend, a test per case, each case given
/// a fresh store of that backend (its [`backend::Fixture`]).
macro_rules! contract {
    (backends: [$($backend:ident),* $(,)?]; cases: $cases:tt) => {
        $(contract!(@backend $backend $cases);)*
    };
    (@backend $backend:ident [$($module:ident :: $case:ident),* $(,)?]) => {
        /// The contract against this backend.
        mod $backend {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $case() {
                    crate::$module::$case(crate::backend::$backend::fresh().await).await;
                }
            )*
        }
    };
}

contract! {
    backends: [sqlite];
    cases: [
        elections::election_crud,
        elections::bad_input_gives_typed_errors_and_writes_nothing,
        elections::elections_paginate_by_cursor,
        elections::link_relink_unlink_and_linked_listing,
        elections::due_filter_follows_the_planner_cadence,
        elections::record_sync_applies_state_observation_and_pulls,
        elections::batch_commits_everything_or_nothing,
        elections::one_store_shared_by_tasks,
        links::an_election_has_several_links_each_with_its_own_state,
        links::a_page_is_shown_by_one_link_only,
        connections::connections_are_keyed_by_workspace_and_bot_with_sealed_tokens,
        connections::a_database_belongs_to_the_connection_that_allows_it,
        connections::an_oauth_state_is_used_once_and_lapses,
        connections::a_connection_penalty_is_shared_and_keeps_the_later_end,
        managed::a_database_is_linked_until_switched_and_keeps_its_managed_since,
        managed::bad_managed_settings_name_the_field_and_write_nothing,
        managed::a_pass_summary_is_kept_and_the_last_full_pass_survives_deltas,
        managed::elections_updated_since_a_cursor_come_oldest_first_with_their_links,
        runs::cursors_get_set_reset,
        runs::runs_start_finish_list_and_logs,
        runs::runs_filtered_to_those_with_changes_page_across_idle_cycles,
        runs::old_runs_and_their_logs_are_pruned_in_one_go,
        runs::activity_pages_newest_first_with_the_trigger_and_the_history_buckets_by_minute,
        runs::sync_health_counts_linked_elections_and_finds_the_newest_runs,
        control::pause_and_resume,
        control::a_lease_is_exclusive_until_it_expires,
        control::taking_over_an_expired_lease_releases_only_the_dead_holders_dependents,
        control::two_processes_racing_for_a_lease_one_wins,
        control::phase_changes_for_wakeups,
        control::paused_elections_have_no_wakeups,
        demo::an_empty_store_is_marked_then_reset_at_each_claim,
        demo::a_store_holding_other_data_is_refused_and_left_as_it_was,
        demo::a_fresh_store_is_healthy_at_the_latest_schema,
        webhooks::a_verification_token_is_pending_until_confirmed,
        webhooks::an_operator_token_is_active_at_once_and_setting_it_again_changes_nothing,
        webhooks::events_are_stored_once_per_id_and_claimed_in_timestamp_order,
        webhooks::webhook_health_counts_events_rejections_backlog_and_lag,
    ]
}
