//! The bar at the top of every signed-in page: where you are, who you are, and the way out.

use crate::shared::model::{Me, Scope};
use crate::shared::routes;
use crate::ui::signed_in::use_session;
use leptos::prelude::*;
use leptos_router::components::A;

#[component]
pub fn Header(me: Me) -> impl IntoView {
    let logout = use_session().logout;
    // While a new password must be chosen, nothing else is open to the user.
    let free = !me.must_change_password;
    let show_domains = free && me.scope >= Scope::Reseller;
    let show_admin = free && me.scope >= Scope::OfficeManager;
    view! {
        <header class="topbar">
            // On a phone the logo alone (the name stays for screen readers), so the bar keeps one line.
            <A href="/" attr:class="brand">
                <img src="/favicon.svg" alt="" width="28" height="28" />
                // On phones the logo alone: the name stays for screen readers.
                <span class="brand-name visually-hidden-on-phones">"Switchboard"</span>
            </A>
            <nav aria-label="Main">
                {show_domains.then(|| view! { <A href=routes::DOMAINS>"Domains"</A> })}
                {show_admin.then(|| view! { <A href=routes::ACTIVITY>"Activity"</A> <A href=routes::OUTBOX>"Outbox"</A> })}
            </nav>
            <div class="whoami">
                <span class="who">{me.display_name()}</span>
                <span class="scope">{me.scope.label()}</span>
                <ActionForm action=logout>
                    <button type="submit" class="secondary">"Log Out"</button>
                </ActionForm>
            </div>
        </header>
    }
}
