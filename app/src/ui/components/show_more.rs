//! "Show 40 more rows": the end of a long list built a part at a time. It presses itself when it comes
//! near the view, so that scrolling (or tabbing) down builds the next part before it is reached; the
//! button stays for keyboards and screen readers, and for browsers that scroll faster than that.

use leptos::prelude::*;
use leptos::wasm_bindgen::closure::Closure;
use leptos::wasm_bindgen::JsCast;
use send_wrapper::SendWrapper;
use web_sys::{IntersectionObserver, IntersectionObserverEntry, IntersectionObserverInit};

/// How far out of view (below the fold of the scrolling list) the button already counts as near.
const NEAR: &str = "0px 0px 600px 0px";

/// Made again for each part (its observer then reports where it is at once, as a new one does).
#[component]
pub fn ShowMore(label: String, more: Callback<()>) -> impl IntoView {
    let button = NodeRef::<leptos::html::Button>::new();
    // Effects run only in the browser.
    Effect::new(move |_| {
        let Some(button) = button.get() else { return };
        let near = Closure::<dyn FnMut(js_sys::Array)>::new(move |entries: js_sys::Array| {
            if entries.iter().any(|entry| entry.unchecked_into::<IntersectionObserverEntry>().is_intersecting()) {
                more.run(());
            }
        });
        let options = IntersectionObserverInit::new();
        options.set_root_margin(NEAR);
        let Ok(observer) = IntersectionObserver::new_with_options(near.as_ref().unchecked_ref(), &options) else {
            return;
        };
        observer.observe(&button);
        // The callback lives as long as the observer; both go with the button.
        let watching = SendWrapper::new((observer, near));
        on_cleanup(move || watching.0.disconnect());
    });
    view! {
        <button type="button" class="secondary show-more" node_ref=button on:click=move |_| more.run(())>{label}</button>
    }
}
