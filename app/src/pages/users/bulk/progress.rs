//! A job's live progress: the status step of the dialog, and the Users page's banner that leads back to
//! it after a reload. Both read the job's rows on the server, so it does not matter which server
//! replica answers or whether the browser was closed in between.

use super::{Flow, Step};
use crate::bulk::{ItemState, JobAction, JobProgress, JobStatus};
use crate::components::problem::Problem;
use crate::error::AppError;
use leptos::prelude::*;
use leptos::server_fn::codec::Json;

/// How often the status step asks for news: within the half second the admin should wait at most.
const POLL_MS: u32 = 400;

#[server(input = Json)]
pub async fn bulk_job_status(job: i32) -> Result<JobStatus, AppError> {
    use crate::server::{jobs, request};
    let state = request::state()?;
    let actor = request::actor(&state).await?;
    jobs::status(&state.db, &actor, job).await
}

/// The domain's unfinished jobs, for the banner.
#[server(input = Json)]
pub async fn running_jobs(domain: String) -> Result<Vec<JobProgress>, AppError> {
    use crate::server::{jobs, request};
    let state = request::state()?;
    let (_, domain) = request::managed_domain(&state, &domain).await?;
    jobs::running(&state.db, &domain).await
}

#[component]
pub fn ProgressStep(flow: Flow, job: i32, action: JobAction) -> impl IntoView {
    let status = RwSignal::new(None::<JobStatus>);
    let error = RwSignal::new(None::<AppError>);
    // Effects run only in the browser: polling starts once the step is on screen, and stops when the
    // job is finished or the step is gone (its signals are disposed).
    Effect::new(move |_| {
        leptos::task::spawn_local(async move {
            loop {
                let answer = bulk_job_status(job).await;
                let finished = matches!(&answer, Ok(status) if status.progress.is_finished());
                let keep_trying = matches!(&answer, Ok(_) | Err(AppError::Transport(_)));
                let gone = match answer {
                    Ok(news) => error.try_set(None).is_some() || status.try_set(Some(news)).is_some(),
                    Err(problem) => error.try_set(Some(problem)).is_some(),
                };
                if gone || !keep_trying {
                    break;
                }
                if finished {
                    flow.changed.run(());
                    break;
                }
                gloo_timers::future::TimeoutFuture::new(POLL_MS).await;
            }
        });
    });
    let progress = move || status.read().as_ref().map(|status| status.progress.clone());
    let finished = move || progress().is_some_and(|progress| progress.is_finished());
    let recycle_next = move || {
        status
            .read()
            .as_ref()
            .is_some_and(|status| matches!(status.progress.action, JobAction::Reset { recycle: true, .. }))
    };
    view! {
        {move || progress().map(|progress| view! { <ProgressBar progress /> })}
        {move || finished().then(|| view! { <p class="done" role="status">{action.complete()}</p> })}
        {move || error.get().map(|error| view! { <Problem error /> })}
        {move || status.get().map(|status| view! { <Outcomes status /> })}
        <div class="actions">
            <Show
                when=finished
                fallback=move || view! {
                    <button type="button" class="secondary" on:click=move |_| flow.close()>"Continue in Background"</button>
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
    let summary = progress.summary();
    let failed = progress.failed;
    view! {
        <div class="progress" role="progressbar" aria-label=progress.action.progress_title() aria-valuemin="0"
            aria-valuemax=progress.total aria-valuenow=progress.processed() aria-valuetext=summary.clone()>
            // A style property, not a style attribute: the Content-Security-Policy allows no inline styles.
            <div class="bar" style:width=format!("{percent}%")></div>
        </div>
        <p class="progress-text">{summary}
            {(failed > 0).then(|| format!(", {failed} failed"))}
        </p>
    }
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
        <ul class="outcomes" aria-label="Users">
            {status.items.into_iter().map(|item| {
                let state = item.state;
                view! {
                    <li class=match state { ItemState::Pending => "item-pending", ItemState::Done => "item-done", ItemState::Failed => "item-failed" }>
                        <span class="ext">{item.extension}</span>" "
                        <span class="name">{item.name}</span>" "
                        <span class="state">{state.label()}</span>
                        {item.error.map(|error| view! { <span class="reason">{error}</span> })}
                    </li>
                }
            }).collect_view()}
        </ul>
        {truncated}
    }
}

/// "Reset in progress: 3 of 5", one per unfinished job of the domain; each re-opens its progress.
#[component]
pub fn RunningBanner(jobs: Vec<JobProgress>, open: Callback<JobProgress>) -> impl IntoView {
    jobs.into_iter()
        .map(|job| {
            let text = format!("{}: {} of {}", job.action.in_progress(), job.processed(), job.total);
            view! {
                <div class="banner" role="status">
                    <button type="button" class="link" on:click=move |_| open.run(job.clone())>
                        {text}
                    </button>
                </div>
            }
        })
        .collect_view()
}
