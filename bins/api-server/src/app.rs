//! The actix app: routes, middleware, OpenAPI document, and the HTTP server with graceful shutdown.

use std::net::TcpListener;
use std::sync::LazyLock;
use std::time::Duration;

use actix_http::{HttpService, Protocol, error::DispatchError};
use actix_service::{IntoServiceFactory, ServiceFactoryExt, fn_service, map_config};
use actix_web::dev::AppConfig;
use actix_web::dev::{ResourceDef, Server};
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::from_fn;
use actix_web::{App, HttpRequest, HttpResponse, ResponseError, web};
use tokio_util::sync::CancellationToken;
use tracing_actix_web::TracingLogger;
use utoipa::openapi::OpenApi as OpenApiDoc;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_actix_web::service_config::ServiceConfig;
use utoipa_actix_web::{AppExt, scope};
use utoipa_swagger_ui::SwaggerUi;

use crate::error::{ApiError, ErrorDetail, ErrorResponse};
use crate::extract::{json_config, path_config, payload_config, query_config};
use crate::limits::LimitedStream;
use crate::responses::{
    NotionFailed, NotionUnavailable, PayloadTooLarge, TooManyFailedLogins, Unauthorized,
    UnsupportedMediaType,
};
use crate::routes::{
    activity, changes, connections, databases, elections, health, health_history, links, notion,
    runs, schema, webhooks,
};
use crate::state::AppState;
use crate::throttle::SignInThrottle;
use crate::{auth, headers, metrics};

/// Path of the OpenAPI document.
pub const OPENAPI_PATH: &str = "/openapi.json";
/// Path of the API docs page (Swagger UI, served from the binary: works offline).
pub const DOCS_PATH: &str = "/docs/";

#[derive(OpenApi)]
#[openapi(
    info(
        title = "election-notion-sync admin API",
        description = "Elections, their Notion links, manual sync and sync history. Every /admin route \
requires `Authorization: Bearer <ADMIN_TOKEN>`. Errors are `{\"success\": false, \"error\": {\"code\", \"message\"}}`."
    ),
    modifiers(&BearerSecurity),
    components(
        schemas(ErrorResponse, ErrorDetail),
        responses(Unauthorized, TooManyFailedLogins, PayloadTooLarge, UnsupportedMediaType, NotionFailed, NotionUnavailable)
    ),
    tags(
        (name = "elections", description = "Create, list, read, update and delete elections"),
        (name = "notion", description = "The allowlist, page search and validation, link, unlink and sync"),
        (name = "connections", description = "Notion connections: the internal integration and the workspaces connected through OAuth, and the databases allowed on each"),
        (name = "sync", description = "Sync run history and logs"),
        (name = "operations", description = "Health, readiness and metrics"),
        (name = "webhooks", description = "Notion webhooks: the receiver (signed by Notion, no bearer token), the verification tokens and the event inbox's health"),
    )
)]
struct ApiDoc;

struct BearerSecurity;

impl Modify for BearerSecurity {
    fn modify(&self, openapi: &mut OpenApiDoc) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("The server's ADMIN_TOKEN"))
                    .build(),
            ),
        );
    }
}

/// Registers every documented route: health, readiness, metrics and the `/admin` API (behind the
/// bearer token).
fn api_routes(config: &mut ServiceConfig<'_>) {
    config
        .service(health::healthz)
        .service(health::readyz)
        .service(health::metrics)
        // Outside /admin: the browser arrives from Notion; the single-use state authenticates it.
        .service(connections::oauth_callback)
        // Outside /admin: Notion signs its events; the signature authenticates them.
        .service(webhooks::receive)
        .service(
            scope::scope("/admin")
                .wrap(from_fn(auth::require_admin))
                .service(elections::create_election)
                .service(elections::list_elections)
                .service(elections::get_election)
                .service(elections::update_election)
                .service(elections::delete_election)
                .service(connections::list_connections)
                .service(connections::connect)
                .service(connections::disconnect)
                .service(connections::update_connection)
                .service(connections::connection_databases)
                .service(connections::allow_database)
                .service(connections::disallow_database)
                .service(notion::list_databases)
                .service(notion::search_pages)
                .service(schema::database_properties)
                .service(databases::get_database)
                .service(databases::update_database)
                .service(notion::validate_page)
                .service(notion::link)
                .service(notion::unlink)
                .service(notion::sync)
                .service(links::list_links)
                .service(links::add_link)
                .service(links::remove_link)
                .service(links::make_primary)
                .service(links::sync_link)
                .service(runs::list_runs)
                .service(runs::get_run)
                .service(health_history::health_history)
                .service(activity::election_activity)
                .service(changes::changes)
                .service(webhooks::webhooks)
                .service(webhooks::confirm)
                .default_service(web::to(not_found)),
        );
}

/// The OpenAPI document of the API, generated from the code.
pub fn openapi() -> OpenApiDoc {
    App::new()
        .into_utoipa_app()
        .openapi(ApiDoc::openapi())
        .configure(api_routes)
        .split_for_parts()
        .1
}

/// Every documented path with the methods it takes (`GET, POST`), from the OpenAPI document.
static DOCUMENTED_METHODS: LazyLock<Vec<(ResourceDef, String)>> = LazyLock::new(|| {
    openapi()
        .paths
        .paths
        .iter()
        .map(|(path, item)| {
            let methods = [
                ("GET", &item.get),
                ("PUT", &item.put),
                ("POST", &item.post),
                ("DELETE", &item.delete),
                ("OPTIONS", &item.options),
                ("HEAD", &item.head),
                ("PATCH", &item.patch),
                ("TRACE", &item.trace),
            ];
            let allowed: Vec<&str> = methods
                .iter()
                .filter(|(_, operation)| operation.is_some())
                .map(|(method, _)| *method)
                .collect();
            (ResourceDef::new(path.as_str()), allowed.join(", "))
        })
        .collect()
});

/// The answer for a request no route took: 405 with `Allow` when the path is documented but not
/// with this method, else 404.
async fn not_found(req: HttpRequest) -> HttpResponse {
    let documented = DOCUMENTED_METHODS
        .iter()
        .find(|(resource, _)| resource.is_match(req.path()));
    if let Some((_, allowed)) = documented {
        let mut response = ApiError::MethodNotAllowed(format!(
            "{} {} is not supported: use {allowed}; see {OPENAPI_PATH} or {DOCS_PATH}",
            headers::sent_method(&req),
            req.path()
        ))
        .error_response();
        if let Ok(value) = HeaderValue::from_str(allowed) {
            response.headers_mut().insert(header::ALLOW, value);
        }
        return response;
    }
    ApiError::NotFound(format!(
        "no route for {} {}: see {OPENAPI_PATH} or {DOCS_PATH}",
        headers::sent_method(&req),
        req.path()
    ))
    .error_response()
}

/// `GET /`: a person opening the server's bare address lands on the admin page.
async fn root_redirect() -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header(("Location", format!("{}/", crate::web::UI_PREFIX)))
        .finish()
}

async fn docs_redirect() -> HttpResponse {
    HttpResponse::PermanentRedirect()
        .insert_header(("Location", DOCS_PATH))
        .finish()
}

/// Serves the app on `listener` until `shutdown` is cancelled, then finishes the requests in flight
/// (graceful on SIGINT and SIGTERM alike: actix's own signal handling is off and the token drives
/// the stop). Returns the server, a `Send` future to await or spawn; it resolves once stopped.
pub fn serve(
    state: AppState,
    listener: TcpListener,
    workers: Option<usize>,
    shutdown: CancellationToken,
) -> std::io::Result<Server> {
    let demo = state.demo;
    let state = web::Data::new(state);
    let spec = openapi();
    // One throttle for all workers: a client must not get a fresh count on each.
    let throttle = web::Data::new(SignInThrottle::default());
    let app = move || {
        App::new()
            .app_data(state.clone())
            .app_data(throttle.clone())
            .app_data(json_config())
            .app_data(query_config())
            .app_data(path_config())
            .app_data(payload_config())
            // Innermost first: `HEAD` is routed as `GET` after metrics and logs saw it as `HEAD`.
            .wrap(from_fn(headers::head_as_get))
            .wrap(from_fn(headers::security_headers))
            .wrap(from_fn(metrics::track))
            .wrap(TracingLogger::default())
            // The admin web page (src/web), before the API scope so that `GET /admin` is matched
            // first.
            .configure(crate::web::configure)
            .configure(|config| {
                if demo {
                    crate::web::configure_demo(config);
                }
            })
            .into_utoipa_app()
            .configure(api_routes)
            .into_app()
            .service(SwaggerUi::new("/docs/{_:.*}").url(OPENAPI_PATH, spec.clone()))
            .route("/docs", web::get().to(docs_redirect))
            .route("/", web::get().to(root_redirect))
            .default_service(web::to(not_found))
    };
    // What `HttpServer::listen` does, with each connection wrapped in a `LimitedStream` (oversized
    // heads get a JSON answer, see src/limits.rs) and with the client's address kept for the
    // sign-in throttle.
    let addr = listener.local_addr()?;
    let mut builder = actix_server::Server::build()
        .disable_signals()
        .shutdown_signal(shutdown.cancelled_owned())
        .shutdown_timeout(30);
    if let Some(workers) = workers {
        builder = builder.workers(workers);
    }
    let graceful = builder.graceful_shutdown_signal();
    let builder = builder.listen("api-server", listener, move || {
        let graceful = graceful.clone();
        let factory = app()
            .into_factory()
            .map_err(|error: actix_web::Error| error.error_response());
        let http = HttpService::build()
            .graceful_shutdown_signal(move || {
                let graceful = graceful.clone();
                async move { graceful.notified().await }
            })
            .client_request_timeout(Duration::from_secs(5))
            .client_disconnect_timeout(Duration::from_secs(1))
            .local_addr(addr)
            .finish(map_config(factory, move |_| {
                AppConfig::__priv_test_new(false, addr.to_string(), addr)
            }));
        fn_service(|io: actix_web::rt::net::TcpStream| async move {
            // As actix-web does: answers are small and written whole, so Nagle only adds delay.
            let _ = io.set_nodelay(true);
            let peer = io.peer_addr().ok();
            Ok::<_, DispatchError>((LimitedStream::new(io), Protocol::Http1, peer))
        })
        .and_then(http)
    })?;
    Ok(builder.run())
}
