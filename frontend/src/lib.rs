//! The browser's entry point: hydrates the server-rendered page into the live app.

#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(app::App);
    // From here on every control works (and what was pressed before is pressed again).
    app::ui::before_hydration::mark_awake();
}
