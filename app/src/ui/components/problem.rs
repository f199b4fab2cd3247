//! How an error reaches the user: its message, announced to screen readers.

use crate::shared::error::AppError;
use crate::shared::routes;
use leptos::prelude::*;

#[component]
pub fn Problem(error: AppError) -> impl IntoView {
    answer_with(&error);
    // A session that ended (unused for a while, or from elsewhere) leads back in.
    let sign_in = (error == AppError::NotSignedIn).then(|| view! { " " <a href=routes::LOGIN>"Log In"</a> });
    view! { <p class="problem" role="alert">{error.to_string()}{sign_in}</p> }
}

/// A page the server renders with an error answers with the error's status (403 for a page outside
/// one's scope, 404 for an unknown domain …), not 200.
pub fn answer_with(_error: &AppError) {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(_error.status());
    }
}

/// The fallback of an `ErrorBoundary`: each error's message.
#[component]
pub fn Problems(errors: ArcRwSignal<Errors>) -> impl IntoView {
    if let Some(error) = errors.read_untracked().iter().find_map(|(_, error)| error.downcast_ref::<AppError>().cloned())
    {
        answer_with(&error);
    }
    view! {
        <div class="problem" role="alert">
            {move || errors.get().into_iter().map(|(_, error)| view! { <p>{error.to_string()}</p> }).collect_view()}
        </div>
    }
}
