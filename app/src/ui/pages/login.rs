//! The sign-in page. The form works without JavaScript too: it posts to the `login` server function,
//! which redirects to `/` on success.

use crate::shared::validate::{MAX_LOGIN_LEN, MAX_PASSWORD_LEN};
use crate::ui::components::problem::Problem;
use crate::ui::components::title::PageTitle;
use crate::ui::signed_in::use_session;
use leptos::prelude::*;

#[component]
pub fn LoginPage() -> impl IntoView {
    let login = use_session().login;
    let failure = move || login.value().get().and_then(Result::err);
    view! {
        <PageTitle text="Log In" />
        <main class="login">
            <h1>"Switchboard"</h1>
            <p class="lede">"Sign in to manage your phone system's users."</p>
            <ActionForm action=login attr:class="card">
                <label for="login">"Login"</label>
                <input id="login" name="login" type="text" autocomplete="username" required maxlength=MAX_LOGIN_LEN
                    placeholder="extension@domain or email" />
                <label for="password">"Password"</label>
                <input id="password" name="password" type="password" autocomplete="current-password" required
                    maxlength=MAX_PASSWORD_LEN />
                {move || failure().map(|error| view! { <Problem error /> })}
                <button type="submit" disabled=move || login.pending().get()>"Log In"</button>
            </ActionForm>
        </main>
    }
}
