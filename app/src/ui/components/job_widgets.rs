//! The widgets of a bulk job that more than one page shows: the Users page's banners for the domain's
//! unfinished and just-ended jobs, and "Cancel Job" and "Run now", which the progress step, the
//! banners and the Activity page all offer; with the server functions behind them.

use crate::shared::bulk::JobProgress;
use crate::shared::error::AppError;
use crate::shared::routes;
use crate::ui::components::action_state::ActionState;
use crate::ui::components::problem::Problem;
use leptos::prelude::*;
use leptos::server_fn::codec::Json;
use leptos_router::components::A;

/// Stops a running job: its users still waiting are left as they are ("Cancel Job").
#[server(input = Json)]
pub async fn cancel_job(job: i32) -> Result<JobProgress, AppError> {
    use crate::server::{auth::request, bulk::jobs};
    let state = request::state()?;
    let actor = request::actor(&state).await?;
    jobs::cancel(&state.db, &actor, job, request::client_addr()).await
}

/// "Run now": starts a scheduled job at once.
#[server(input = Json)]
pub async fn run_scheduled_job(job: i32) -> Result<JobProgress, AppError> {
    use crate::server::{auth::request, bulk::jobs};
    let state = request::state()?;
    let actor = request::actor(&state).await?;
    jobs::run_now(&state.db, &actor, job, request::client_addr()).await
}

/// The domain's unfinished jobs, for the banner as the page is first rendered (the stream at
/// `routes::RUNNING_JOBS` keeps it current).
#[server(input = Json)]
pub async fn running_jobs(domain: String) -> Result<Vec<JobProgress>, AppError> {
    use crate::server::{auth::request, bulk::progress};
    // Before any await: the request's context is not there after one.
    let limits = request::state()?.settings.bulk;
    let (db, managed) = request::managing(&domain).await?;
    progress::running(&db, &managed, limits).await
}

/// "Reset in progress: 3 of 5" or "Reset scheduled: 12 users, Fri 4 Dec 18:00 (Europe/Berlin)", one per
/// unfinished job of the domain; each re-opens its progress, and can be cancelled (or, scheduled, run
/// now) from here.
#[component]
pub fn RunningBanner(jobs: Vec<JobProgress>, open: Callback<JobProgress>) -> impl IntoView {
    jobs.into_iter()
        .map(|job| {
            let text = job.banner();
            let (id, scheduled) = (job.id, job.scheduled_sentence().is_some());
            view! {
                <div class="banner" role="status">
                    <button type="button" class="link" on:click=move |_| open.run(job.clone())>
                        {text}
                    </button>
                    <span class="banner-actions">
                        <CancelJob job=id scheduled />
                        {scheduled.then(|| view! { <RunNow job=id /> })}
                    </span>
                </div>
            }
        })
        .collect_view()
}

/// "Reset finished: 5 users", for each job that ended while the page looked on (its progress was not in
/// view): it stays until dismissed, so that the admin learns it ended, and the page does not jump up
/// under their finger when the job's banner goes.
#[component]
pub fn EndedBanner(jobs: Vec<JobProgress>, dismiss: Callback<i32>) -> impl IntoView {
    jobs.into_iter()
        .map(|job| {
            let id = job.id;
            view! {
                <div class="banner ended" role="status">
                    <span class="banner-text">{job.finished_banner()}</span>
                    <span class="banner-actions">
                        <A href=routes::ACTIVITY>"See the outcome"</A>
                        <button type="button" class="link" on:click=move |_| dismiss.run(id)>"Dismiss"</button>
                    </span>
                </div>
            }
        })
        .collect_view()
}

/// "Run now": a scheduled job starts at once (it was confirmed when it was scheduled). Its stream then
/// reports it running, which turns the step and the banner into its progress.
#[component]
pub fn RunNow(
    job: i32,
    /// Told when it has run (the Activity page reloads its list).
    #[prop(optional)]
    then: Option<Callback<()>>,
) -> impl IntoView {
    let run = Action::new(move |_: &()| run_scheduled_job(job));
    let state = ActionState::of(run);
    tell_when_done(state, then);
    view! {
        <button type="button" class="primary" disabled=move || state.running() on:click=move |_| { run.dispatch(()); }>
            "Run now"
        </button>
        {move || state.failure().map(|error| view! { <Problem error /> })}
    }
}

/// "Cancel Job", then a confirmation: users already done stay done, those still waiting are left as they
/// are. A scheduled job, to which nothing has been done yet, is cancelled at once with "Cancel". The
/// job's stream then reports it cancelled, which ends the progress step and the banner.
#[component]
pub fn CancelJob(
    job: i32,
    #[prop(optional)] scheduled: bool,
    /// Told when it is cancelled.
    #[prop(optional)]
    then: Option<Callback<()>>,
) -> impl IntoView {
    let asking = RwSignal::new(false);
    let cancel = Action::new(move |_: &()| cancel_job(job));
    let state = ActionState::of(cancel);
    tell_when_done(state, then);
    let question_id = format!("cancel-job-{job}");
    view! {
        <Show
            when=move || asking.get()
            fallback=move || match scheduled {
                true => view! {
                    <button type="button" class="secondary" disabled=move || state.running()
                        on:click=move |_| { cancel.dispatch(()); }>"Cancel"</button>
                }.into_any(),
                false => view! {
                    <button type="button" class="secondary" on:click=move |_| asking.set(true)>"Cancel Job"</button>
                }.into_any(),
            }
        >
            <div class="confirm-cancel" role="group" aria-labelledby=question_id.clone()>
                <p id=question_id.clone()>"Cancel this job? Users already done stay done; those still waiting are left as they are."</p>
                <button type="button" class="secondary" on:click=move |_| asking.set(false)>"Keep Running"</button>
                <button type="button" class="danger" disabled=move || state.running()
                    on:click=move |_| { cancel.dispatch(()); }>
                    "Cancel Job"
                </button>
            </div>
        </Show>
        {move || state.failure().map(|error| view! { <Problem error /> })}
    }
}

/// Runs `then` each time the action succeeds.
fn tell_when_done(action: ActionState<Result<JobProgress, AppError>>, then: Option<Callback<()>>) {
    let Some(then) = then else { return };
    Effect::new(move |_| {
        if let Some(Ok(_)) = action.outcome() {
            then.run(());
        }
    });
}
