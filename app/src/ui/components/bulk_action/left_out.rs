//! The users a confirmation leaves out, each with why.

use crate::shared::bulk::SkippedUser;
use leptos::prelude::*;

/// The users a bulk action leaves out, each with why (skipped by an account action, or matched by a
/// filter but not allowed); nothing when there are none.
#[component]
pub fn LeftOut(users: Vec<SkippedUser>) -> impl IntoView {
    (!users.is_empty()).then(|| {
        view! {
            <h3>"Left out"</h3>
            <ul class="skipped-users" aria-label="Users left out">
                {users.into_iter().map(|left| view! {
                    <li>
                        <span class="ext">{left.user.extension}</span>" "<span class="name">{left.user.name}</span>" "
                        <span class="reason">{left.reason}</span>
                    </li>
                }).collect_view()}
            </ul>
        }
    })
}
