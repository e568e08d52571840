//! Fixed ids and tokens of the demo workspace (`fixtures/workspaces/demo.json`, embedded as
//! [`crate::DEMO_WORKSPACE_JSON`]).

use uuid::{Uuid, uuid};

/// Token of the demo integration "Election Sync (demo)".
pub const TOKEN: &str = "ntn_demo_election_sync_token";
/// Token of an integration without the read-content capability (403 on reads).
pub const NO_READ_TOKEN: &str = "ntn_demo_no_read_token";
/// Token of an all-access integration (sees every object).
pub const ADMIN_TOKEN: &str = "ntn_demo_admin_token";
/// Bot user id of the demo integration.
pub const INTEGRATION_ID: Uuid = uuid!("b0000000-0000-4000-8000-000000000001");
/// Name of the demo integration.
pub const INTEGRATION_NAME: &str = "Election Sync (demo)";
/// The person who edits "in the UI" (Ada Admin).
pub const HUMAN_ID: Uuid = uuid!("a0000000-0000-4000-8000-000000000001");
/// "Election HQ", the page shared with the demo integration.
pub const ROOT_PAGE: Uuid = uuid!("10000000-0000-4000-8000-000000000001");
/// "Private notes", not shared with anyone.
pub const PRIVATE_PAGE: Uuid = uuid!("10000000-0000-4000-8000-000000000002");
/// The "Elections" database.
pub const ELECTIONS_DB: Uuid = uuid!("d0000000-0000-4000-8000-000000000001");
/// Its data source.
pub const ELECTIONS_DS: Uuid = uuid!("d5000000-0000-4000-8000-000000000001");
/// "Board President 2026" (Not started).
pub const BOARD_PRESIDENT: Uuid = uuid!("e0000000-0000-4000-8000-000000000001");
/// "Budget Referendum" (In Voting).
pub const BUDGET_REFERENDUM: Uuid = uuid!("e0000000-0000-4000-8000-000000000002");
/// "Annual General Meeting Motions" (Done, with a results link).
pub const AGM_MOTIONS: Uuid = uuid!("e0000000-0000-4000-8000-000000000003");
/// "Private Ballots": a database not shared with the demo integration.
pub const PRIVATE_DB: Uuid = uuid!("d0000000-0000-4000-8000-000000000002");
/// Its data source.
pub const PRIVATE_DS: Uuid = uuid!("d5000000-0000-4000-8000-000000000002");
/// Its page "Secret Ballot Draft".
pub const PRIVATE_PAGE_ROW: Uuid = uuid!("e0000000-0000-4000-8000-000000000011");
/// "Legacy Elections": shared, but its status has no "In Voting" option.
pub const LEGACY_DB: Uuid = uuid!("d0000000-0000-4000-8000-000000000003");
/// Its data source.
pub const LEGACY_DS: Uuid = uuid!("d5000000-0000-4000-8000-000000000003");
/// Its page "Treasurer 2025".
pub const LEGACY_PAGE: Uuid = uuid!("e0000000-0000-4000-8000-000000000021");
/// Property ids in the demo data sources.
pub const PROP_DESCRIPTION: &str = "desc";
/// The "Voting Status" property id (URL-encoded, as Notion returns it).
pub const PROP_VOTING_STATUS: &str = "v%3Ast";
/// The "Results Link" property id.
pub const PROP_RESULTS_LINK: &str = "link";
