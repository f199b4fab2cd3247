//! What a user did on the server's page before the app woke (hydrated), so that no tap is lost: the
//! script in every page's head (`before_hydration.js`) keeps what needs the app (a button pressed, a
//! filter changed, a row tapped), and the components read here what the browser kept by itself (boxes
//! ticked, a search typed), because hydrating would otherwise set them back to the server's values.

use leptos::prelude::*;

/// The script, inline in the head (allowed by the page's nonce), so that it runs before the body.
pub const SCRIPT: &str = include_str!("before_hydration.js");

/// The attribute the app puts on `<html>` once it has hydrated the page: the script waits for it, and
/// so do the browser tests and the browser benchmark (rather than for the network to fall quiet, which
/// a live progress stream never does).
const AWAKE: &str = "data-hydrated";

/// Marks the page as the app's own from now on (`frontend`, right after hydrating).
pub fn mark_awake() {
    if let Some(root) = document().document_element() {
        // Only fails for an attribute name that is not valid; this one is.
        let _ = root.set_attribute(AWAKE, "");
    }
}

/// True while the app is hydrating the server's page, and only then: afterwards the DOM is the app's
/// own. Always false on the server.
pub fn hydrating() -> bool {
    cfg!(feature = "hydrate") && document().document_element().is_some_and(|root| !root.has_attribute(AWAKE))
}

/// Whether each checkbox `selector` finds is ticked, in the page's order; empty unless hydrating.
pub fn ticked(selector: &str) -> Vec<bool> {
    use leptos::wasm_bindgen::JsCast;
    if !hydrating() {
        return Vec::new();
    }
    let Ok(boxes) = document().query_selector_all(selector) else { return Vec::new() };
    (0..boxes.length())
        .filter_map(|at| boxes.item(at))
        .map(|node| node.dyn_into::<web_sys::HtmlInputElement>().is_ok_and(|input| input.checked()))
        .collect()
}

/// What the field with `id` holds, if hydrating and it holds something else than `served`.
pub fn typed(id: &str, served: &str) -> Option<String> {
    use leptos::wasm_bindgen::JsCast;
    if !hydrating() {
        return None;
    }
    let input = document().get_element_by_id(id)?.dyn_into::<web_sys::HtmlInputElement>().ok()?;
    Some(input.value()).filter(|value| value != served)
}
