//! The Set Password page a set-password link opens: the new holder of an extension (or a user whose
//! password reset was forced) chooses a password and a voicemail PIN, and is signed in. Open to
//! visitors who are not signed in; a used, expired or unknown link gets a page that says so.

use crate::shared::accounts::{LinkHolder, NewPassword, PinRule};
use crate::shared::error::AppError;
use crate::shared::routes;
use crate::ui::components::password_form::PasswordForm;
use crate::ui::components::problem::Problem;
use crate::ui::components::title::PageTitle;
use crate::ui::signed_in::{use_session, SetPassword};
use leptos::prelude::*;
use leptos::server_fn::codec::Json;
use leptos_meta::Meta;
use leptos_router::hooks::use_query_map;

/// Whom the link is for, if it can still be used.
#[server(input = Json)]
pub async fn password_link(token: String) -> Result<LinkHolder, AppError> {
    use crate::server::{accounts::new_password, auth::request};
    let state = request::state()?;
    new_password::link_holder(&state.db, &token).await
}

#[component]
pub fn SetPasswordPage() -> impl IntoView {
    let query = use_query_map();
    let token = Memo::new(move |_| query.read().get("token").unwrap_or_default());
    let holder = Resource::new(move || token.get(), password_link);
    let action = use_session().set_password;
    let failure = Signal::derive(move || action.value().get().and_then(Result::err));
    view! {
        <PageTitle text="Set Password" />
        // The link's token must not travel on to other sites in a Referer header.
        <Meta name="referrer" content="no-referrer" />
        <main class="login">
            <h1>"Switchboard"</h1>
            <Suspense fallback=|| view! { <p class="loading">"Checking your link…"</p> }>
                {move || Suspend::new(async move {
                    match holder.await {
                        Ok(holder) => view! { <SetPasswordForm holder token=token.get_untracked() action failure /> }.into_any(),
                        Err(error) => view! {
                            <h2>"This link cannot be used"</h2>
                            <div class="card">
                                <Problem error />
                                <p><a href=routes::LOGIN>"Log In"</a></p>
                            </div>
                        }
                        .into_any(),
                    }
                })}
            </Suspense>
        </main>
    }
}

#[component]
fn SetPasswordForm(
    holder: LinkHolder,
    token: String,
    action: ServerAction<SetPassword>,
    failure: Signal<Option<AppError>>,
) -> impl IntoView {
    let pin = PinRule::for_holder(holder.has_pin);
    let token = StoredValue::new(token);
    let on_submit = Callback::new(move |new: NewPassword| {
        action.dispatch(SetPassword { token: token.get_value(), new });
    });
    let greeting = if holder.name.is_empty() { "Welcome".to_string() } else { format!("Welcome, {}", holder.name) };
    view! {
        <h2>"Set Password"</h2>
        <p class="lede">{greeting}". Extension "{holder.extension.clone()}" at "{holder.domain}
            ". You will log in as "<strong>{holder.login.clone()}</strong>"."</p>
        <PasswordForm login=holder.login extension=holder.extension pin submit_label="Set Password"
            pending=action.pending() failure on_submit />
    }
}
