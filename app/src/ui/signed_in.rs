//! Who is signed in, for every page: the `current_user` resource and the actions that change who that
//! is or what they may do (sign in, sign out, set a password through a link, change a forced one).

use crate::shared::accounts::NewPassword;
use crate::shared::error::AppError;
use crate::shared::model::Me;
use leptos::prelude::*;
use leptos::server_fn::codec::Json;

#[server(input = Json)]
pub async fn current_user() -> Result<Option<Me>, AppError> {
    use crate::server::{auth::request, auth::signin};
    let state = request::state()?;
    match request::signed_in(&state).await {
        Ok(actor) => signin::me(&state.db, &actor).await.map(Some),
        Err(AppError::NotSignedIn) => Ok(None),
        Err(err) => Err(err),
    }
}

/// The sign-in form's fields: a plain HTML form post, so that signing in works before (or without)
/// the page's WebAssembly. (Every other server function takes JSON only.)
#[server]
pub async fn login(login: String, password: String) -> Result<(), AppError> {
    use crate::server::{auth::request, auth::signin};
    let state = request::state()?;
    let origin = request::origin(&state)?;
    let (token, _) = signin::sign_in(&state.db, &state.settings, &state.sign_ins, &login, &password, origin).await?;
    request::set_session_cookie(&state, Some(token))?;
    leptos_axum::redirect("/");
    Ok(())
}

/// The Log Out button: a plain HTML form post, like `login`.
#[server]
pub async fn logout() -> Result<(), AppError> {
    use crate::server::{auth::request, auth::signin};
    let state = request::state()?;
    if let Some(token) = request::request_session_token(&state) {
        signin::sign_out(&state.db, &state.settings, &token, request::client_addr()).await?;
    }
    request::set_session_cookie(&state, None)?;
    leptos_axum::redirect(crate::shared::routes::LOGIN);
    Ok(())
}

/// Sets the link holder's password (and PIN) and signs them in.
#[server(input = Json)]
pub async fn set_password(token: String, new: NewPassword) -> Result<(), AppError> {
    use crate::server::{accounts::new_password, auth::request};
    let state = request::state()?;
    let origin = request::origin(&state)?;
    let session = new_password::set_password(&state.db, &state.settings, &token, new, origin).await?;
    request::set_session_cookie(&state, Some(session))?;
    leptos_axum::redirect("/");
    Ok(())
}

/// Lifts a forced password reset: the signed-in user chooses a new password.
#[server(input = Json)]
pub async fn change_password(new: NewPassword) -> Result<(), AppError> {
    use crate::server::{accounts::new_password, auth::request};
    let state = request::state()?;
    let actor = request::signed_in(&state).await?;
    let session = request::request_session_token(&state).ok_or(AppError::NotSignedIn)?;
    new_password::change_password(&state.db, &actor, &session, new, request::client_addr()).await?;
    leptos_axum::redirect("/");
    Ok(())
}

/// The server functions that take a plain HTML form (`application/x-www-form-urlencoded`) rather than
/// JSON: the server refuses any other body for them, and anything but JSON for the rest.
#[cfg(feature = "ssr")]
pub fn form_paths() -> [&'static str; 2] {
    use leptos::server_fn::ServerFn;
    [Login::PATH, Logout::PATH]
}

/// The signed-in user and the actions that change who that is (or what they may do); provided once by
/// `App`.
#[derive(Clone, Copy)]
pub struct Session {
    pub me: Resource<Result<Option<Me>, AppError>>,
    pub login: ServerAction<Login>,
    pub logout: ServerAction<Logout>,
    pub set_password: ServerAction<SetPassword>,
    pub change_password: ServerAction<ChangePassword>,
}

pub fn provide_session() {
    let login = ServerAction::<Login>::new();
    let logout = ServerAction::<Logout>::new();
    let set_password = ServerAction::<SetPassword>::new();
    let change_password = ServerAction::<ChangePassword>::new();
    let me = Resource::new(
        move || {
            (
                login.version().get(),
                logout.version().get(),
                set_password.version().get(),
                change_password.version().get(),
            )
        },
        |_| current_user(),
    );
    provide_context(Session { me, login, logout, set_password, change_password });
}

pub fn use_session() -> Session {
    expect_context::<Session>()
}
