//! Files to download, served as plain routes (a server function cannot answer with a file): a bulk
//! job's per-user results as CSV.

use app::server::auth::request::Identity;
use app::server::bulk::jobs;
use app::server::AppState;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::http::Response;
use axum::response::IntoResponse;
use axum::Extension;

/// Where a job's CSV is served (`app::pages::activity::results_csv_path` makes its links).
pub const RESULTS_CSV_ROUTE: &str = "/activity/{job}/results.csv";

pub async fn results_csv(
    State(state): State<AppState>,
    Extension(identity): Extension<Identity>,
    Path(job): Path<i32>,
) -> Response<Body> {
    let result = async { jobs::results_csv(&state.db, &identity.admitted()?, job).await }.await;
    match result {
        Ok((file_name, csv)) => (
            [
                (CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
                (CONTENT_DISPOSITION, format!("attachment; filename=\"{file_name}\"")),
            ],
            csv,
        )
            .into_response(),
        Err(err) => (err.status(), err.to_string()).into_response(),
    }
}
