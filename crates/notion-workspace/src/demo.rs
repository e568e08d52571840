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

/// The first workspace, "Election Demo Workspace".
pub const WORKSPACE_ID: Uuid = uuid!("0e1ec710-0000-4000-8000-000000000000");
/// The OAuth demo app's client id (a public integration installable in both demo workspaces).
pub const OAUTH_CLIENT_ID: &str = "demo-oauth-client";
/// The OAuth demo app's client secret.
pub const OAUTH_CLIENT_SECRET: &str = "demo-oauth-secret";
/// The OAuth demo app's registered redirect URI.
pub const OAUTH_REDIRECT_URI: &str = "http://127.0.0.1:8080/oauth/callback";
/// The OAuth demo app's bot id in the first workspace.
pub const OAUTH_BOT_ID: Uuid = uuid!("b0000000-0000-4000-8000-000000000004");

/// The second workspace, "Second Demo Workspace".
pub const SECOND_WORKSPACE_ID: Uuid = uuid!("0e1ec720-0000-4000-8000-000000000000");
/// Name of the second workspace.
pub const SECOND_WORKSPACE_NAME: &str = "Second Demo Workspace";
/// Token of the second workspace's internal integration "Board Sync (internal)".
pub const SECOND_TOKEN: &str = "ntn_demo_second_workspace_token";
/// Bot user id of the second workspace's internal integration.
pub const SECOND_INTEGRATION_ID: Uuid = uuid!("b1000000-0000-4000-8000-000000000001");
/// Token of the second workspace's all-access integration.
pub const SECOND_ADMIN_TOKEN: &str = "ntn_demo_second_admin_token";
/// The OAuth demo app's bot id in the second workspace.
pub const SECOND_OAUTH_BOT_ID: Uuid = uuid!("b1000000-0000-4000-8000-000000000004");
/// The person of the second workspace who edits "in the UI" (Cleo Chair).
pub const SECOND_HUMAN_ID: Uuid = uuid!("a1000000-0000-4000-8000-000000000001");
/// "Board Room", the second workspace's page shared with its internal integration.
pub const BOARD_ROOM_PAGE: Uuid = uuid!("11000000-0000-4000-8000-000000000001");
/// "Board Archive", a page of the second workspace shared with nobody.
pub const BOARD_ARCHIVE_PAGE: Uuid = uuid!("11000000-0000-4000-8000-000000000002");
/// The "Board Elections" database (same property shape as "Elections").
pub const BOARD_ELECTIONS_DB: Uuid = uuid!("d1000000-0000-4000-8000-000000000001");
/// Its data source.
pub const BOARD_ELECTIONS_DS: Uuid = uuid!("d5100000-0000-4000-8000-000000000001");
/// "Chair 2026" (Not started).
pub const BOARD_CHAIR: Uuid = uuid!("e1000000-0000-4000-8000-000000000001");
/// "Bylaw Amendment" (In Voting).
pub const BYLAW_AMENDMENT: Uuid = uuid!("e1000000-0000-4000-8000-000000000002");
