//! Change Password: where a user whose password reset an admin forced is taken after signing in, before
//! any other page (the server sends them here, and refuses them everything else until they are done).

use crate::shared::accounts::{NewPassword, PinRule};
use crate::shared::model::Me;
use crate::ui::components::password_form::PasswordForm;
use crate::ui::components::title::PageTitle;
use crate::ui::signed_in::{use_session, ChangePassword};
use leptos::prelude::*;

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
        <PageTitle text="Change Password" />
        <h1>"Change Password"</h1>
        <p class="lede">"Your administrator asked you to choose a new password before you go on."</p>
        <PasswordForm login=me.login extension=me.extension pin=PinRule::NotAsked submit_label="Change Password"
            pending=action.pending() failure on_submit />
    }
}
