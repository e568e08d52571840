//! The admin web page: server-rendered HTML (askama templates, checked at compile time) and a few
//! small ES modules, all embedded in the binary.
//!
//! The pages live under `/ui/` (`GET /admin` redirects there). They carry no data and need no
//! credentials: the browser signs in with the admin token, keeps it in `sessionStorage` for the
//! tab's life, and the page's modules call the `/admin` JSON API with `Authorization: Bearer`.
//! The token never appears in a URL, a cookie or `localStorage`. See docs/ADMIN-UI.md.

mod assets;
mod pages;

pub(crate) use pages::{OAuthOutcome, oauth_page};

use actix_web::http::header;
use actix_web::{HttpResponse, web};

/// Where the pages live.
pub(crate) const UI_PREFIX: &str = "/ui";

/// Mounts the admin web page on an app. Register it before the `/admin` API scope, so that the
/// `GET /admin` redirect is matched before the scope's bearer-token check.
pub(crate) fn configure(config: &mut web::ServiceConfig) {
    config
        .service(web::resource(["/admin", "/admin/"]).route(web::get().to(redirect_to_ui)))
        .service(web::resource(UI_PREFIX).route(web::get().to(redirect_to_ui)))
        .service(
            web::scope(UI_PREFIX)
                .service(
                    web::resource("/assets/{version}/{file}").route(web::get().to(assets::serve)),
                )
                .service(web::resource("/").route(web::get().to(pages::elections)))
                .service(
                    web::resource("/sign-in")
                        .route(web::get().to(pages::sign_in))
                        .route(web::post().to(pages::sign_in_without_script)),
                )
                .service(web::resource("/elections/new").route(web::get().to(pages::new_election)))
                .service(web::resource("/elections/{id}").route(web::get().to(pages::election)))
                .service(
                    web::resource("/elections/{id}/edit")
                        .route(web::get().to(pages::edit_election)),
                )
                .service(web::resource("/sync/runs").route(web::get().to(pages::sync_runs)))
                .service(web::resource("/sync/runs/{id}").route(web::get().to(pages::sync_run)))
                .service(web::resource("/sync/health").route(web::get().to(pages::sync_health)))
                .service(web::resource("/connections").route(web::get().to(pages::connections)))
                .default_service(web::to(pages::not_found)),
        );
}

/// Mounts, in demo mode only, the placeholder the demo's results links lead to (in a real
/// deployment they open the voting app at `BASE_URL`, and this server does not answer them).
pub(crate) fn configure_demo(config: &mut web::ServiceConfig) {
    config.service(
        web::resource("/e/{election_id}/results").route(web::get().to(pages::demo_results)),
    );
}

async fn redirect_to_ui() -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, format!("{UI_PREFIX}/")))
        .finish()
}
