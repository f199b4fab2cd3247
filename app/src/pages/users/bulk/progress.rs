//! A job's live progress: the status step of the dialog, and the Users page's banner that leads back to
//! it after a reload. A scheduled job shows when it will run instead, with "Run now" and "Cancel",
//! until its time comes; then its progress, like any other. Both listen to the server's progress streams (`server::live`), which read the
//! job's rows, so it does not matter which server replica answers or whether the browser was closed
//! in between; when the job is finished, the step reads every user's outcome once.

use super::{Flow, Step};
use crate::bulk::{job_events_path, ItemOutcome, JobAction, JobEvent, JobProgress, JobStatus};
use crate::components::live::{listen, Then};
use crate::components::problem::Problem;
use crate::error::AppError;
use leptos::prelude::*;
use leptos::server_fn::codec::Json;
use leptos_router::components::A;

#[server(input = Json)]
pub async fn bulk_job_status(job: i32) -> Result<JobStatus, AppError> {
    use crate::server::{auth::request, bulk::jobs};
    let state = request::state()?;
    let actor = request::actor(&state).await?;
    jobs::status(&state.db, &actor, job).await
}

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
    use crate::server::{auth::request, bulk::schedule};
    let state = request::state()?;
    let actor = request::actor(&state).await?;
    schedule::run_now(&state.db, &actor, job, request::client_addr()).await
}

/// The domain's unfinished jobs, for the banner as the page is first rendered (the stream at
/// `running_jobs_path` keeps it current).
#[server(input = Json)]
pub async fn running_jobs(domain: String) -> Result<Vec<JobProgress>, AppError> {
    use crate::server::{auth::request, bulk::jobs};
    let (db, managed) = request::managing(&domain).await?;
    jobs::running(&db, &managed).await
}

#[component]
pub fn ProgressStep(flow: Flow, job: JobProgress) -> impl IntoView {
    // While the job runs (or waits for its time): its counts and its failures, as the stream sends them.
    let id = job.id;
    let progress = RwSignal::new(Some(job));
    let failures = RwSignal::new(Vec::<ItemOutcome>::new());
    // Once it is finished: every user's outcome.
    let status = RwSignal::new(None::<JobStatus>);
    let error = RwSignal::new(None::<AppError>);
    // Also asked when the stream is refused: the server function then says why (signed out, gone).
    let read_status = move || {
        leptos::task::spawn_local(async move {
            // The step may be gone by then (try_: nothing to update).
            match bulk_job_status(id).await {
                Ok(news) => {
                    let finished = news.progress.is_finished();
                    if status.try_set(Some(news)).is_none() && finished {
                        flow.changed.run(());
                    }
                }
                Err(problem) => {
                    let _ = error.try_set(Some(problem));
                }
            }
        });
    };
    listen(
        move || Some(job_events_path(id)),
        move |event: JobEvent| match event {
            JobEvent::Counts(counts) => {
                progress.update(|progress| {
                    if let Some(progress) = progress {
                        progress.update(counts);
                    }
                });
                error.set(None);
                if !counts.state.is_over() {
                    return Then::Listen;
                }
                read_status();
                Then::Stop
            }
            JobEvent::Failed(item) => {
                failures.update(|failures| failures.push(item));
                Then::Listen
            }
        },
        read_status,
    );
    let shown = move || status.read().as_ref().map(|status| status.progress.clone()).or_else(|| progress.get());
    let finished = move || status.read().as_ref().is_some_and(|status| status.progress.is_finished());
    let waiting = move || progress.read().as_ref().and_then(JobProgress::scheduled_sentence);
    let recycle_next = move || {
        status
            .read()
            .as_ref()
            .is_some_and(|status| matches!(status.progress.action, JobAction::Reset { recycle: true, .. }))
    };
    view! {
        {move || waiting().is_none().then(|| shown().map(|progress| view! { <ProgressBar progress /> }))}
        // One polite live region for the whole step, there from its start, so that a screen reader
        // hears "3 of 5 users reset" as the counts change and then "Reset complete".
        <div class="progress-status" role="status">
            {move || match waiting() {
                Some(sentence) => Some(view! { <p class="scheduled">{sentence}</p> }.into_any()),
                None => shown().map(|progress| view! { <p class="progress-text">{progress_text(&progress)}</p> }.into_any()),
            }}
            {move || status.get().filter(|status| status.progress.is_finished())
                .map(|status| view! { <p class="done">{status.progress.outcome()}</p> })}
        </div>
        {move || error.get().map(|error| view! { <Problem error /> })}
        {move || match status.get().filter(|status| status.progress.is_finished()) {
            Some(status) => Some(view! { <Outcomes status /> }.into_any()),
            // While it runs, only its failures are listed, once there are any.
            None => Some(failures.get()).filter(|items| !items.is_empty())
                .map(|items| view! { <OutcomeList items /> }.into_any()),
        }}
        <div class="actions">
            <Show
                when=finished
                fallback=move || match waiting().is_some() {
                    true => view! {
                        <CancelJob job=id scheduled=true />
                        <RunNow job=id />
                        // Scheduling was the action: its users are no longer ticked.
                        <button type="button" class="secondary" on:click=move |_| flow.finish()>"Close"</button>
                    }.into_any(),
                    false => view! {
                        <CancelJob job=id />
                        <button type="button" class="secondary" on:click=move |_| flow.close()>"Continue in Background"</button>
                    }.into_any(),
                }
            >
                <Show
                    when=recycle_next
                    fallback=move || view! { <button type="button" class="primary" on:click=move |_| flow.finish()>"Close"</button> }
                >
                    <button type="button" class="primary"
                        on:click=move |_| if let Some(status) = status.get() { flow.go(Step::Recycle((&status).into())) }>
                        "Next"
                    </button>
                </Show>
            </Show>
        </div>
    }
}

#[component]
fn ProgressBar(progress: JobProgress) -> impl IntoView {
    let percent = (progress.processed() * 100).checked_div(progress.total).unwrap_or(100);
    view! {
        <div class="progress" role="progressbar" aria-label=progress.action.progress_title() aria-valuemin="0"
            aria-valuemax=progress.total aria-valuenow=progress.processed() aria-valuetext=progress.summary()>
            // A style property, not a style attribute: the Content-Security-Policy allows no inline styles.
            <div class="bar" style:width=format!("{percent}%")></div>
        </div>
    }
}

/// "3 of 5 users reset, 1 failed".
fn progress_text(progress: &JobProgress) -> String {
    let mut text = progress.summary();
    if progress.failed > 0 {
        text.push_str(&format!(", {} failed", progress.failed));
    }
    if progress.skipped > 0 {
        text.push_str(&format!(", {} skipped", progress.skipped));
    }
    text
}

#[component]
fn Outcomes(status: JobStatus) -> impl IntoView {
    let truncated = status.truncated.then(|| {
        let href = crate::pages::activity::results_csv_path(status.progress.id);
        view! {
            <p class="hint">"Only some users are listed here; "
                <a href=href download="">"Download CSV"</a>" for all of them."</p>
        }
    });
    view! {
        <OutcomeList items=status.items />
        {truncated}
    }
}

/// Users and where each stands: while a job runs, its failures; once it is finished, everyone.
#[component]
fn OutcomeList(items: Vec<ItemOutcome>) -> impl IntoView {
    view! {
        <ul class="outcomes" aria-label="Users" tabindex="0">
            {items.into_iter().map(|item| {
                let state = item.state;
                view! {
                    <li class=format!("item-{}", state.label().to_lowercase())>
                        <span class="ext">{item.extension}</span>" "
                        <span class="name">{item.name}</span>" "
                        <span class="state">{state.label()}</span>
                        {item.error.map(|error| view! { <span class="reason">{error}</span> })}
                    </li>
                }
            }).collect_view()}
        </ul>
    }
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
                        <A href="/activity">"See the outcome"</A>
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
    tell_when_done(run, then);
    let failure = move || run.value().get().and_then(Result::err);
    view! {
        <button type="button" class="primary" disabled=move || run.pending().get() on:click=move |_| { run.dispatch(()); }>
            "Run now"
        </button>
        {move || failure().map(|error| view! { <Problem error /> })}
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
    tell_when_done(cancel, then);
    let failure = move || cancel.value().get().and_then(Result::err);
    let question_id = format!("cancel-job-{job}");
    view! {
        <Show
            when=move || asking.get()
            fallback=move || match scheduled {
                true => view! {
                    <button type="button" class="secondary" disabled=move || cancel.pending().get()
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
                <button type="button" class="danger" disabled=move || cancel.pending().get()
                    on:click=move |_| { cancel.dispatch(()); }>
                    "Cancel Job"
                </button>
            </div>
        </Show>
        {move || failure().map(|error| view! { <Problem error /> })}
    }
}

/// Runs `then` each time `action` succeeds.
fn tell_when_done(action: Action<(), Result<JobProgress, AppError>>, then: Option<Callback<()>>) {
    let Some(then) = then else { return };
    Effect::new(move |_| {
        if let Some(Ok(_)) = action.value().get() {
            then.run(());
        }
    });
}
