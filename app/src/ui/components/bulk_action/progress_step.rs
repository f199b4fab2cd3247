//! A job's live progress: the status step of the dialog (the Users page's banner leads back to it after
//! a reload). A scheduled job shows when it will run instead, with "Run now" and "Cancel", until its
//! time comes; then its progress, like any other, and why it stands still when it waits. It listens to the server's progress stream
//! (`server::bulk::live`), which reads the job's rows, so it does not matter which server replica answers or whether the browser was closed
//! in between; when the job is finished, the step reads every user's outcome once.

use super::flow::{Change, Flow, Step};
use crate::shared::bulk::{ItemOutcome, JobAction, JobCounts, JobEvent, JobProgress, JobStatus};
use crate::shared::error::AppError;
use crate::shared::routes;
use crate::ui::components::event_source::{listen, Then};
use crate::ui::components::job_widgets::{CancelJob, RunNow};
use crate::ui::components::problem::Problem;
use leptos::prelude::*;
use leptos::server_fn::codec::Json;

#[server(input = Json)]
pub async fn bulk_job_status(job: i32) -> Result<JobStatus, AppError> {
    use crate::server::{auth::request, bulk::progress};
    let state = request::state()?;
    let actor = request::actor(&state).await?;
    progress::status(&state.db, &actor, state.settings.bulk, job).await
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
                    let finished = news.progress.counts.is_finished();
                    if status.try_set(Some(news)).is_none() && finished {
                        flow.changed.run(Change::Ended(id));
                    }
                }
                Err(problem) => {
                    let _ = error.try_set(Some(problem));
                }
            }
        });
    };
    listen(
        move || Some(routes::job_events(id)),
        move |event: JobEvent| match event {
            JobEvent::Counts(counts) => {
                // Equal counts (a stream that reconnected sends them again) change nothing on screen.
                progress.maybe_update(|progress| match progress {
                    Some(progress) if progress.counts != counts => {
                        progress.counts = counts;
                        true
                    }
                    _ => false,
                });
                // Cleared, and its view rebuilt, only if one is shown.
                error.maybe_update(|error| error.take().is_some());
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
    let finished = move || status.read().as_ref().is_some_and(|status| status.progress.counts.is_finished());
    // The finished job's status, for the views that show it (a copy; `finished` only looks).
    let finished_status = move || status.get().filter(|status| status.progress.counts.is_finished());
    // A memo: the step's buttons (Cancel Job and its question among them) are built again only when the
    // job turns from scheduled to running, not at every count the stream sends.
    let scheduled = Memo::new(move |_| progress.read().as_ref().and_then(JobProgress::scheduled_sentence));
    let scheduled = move || scheduled.get();
    // Why a running job stands still, while it does.
    let waiting = move || progress.read().as_ref().and_then(|progress| progress.counts.waiting);
    let recycle_next = move || {
        status
            .read()
            .as_ref()
            .is_some_and(|status| matches!(status.progress.action, JobAction::Reset { recycle: true, .. }))
    };
    view! {
        {move || scheduled().is_none().then(|| shown().map(|progress| view! { <ProgressBar progress /> }))}
        // One polite live region for the whole step, there from its start, so that a screen reader
        // hears "3 of 5 users reset" as the counts change and then "Reset complete".
        <div class="progress-status" role="status">
            {move || match scheduled() {
                Some(sentence) => Some(view! { <p class="scheduled">{sentence}</p> }.into_any()),
                None => shown().map(|progress| view! { <p class="progress-text">{progress_text(&progress)}</p> }.into_any()),
            }}
            {move || waiting().map(|waiting| view! { <p class="waiting">{waiting.sentence()}</p> })}
            {move || finished_status().map(|status| view! { <p class="done">{status.progress.outcome()}</p> })}
        </div>
        {move || error.get().map(|error| view! { <Problem error /> })}
        {move || match finished_status() {
            Some(status) => Some(view! { <Outcomes status /> }.into_any()),
            // While it runs, only its failures are listed, once there are any.
            None => Some(failures.get()).filter(|items| !items.is_empty())
                .map(|items| view! { <OutcomeList items /> }.into_any()),
        }}
        <div class="actions">
            <Show
                when=finished
                fallback=move || match scheduled().is_some() {
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
    let JobCounts { total, .. } = progress.counts;
    let processed = progress.counts.processed();
    let percent = (processed * 100).checked_div(total).unwrap_or(100);
    view! {
        <div class="progress" role="progressbar" aria-label=progress.action.progress_title() aria-valuemin="0"
            aria-valuemax=total aria-valuenow=processed aria-valuetext=progress.summary()>
            // A style property, not a style attribute: the Content-Security-Policy allows no inline styles.
            <div class="bar" style:width=format!("{percent}%")></div>
        </div>
    }
}

/// "3 of 5 users reset, 1 failed".
fn progress_text(progress: &JobProgress) -> String {
    let mut text = progress.summary();
    let JobCounts { failed, skipped, .. } = progress.counts;
    if failed > 0 {
        text.push_str(&format!(", {failed} failed"));
    }
    if skipped > 0 {
        text.push_str(&format!(", {skipped} skipped"));
    }
    text
}

#[component]
fn Outcomes(status: JobStatus) -> impl IntoView {
    let truncated = status.truncated.then(|| {
        let href = routes::results_csv(status.progress.id);
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
