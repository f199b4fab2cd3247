//! Files to download, served as plain routes (a server function cannot answer with a file): a bulk
//! job's per-user results as CSV.

use app::server::auth::request::Identity;
use app::server::bulk::progress;
use app::server::AppState;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::http::Response;
use axum::response::IntoResponse;
use axum::Extension;

pub async fn results_csv(
    State(state): State<AppState>,
    Extension(identity): Extension<Identity>,
    Path(job): Path<i32>,
) -> Response<Body> {
    let result = async { progress::results_csv(&state.db, &identity.admitted()?, job).await }.await;
    match result {
        Ok((file_name, csv)) => (
            [
                (CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
                (CONTENT_DISPOSITION, format!("attachment; filename=\"{file_name}\"")),
            ],
            csv,
        )
            .into_response(),
        Err(err) => err.into_response(),
    }
}
