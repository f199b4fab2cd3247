//! The Outbox page: the latest emails of the domains in the admin's scope, where each stands (queued,
//! sent, failed and why, or withdrawn because the extension was reset), and Retry for a failed one. While any is queued the page looks again every
//! few seconds.

use crate::shared::error::AppError;
use crate::shared::mail::{MessageState, OutboxRow};
use crate::ui::components::action_state::ActionState;
use crate::ui::components::listing::{HeaderRow, Listing};
use crate::ui::components::problem::Problem;
use leptos::prelude::*;
use leptos::server_fn::codec::Json;

/// Whether a Retry is on its way, and how the last one went.
type Retrying = ActionState<Result<(), AppError>>;

/// How often the page looks again while messages wait to be sent.
const POLL: std::time::Duration = std::time::Duration::from_secs(3);

#[server(input = Json)]
pub async fn outbox_messages() -> Result<Vec<OutboxRow>, AppError> {
    use crate::server::{auth::request, mail::outbox};
    let state = request::state()?;
    let actor = request::actor(&state).await?;
    outbox::list(&state.db, &actor).await
}

#[server(input = Json)]
pub async fn retry_message(id: i32) -> Result<(), AppError> {
    use crate::server::{auth::request, mail::outbox};
    let state = request::state()?;
    let actor = request::actor(&state).await?;
    outbox::retry(&state.db, &actor, id, request::client_addr()).await
}

#[component]
pub fn OutboxPage() -> impl IntoView {
    let retry = ServerAction::<RetryMessage>::new();
    let looked = RwSignal::new(0u32);
    let messages = Resource::new(move || (retry.version().get(), looked.get()), |_| outbox_messages());
    Effect::new(move |_| {
        let waiting =
            matches!(messages.get(), Some(Ok(rows)) if rows.iter().any(|row| row.state == MessageState::Queued));
        if waiting {
            set_timeout(
                move || {
                    let _ = looked.try_update(|n| *n += 1);
                },
                POLL,
            );
        }
    });
    let retrying = ActionState::of(*retry);
    view! {
        <Listing title="Outbox" rows=messages loading="Loading messages…" empty="No emails yet."
            table=move |rows| view! { <MessageTable rows retry retrying /> }>
            {move || retrying.failure().map(|error| view! { <Problem error /> })}
        </Listing>
    }
}

#[component]
fn MessageTable(rows: Vec<OutboxRow>, retry: ServerAction<RetryMessage>, retrying: Retrying) -> impl IntoView {
    view! {
        <div class="table-wrap">
            <table class="grid outbox">
                <HeaderRow columns=&["Queued", "Extension", "To", "Subject", "State"] />
                <tbody>
                    {rows.into_iter().map(|row| view! { <MessageRow row retry retrying /> }).collect_view()}
                </tbody>
            </table>
        </div>
    }
}

#[component]
fn MessageRow(row: OutboxRow, retry: ServerAction<RetryMessage>, retrying: Retrying) -> impl IntoView {
    let details = match row.state {
        MessageState::Sent => row.sent.map(|at| format!("Sent {at}")).unwrap_or_default(),
        MessageState::Queued => match (&row.last_error, &row.next_attempt) {
            (Some(error), Some(at)) => format!("{error} Trying again at {at}."),
            _ => "Waiting to be sent".to_string(),
        },
        MessageState::Failed | MessageState::Withdrawn => row.last_error.clone().unwrap_or_default(),
    };
    let id = row.id;
    let retry_button = (row.state == MessageState::Failed).then(|| {
        view! {
            <button type="button" class="secondary" aria-label=format!("Retry message to {}", row.recipient)
                disabled=move || retrying.running()
                on:click=move |_| { retry.dispatch(RetryMessage { id }); }>
                "Retry"
            </button>
        }
    });
    view! {
        <tr class=format!("card-on-phones message-{}", row.state.label().to_lowercase())>
            <td data-label="Queued">{row.queued}</td>
            <td data-label="Extension" class="wraps">
                <span class="ext">{row.extension.unwrap_or_else(|| "—".into())}</span>
                " "<span class="domain-name">{row.domain}</span>
            </td>
            <td data-label="To" class="wraps">{row.recipient.clone()}</td>
            <td data-label="Subject" class="wraps">{row.subject}</td>
            <td data-label="State" class="wraps">
                <span class="state">{row.state.label()}</span>
                <span class="details">{details}</span>
                {retry_button}
            </td>
        </tr>
    }
}
