//! The form where a user chooses a password (and, on a first sign-in, a voicemail PIN). The rules are
//! checked here as the user submits, and again on the server, which alone knows the list of common
//! passwords; each broken rule is shown at its field.

use crate::shared::accounts::{NewPassword, PinRule, CONFIRMATION_FIELD, PASSWORD_FIELD, PIN_FIELD};
use crate::shared::error::{AppError, FieldError};
use crate::shared::validate::{MIN_PASSWORD_LEN, PIN_LEN};
use crate::ui::components::field::{focus_first_invalid, Field};
use crate::ui::components::problem::Problem;
use leptos::prelude::*;

#[component]
pub fn PasswordForm(
    login: String,
    extension: String,
    pin: PinRule,
    submit_label: &'static str,
    #[prop(into)] pending: Signal<bool>,
    /// The server's answer to the last submission, if it failed.
    #[prop(into)]
    failure: Signal<Option<AppError>>,
    on_submit: Callback<NewPassword>,
) -> impl IntoView {
    let new = RwSignal::new(NewPassword::default());
    // What this form found on submit; replaced by the server's findings when it answers.
    let checked = RwSignal::new(Vec::<FieldError>::new());
    let form = NodeRef::<leptos::html::Form>::new();
    Effect::new(move |_| {
        if let Some(AppError::Invalid(problems)) = failure.get() {
            checked.set(problems);
            focus_first_invalid(form);
        }
    });
    let other_failure = move || failure.get().filter(|error| !matches!(error, AppError::Invalid(_)));
    // The form is checked and sent by this component, which works once the page is interactive; until
    // then the button waits, so that a browser's own submission can never put a password in a URL.
    let interactive = RwSignal::new(false);
    Effect::new(move |_| interactive.set(true));

    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let typed = new.get_untracked();
        let problems = typed.problems(&login, &extension, pin);
        let ok = problems.is_empty();
        checked.set(problems);
        if ok {
            on_submit.run(typed);
        } else {
            focus_first_invalid(form);
        }
    };

    let password_hint =
        format!("At least {MIN_PASSWORD_LEN} characters; not your login or extension, and not a common password.");
    let (min, max) = (PIN_LEN.start(), PIN_LEN.end());
    let pin_hint = if pin == PinRule::Optional {
        format!("{min} to {max} digits. Leave it blank to keep your current PIN.")
    } else {
        format!("{min} to {max} digits; not one digit repeated, a run like 1234, or your extension.")
    };
    view! {
        <form class="card password-form" method="post" novalidate on:submit=submit node_ref=form>
            <PasswordField name=PASSWORD_FIELD label="New Password" hint=Some(password_hint) new checked />
            <PasswordField name=CONFIRMATION_FIELD label="Confirm Password" hint=None new checked />
            {(pin != PinRule::NotAsked).then(|| view! {
                <PasswordField name=PIN_FIELD label="Voicemail PIN" hint=Some(pin_hint.clone()) new checked />
            })}
            {move || other_failure().map(|error| view! { <Problem error /> })}
            <button type="submit" class="primary" disabled=move || pending.get() || !interactive.get()>
                {submit_label}
            </button>
        </form>
    }
}

/// One of the form's fields, bound to its part of `new`.
#[component]
fn PasswordField(
    name: &'static str,
    label: &'static str,
    hint: Option<String>,
    new: RwSignal<NewPassword>,
    checked: RwSignal<Vec<FieldError>>,
) -> impl IntoView {
    let value = Signal::derive(move || {
        let new = new.read();
        match name {
            PASSWORD_FIELD => new.password.clone(),
            CONFIRMATION_FIELD => new.confirmation.clone(),
            _ => new.pin.clone(),
        }
    });
    let on_input = Callback::new(move |typed: String| {
        new.update(|new| match name {
            PASSWORD_FIELD => new.password = typed,
            CONFIRMATION_FIELD => new.confirmation = typed,
            _ => new.pin = typed,
        })
    });
    let (autocomplete, inputmode) = if name == PIN_FIELD { ("off", Some("numeric")) } else { ("new-password", None) };
    view! {
        <Field id=format!("new-{name}") name label kind="password" autocomplete inputmode hint value on_input
            problems=checked />
    }
}
