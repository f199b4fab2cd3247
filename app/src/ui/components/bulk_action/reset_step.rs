//! The Reset Users step (which data to clear, and when) and its confirmation (exactly what will be
//! deleted, read from the database, and when), with the server functions behind them.

use super::flow::{Change, Flow, Step};
use super::left_out::LeftOut;
use crate::shared::bulk::{
    will_be_done, JobAction, JobProgress, ResetOption, ResetOptions, ResetPreview, ResetRequest, When,
};
use crate::shared::error::AppError;
use crate::shared::words::join_and;
use crate::ui::components::clock;
use crate::ui::components::field::Field;
use crate::ui::components::problem::Problem;
use leptos::prelude::*;
use leptos::server_fn::codec::Json;

/// The counts for the confirmation step, after the same checks as `start_reset`. (Arguments travel as
/// JSON, here and below: a job may name thousands of users.)
#[server(input = Json)]
pub async fn preview_reset(domain: String, request: ResetRequest) -> Result<ResetPreview, AppError> {
    use crate::server::{auth::request as req, bulk::actions::reset};
    let (db, managed) = req::managing(&domain).await?;
    reset::preview(&db, &managed, &request).await
}

/// Starts the reset job; the worker does the rest.
#[server(input = Json)]
pub async fn start_reset(domain: String, request: ResetRequest) -> Result<JobProgress, AppError> {
    use crate::server::{auth::request as req, bulk::actions::reset};
    let (db, managed) = req::managing(&domain).await?;
    reset::start(&db, &managed, request, req::client_addr()).await
}

fn request(flow: &Flow, options: ResetOptions, recycle: bool, when: When) -> ResetRequest {
    ResetRequest { targets: flow.selection.read_untracked().targets(), options, recycle, when }
}

#[component]
pub fn OptionsStep(
    flow: Flow,
    options: RwSignal<ResetOptions>,
    recycle: RwSignal<bool>,
    when: RwSignal<When>,
) -> impl IntoView {
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
    // A problem with the time is shown at its field; any other above the buttons.
    let time_problems = Signal::derive(move || error().map(|error| error.field_errors().to_vec()).unwrap_or_default());
    let other_error = move || error().filter(|error| !error.is_at(When::FIELD));
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
                    on:change=move |ev| {
                        let ticked = event_target_checked(&ev);
                        recycle.set(ticked);
                        if ticked {
                            options.update(ResetOptions::for_a_new_holder);
                        }
                    } />
                "Recycle Users"
            </label>
            <small class="hint" id="recycle-hint">
                "Give the extensions to new people right after the reset."
                {move || recycle.get().then(|| format!(
                    " {} are ticked too, so that the new people do not get the former holders' own; untick any you mean to hand over.",
                    join_and(ResetOption::PERSONAL.map(|option| option.label().to_string()).to_vec())
                ))}
            </small>
        </div>
        <WhenChoice when problems=time_problems />
        {move || other_error().map(|error| view! { <Problem error /> })}
        <div class="actions">
            <button type="button" class="secondary" on:click=move |_| flow.close()>"Cancel"</button>
            <button type="button" class="primary"
                disabled=move || options.read().is_empty() || preview.pending().get()
                on:click=move |_| { preview.dispatch(request(&flow, options.get(), recycle.get(), when.get())); }>
                "Next"
            </button>
        </div>
    }
}

/// "When": now, or at a date and time in the admin's own time zone (named, as the server will show it).
/// Typing a time chooses "At".
#[component]
fn WhenChoice(
    when: RwSignal<When>,
    #[prop(into)] problems: Signal<Vec<crate::shared::error::FieldError>>,
) -> impl IntoView {
    let zone = clock::time_zone();
    let local = RwSignal::new(match when.get_untracked() {
        When::At { local, .. } => local,
        When::Now => String::new(),
    });
    let at = {
        let zone = zone.clone();
        move |typed: String| {
            local.set(typed.clone());
            when.set(When::At { local: typed, zone: zone.clone() });
        }
    };
    let choose_at = {
        let at = at.clone();
        move |_| at(Some(local.get_untracked()).filter(|typed| !typed.is_empty()).unwrap_or_else(clock::next_hour))
    };
    let is_now = move || *when.read() == When::Now;
    view! {
        <fieldset class="when">
            <legend>"When"</legend>
            <div class="option">
                <label>
                    <input type="radio" name="when" value="now" prop:checked=is_now on:change=move |_| when.set(When::Now) />
                    "Now"
                </label>
            </div>
            <div class="option">
                <label>
                    <input type="radio" name="when" value="at" prop:checked=move || !is_now() on:change=choose_at />
                    "At"
                </label>
            </div>
            <Field id="reset-run-at".to_string() name=When::FIELD label="Date and time" kind="datetime-local"
                hint=Some(format!("Your time zone: {zone}")) value=local on_input=Callback::new(at) problems />
        </fieldset>
    }
}

#[component]
pub fn ConfirmStep(flow: Flow, preview: ResetPreview, recycle: RwSignal<bool>, when: RwSignal<When>) -> impl IntoView {
    let start = Action::new(move |request: &ResetRequest| {
        let (domain, request) = (flow.domain.get_untracked(), request.clone());
        async move { start_reset(domain, request).await }
    });
    Effect::new(move |_| {
        if let Some(Ok(job)) = start.value().get() {
            flow.changed.run(Change::Started);
            flow.go(Step::Progress(job));
        }
    });
    flow.busy_while(Memo::new(move |_| start.pending().get()));
    let error = move || start.value().get().and_then(Result::err);
    let options = preview.options.clone();
    let nobody = preview.users == 0;
    let action = JobAction::Reset { options: options.clone(), recycle: recycle.get_untracked() };
    let scheduled = preview.schedule.as_ref().map(|schedule| will_be_done(&action, preview.users, schedule));
    let button = if scheduled.is_some() { "Schedule Reset" } else { "Reset" };
    view! {
        <div class="confirm">
            {scheduled.map(|text| view! { <p class="scheduled"><strong>{text}</strong></p> })}
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
                on:click=move |_| { start.dispatch(request(&flow, options.clone(), recycle.get(), when.get())); }>
                {button}
            </button>
        </div>
    }
}
