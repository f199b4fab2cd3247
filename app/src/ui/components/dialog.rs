//! A modal dialog on the browser's own `<dialog>`: the page behind it is inert, focus moves into it
//! and stays there, Escape closes it, and assistive technology announces it by its title. It is
//! mounted at the end of `<body>` (a portal), not inside the page: a dialog element that is moved in
//! the document stops being modal, and the page around it may be re-mounted while the dialog stays
//! open.
//!
//! Focus: on opening, and whenever the title changes (a dialog that walks through steps), the title
//! takes focus, so that a screen reader reads where the user now is and the next Tab reaches the
//! step's first control. Tab and Shift+Tab go round the dialog's controls (the browser would
//! otherwise leave for its own address bar). On closing, focus goes back to the control that opened
//! the dialog.

use leptos::html;
use leptos::portal::Portal;
use leptos::prelude::*;
use send_wrapper::SendWrapper;

#[component]
pub fn Dialog(
    /// Whether the dialog is shown; closing it any way (Escape included) sets this to false.
    open: RwSignal<bool>,
    /// The title, shown as the heading and used as the dialog's accessible name; a dialog that walks
    /// through steps names the step it is on.
    #[prop(into)]
    title: Signal<String>,
    /// The heading's element id, unique on the page.
    title_id: &'static str,
    /// While true (a job being started, a form being saved) Escape does not close the dialog: what
    /// was asked for is under way, and its answer needs the dialog to show.
    #[prop(optional, into)]
    busy: Signal<bool>,
    children: ChildrenFn,
) -> impl IntoView {
    let dialog = NodeRef::<html::Dialog>::new();
    let heading = NodeRef::<html::H2>::new();
    // What had the focus when the dialog opened (only ever set in the browser).
    let opener = StoredValue::new(None::<SendWrapper<web_sys::HtmlElement>>);
    Effect::new(move |_| {
        let (Some(element), wanted) = (dialog.get(), open.get()) else { return };
        if wanted && !element.open() {
            use leptos::wasm_bindgen::JsCast;
            let focused = document().active_element().and_then(|active| active.dyn_into::<web_sys::HtmlElement>().ok());
            opener.set_value(focused.map(SendWrapper::new));
            // Fails only if the element is detached, in which case there is nothing to show.
            let _ = element.show_modal();
            focus_title(heading);
        } else if !wanted && element.open() {
            element.close();
        }
    });
    let on_close = move |_: leptos::ev::Event| {
        open.set(false);
        if let Some(opener) = opener.try_update_value(Option::take).flatten() {
            let _ = opener.focus();
        }
    };
    // While busy, Escape is refused wherever the focus is (a button that was pressed and is now
    // disabled has lost it). The browser lets a page refuse the `cancel` that Escape sends only once
    // per user gesture; refusing the key itself holds every time.
    let escape = window_event_listener(leptos::ev::keydown, move |ev| {
        if ev.key() == "Escape" && busy.get_untracked() && open.get_untracked() {
            ev.prevent_default();
        }
    });
    on_cleanup(move || escape.remove());
    // A new step: its title is where the user now is.
    Effect::watch(
        move || title.get(),
        move |_, _, _| {
            if open.get_untracked() {
                focus_title(heading);
            }
        },
        false,
    );
    let on_cancel = move |ev: leptos::ev::Event| {
        if busy.get_untracked() {
            ev.prevent_default();
        }
    };
    let on_keydown = move |ev: leptos::ev::KeyboardEvent| {
        if ev.key() == "Tab" {
            if let Some(element) = dialog.get_untracked() {
                keep_focus_inside(&element, &ev);
            }
        }
    };
    view! {
        <Portal>
            <dialog node_ref=dialog class="modal" aria-labelledby=title_id on:close=on_close
                on:cancel=on_cancel on:keydown=on_keydown>
                <h2 id=title_id node_ref=heading tabindex="-1">{move || title.get()}</h2>
                <div class="dialog-body">{children()}</div>
            </dialog>
        </Portal>
    }
}

/// Focuses the title once the step's content is in place (the same turn would focus the old one).
fn focus_title(heading: NodeRef<html::H2>) {
    request_animation_frame(move || {
        if let Some(heading) = heading.get_untracked() {
            let _ = heading.focus();
        }
    });
}

/// What Tab can reach in the dialog: enabled controls and links that are shown.
const TABBABLE: &str = "button:not([disabled]), a[href], input:not([disabled]):not([type=\"hidden\"]), \
    select:not([disabled]), textarea:not([disabled]), [tabindex]:not([tabindex=\"-1\"])";

/// Tab from the last control goes to the first, Shift+Tab from the first (or the title) to the last;
/// focus lost to the page (its control was removed) comes back to the first.
fn keep_focus_inside(dialog: &web_sys::HtmlDialogElement, ev: &leptos::ev::KeyboardEvent) {
    use leptos::wasm_bindgen::JsCast;
    let Ok(found) = dialog.query_selector_all(TABBABLE) else { return };
    let controls: Vec<web_sys::HtmlElement> = (0..found.length())
        .filter_map(|i| found.item(i))
        .filter_map(|node| node.dyn_into::<web_sys::HtmlElement>().ok())
        // Shown: a hidden element has no layout box.
        .filter(|element| element.get_client_rects().length() > 0)
        .collect();
    let (Some(first), Some(last)) = (controls.first(), controls.last()) else { return };
    let active = document().active_element();
    let inside = active.as_ref().is_some_and(|active| dialog.contains(Some(active.unchecked_ref())));
    let at = |control: &web_sys::HtmlElement| {
        active.as_ref().is_some_and(|active| active == control.unchecked_ref::<web_sys::Element>())
    };
    let heading_focused = active.as_ref().is_some_and(|active| active.tag_name() == "H2");
    let target = match (ev.shift_key(), inside) {
        (_, false) => Some(first),
        (true, true) if at(first) || heading_focused => Some(last),
        (false, true) if at(last) => Some(first),
        _ => None,
    };
    if let Some(target) = target {
        ev.prevent_default();
        let _ = target.focus();
    }
}
