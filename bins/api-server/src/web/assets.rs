//! The page's CSS and JavaScript, embedded in the binary and served under a versioned path.
//!
//! Every asset URL is `/ui/assets/{VERSION}/{file}`, where `VERSION` is a hash of all the assets,
//! computed at compile time. Relative `import`s between the modules stay inside the versioned
//! folder, so a whole release can be cached for a year (`immutable`), and a new build changes the
//! folder. A request naming another version still gets today's file, but with `no-cache`.

use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, web};

/// One embedded file.
struct Asset {
    name: &'static str,
    content_type: &'static str,
    body: &'static [u8],
}

const JS: &str = "text/javascript; charset=utf-8";

macro_rules! asset {
    ($name:literal, $type:expr) => {
        Asset {
            name: $name,
            content_type: $type,
            body: include_bytes!(concat!("../../static/", $name)),
        }
    };
}

const ASSETS: &[Asset] = &[
    asset!("admin.css", "text/css; charset=utf-8"),
    asset!("api.js", JS),
    asset!("ui.js", JS),
    asset!("live.js", JS),
    asset!("sign-in.js", JS),
    asset!("elections.js", JS),
    asset!("election-form.js", JS),
    asset!("election.js", JS),
    asset!("sync-runs.js", JS),
    asset!("sync-run.js", JS),
    asset!("connections.js", JS),
    asset!("health.css", "text/css; charset=utf-8"),
    asset!("chart.js", JS),
    asset!("health.js", JS),
];

/// FNV-1a over every asset's name and bytes: cheap, stable, and enough to tell builds apart.
const fn fingerprint(assets: &[Asset]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let mut a = 0;
    while a < assets.len() {
        let parts = [assets[a].name.as_bytes(), assets[a].body];
        let mut p = 0;
        while p < parts.len() {
            let bytes = parts[p];
            let mut i = 0;
            while i < bytes.len() {
                hash ^= bytes[i] as u64;
                hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
                i += 1;
            }
            p += 1;
        }
        a += 1;
    }
    hash
}

const VERSION_HASH: u64 = fingerprint(ASSETS);

/// The versioned folder of today's assets, e.g. `/ui/assets/3f9a…`: templates put it in front of
/// every asset name.
pub(crate) fn base_path() -> String {
    format!("{}/assets/{VERSION_HASH:016x}", super::UI_PREFIX)
}

/// `GET /ui/assets/{version}/{file}`.
pub(crate) async fn serve(req: HttpRequest, path: web::Path<(String, String)>) -> HttpResponse {
    let (version, file) = path.into_inner();
    let Some(asset) = ASSETS.iter().find(|a| a.name == file) else {
        return super::pages::not_found(req).await;
    };
    let current = version == format!("{VERSION_HASH:016x}");
    let etag = format!("\"{VERSION_HASH:016x}\"");
    let cache = if current {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    };
    let matches_etag = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|tag| tag.trim() == etag));
    let mut response = if matches_etag {
        HttpResponse::NotModified()
    } else {
        HttpResponse::Ok()
    };
    response
        .insert_header((header::CACHE_CONTROL, cache))
        .insert_header((header::ETAG, etag))
        .insert_header((
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ));
    if matches_etag {
        return response.finish();
    }
    response
        .insert_header((header::CONTENT_TYPE, asset.content_type))
        .body(asset.body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_version_changes_with_any_byte() {
        let a = [Asset {
            name: "a.js",
            content_type: JS,
            body: b"let x = 1;",
        }];
        let b = [Asset {
            name: "a.js",
            content_type: JS,
            body: b"let x = 2;",
        }];
        assert_ne!(fingerprint(&a), fingerprint(&b));
        assert_eq!(fingerprint(&a), fingerprint(&a));
    }

    #[test]
    fn every_module_imported_by_another_is_embedded() {
        for asset in ASSETS.iter().filter(|a| a.name.ends_with(".js")) {
            let text = std::str::from_utf8(asset.body).expect("utf-8 module");
            for line in text.lines().filter(|l| l.starts_with("import ")) {
                let target = line
                    .split("'./")
                    .nth(1)
                    .and_then(|rest| rest.split('\'').next())
                    .unwrap_or_else(|| panic!("{}: relative import expected: {line}", asset.name));
                assert!(
                    ASSETS.iter().any(|a| a.name == target),
                    "{} imports {target}, which is not embedded",
                    asset.name
                );
            }
        }
    }
}
