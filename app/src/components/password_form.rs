//! The form where a user chooses a password (and, on a first sign-in, a voicemail PIN). The rules are
//! checked here as the user submits, and again on the server, which alone knows the list of common
//! passwords; each broken rule is shown at its field.

use crate::accounts::{NewPassword, PinRule, CONFIRMATION_FIELD, PASSWORD_FIELD, PIN_FIELD};
use crate::components::problem::Problem;
use crate::error::{AppError, FieldProblem};
use crate::validate::{MIN_PASSWORD_LEN, PIN_LEN};
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
    let checked = RwSignal::new(Vec::<FieldProblem>::new());
    Effect::new(move |_| {
        if let Some(AppError::Fields(problems)) = failure.get() {
            checked.set(problems);
        }
    });
    let other_failure = move || failure.get().filter(|error| !matches!(error, AppError::Fields(_)));
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
        <form class="card password-form" method="post" novalidate on:submit=submit>
            <Field name=PASSWORD_FIELD label="New Password" kind="password" autocomplete="new-password"
                hint=Some(password_hint) new checked />
            <Field name=CONFIRMATION_FIELD label="Confirm Password" kind="password" autocomplete="new-password"
                hint=None new checked />
            {(pin != PinRule::NotAsked).then(|| view! {
                <Field name=PIN_FIELD label="Voicemail PIN" kind="password" autocomplete="off"
                    hint=Some(pin_hint.clone()) new checked />
            })}
            {move || other_failure().map(|error| view! { <Problem error /> })}
            <button type="submit" class="primary" disabled=move || pending.get() || !interactive.get()>
                {submit_label}
            </button>
        </form>
    }
}

#[component]
fn Field(
    name: &'static str,
    label: &'static str,
    kind: &'static str,
    autocomplete: &'static str,
    hint: Option<String>,
    new: RwSignal<NewPassword>,
    checked: RwSignal<Vec<FieldProblem>>,
) -> impl IntoView {
    let input_id = format!("new-{name}");
    let (error_id, hint_id) = (format!("{input_id}-error"), format!("{input_id}-hint"));
    let messages = move || {
        checked
            .read()
            .iter()
            .filter(|problem| problem.field == name)
            .map(|problem| problem.message.clone())
            .collect::<Vec<_>>()
    };
    let described = {
        let (error_id, hint_id, has_hint) = (error_id.clone(), hint_id.clone(), hint.is_some());
        move || {
            let ids: Vec<&str> =
                [(!messages().is_empty()).then_some(error_id.as_str()), has_hint.then_some(hint_id.as_str())]
                    .into_iter()
                    .flatten()
                    .collect();
            (!ids.is_empty()).then(|| ids.join(" "))
        }
    };
    let value = move || {
        let new = new.read();
        match name {
            PASSWORD_FIELD => new.password.clone(),
            CONFIRMATION_FIELD => new.confirmation.clone(),
            _ => new.pin.clone(),
        }
    };
    let set = move |ev: leptos::ev::Event| {
        let typed = event_target_value(&ev);
        new.update(|new| match name {
            PASSWORD_FIELD => new.password = typed,
            CONFIRMATION_FIELD => new.confirmation = typed,
            _ => new.pin = typed,
        });
    };
    let numeric = (name == PIN_FIELD).then_some("numeric");
    view! {
        <div class="field">
            <label for=input_id.clone()>{label}</label>
            <input id=input_id type=kind name=name autocomplete=autocomplete inputmode=numeric
                prop:value=value on:input=set
                aria-invalid=move || (!messages().is_empty()).then_some("true")
                aria-describedby=described />
            {move || {
                let messages = messages();
                (!messages.is_empty()).then(|| view! {
                    <span class="field-error" id=error_id.clone()>
                        {messages.into_iter().map(|message| view! { <span class="message">{message}</span> }).collect_view()}
                    </span>
                })
            }}
            {hint.map(|hint| view! { <span class="hint" id=hint_id>{hint}</span> })}
        </div>
    }
}
