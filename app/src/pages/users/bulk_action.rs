//! The Bulk Action dialog: the ticked users, and (in later steps) what to do with them.

use super::selection::Selection;
use crate::components::dialog::Dialog;
use leptos::prelude::*;

#[component]
pub fn BulkActionDialog(open: RwSignal<bool>, selection: RwSignal<Selection>) -> impl IntoView {
    let users = move || selection.read().users();
    view! {
        <Dialog open title="Bulk Action">
            <p>{move || match selection.read().len() {
                1 => "1 user selected:".to_string(),
                n => format!("{n} users selected:"),
            }}</p>
            <ul class="selected-users" aria-label="Selected users">
                {move || users().into_iter().map(|user| view! {
                    <li><span class="ext">{user.extension}</span>" "<span>{user.name}</span></li>
                }).collect_view()}
            </ul>
            <div class="actions">
                <button type="button" class="secondary" on:click=move |_| open.set(false)>"Cancel"</button>
            </div>
        </Dialog>
    }
}
