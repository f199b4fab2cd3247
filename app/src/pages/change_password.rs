//! Change Password: where a user whose password reset an admin forced is taken after signing in, before
//! any other page (the server sends them here, and refuses them everything else until they are done).

use crate::accounts::{NewPassword, PinRule};
use crate::auth::use_session;
use crate::components::password_form::PasswordForm;
use crate::error::AppError;
use crate::model::Me;
use leptos::prelude::*;
use leptos::server_fn::codec::Json;
use leptos_meta::Title;

#[server(input = Json)]
pub async fn change_password(new: NewPassword) -> Result<(), AppError> {
    use crate::server::{first_sign_in, request};
    let state = request::state()?;
    let actor = request::signed_in(&state).await?;
    let session = request::request_session_token(&state).ok_or(AppError::NotSignedIn)?;
    first_sign_in::change_password(&state.db, &actor, &session, new, request::client_addr()).await?;
    leptos_axum::redirect("/");
    Ok(())
}

#[component]
pub fn ChangePasswordPage() -> impl IntoView {
    let session = use_session();
    let action = session.change_password;
    let failure = Signal::derive(move || action.value().get().and_then(Result::err));
    let on_submit = Callback::new(move |new: NewPassword| {
        action.dispatch(ChangePassword { new });
    });
    let me = expect_context::<Me>();
    view! {
        <Title text="Change Password" />
        <h1>"Change Password"</h1>
        <p class="lede">"Your administrator asked you to choose a new password before you go on."</p>
        <PasswordForm login=me.login extension=me.extension pin=PinRule::NotAsked submit_label="Change Password"
            pending=action.pending() failure on_submit />
    }
}
