//! One input of a form with its label, an optional hint, and the messages the last check found at it.
//! The messages and the hint are tied to the input (`aria-invalid`, `aria-describedby`), so a screen
//! reader reads them with the field; the messages sit outside the label, so the label stays its name.

use crate::shared::error::FieldError;
use leptos::html;
use leptos::prelude::*;

/// After a check marked fields of `form` invalid, moves focus to the first of them, so that a keyboard
/// or screen reader user lands on what to mend. Waits a frame: the marks are drawn after this turn.
pub fn focus_first_invalid(form: NodeRef<html::Form>) {
    request_animation_frame(move || {
        use leptos::wasm_bindgen::JsCast;
        let Some(form) = form.get_untracked() else { return };
        if let Ok(Some(field)) = form.query_selector("[aria-invalid=\"true\"]") {
            if let Ok(field) = field.dyn_into::<web_sys::HtmlElement>() {
                let _ = field.focus();
            }
        }
    });
}

#[component]
pub fn Field(
    /// The input's id, unique on the page; the ids of its messages and hint are made from it.
    id: String,
    /// The input's `name`: the messages at it are those whose `field` is this.
    name: &'static str,
    label: &'static str,
    #[prop(into)] value: Signal<String>,
    /// Called with the new value as the user types.
    on_input: Callback<String>,
    /// What the last check found, for the whole form (or row): this field shows its own.
    #[prop(into)]
    problems: Signal<Vec<FieldError>>,
    #[prop(default = "text")] kind: &'static str,
    #[prop(default = None)] hint: Option<String>,
    #[prop(default = "off")] autocomplete: &'static str,
    #[prop(default = None)] inputmode: Option<&'static str>,
    #[prop(optional)] required: bool,
    #[prop(optional, into)] disabled: Signal<bool>,
) -> impl IntoView {
    let (error_id, hint_id) = (format!("{id}-error"), format!("{id}-hint"));
    let messages = move || {
        problems
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
    view! {
        <div class="field">
            <label for=id.clone()>{label}</label>
            <input id=id type=kind name=name autocomplete=autocomplete inputmode=inputmode required=required
                prop:value=move || value.get() on:input=move |ev| on_input.run(event_target_value(&ev))
                disabled=move || disabled.get()
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
