//! A modal dialog on the browser's own `<dialog>`: focus moves into it and stays there, Escape
//! closes it, and assistive technology announces it by its title. It is mounted at the end of
//! `<body>` (a portal), not inside the page: a dialog element that is moved in the document stops
//! being modal, and the page around it may be re-mounted while the dialog stays open.

use leptos::html;
use leptos::portal::Portal;
use leptos::prelude::*;

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
    children: ChildrenFn,
) -> impl IntoView {
    let dialog = NodeRef::<html::Dialog>::new();
    Effect::new(move |_| {
        let (Some(element), wanted) = (dialog.get(), open.get()) else { return };
        if wanted && !element.open() {
            // Fails only if the element is detached, in which case there is nothing to show.
            let _ = element.show_modal();
        } else if !wanted && element.open() {
            element.close();
        }
    });
    view! {
        <Portal>
            <dialog node_ref=dialog class="modal" aria-labelledby=title_id on:close=move |_| open.set(false)>
                <h2 id=title_id>{move || title.get()}</h2>
                {children()}
            </dialog>
        </Portal>
    }
}
