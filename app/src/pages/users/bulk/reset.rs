//! The Reset Users step (which data to clear) and its confirmation (exactly what will be deleted, read
//! from the database), with the server functions behind them.

use super::{Flow, LeftOut, Step};
use crate::bulk::{JobProgress, ResetOption, ResetOptions, ResetPreview, ResetRequest};
use crate::components::problem::Problem;
use crate::error::AppError;
use leptos::prelude::*;
use leptos::server_fn::codec::Json;

/// The counts for the confirmation step, after the same checks as `start_reset`. (Arguments travel as
/// JSON, here and below: a job may name thousands of users.)
#[server(input = Json)]
pub async fn preview_reset(domain: String, request: ResetRequest) -> Result<ResetPreview, AppError> {
    use crate::server::{auth::request as req, bulk::jobs};
    let (db, managed) = req::managing(&domain).await?;
    jobs::preview_reset(&db, &managed, &request).await
}

/// Starts the reset job; the worker does the rest.
#[server(input = Json)]
pub async fn start_reset(domain: String, request: ResetRequest) -> Result<JobProgress, AppError> {
    use crate::server::{auth::request as req, bulk::jobs};
    let (db, managed) = req::managing(&domain).await?;
    jobs::start_reset(&db, &managed, request, req::client_addr()).await
}

fn request(flow: &Flow, options: ResetOptions, recycle: bool) -> ResetRequest {
    ResetRequest { targets: flow.selection.read_untracked().targets(), options, recycle }
}

#[component]
pub fn OptionsStep(flow: Flow, options: RwSignal<ResetOptions>, recycle: RwSignal<bool>) -> impl IntoView {
    let preview = Action::new(move |request: &ResetRequest| {
        let (domain, request) = (flow.domain.get_untracked(), request.clone());
        async move { preview_reset(domain, request).await }
    });
    Effect::new(move |_| {
        if let Some(Ok(counted)) = preview.value().get() {
            flow.go(Step::Confirm(counted));
        }
    });
    let error = move || preview.value().get().and_then(Result::err);
    // A hint describes its checkbox rather than being part of its name, so the name is the label alone.
    let option_box = move |option: ResetOption| {
        let hint_id = format!("reset-option-{option:?}-hint");
        view! {
            <div class="option">
                <label>
                    <input type="checkbox" prop:checked=move || options.read().contains(option)
                        aria-describedby=option.hint().map(|_| hint_id.clone())
                        on:change=move |ev| options.update(|options| options.set(option, event_target_checked(&ev))) />
                    {option.label()}
                </label>
                {option.hint().map(|hint| view! { <small class="hint" id=hint_id.clone()>{hint}</small> })}
            </div>
        }
    };
    view! {
        <fieldset class="options">
            <legend>"Clear this data of each selected user"</legend>
            <div class="option select-all">
                <label>
                    <input type="checkbox" prop:checked=move || options.read().is_all()
                        on:change=move |_| options.update(ResetOptions::toggle_all) />
                    "Select All Options"
                </label>
            </div>
            {ResetOption::ALL.into_iter().map(option_box).collect_view()}
        </fieldset>
        <div class="option recycle">
            <label>
                <input type="checkbox" aria-describedby="recycle-hint" prop:checked=move || recycle.get()
                    on:change=move |ev| recycle.set(event_target_checked(&ev)) />
                "Recycle Users"
            </label>
            <small class="hint" id="recycle-hint">"Give the extensions to new people right after the reset."</small>
        </div>
        {move || error().map(|error| view! { <Problem error /> })}
        <div class="actions">
            <button type="button" class="secondary" on:click=move |_| flow.close()>"Cancel"</button>
            <button type="button" class="primary"
                disabled=move || options.read().is_empty() || preview.pending().get()
                on:click=move |_| { preview.dispatch(request(&flow, options.get(), recycle.get())); }>
                "Next"
            </button>
        </div>
    }
}

#[component]
pub fn ConfirmStep(flow: Flow, preview: ResetPreview, recycle: RwSignal<bool>) -> impl IntoView {
    let start = Action::new(move |request: &ResetRequest| {
        let (domain, request) = (flow.domain.get_untracked(), request.clone());
        async move { start_reset(domain, request).await }
    });
    Effect::new(move |_| {
        if let Some(Ok(job)) = start.value().get() {
            flow.changed.run(());
            flow.go(Step::Progress { job: job.id, action: job.action });
        }
    });
    let error = move || start.value().get().and_then(Result::err);
    let options = preview.options.clone();
    let nobody = preview.users == 0;
    view! {
        <div class="confirm">
            {preview.deletions().map(|text| view! { <p class="deletions">{text}</p> })}
            {preview.clearings().map(|text| view! { <p class="clearings">{text}</p> })}
            <p>"Each user's status becomes Setup Required, and they are signed out everywhere. Extensions and their phone numbers stay."</p>
            {move || recycle.get().then(|| view! { <p>"When the reset is done, you can give the extensions to new people."</p> })}
            <p class="warning"><strong>"This cannot be undone."</strong></p>
            <LeftOut users=preview.excluded.clone() />
            {nobody.then(|| view! { <p class="problem" role="alert">"None of the matching users can be reset."</p> })}
        </div>
        {move || error().map(|error| view! { <Problem error /> })}
        <div class="actions">
            <button type="button" class="secondary" on:click=move |_| flow.go(Step::ResetOptions)>"Back"</button>
            <button type="button" class="danger" disabled=move || nobody || start.pending().get()
                on:click=move |_| { start.dispatch(request(&flow, options.clone(), recycle.get())); }>
                "Reset"
            </button>
        </div>
    }
}
