//! The confirmation step of Send Welcome Email and Force Password Reset: who will be reached, who is
//! skipped and why, before the job starts, and for Force Password Reset whether the current password
//! is kept or revoked; with the server functions behind it.

use super::flow::{Change, Flow, Step};
use super::left_out::LeftOut;
use crate::shared::accounts::{AccountAction, AccountPreview, AccountRequest};
use crate::shared::bulk::JobProgress;
use crate::shared::bulk::PreviewUser;
use crate::shared::error::AppError;
use crate::ui::components::problem::Problem;
use leptos::prelude::*;
use leptos::server_fn::codec::Json;

/// Who the action would reach and who it skips, after the same checks as starting it.
#[server(input = Json)]
pub async fn preview_account_action(domain: String, request: AccountRequest) -> Result<AccountPreview, AppError> {
    use crate::server::{auth::request as req, bulk::actions};
    let (db, managed) = req::managing(&domain).await?;
    actions::preview_account(&db, &managed, &request).await
}

/// Starts the action as a bulk job for the users it does not skip.
#[server(input = Json)]
pub async fn start_account_action(domain: String, request: AccountRequest) -> Result<JobProgress, AppError> {
    use crate::server::{auth::request as req, bulk::actions};
    let (db, managed) = req::managing(&domain).await?;
    actions::start_account(&db, &managed, request, req::client_addr()).await
}

#[component]
pub fn AccountConfirmStep(flow: Flow, preview: AccountPreview) -> impl IntoView {
    // Force Password Reset's choice: revoking leaves out those without an email address, which the
    // preview (made keeping the password) shows at once.
    let revoke = RwSignal::new(false);
    let action = preview.action;
    let shown = move || preview.choosing(revoke.get());
    let start = Action::new(move |request: &AccountRequest| {
        let (domain, request) = (flow.domain.get_untracked(), request.clone());
        async move { start_account_action(domain, request).await }
    });
    Effect::new(move |_| {
        if let Some(Ok(job)) = start.value().get() {
            flow.changed.run(Change::Started);
            flow.go(Step::Progress(job));
        }
    });
    flow.busy_while(Memo::new(move |_| start.pending().get()));
    let error = move || start.value().get().and_then(Result::err);
    let is_force = matches!(action, AccountAction::ForcePasswordReset { .. });
    let nobody = {
        let shown = shown.clone();
        move || shown().users.is_empty()
    };
    // The same users as the preview: those ticked, or the filter, which the server evaluates again.
    let targets = flow.selection.read_untracked().targets();
    let title = action.title();
    view! {
        <div class="confirm">
            {is_force.then(|| view! { <PasswordChoice revoke /> })}
            {move || reached(shown())}
        </div>
        {move || error().map(|error| view! { <Problem error /> })}
        <div class="actions">
            <button type="button" class="secondary" on:click=move |_| flow.go(Step::Actions)>"Back"</button>
            <button type="button" class="primary" disabled=move || nobody() || start.pending().get()
                on:click=move |_| {
                    let action = match action {
                        AccountAction::ForcePasswordReset { .. } => {
                            AccountAction::ForcePasswordReset { revoke: revoke.get_untracked() }
                        }
                        other => other,
                    };
                    start.dispatch(AccountRequest { action, targets: targets.clone() });
                }>
                {title}
            </button>
        </div>
    }
}

/// Who the action reaches and who it leaves out, and why, as the server counted them.
fn reached(preview: AccountPreview) -> impl IntoView {
    let nobody = preview.users.is_empty();
    let without_email: Vec<String> = preview.without_email().map(|user| user.extension.clone()).collect();
    let tell_them = preview.action == AccountAction::ForcePasswordReset { revoke: false } && !without_email.is_empty();
    let user_line = |user: PreviewUser| {
        view! {
            <li>
                <span class="ext">{user.extension}</span>" "<span class="name">{user.name}</span>" "
                <span class="email">{user.email.unwrap_or_default()}</span>
            </li>
        }
    };
    view! {
        {(!nobody).then(|| view! { <p>{preview.summary()}</p> })}
        {(!nobody).then(|| view! {
            <ul class="selected-users" aria-label="Users to reach" tabindex="0">
                {preview.users.clone().into_iter().map(user_line).collect_view()}
            </ul>
        })}
        {tell_them.then(|| view! {
            <p class="hint">{format!(
                "No email address, so no link: {}. Tell them yourself; they can log in with their current password and will be asked for a new one.",
                without_email.join(", ")
            )}</p>
        })}
        <LeftOut users=preview.skipped />
        {nobody.then(|| view! { <p class="problem" role="alert">"None of the selected users can be reached this way."</p> })}
    }
}

/// Force Password Reset's choice: the current password keeps working until a new one is chosen
/// (today's way), or it is revoked at once, for a password that may have leaked.
#[component]
fn PasswordChoice(revoke: RwSignal<bool>) -> impl IntoView {
    const CHOICES: [(bool, &str, &str, &str); 2] = [
        (
            false,
            "keep",
            "Keep it until they choose a new one",
            "They are signed out everywhere now; signing in with it leads only to choosing a new one.",
        ),
        (
            true,
            "revoke",
            "Sign them out and revoke the current password",
            "For a password that may have leaked: it stops working at once, and the emailed link is the only way back in. Users without an email address are left out.",
        ),
    ];
    view! {
        <fieldset class="options">
            <legend>"Their current password"</legend>
            {CHOICES.into_iter().map(|(choice, value, label, hint)| {
                let hint_id = format!("{value}-password-hint");
                view! {
                    <div class="option">
                        <label>
                            <input type="radio" name="current-password" value=value
                                prop:checked=move || revoke.get() == choice aria-describedby=hint_id.clone()
                                on:change=move |_| revoke.set(choice) />
                            {label}
                        </label>
                        <small class="hint" id=hint_id>{hint}</small>
                    </div>
                }
            }).collect_view()}
        </fieldset>
    }
}
