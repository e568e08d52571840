//! `database create`: a new Notion database with the schema of a managed database (issue 12).

use notion_client::NotionId;
use sync_driver::{DriverError, STATUS_PROPERTY_NAME};

use crate::cli::DatabaseCreateArgs;
use crate::commands::once::driver_error;
use crate::config::sync_setup;
use crate::error::{Result, RunnerError};
use crate::exit_codes;
use crate::output::{print, print_json};

/// `database create`.
pub(crate) async fn create(args: DatabaseCreateArgs) -> Result<u8> {
    let parent = NotionId::parse(args.parent.trim()).map_err(|e| {
        RunnerError::Usage(format!(
            "--parent: {e}; paste the page's id (32 hex characters, a dashed UUID) or its URL"
        ))
    })?;
    let setup = sync_setup(&args.common.store, &args.sync).await?;
    let created = setup
        .driver
        .create_managed_database(parent, &args.title)
        .await
        .map_err(|e| match e {
            DriverError::InvalidInput { field, message } => {
                RunnerError::Usage(format!("--{field}: {message}"))
            }
            DriverError::Validation(message) => RunnerError::Usage(message),
            other => driver_error(other),
        })?;
    if args.json {
        print_json(&created)?;
        return Ok(exit_codes::OK);
    }
    let id = created.database_id;
    let name = created.title.replace([',', ':'], " ");
    let mut text = format!("Created the database '{}': {id}\n", created.title);
    if let Some(url) = &created.url {
        text.push_str(&format!("  {url}\n"));
    }
    if created.missing_status_options.is_empty() {
        text.push_str(&format!(
            "{STATUS_PROPERTY_NAME} has the options Not started, In Voting and Done.\n"
        ));
    } else {
        text.push_str(&format!(
            "Notion did not create these options of {STATUS_PROPERTY_NAME}: add them in Notion \
             (the property's ••• → Edit property) before an election opens: {}\n",
            created.missing_status_options.join(", ")
        ));
    }
    let allowlist: Vec<String> = setup
        .driver
        .allowlist()
        .entries()
        .iter()
        .map(|e| format!("{}:{}", e.id, e.name))
        .chain(std::iter::once(format!("{id}:{name}")))
        .collect();
    text.push_str(&format!(
        "\nNext:\n\
         1. Allow it for the internal connection: set NOTION_DATABASE_ALLOWLIST of the api-server \
            and of every sync-runner to\n     NOTION_DATABASE_ALLOWLIST='{}'\n   and restart them.\n\
         2. Switch it to managed: on the admin page (Connections → Manage), or\n     \
            curl -X PATCH -H \"Authorization: Bearer $ADMIN_TOKEN\" -H 'Content-Type: application/json' \\\n       \
            -d '{{\"mode\": \"managed\"}}' http://127.0.0.1:8080/admin/notion/databases/{id}\n\
         Every new election then gets its page there by itself; `sync-runner backfill --database {id}` \
         also gives existing ones theirs when include_existing is on.\n",
        allowlist.join(",")
    ));
    print(&text).map_err(anyhow::Error::from)?;
    Ok(exit_codes::OK)
}
