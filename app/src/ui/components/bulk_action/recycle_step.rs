//! The Recycle Users form: one row per reset extension, for its new holder's name and email.
//! Save checks every row here first and the server checks again; valid rows are saved, and each
//! invalid row keeps what was typed, with a message at each bad field.

use super::flow::{Change, Flow};
use super::paste::PasteFromSpreadsheet;
use super::recycle_row::Row;
use crate::shared::bulk::{RecycleEntry, RecycleField, RecycleOutcome, RecycleTargets};
use crate::shared::error::AppError;
use crate::ui::components::field::{focus_first_invalid, Field};
use crate::ui::components::problem::Problem;
use crate::ui::components::show_more::ShowMore;
use leptos::prelude::*;
use leptos::server_fn::codec::Json;

/// The form's rows for ticked users, if they may be recycled (each must have been reset).
#[server(input = Json)]
pub async fn recycle_form(domain: String, user_ids: Vec<i32>) -> Result<RecycleTargets, AppError> {
    use crate::server::{auth::request, bulk::actions::recycle};
    let (db, managed) = request::managing(&domain).await?;
    recycle::preview(&db, &managed, &user_ids).await
}

#[server(input = Json)]
pub async fn recycle_users(domain: String, entries: Vec<RecycleEntry>) -> Result<RecycleOutcome, AppError> {
    use crate::server::{auth::request, bulk::actions::recycle};
    let (db, managed) = request::managing(&domain).await?;
    recycle::start(&db, &recycle::Recycler::Admin(&managed, request::client_addr()), entries).await
}

#[component]
pub fn RecycleStep(flow: Flow, targets: RecycleTargets) -> impl IntoView {
    let email_recommended = targets.email_recommended;
    let rows: Vec<Row> = targets
        .users
        .into_iter()
        .map(|(user_id, extension)| Row {
            extension,
            entry: RwSignal::new(RecycleEntry { user_id, ..Default::default() }),
            welcome: RwSignal::new(None),
            problems: RwSignal::new(Vec::new()),
            saved: RwSignal::new(false),
        })
        .collect();
    let total = rows.len();
    let rows = StoredValue::new(rows);
    let form = NodeRef::<leptos::html::Form>::new();
    // Only the first rows are built when the form opens, the next ones as the list's end comes near.
    let built = RwSignal::new(ROWS_AT_A_TIME.min(total));
    let show_more = Callback::new(move |()| built.update(|built| *built = (*built + ROWS_AT_A_TIME).min(total)));
    // Rows not built yet whose entries have problems (pasted, or found by Save).
    let below_needing_attention = move || {
        rows.with_value(|rows| rows.iter().skip(built.get()).filter(|row| !row.problems.read().is_empty()).count())
    };
    // Builds the form down to the first row with a problem, then focuses its first bad field.
    let show_first_problem = move || {
        let first = rows.with_value(|rows| rows.iter().position(|row| !row.problems.read_untracked().is_empty()));
        if let Some(at) = first {
            built.update(|built| *built = (*built).max(at + 1));
        }
        focus_first_invalid(form);
    };
    // Done once something was saved and every other row is blank (left for later).
    let all_saved = move || {
        rows.with_value(|rows| {
            rows.iter().any(|row| row.saved.get())
                && rows.iter().all(|row| row.saved.get() || row.entry.read().is_blank())
        })
    };
    let left_for_later = move || {
        rows.with_value(|rows| {
            rows.iter().filter(|row| !row.saved.get()).map(|row| row.extension.clone()).collect::<Vec<_>>()
        })
    };

    let save = Action::new(move |entries: &Vec<RecycleEntry>| {
        let (domain, entries) = (flow.domain.get_untracked(), entries.clone());
        async move { recycle_users(domain, entries).await }
    });
    Effect::new(move |_| {
        let Some(Ok(outcome)) = save.value().get() else { return };
        rows.with_value(|rows| {
            for row in rows {
                let id = row.entry.read_untracked().user_id;
                if outcome.saved.contains(&id) {
                    row.saved.set(true);
                    row.problems.set(Vec::new());
                } else if let Some((_, problems)) = outcome.rejected.iter().find(|(rejected, _)| *rejected == id) {
                    row.problems.set(problems.clone());
                }
            }
        });
        if !outcome.rejected.is_empty() {
            show_first_problem();
        }
        if !outcome.saved.is_empty() {
            flow.changed.run(Change::Saved);
        }
    });
    flow.busy_while(Memo::new(move |_| save.pending().get()));
    let server_error = move || save.value().get().and_then(Result::err);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let (mut valid, mut invalid) = (Vec::new(), false);
        rows.with_value(|rows| {
            // Blank rows wait for later, unless every row is blank: then there is nothing to save.
            let all_blank = rows.iter().all(|row| row.entry.read_untracked().is_blank());
            for row in rows.iter().filter(|row| !row.saved.get_untracked()) {
                let entry = untrack(|| row.entry());
                let problems = if entry.is_blank() && !all_blank { Vec::new() } else { entry.problems() };
                if entry.is_blank() && problems.is_empty() {
                    row.problems.set(problems);
                    continue;
                }
                if problems.is_empty() {
                    valid.push(entry);
                }
                invalid |= !problems.is_empty();
                row.problems.set(problems);
            }
        });
        if invalid {
            show_first_problem();
        }
        if !valid.is_empty() {
            save.dispatch(valid);
        }
    };

    view! {
        <form class="recycle" novalidate on:submit=submit node_ref=form>
            <PasteFromSpreadsheet rows />
            <For each=move || 0..built.get() key=|at| *at let:at>
                {rows.with_value(|rows| rows.get(at).cloned()).map(|row| view! { <RecycleRow row email_recommended /> })}
            </For>
            {move || (built.get() < total).then(|| {
                let label = match ROWS_AT_A_TIME.min(total - built.get()) {
                    1 => "Show 1 more row".to_string(),
                    more => format!("Show {more} more rows"),
                };
                view! { <ShowMore label more=show_more /> }
            })}
            {move || server_error().map(|error| view! { <Problem error /> })}
            <div role="status">
                <Show when=all_saved>
                    <p class="done">"Recycle complete"</p>
                    {move || Some(left_for_later()).filter(|left| !left.is_empty()).map(|left| view! {
                        <p class="hint">{format!("Left for later: {}. They stay reset until you recycle them from Bulk Action or the Activity page.", left.join(", "))}</p>
                    })}
                </Show>
            </div>
            <div class="actions">
                // In the bar that stays in view, so that a paste's problems below are seen where it was made.
                {move || match below_needing_attention() {
                    0 => None,
                    n => Some(view! {
                        <p class="attention" role="status">
                            {if n == 1 { "1 row below needs attention. ".to_string() } else { format!("{n} rows below need attention. ") }}
                            <button type="button" class="link" on:click=move |_| show_first_problem()>"Show"</button>
                        </p>
                    }),
                }}
                <Show
                    when=all_saved
                    fallback=move || view! {
                        <button type="button" class="secondary" on:click=move |_| flow.close()>"Cancel"</button>
                        <button type="submit" class="primary" disabled=move || save.pending().get()>"Save"</button>
                    }
                >
                    <button type="button" class="primary" on:click=move |_| flow.finish()>"Close"</button>
                </Show>
            </div>
        </form>
    }
}

/// Rows built when the form opens, and at each "Show more": a form of 1,000 extensions opens at once.
/// What is typed or pasted lives in each row's signals, built or not.
const ROWS_AT_A_TIME: usize = 40;

/// Shown at the Email field where the domain's portal security or voicemail to email needs one.
const EMAIL_RECOMMENDED: &str = "Recommended: this domain uses portal security or voicemail to email.";

#[component]
fn RecycleRow(row: Row, email_recommended: bool) -> impl IntoView {
    let sends_welcome = {
        let row = row.clone();
        move || row.sends_welcome()
    };
    let Row { extension, entry, welcome, problems, saved } = row;
    let legend = format!("Extension {extension}");
    let field = move |field: RecycleField, label: &'static str, kind: &'static str, hint: Option<String>| {
        let value = Signal::derive(move || {
            let entry = entry.read();
            match field {
                RecycleField::FirstName => entry.first_name.clone(),
                RecycleField::LastName => entry.last_name.clone(),
                _ => entry.email.clone(),
            }
        });
        let on_input = Callback::new(move |typed: String| {
            entry.update(|entry| match field {
                RecycleField::FirstName => entry.first_name = typed,
                RecycleField::LastName => entry.last_name = typed,
                _ => entry.email = typed,
            })
        });
        view! {
            <Field id=format!("recycle-{extension}-{}", field.name()) name=field.name() label kind hint value on_input
                problems required=field != RecycleField::Email disabled=saved />
        }
    };
    let row_problem = move || {
        problems
            .read()
            .iter()
            .find(|problem| problem.field == RecycleField::Row.name())
            .map(|problem| problem.message.clone())
    };
    view! {
        <fieldset class="recycle-row" class:is-saved=move || saved.get()>
            <legend>{legend}</legend>
            {field(RecycleField::FirstName, "First Name", "text", None)}
            {field(RecycleField::LastName, "Last Name", "text", None)}
            {field(RecycleField::Email, "Email", "email", email_recommended.then(|| EMAIL_RECOMMENDED.to_string()))}
            <div class="option welcome">
                <label>
                    <input type="checkbox" prop:checked=sends_welcome
                        disabled=move || saved.get() || entry.read().email.trim().is_empty()
                        on:change=move |ev| welcome.set(Some(event_target_checked(&ev))) />
                    "Send Welcome Email"
                </label>
            </div>
            {move || row_problem().map(|message| view! { <p class="field-error" role="alert">{message}</p> })}
            <Show when=move || saved.get()>
                <p class="saved" role="status">"Saved"</p>
            </Show>
        </fieldset>
    }
}
