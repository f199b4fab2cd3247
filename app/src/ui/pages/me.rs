//! A Basic User's own page: what the portal knows of them. Admins see it too.

use crate::shared::model::Me;
use crate::ui::components::title::PageTitle;
use leptos::prelude::*;

#[component]
pub fn MyPage() -> impl IntoView {
    let me = expect_context::<Me>();
    let fields = [
        ("Name", me.display_name()),
        ("Login", me.login.clone()),
        ("Extension", me.extension.clone()),
        ("Email", me.email.clone().unwrap_or_else(|| "—".into())),
        ("Domain", me.domain.clone()),
        ("Status", me.status.label().into()),
        ("Scope", me.scope.label().into()),
    ];
    view! {
        <PageTitle text="My Account" />
        <h1>"My Account"</h1>
        <dl class="card facts">
            {fields.into_iter().map(|(term, value)| view! { <dt>{term}</dt><dd>{value}</dd> }).collect_view()}
        </dl>
    }
}
