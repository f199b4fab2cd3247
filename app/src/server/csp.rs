//! The Content-Security-Policy: a page may run only this origin's scripts, its one inline hydration
//! script (by the nonce Leptos puts on it, new for every response), and this origin's WebAssembly; it
//! may load styles, images and data only from here, never be framed, and never post a form elsewhere.
//! A cross-site script that slipped into a page would find nothing it may run.

use http::HeaderValue;
use leptos::nonce::use_nonce;
use leptos::prelude::use_context;
use leptos_axum::ResponseOptions;

/// For every response that is not a page (server function answers, files, errors): nothing at all.
pub const NOT_A_PAGE: &str = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/// A page's policy, with the nonce of its inline script.
pub fn page(nonce: &str) -> String {
    format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; style-src 'self'; \
         img-src 'self'; connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; \
         form-action 'self'; frame-ancestors 'none'"
    )
}

/// Gives the page being rendered its policy. Called by the shell of every page (the 404 page too).
pub fn apply_to_page() {
    let (Some(nonce), Some(response)) = (use_nonce(), use_context::<ResponseOptions>()) else { return };
    if let Ok(policy) = HeaderValue::from_str(&page(&nonce.to_string())) {
        response.insert_header(http::header::CONTENT_SECURITY_POLICY, policy);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_may_run_only_its_own_scripts_and_wasm() {
        let policy = page("abc123");
        for part in [
            "script-src 'self' 'nonce-abc123' 'wasm-unsafe-eval'",
            "frame-ancestors 'none'",
            "object-src 'none'",
            "base-uri 'none'",
        ] {
            assert!(policy.contains(part), "{part} in {policy}");
        }
        assert!(!policy.contains("unsafe-inline"), "{policy}");
    }
}
