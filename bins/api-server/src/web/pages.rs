//! The HTML pages. Each is an askama template with no data in it: the page's module fetches what it
//! shows from the JSON API with the token kept in `sessionStorage`.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use jiff::Timestamp;
use store::StoreErrorKind;
use sync_engine::{ElectionId, Phase};

use super::assets;
use crate::state::AppState;

/// What the browser may load: only our own files, no inline script or style, no framing.
const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
     img-src 'self' data:; connect-src 'self'; form-action 'self'; base-uri 'none'; \
     frame-ancestors 'none'";

/// The sign-in page.
#[derive(Template)]
#[template(path = "sign_in.html")]
struct SignInPage {
    assets: String,
    /// Shown when the form was posted without JavaScript.
    needs_script: bool,
}

/// The elections list.
#[derive(Template)]
#[template(path = "elections.html")]
struct ElectionsPage {
    assets: String,
}

/// Create (no id) or edit (an id) an election.
#[derive(Template)]
#[template(path = "election_form.html")]
struct ElectionFormPage {
    assets: String,
    election_id: Option<String>,
}

/// The election management page with its Notion Integration section.
#[derive(Template)]
#[template(path = "election.html")]
struct ElectionPage {
    assets: String,
    election_id: String,
    /// Where to open the linked page instead of its Notion URL (demo: the emulator's view of it,
    /// `{this}{page id}`); empty: the page's own URL.
    notion_view_base: String,
}

/// The history of sync runs, newest first.
#[derive(Template)]
#[template(path = "sync_runs.html")]
struct SyncRunsPage {
    assets: String,
}

/// One sync run with its log.
#[derive(Template)]
#[template(path = "sync_run.html")]
struct SyncRunPage {
    assets: String,
    run_id: String,
}

/// The sync health charts.
#[derive(Template)]
#[template(path = "sync_health.html")]
struct SyncHealthPage {
    assets: String,
}

/// The Notion connections and their databases.
#[derive(Template)]
#[template(path = "connections.html")]
struct ConnectionsPage {
    assets: String,
}

/// The page the OAuth callback answers with: the connection made, or why none was.
#[derive(Template)]
#[template(path = "oauth_callback.html")]
struct OAuthCallbackPage {
    assets: String,
    title: String,
    connected: bool,
    replaced: bool,
    workspace: String,
    connection_id: String,
    message: String,
}

/// What the OAuth callback page says.
pub(crate) struct OAuthOutcome {
    title: String,
    connected: bool,
    replaced: bool,
    workspace: String,
    connection_id: String,
    message: String,
}

impl OAuthOutcome {
    /// A workspace connected (`replaced`: it was connected before and got new tokens).
    pub(crate) fn connected(connection_id: String, workspace: String, replaced: bool) -> Self {
        Self {
            title: if replaced {
                "Notion workspace reconnected".into()
            } else {
                "Notion workspace connected".into()
            },
            connected: true,
            replaced,
            workspace,
            connection_id,
            message: String::new(),
        }
    }

    /// Nothing connected: why, and what to do.
    pub(crate) fn failed(title: &str, message: String) -> Self {
        Self {
            title: title.to_owned(),
            connected: false,
            replaced: false,
            workspace: String::new(),
            connection_id: String::new(),
            message,
        }
    }
}

/// The OAuth callback's page with `status`.
pub(crate) fn oauth_page(status: StatusCode, outcome: OAuthOutcome) -> HttpResponse {
    html(
        status,
        &OAuthCallbackPage {
            assets: assets::base_path(),
            title: outcome.title,
            connected: outcome.connected,
            replaced: outcome.replaced,
            workspace: outcome.workspace,
            connection_id: outcome.connection_id,
            message: outcome.message,
        },
    )
}

/// No such page.
#[derive(Template)]
#[template(path = "not_found.html")]
struct NotFoundPage {
    assets: String,
    path: String,
}

/// Demo mode's stand-in for the voting app's results page, where the results links lead.
#[derive(Template)]
#[template(path = "demo_results.html")]
struct DemoResultsPage {
    assets: String,
    id: String,
    found: bool,
    title: String,
    phase: &'static str,
    phase_class: &'static str,
}

/// Renders a page with the headers every page gets.
fn html(status: StatusCode, page: &impl Template) -> HttpResponse {
    match page.render() {
        Ok(body) => HttpResponse::build(status)
            .insert_header((header::CONTENT_TYPE, "text/html; charset=utf-8"))
            .insert_header((header::CACHE_CONTROL, "no-cache"))
            .insert_header((
                header::CONTENT_SECURITY_POLICY,
                HeaderValue::from_static(CONTENT_SECURITY_POLICY),
            ))
            .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
            .insert_header((header::X_FRAME_OPTIONS, "DENY"))
            // Links to Notion pages must not tell Notion which election page they came from.
            .insert_header((header::REFERRER_POLICY, "no-referrer"))
            .body(body),
        Err(error) => {
            tracing::error!(error = %error, "admin page failed to render");
            HttpResponse::InternalServerError()
                .insert_header((header::CONTENT_TYPE, "text/plain; charset=utf-8"))
                .body("the admin page failed to render; the error has been logged")
        }
    }
}

/// Election ids are `elec_` and hex today; accept any short id of URL-safe characters and let the
/// API answer 404 for ids that do not exist.
fn valid_election_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 100
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// `GET /ui/sign-in`.
pub(crate) async fn sign_in() -> HttpResponse {
    html(
        StatusCode::OK,
        &SignInPage {
            assets: assets::base_path(),
            needs_script: false,
        },
    )
}

/// `POST /ui/sign-in`: only reached when the browser runs no JavaScript (the module handles the
/// form otherwise). The body is ignored, and the page says what is needed.
pub(crate) async fn sign_in_without_script() -> HttpResponse {
    html(
        StatusCode::OK,
        &SignInPage {
            assets: assets::base_path(),
            needs_script: true,
        },
    )
}

/// `GET /ui/`.
pub(crate) async fn elections() -> HttpResponse {
    html(
        StatusCode::OK,
        &ElectionsPage {
            assets: assets::base_path(),
        },
    )
}

/// `GET /ui/elections/new`.
pub(crate) async fn new_election() -> HttpResponse {
    html(
        StatusCode::OK,
        &ElectionFormPage {
            assets: assets::base_path(),
            election_id: None,
        },
    )
}

/// `GET /ui/elections/{id}/edit`.
pub(crate) async fn edit_election(req: HttpRequest, id: web::Path<String>) -> HttpResponse {
    let id = id.into_inner();
    if !valid_election_id(&id) {
        return not_found(req).await;
    }
    html(
        StatusCode::OK,
        &ElectionFormPage {
            assets: assets::base_path(),
            election_id: Some(id),
        },
    )
}

/// `GET /ui/elections/{id}`.
pub(crate) async fn election(
    req: HttpRequest,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> HttpResponse {
    let id = id.into_inner();
    if !valid_election_id(&id) {
        return not_found(req).await;
    }
    html(
        StatusCode::OK,
        &ElectionPage {
            assets: assets::base_path(),
            election_id: id,
            notion_view_base: state.notion_page_view_base.clone().unwrap_or_default(),
        },
    )
}

/// `GET /ui/sync/runs`.
pub(crate) async fn sync_runs() -> HttpResponse {
    html(
        StatusCode::OK,
        &SyncRunsPage {
            assets: assets::base_path(),
        },
    )
}

/// `GET /ui/sync/runs/{id}`: run ids are UUIDs; anything else is no page.
pub(crate) async fn sync_run(req: HttpRequest, id: web::Path<String>) -> HttpResponse {
    let Ok(id) = uuid::Uuid::parse_str(&id) else {
        return not_found(req).await;
    };
    html(
        StatusCode::OK,
        &SyncRunPage {
            assets: assets::base_path(),
            run_id: id.hyphenated().to_string(),
        },
    )
}

/// `GET /ui/connections`.
pub(crate) async fn connections() -> HttpResponse {
    html(
        StatusCode::OK,
        &ConnectionsPage {
            assets: assets::base_path(),
        },
    )
}

/// `GET /ui/sync/health`.
pub(crate) async fn sync_health() -> HttpResponse {
    html(
        StatusCode::OK,
        &SyncHealthPage {
            assets: assets::base_path(),
        },
    )
}

/// `GET /e/{election_id}/results`, in demo mode only: the election's title and phase, labelled as a
/// placeholder for the voting app's page; 404 for an id that is malformed or unknown.
pub(crate) async fn demo_results(
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> HttpResponse {
    let id = id.into_inner();
    let mut page = DemoResultsPage {
        assets: assets::base_path(),
        id: id.clone(),
        found: false,
        title: String::new(),
        phase: "",
        phase_class: "",
    };
    let election_id = match ElectionId::parse(id) {
        Ok(election_id) if valid_election_id(election_id.as_str()) => election_id,
        _ => return html(StatusCode::NOT_FOUND, &page),
    };
    let record = match state.store.get_election(&election_id).await {
        Ok(record) => record,
        Err(error) if error.kind() == StoreErrorKind::NotFound => {
            return html(StatusCode::NOT_FOUND, &page);
        }
        Err(error) => return store_unavailable(&error),
    };
    (page.phase, page.phase_class) = match record.election.phase(Timestamp::now()) {
        Phase::Upcoming => ("Upcoming", "upcoming"),
        Phase::Open => ("Open", "open"),
        Phase::Closed => ("Closed", "closed"),
    };
    page.found = true;
    page.title = record.election.title;
    html(StatusCode::OK, &page)
}

/// 503 for a page whose store read failed (logged).
fn store_unavailable(error: &dyn std::fmt::Display) -> HttpResponse {
    tracing::error!(%error, "a page could not read the store");
    HttpResponse::ServiceUnavailable()
        .insert_header((header::CONTENT_TYPE, "text/plain; charset=utf-8"))
        .body("the store could not be read; the error has been logged")
}

/// Any other path under `/ui`.
pub(crate) async fn not_found(req: HttpRequest) -> HttpResponse {
    html(
        StatusCode::NOT_FOUND,
        &NotFoundPage {
            assets: assets::base_path(),
            path: req.path().to_owned(),
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn election_ids_are_checked_before_reaching_a_page() {
        assert!(valid_election_id("elec_0196f6a9c1c97d8a9b3e2f4a5b6c7d8e"));
        for bad in ["", "a/b", "a b", "<script>", &"x".repeat(101)] {
            assert!(!valid_election_id(bad), "{bad}");
        }
    }

    #[test]
    fn pages_escape_what_they_echo() {
        let page = NotFoundPage {
            assets: assets::base_path(),
            path: "/ui/<script>alert(1)</script>".into(),
        };
        let body = page.render().expect("renders");
        assert!(!body.contains("<script>alert"), "{body}");
        assert!(body.contains("&#60;script&#62;"), "{body}");
    }

    #[test]
    fn every_form_control_has_a_label() {
        let pages = [
            SignInPage {
                assets: String::new(),
                needs_script: false,
            }
            .render(),
            ElectionFormPage {
                assets: String::new(),
                election_id: Some("elec_1".into()),
            }
            .render(),
            ElectionPage {
                assets: String::new(),
                election_id: "elec_1".into(),
                notion_view_base: String::new(),
            }
            .render(),
            SyncRunsPage {
                assets: String::new(),
            }
            .render(),
            SyncRunPage {
                assets: String::new(),
                run_id: uuid::Uuid::nil().to_string(),
            }
            .render(),
            SyncHealthPage {
                assets: String::new(),
            }
            .render(),
            ConnectionsPage {
                assets: String::new(),
            }
            .render(),
        ];
        for page in pages {
            let page = page.expect("renders");
            for control in ["<input", "<select", "<textarea"] {
                for piece in page.split(control).skip(1) {
                    let tag = piece.split('>').next().unwrap_or_default();
                    if tag.contains("type=\"radio\"") || tag.contains("type=\"hidden\"") {
                        continue;
                    }
                    let id = tag
                        .split("id=\"")
                        .nth(1)
                        .and_then(|rest| rest.split('"').next())
                        .unwrap_or_else(|| panic!("{control} without an id: {tag}"));
                    assert!(
                        page.contains(&format!("for=\"{id}\"")),
                        "no <label for=\"{id}\">"
                    );
                }
            }
        }
    }
}
