//! The dialog's first step: the ticked users, and what can be done to them.

use super::flow::{Flow, Step};
use super::{account_step, recycle_step};
use crate::shared::accounts::{AccountAction, AccountRequest};
use crate::shared::bulk::Targets;
use crate::ui::components::problem::Problem;
use leptos::prelude::*;

#[component]
pub fn ActionsStep(flow: Flow) -> impl IntoView {
    let selection = flow.selection;
    // Users reset earlier can be recycled straight away; the server says which of the ticked cannot.
    let recycle = Action::new(move |user_ids: &Vec<i32>| {
        let (domain, user_ids) = (flow.domain.get_untracked(), user_ids.clone());
        async move { recycle_step::recycle_form(domain, user_ids).await }
    });
    Effect::new(move |_| {
        if let Some(Ok(targets)) = recycle.value().get() {
            flow.go(Step::Recycle(targets));
        }
    });
    let account = Action::new(move |action: &AccountAction| {
        let domain = flow.domain.get_untracked();
        let request = AccountRequest { action: *action, targets: selection.read_untracked().targets() };
        async move { account_step::preview_account_action(domain, request).await }
    });
    Effect::new(move |_| {
        if let Some(Ok(preview)) = account.value().get() {
            flow.go(Step::Account(preview));
        }
    });
    let busy = move || recycle.pending().get() || account.pending().get();
    let error =
        move || account.value().get().and_then(Result::err).or_else(|| recycle.value().get().and_then(Result::err));
    // Recycling needs each user's row in the form: it works on ticked users, not on all matches.
    let matching = move || selection.read().matching().is_some();
    view! {
        <p>{move || match selection.read().matching() {
            Some((filter, total)) => format!("Selected: {}.", filter.describe(total)),
            None => match selection.read().len() {
                1 => "1 user selected:".to_string(),
                n => format!("{n} users selected:"),
            },
        }}</p>
        <ul class="selected-users" aria-label="Selected users" tabindex="0">
            {move || selection.read().users().into_iter().map(|user| view! {
                <li><span class="ext">{user.extension}</span>" "<span>{user.name}</span></li>
            }).collect_view()}
        </ul>
        {move || error().map(|error| view! { <Problem error /> })}
        <div class="action-list">
            <button type="button" class="primary" on:click=move |_| flow.go(Step::ResetOptions)>"Reset Users"</button>
            <button type="button" class="secondary" disabled=move || busy() || matching()
                on:click=move |_| {
                    if let Targets::Ticked(ids) = selection.read_untracked().targets() {
                        recycle.dispatch(ids);
                    }
                }>
                "Recycle Users"
            </button>
            {[AccountAction::SendWelcome, AccountAction::ForcePasswordReset { revoke: false }].into_iter().map(|action| view! {
                <button type="button" class="secondary" disabled=busy on:click=move |_| { account.dispatch(action); }>
                    {action.title()}
                </button>
            }).collect_view()}
        </div>
        <div class="actions">
            <button type="button" class="secondary" on:click=move |_| flow.close()>"Cancel"</button>
        </div>
    }
}
