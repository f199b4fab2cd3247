//! How an error reaches the user: its message, announced to screen readers.

use crate::error::AppError;
use leptos::prelude::*;

#[component]
pub fn Problem(error: AppError) -> impl IntoView {
    view! { <p class="problem" role="alert">{error.to_string()}</p> }
}

/// The fallback of an `ErrorBoundary`: each error's message.
#[component]
pub fn Problems(errors: ArcRwSignal<Errors>) -> impl IntoView {
    view! {
        <div class="problem" role="alert">
            {move || errors.get().into_iter().map(|(_, error)| view! { <p>{error.to_string()}</p> }).collect_view()}
        </div>
    }
}
