//! The Bulk Action dialog: from the ticked users, through the reset's options, its confirmation and its
//! progress, to the Recycle Users form. Each step is a component of its own (`*_step`); `flow` knows
//! which step the dialog is on, and the dialog's title names it. The Users and Activity pages open it.

pub mod account_step;
mod actions_step;
mod flow;
mod left_out;
mod paste;
pub mod progress_step;
mod recycle_row;
pub mod recycle_step;
pub mod reset_step;

pub use flow::{Change, Flow, Step};

use crate::shared::bulk::{ResetOptions, When};
use crate::ui::components::dialog::Dialog;
use actions_step::ActionsStep;
use leptos::prelude::*;

/// The reset's choices, which outlive the steps so that Back finds them as they were left.
#[derive(Clone, Copy)]
struct Choices {
    options: RwSignal<ResetOptions>,
    recycle: RwSignal<bool>,
    when: RwSignal<When>,
}

#[component]
pub fn BulkActionDialog(flow: Flow) -> impl IntoView {
    let choices = Choices {
        options: RwSignal::new(ResetOptions::defaults()),
        recycle: RwSignal::new(false),
        when: RwSignal::new(When::Now),
    };
    // A new bulk action starts from the defaults.
    Effect::watch(
        move || flow.step.get() == Step::Actions,
        move |&at_start, _, _| {
            if at_start {
                choices.options.set(ResetOptions::defaults());
                choices.recycle.set(false);
                choices.when.set(When::Now);
            }
        },
        false,
    );
    let title = Signal::derive(move || flow.step.read().title().to_string());
    // The steps are their own part of the bundle, fetched the first time the dialog opens: the pages
    // that offer it show, tick and hydrate without them.
    let wanted = Memo::new(move |before: Option<&bool>| before.copied().unwrap_or(false) || flow.open.get());
    view! {
        <Dialog open=flow.open title title_id="bulk-action-title" busy=flow.busy>
            <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
                {move || wanted.get().then(|| Suspend::new(async move { steps(flow, choices).await }))}
            </Suspense>
        </Dialog>
    }
}

/// Every step of the dialog, as `flow` says which one it is on.
#[lazy]
fn steps(flow: Flow, choices: Choices) -> AnyView {
    let Choices { options, recycle, when } = choices;
    view! {
        {move || match flow.step.get() {
            Step::Actions => view! { <ActionsStep flow /> }.into_any(),
            Step::ResetOptions => view! { <reset_step::OptionsStep flow options recycle when /> }.into_any(),
            Step::Confirm(preview) => view! { <reset_step::ConfirmStep flow preview recycle when /> }.into_any(),
            Step::Account(preview) => view! { <account_step::AccountConfirmStep flow preview /> }.into_any(),
            Step::Progress(job) => view! { <progress_step::ProgressStep flow job /> }.into_any(),
            Step::Recycle(targets) => view! { <recycle_step::RecycleStep flow targets /> }.into_any(),
        }}
    }
    .into_any()
}
