//! The Activity page: recent bulk jobs in the admin's scope, their outcomes, and each job's per-user
//! results as a CSV download.

use crate::bulk::{JobState, JobSummary};
use crate::components::listing::{HeaderRow, Listing};
use crate::error::AppError;
use leptos::prelude::*;
use leptos::server_fn::codec::Json;

#[server(input = Json)]
pub async fn recent_jobs() -> Result<Vec<JobSummary>, AppError> {
    use crate::server::{auth::request, bulk::jobs};
    let state = request::state()?;
    let actor = request::actor(&state).await?;
    jobs::recent(&state.db, &actor).await
}

/// Where a job's CSV is served (by the server's router, as a file download).
pub fn results_csv_path(job: i32) -> String {
    format!("/activity/{job}/results.csv")
}

#[component]
pub fn ActivityPage() -> impl IntoView {
    let jobs = Resource::new(|| (), |_| recent_jobs());
    view! {
        <Listing title="Activity" rows=jobs loading="Loading activity…" empty="No bulk actions yet." table=job_table />
    }
}

fn job_table(jobs: Vec<JobSummary>) -> impl IntoView {
    view! {
        <div class="table-wrap">
            <table class="grid activity">
                <HeaderRow columns=&["Started", "Domain", "By", "Action", "Users", "Outcome", "Results"]
                    numeric=&["Users"] />
                <tbody>
                    {jobs.into_iter().map(|job| {
                        let progress = job.progress;
                        let outcome = match progress.state {
                            JobState::Running => format!("Running: {} of {} done", progress.processed(), progress.total),
                            JobState::Finished => format!("{} done, {} failed", progress.done, progress.failed),
                            JobState::Cancelled => format!(
                                "Cancelled: {} done, {} failed, {} not started",
                                progress.done, progress.failed, progress.cancelled()
                            ),
                        };
                        view! {
                            <tr>
                                <td data-label="Started">{job.started}</td>
                                <td data-label="Domain">{job.domain}</td>
                                <td data-label="By">{job.actor}</td>
                                <td data-label="Action">{progress.action.describe()}</td>
                                <td data-label="Users" class="num">{progress.total}</td>
                                <td data-label="Outcome">{outcome}</td>
                                <td class="download">
                                    <a href=results_csv_path(progress.id) download=""
                                        aria-label=format!("Download CSV of bulk action {}", progress.id)>
                                        "Download CSV"
                                    </a>
                                </td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
}
