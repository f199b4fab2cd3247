//! The browser's entry point: hydrates the server-rendered page into the live app.

#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(app::App);
    // From here on every control works: browser tests and the browser benchmark wait for this mark
    // rather than for the network to fall quiet (a live progress stream never does).
    if let Some(root) = leptos::prelude::document().document_element() {
        // Only fails for an attribute name that is not valid; this one is.
        let _ = root.set_attribute("data-hydrated", "");
    }
}
