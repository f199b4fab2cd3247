//! The Activity page: recent bulk jobs in the admin's scope, their outcomes, and each job's per-user
//! results as a CSV download. A scheduled job can be run now or cancelled here; a finished reset
//! offers "Recycle Users" for the users it reset, in the same dialog as the Users page's.

use crate::shared::bulk::{JobAction, JobProgress, JobState, JobSummary, RecycleTargets};
use crate::shared::error::AppError;
use crate::shared::model::Scope;
use crate::shared::provisioning::ProvisioningChange;
use crate::shared::routes;
use crate::ui::components::action_state::ActionState;
use crate::ui::components::bulk_action::{BulkActionDialog, Flow, Step};
use crate::ui::components::job_widgets::{CancelJob, RunNow};
use crate::ui::components::listing::{HeaderRow, Listing};
use crate::ui::components::problem::Problem;
use crate::ui::components::selection::Selection;
use crate::ui::signed_in::use_session;
use leptos::prelude::*;
use leptos::server_fn::codec::Json;
use leptos_router::components::A;

#[server(input = Json)]
pub async fn recent_jobs() -> Result<Vec<JobSummary>, AppError> {
    use crate::server::{auth::request, bulk::progress};
    let state = request::state()?;
    let actor = request::actor(&state).await?;
    progress::recent(&state.db, &actor).await
}

/// The Recycle Users form for the users reset job `job` reset, and the job's domain.
#[server(input = Json)]
pub async fn recycle_form_for_job(job: i32) -> Result<(String, RecycleTargets), AppError> {
    use crate::server::{auth::request, bulk::actions::recycle};
    let state = request::state()?;
    let actor = request::actor(&state).await?;
    recycle::preview_for_job(&state.db, &actor, job).await
}

/// The latest changes identity providers made over SCIM in the admin's scope (and admins' changes to
/// their tokens and options).
#[server(input = Json)]
pub async fn provisioning_changes() -> Result<Vec<ProvisioningChange>, AppError> {
    use crate::server::{auth::request, provisioning::changes};
    let state = request::state()?;
    let actor = request::actor(&state).await?;
    changes::recent(&state.db, &actor).await
}

/// What a job's row can do: tell the page its jobs changed, and open Recycle Users for a reset.
#[derive(Clone, Copy)]
struct RowActions {
    changed: Callback<()>,
    recycle: Action<i32, Result<(String, RecycleTargets), AppError>>,
    recycling: ActionState<Result<(String, RecycleTargets), AppError>>,
}

#[component]
pub fn ActivityPage() -> impl IntoView {
    let version = RwSignal::new(0u32);
    let jobs = Resource::new(move || version.get(), |_| recent_jobs());
    let changed = Callback::new(move |()| version.update(|n| *n += 1));
    let domain = RwSignal::new(String::new());
    // Whatever a step did, the list of jobs shows it.
    let flow = Flow::new(RwSignal::new(Selection::default()), domain.into(), Callback::new(move |_| changed.run(())));
    let recycle = Action::new(|job: &i32| recycle_form_for_job(*job));
    Effect::new(move |_| {
        if let Some(Ok((name, targets))) = recycle.value().get() {
            domain.set(name);
            flow.step.set(Step::Recycle(targets));
            flow.open.set(true);
        }
    });
    let actions = RowActions { changed, recycle, recycling: ActionState::of(recycle) };
    view! {
        <Listing title="Activity" rows=jobs loading="Loading activity…" empty="No bulk actions yet."
            table=move |jobs| job_table(jobs, actions)>
            {move || actions.recycling.failure().map(|error| view! { <Problem error /> })}
        </Listing>
        <ProvisioningChanges />
        <BulkActionDialog flow />
    }
}

/// Where an admin connects an identity provider: an Office Manager's own domain's Provisioning page
/// (they have no Domains page in the menu); above them, each domain's, from the Domains page.
#[component]
fn ProvisioningLink() -> impl IntoView {
    let me = use_session().me;
    view! {
        <p class="hint">
            "Okta or Entra ID can create and deactivate users over SCIM: "
            <Transition>
                {move || Suspend::new(async move {
                    match me.await {
                        Ok(Some(me)) if me.scope == Scope::OfficeManager => {
                            let label = format!("Provisioning of {}", me.domain);
                            view! { <A href=routes::provisioning(&me.domain) attr:aria-label=label>"Provisioning"</A> }.into_any()
                        }
                        _ => view! { <A href=routes::DOMAINS>"Domains"</A> " → Provisioning" }.into_any(),
                    }
                })}
            </Transition>
            "."
        </p>
    }
}

#[component]
fn ProvisioningChanges() -> impl IntoView {
    let changes = Resource::new(|| (), |_| provisioning_changes());
    view! {
        <section aria-labelledby="provisioning-changes">
            <h2 id="provisioning-changes">"Provisioning"</h2>
            <ProvisioningLink />
            <Transition fallback=|| view! { <p class="loading">"Loading provisioning changes…"</p> }>
                {move || Suspend::new(async move {
                    match changes.await {
                        Err(error) => view! { <Problem error /> }.into_any(),
                        Ok(rows) if rows.is_empty() => view! {
                            <p class="empty">"No changes from an identity provider yet."</p>
                        }.into_any(),
                        Ok(rows) => view! {
                            <div class="table-wrap">
                                <table class="grid cards provisioning-changes">
                                    <HeaderRow columns=&["When", "Domain", "By", "Change"] />
                                    <tbody>
                                        {rows.into_iter().map(|change| view! {
                                            <tr class="card-on-phones">
                                                <td data-label="When">{change.at}</td>
                                                <td data-label="Domain">{change.domain}</td>
                                                <td data-label="By" class="wraps">{change.by}</td>
                                                <td data-label="Change" class="wraps">{change.what}</td>
                                            </tr>
                                        }).collect_view()}
                                    </tbody>
                                </table>
                            </div>
                        }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

fn job_table(jobs: Vec<JobSummary>, actions: RowActions) -> impl IntoView {
    view! {
        <div class="table-wrap">
            <table class="grid activity">
                <HeaderRow columns=&["Started", "Domain", "By", "Action", "Users", "Outcome", "Results"]
                    numeric=&["Users"] />
                <tbody>
                    {jobs.into_iter().map(|job| {
                        let progress = job.progress;
                        view! {
                            <tr class="card-on-phones">
                                <td data-label="Started">{job.started.unwrap_or_else(|| "Not yet".into())}</td>
                                <td data-label="Domain">{job.domain}</td>
                                <td data-label="By">{job.actor}</td>
                                <td data-label="Action" class="wraps">{progress.action.describe()}</td>
                                <td data-label="Users" class="num">{progress.counts.total}</td>
                                <td data-label="Outcome" class="wraps">{outcome(&progress)}</td>
                                <td class="download">
                                    <div class="job-buttons">
                                        <JobButtons progress=progress.clone() actions />
                                        <a href=routes::results_csv(progress.id) download=""
                                            aria-label=format!("Download CSV of bulk action {}", progress.id)>
                                            "Download CSV"
                                        </a>
                                    </div>
                                </td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
}

fn outcome(progress: &JobProgress) -> String {
    let counts = &progress.counts;
    let skipped = match counts.skipped {
        0 => String::new(),
        n => format!(", {n} skipped"),
    };
    match (counts.state, &progress.schedule) {
        (JobState::Scheduled, Some(schedule)) => format!("Scheduled for {}", schedule.short_with_zone()),
        (JobState::Scheduled, None) => "Scheduled".into(),
        (JobState::Running, _) => format!("Running: {} of {} done", counts.processed(), counts.total),
        (JobState::Finished, _) => format!("{} done, {} failed{skipped}", counts.done, counts.failed),
        (JobState::Cancelled, _) => format!(
            "Cancelled: {} done, {} failed{skipped}, {} not started",
            counts.done,
            counts.failed,
            counts.cancelled()
        ),
    }
}

/// "Run now" and "Cancel" for a scheduled job; "Recycle Users" for a reset that reset someone.
#[component]
fn JobButtons(progress: JobProgress, actions: RowActions) -> impl IntoView {
    let id = progress.id;
    let is_reset = matches!(progress.action, JobAction::Reset { .. });
    match progress.counts.state {
        JobState::Scheduled => view! {
            <RunNow job=id then=actions.changed />
            <CancelJob job=id scheduled=true then=actions.changed />
        }
        .into_any(),
        JobState::Finished | JobState::Cancelled if is_reset && progress.counts.done > 0 => view! {
            <button type="button" class="secondary" disabled=move || actions.recycling.running()
                aria-label=format!("Recycle Users of bulk action {id}")
                on:click=move |_| { actions.recycle.dispatch(id); }>
                "Recycle Users"
            </button>
        }
        .into_any(),
        _ => ().into_any(),
    }
}
