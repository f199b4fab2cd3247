//! The browser bundle under `/pkg` (wasm, JS, CSS): served precompressed (`cargo leptos build
//! --precompress` writes a `.br` and a `.gz` beside each file; the browser gets brotli or gzip as it
//! accepts) and, when the build named the files by their content (`hash-files`), cached by browsers
//! for a year: a new build has new names, so a repeat visit fetches none of them again.

use axum::body::Body;
use axum::extract::Request;
use axum::http::header::CACHE_CONTROL;
use axum::http::{HeaderValue, Response, StatusCode};
use axum::middleware::{self, Next};
use axum::Router;
use leptos::config::LeptosOptions;
use std::path::{Path, PathBuf};
use tower_http::services::ServeDir;

/// For files whose name changes with their content.
const FOREVER: &str = "public, max-age=31536000, immutable";
/// For files that keep their name across builds (a development build): ask each time.
const REVALIDATE: &str = "no-cache";

/// The `/pkg` routes.
pub fn bundle<S: Clone + Send + Sync + 'static>(options: &LeptosOptions) -> Router<S> {
    let dir = Path::new(&*options.site_root).join(&*options.site_pkg_dir);
    let files = ServeDir::new(dir).precompressed_br().precompressed_gzip();
    let policy = if options.hash_files { FOREVER } else { REVALIDATE };
    Router::new()
        .nest_service(&format!("/{}", options.site_pkg_dir), files)
        .layer(middleware::from_fn(move |request: Request, next: Next| cache_for(policy, request, next)))
}

async fn cache_for(policy: &'static str, request: Request, next: Next) -> Response<Body> {
    let mut response = next.run(request).await;
    // A missing file may appear with the next build: only files found are cached.
    if response.status() == StatusCode::OK || response.status() == StatusCode::NOT_MODIFIED {
        response.headers_mut().insert(CACHE_CONTROL, HeaderValue::from_static(policy));
    }
    response
}

/// Whether the site's files carry content hashes in their names: `LEPTOS_HASH_FILES` when it is set,
/// otherwise whether cargo-leptos left its list of hashes beside this binary (it does for every build
/// with `hash-files`, and the page's script and stylesheet links are read from that list).
pub fn hashed(options: &LeptosOptions) -> bool {
    if let Some(value) = std::env::var_os("LEPTOS_HASH_FILES") {
        return value == "true";
    }
    hash_list(options).is_some_and(|path| path.exists())
}

fn hash_list(options: &LeptosOptions) -> Option<PathBuf> {
    Some(std::env::current_exe().ok()?.parent()?.join(&*options.hash_file))
}
