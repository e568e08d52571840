//! An election's several Notion links on its page: the link form's dropdowns offer the chosen
//! database's properties of the right type, a second page is added and listed beside the primary,
//! removed again, and a page another election uses is refused naming that election.

use notion_emulator::demo;
use reqwest::Method;
use serde_json::{Value, json};

use crate::harness::Env;

const OPEN: (&str, &str) = ("2020-01-01T00:00:00Z", "2099-01-01T00:00:00Z");

/// The value of the two-dates choice of the voting window dropdown (election.js's `SPLIT`).
const TWO_DATES: &str = "__two_dates__";

async fn open_manage_page(env: &Env, id: &str, title: &str) {
    env.open(&format!("/ui/elections/{id}")).await;
    env.wait_text("#election-title", title).await;
}

/// The values a dropdown offers, in order.
async fn options(env: &Env, css: &str) -> Vec<String> {
    let values = env
        .js(
            "return [...document.querySelector(arguments[0]).options].map(o => o.value);",
            vec![json!(css)],
        )
        .await;
    serde_json::from_value(values).expect("a list of strings")
}

/// The value a control has now.
async fn value(env: &Env, css: &str) -> String {
    env.js(
        "return document.querySelector(arguments[0]).value;",
        vec![json!(css)],
    )
    .await
    .as_str()
    .unwrap_or_default()
    .to_owned()
}

async fn select(env: &Env, css: &str, label: &str) {
    env.find(css)
        .await
        .select_by_label(label)
        .await
        .unwrap_or_else(|e| panic!("{css}: no option {label:?}: {e}"));
}

/// Chooses a database and waits until the dropdowns offer its properties.
async fn choose_database(env: &Env, name: &str) {
    select(env, "#database", name).await;
    env.wait_text("#mapping-status", &format!("properties of {name}"))
        .await;
}

/// Clicks the search result whose label is `title`.
async fn choose_result(env: &Env, title: &str) {
    env.wait_text("#page-results", title).await;
    let chosen = env
        .js(
            "const label = [...document.querySelectorAll('#page-results label')]
                 .find(l => l.textContent === arguments[0]);
             if (!label) return false;
             label.click();
             return true;",
            vec![json!(title)],
        )
        .await;
    if chosen != Value::Bool(true) {
        env.fail(&format!("no search result {title:?}")).await;
    }
    env.wait_text("#chosen-page", title).await;
}

/// Clicks the button `button` (a CSS selector) in the link row that mentions `page`.
async fn click_in_row(env: &Env, page: &str, button: &str) {
    let clicked = env
        .js(
            "const row = [...document.querySelectorAll('#notion-links li.link-row')]
                 .find(r => r.innerText.includes(arguments[0]));
             const b = row && row.querySelector(arguments[1]);
             if (!b || b.disabled) return false;
             b.click();
             return true;",
            vec![json!(page), json!(button)],
        )
        .await;
    if clicked != Value::Bool(true) {
        env.fail(&format!("no enabled {button} in the row of {page:?}"))
            .await;
    }
}

/// Waits until the links list has `count` rows, the one mentioning `primary` alone marked primary.
async fn wait_rows(env: &Env, count: usize, primary: &str) {
    env.wait_js(
        &format!("{count} link rows, {primary:?} the primary"),
        &format!(
            "const rows = [...document.querySelectorAll('#notion-links li.link-row')];
             const marked = rows.filter(r => r.querySelector('.link-primary'));
             return rows.length === {count} && marked.length === 1
                 && marked[0].innerText.includes({primary:?})
                 && marked[0].querySelector('.link-primary').innerText === 'Primary'
                 && !marked[0].querySelector('.link-make-primary');"
        ),
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_link_form_offers_each_field_the_properties_of_its_type() {
    let env = Env::start("links-dropdowns").await;
    env.emulator
        .update_data_source_as_user(
            demo::ELECTIONS_DS,
            json!({"properties": {
                "Voting window": {"date": {}},
                "Opens": {"date": {}},
                "Closes": {"date": {}},
                "Election ref": {"rich_text": {}},
                "Stage": {"select": {"options": [{"name": "Soon"}, {"name": "Voting"}, {"name": "Over"}]}}
            }}),
        )
        .expect("schema edited in Notion");
    let id = env.create_election("Board", OPEN.0, OPEN.1).await;
    env.sign_in().await;
    open_manage_page(&env, &id, "Board").await;
    env.click("#open-link-form").await;
    env.wait_text("#database", "Legacy Elections").await;
    choose_database(&env, "Elections").await;

    // Each field offers only the properties that can hold it, the defaults preselected.
    let expect = [
        ("#status-property", vec!["Voting Status"], "Voting Status"),
        ("#results-property", vec!["Results Link"], "Results Link"),
        (
            "#title-property",
            vec!["Description", "Election ref", "Name"],
            "Name",
        ),
        (
            "#description-property",
            vec!["Description", "Election ref"],
            "Description",
        ),
        (
            "#value-not-started",
            vec!["Not started", "In Voting", "Done"],
            "Not started",
        ),
        (
            "#value-in-voting",
            vec!["Not started", "In Voting", "Done"],
            "In Voting",
        ),
        (
            "#value-done",
            vec!["Not started", "In Voting", "Done"],
            "Done",
        ),
        (
            "#voting-window",
            vec!["", "Closes", "Opens", "Voting window", TWO_DATES],
            "",
        ),
        (
            "#election-id-property",
            vec!["", "Description", "Election ref"],
            "",
        ),
        ("#phase-property", vec!["", "Stage"], ""),
    ];
    for (css, offered, chosen) in expect {
        assert_eq!(options(&env, css).await, offered, "{css}");
        assert_eq!(value(&env, css).await, chosen, "{css}");
    }
    assert!(env.text("#voting-window").await.starts_with("none"));
    assert_eq!(env.text("#voting-split").await, "", "hidden until chosen");
    assert_eq!(env.text("#phase-values").await, "", "hidden until chosen");

    // Two dates: the second dropdown pair offers only the Date properties.
    select(&env, "#voting-window", "Two Date properties…").await;
    env.wait_js(
        "the two date dropdowns are shown",
        "return !document.getElementById('voting-split').hidden;",
    )
    .await;
    assert_eq!(
        options(&env, "#voting-opens").await,
        ["Closes", "Opens", "Voting window"]
    );
    assert_eq!(
        options(&env, "#voting-closes").await,
        ["Closes", "Opens", "Voting window"]
    );
    // The phase: its options are suggested for the three phase values.
    select(&env, "#phase-property", "Stage").await;
    env.wait_js(
        "the phase values are shown with the select's options",
        "return !document.getElementById('phase-values').hidden
             && [...document.querySelectorAll('#phase-options option')].map(o => o.value).join() === 'Soon,Voting,Over';",
    )
    .await;

    // The direction switches, and the plain sentence that follows them.
    env.wait_text(
        "#link-replaces",
        "The title and description will be taken from Notion",
    )
    .await;
    env.click("#title-push").await;
    env.wait_text(
        "#link-replaces",
        "The description will be taken from Notion and the title written to Notion",
    )
    .await;
    env.click("#description-push").await;
    env.wait_text(
        "#link-replaces",
        "The title and description will be written to Notion",
    )
    .await;
    env.click("#title-pull").await;
    env.click("#description-pull").await;
    env.wait_text(
        "#link-replaces",
        "The title and description will be taken from Notion",
    )
    .await;
    env.screenshots("mapping", "#mapping-status").await;

    // Another database: its own properties. The Legacy status has no "In Voting": the dropdown
    // says so rather than picking another option.
    choose_database(&env, "Legacy Elections").await;
    assert_eq!(options(&env, "#voting-window").await, [""]);
    assert_eq!(options(&env, "#phase-property").await, [""]);
    assert_eq!(value(&env, "#status-property").await, "Voting Status");
    assert_eq!(
        options(&env, "#value-in-voting").await,
        ["", "Not started", "Done"]
    );
    assert_eq!(value(&env, "#value-in-voting").await, "");
    assert!(
        env.text("#value-in-voting")
            .await
            .contains("No \"In Voting\" option")
    );
    assert_eq!(value(&env, "#value-done").await, "Done");
    env.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_page_is_listed_beside_the_primary_and_removed_again() {
    let env = Env::start("links-two-pages").await;
    env.emulator
        .update_data_source_as_user(
            demo::ELECTIONS_DS,
            json!({"properties": {"Voting window": {"date": {}}}}),
        )
        .expect("schema edited in Notion");
    // The Legacy database gets the "In Voting" option, so its page can be linked.
    env.emulator
        .update_data_source_as_user(
            demo::LEGACY_DS,
            json!({"properties": {"Voting Status": {"status": {"options": [
                {"name": "Not started"}, {"name": "In Voting"}, {"name": "Done"}
            ]}}}}),
        )
        .expect("option added in Notion");
    let id = env.create_election("Board", OPEN.0, OPEN.1).await;
    env.sign_in().await;
    open_manage_page(&env, &id, "Board").await;
    assert_eq!(env.text("#add-link").await, "", "nothing to add to yet");

    // The first page, with its voting window mapped, through the existing flow.
    env.click("#open-link-form").await;
    choose_database(&env, "Elections").await;
    choose_result(&env, "Board President 2026").await;
    select(&env, "#voting-window", "Voting window").await;
    env.wait_text("#validation", "can be linked").await;
    env.click("#link-submit").await;
    env.wait_text("#notion-status", "Linked to \"Board President 2026\"")
        .await;
    let election = env
        .api(Method::GET, &format!("/admin/elections/{id}"), None)
        .await;
    let mapping = &election["election"]["notion_mapping"];
    assert_eq!(mapping["voting_window"]["kind"], "range", "{mapping}");
    assert_eq!(
        mapping["voting_window"]["property"]["name"],
        "Voting window"
    );
    wait_rows(&env, 1, "Board President 2026").await;

    // "Add another page" opens the same form, for a page of the Legacy database.
    env.wait_text("#add-link", "Add another page").await;
    env.click("#add-link").await;
    env.wait_text("#link-form-heading", "Add another Notion page")
        .await;
    assert_eq!(env.text("#link-submit").await, "Add page");
    // Only the primary page is pulled from, and the form says so.
    env.wait_text("#link-replaces", "taken from the primary page only")
        .await;
    choose_database(&env, "Legacy Elections").await;
    assert_eq!(value(&env, "#value-in-voting").await, "In Voting");
    choose_result(&env, "Treasurer 2025").await;
    env.wait_text("#validation", "can be linked").await;
    env.click("#link-submit").await;
    env.wait_text("#notion-status", "Added \"Treasurer 2025\"")
        .await;
    wait_rows(&env, 2, "Board President 2026").await;
    let rows = env.text("#notion-links").await;
    assert!(rows.contains("in Legacy Elections"), "{rows}");
    assert!(rows.contains("in Elections"), "{rows}");
    // The primary is still the one the section's facts show.
    env.wait_text("#notion-page", "Board President 2026").await;
    let election = env
        .api(Method::GET, &format!("/admin/elections/{id}"), None)
        .await;
    let links = election["election"]["notion_links"].as_array().unwrap();
    assert_eq!(links.len(), 2, "{election}");
    env.screenshots("two-pages", "#notion-links-block").await;

    // Each row syncs its own page.
    click_in_row(&env, "Treasurer 2025", ".link-sync").await;
    env.wait_text("#notion-status", "Synced \"Treasurer 2025\" with Notion")
        .await;
    let status = env
        .emulator
        .page_property(demo::LEGACY_PAGE, "Voting Status")
        .expect("the page has a Voting Status");
    assert_eq!(status["status"]["name"], "In Voting");
    let row = env
        .wait_text(
            "#notion-links li.link-row:nth-child(2)",
            "as the sync wants",
        )
        .await;
    assert!(row.contains("Treasurer 2025"), "{row}");

    // Make the second page primary: the badge moves.
    click_in_row(&env, "Treasurer 2025", ".link-make-primary").await;
    env.wait_text(
        "#notion-status",
        "\"Treasurer 2025\" is now the primary page",
    )
    .await;
    wait_rows(&env, 2, "Treasurer 2025").await;

    // Remove the other one, after the confirmation; keeping it first changes nothing.
    click_in_row(&env, "Board President 2026", ".link-remove").await;
    env.wait_js(
        "the remove dialog is open",
        "return document.getElementById('remove-link-dialog').open;",
    )
    .await;
    let question = env.text("#remove-link-dialog").await;
    assert!(question.contains("Board President 2026"), "{question}");
    env.click("#cancel-remove-link").await;
    env.wait_js(
        "the dialog is closed",
        "return !document.getElementById('remove-link-dialog').open;",
    )
    .await;
    wait_rows(&env, 2, "Treasurer 2025").await;
    click_in_row(&env, "Board President 2026", ".link-remove").await;
    env.wait_js(
        "the remove dialog is open",
        "return document.getElementById('remove-link-dialog').open;",
    )
    .await;
    env.click("#confirm-remove-link").await;
    env.wait_text(
        "#notion-status",
        "Removed the link to \"Board President 2026\"",
    )
    .await;
    wait_rows(&env, 1, "Treasurer 2025").await;
    let election = env
        .api(Method::GET, &format!("/admin/elections/{id}"), None)
        .await;
    let links = election["election"]["notion_links"].as_array().unwrap();
    assert_eq!(links.len(), 1, "{election}");
    assert_eq!(links[0]["notion_page_id"], demo::LEGACY_PAGE.to_string());
    env.finish().await;
}

/// Waits for the form's refusal of a page `owner` has, naming it with a link to its page.
async fn assert_refused(env: &Env, owner: &str) {
    let text = env
        .wait_text("#validation", "already linked to another election")
        .await;
    assert!(text.contains("\"Budget vote\""), "{text}");
    assert!(text.contains("unlink it there first"), "{text}");
    let href = env
        .js(
            "return document.getElementById('taken-by').getAttribute('href');",
            vec![],
        )
        .await;
    assert_eq!(href, json!(format!("/ui/elections/{owner}")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_page_another_election_uses_is_refused_naming_that_election() {
    let env = Env::start("links-taken").await;
    let owner = env.create_election("Budget vote", OPEN.0, OPEN.1).await;
    env.api(
        Method::POST,
        &format!("/admin/elections/{owner}/notion/link"),
        Some(json!({"database_id": demo::ELECTIONS_DB.to_string(), "page_id": demo::BUDGET_REFERENDUM.to_string()})),
    )
    .await;
    let id = env.create_election("Board", OPEN.0, OPEN.1).await;
    env.sign_in().await;
    open_manage_page(&env, &id, "Board").await;

    // As the first link.
    env.click("#open-link-form").await;
    choose_database(&env, "Elections").await;
    choose_result(&env, "Budget Referendum").await;
    env.click("#link-submit").await;
    assert_refused(&env, &owner).await;
    env.scroll_to("#validation").await;
    env.screenshot("refused").await;

    // And as another page of a linked election.
    choose_result(&env, "Board President 2026").await;
    env.wait_text("#validation", "can be linked").await;
    env.click("#link-submit").await;
    env.wait_text("#notion-status", "Linked to \"Board President 2026\"")
        .await;
    env.click("#add-link").await;
    choose_database(&env, "Elections").await;
    choose_result(&env, "Budget Referendum").await;
    env.click("#link-submit").await;
    assert_refused(&env, &owner).await;
    let election = env
        .api(Method::GET, &format!("/admin/elections/{id}"), None)
        .await;
    assert_eq!(
        election["election"]["notion_links"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    env.finish().await;
}
