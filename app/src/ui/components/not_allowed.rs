//! What a signed-in user sees instead of a page outside their scope (a Basic User at the Users page, an
//! Office Manager at another domain's): the refusal in plain words, answered with its HTTP status,
//! and the way to their own page — not the page's controls in a disabled state. The router wraps the
//! admins' pages in `RequireScope`; the Users page shows `Refused` when the server refuses its domain.

use crate::shared::error::AppError;
use crate::shared::model::{Me, Scope};
use crate::shared::routes;
use crate::ui::components::problem::answer_with;
use crate::ui::components::title::PageTitle;
use leptos::either::Either;
use leptos::prelude::*;
use leptos_router::components::A;

#[component]
pub fn Refused(error: AppError) -> impl IntoView {
    answer_with(&error);
    let title = match error {
        AppError::NotFound(_) => "Not Found",
        _ => "Not Allowed",
    };
    view! {
        <PageTitle text=title />
        <section class="refused">
            <h1>{title}</h1>
            <p>{error.to_string()}</p>
            <p><A href=routes::ME>"My Account"</A></p>
        </section>
    }
}

/// The page in `children` for users of scope `at_least` and above; the refusal for anyone else.
#[component]
pub fn RequireScope(at_least: Scope, children: ChildrenFn) -> impl IntoView {
    let me = expect_context::<Me>();
    if me.scope >= at_least {
        Either::Left(children())
    } else {
        Either::Right(
            view! { <Refused error=AppError::Forbidden(format!("This page is for {}s and above.", at_least.label())) /> },
        )
    }
}
