//! The confirmation step of Send Welcome Email and Force Password Reset: who will be reached, who is
//! skipped and why, before the job starts; with the server functions behind it.

use super::{Flow, LeftOut, Step};
use crate::accounts::{AccountAction, AccountPreview, AccountRequest, PreviewUser};
use crate::bulk::JobProgress;
use crate::components::problem::Problem;
use crate::error::AppError;
use leptos::prelude::*;
use leptos::server_fn::codec::Json;

/// Who the action would reach and who it skips, after the same checks as starting it.
#[server(input = Json)]
pub async fn preview_account_action(domain: String, request: AccountRequest) -> Result<AccountPreview, AppError> {
    use crate::server::{accounts::actions, auth::request as req};
    let (db, managed) = req::managing(&domain).await?;
    actions::preview(&db, &managed, &request).await
}

/// Starts the action as a bulk job for the users it does not skip.
#[server(input = Json)]
pub async fn start_account_action(domain: String, request: AccountRequest) -> Result<JobProgress, AppError> {
    use crate::server::{accounts::actions, auth::request as req};
    let (db, managed) = req::managing(&domain).await?;
    actions::start(&db, &managed, request, req::client_addr()).await
}

#[component]
pub fn AccountConfirmStep(flow: Flow, preview: AccountPreview) -> impl IntoView {
    let start = Action::new(move |request: &AccountRequest| {
        let (domain, request) = (flow.domain.get_untracked(), request.clone());
        async move { start_account_action(domain, request).await }
    });
    Effect::new(move |_| {
        if let Some(Ok(job)) = start.value().get() {
            flow.changed.run(());
            flow.go(Step::Progress(job));
        }
    });
    flow.busy_while(Memo::new(move |_| start.pending().get()));
    let error = move || start.value().get().and_then(Result::err);
    let action = preview.action;
    // The same users as the preview: those ticked, or the filter, which the server evaluates again.
    let request = AccountRequest { action, targets: flow.selection.read_untracked().targets() };
    let nobody = preview.users.is_empty();
    let without_email: Vec<PreviewUser> = preview.without_email().cloned().collect();
    let user_line = |user: PreviewUser| {
        view! {
            <li>
                <span class="ext">{user.extension}</span>" "<span class="name">{user.name}</span>" "
                <span class="email">{user.email.unwrap_or_default()}</span>
            </li>
        }
    };
    view! {
        <div class="confirm">
            {(!nobody).then(|| view! { <p>{preview.summary()}</p> })}
            {(!preview.users.is_empty()).then(|| view! {
                <ul class="selected-users" aria-label="Users to reach" tabindex="0">
                    {preview.users.clone().into_iter().map(user_line).collect_view()}
                </ul>
            })}
            {(action == AccountAction::ForcePasswordReset && !without_email.is_empty()).then(|| view! {
                <p class="hint">{format!(
                    "No email address, so no link: {}. Tell them yourself; they can log in with their current password and will be asked for a new one.",
                    without_email.iter().map(|user| user.extension.clone()).collect::<Vec<_>>().join(", ")
                )}</p>
            })}
            <LeftOut users=preview.skipped.clone() />
            {nobody.then(|| view! { <p class="problem" role="alert">"None of the selected users can be reached this way."</p> })}
        </div>
        {move || error().map(|error| view! { <Problem error /> })}
        <div class="actions">
            <button type="button" class="secondary" on:click=move |_| flow.go(Step::Actions)>"Back"</button>
            <button type="button" class="primary" disabled=move || nobody || start.pending().get()
                on:click=move |_| { start.dispatch(request.clone()); }>
                {action.title()}
            </button>
        </div>
    }
}
