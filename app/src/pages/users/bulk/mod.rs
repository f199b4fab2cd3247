//! The Bulk Action dialog: from the ticked users, through the reset's options, its confirmation and its
//! progress, to the Recycle Users form. Each step is a component of its own; this one knows which step
//! the dialog is on, and the dialog's title names it.

pub mod account;
mod paste;
pub mod progress;
pub mod recycle;
pub mod reset;

use super::selection::Selection;
use crate::accounts::{AccountAction, AccountPreview, AccountRequest, SkippedUser};
use crate::bulk::{JobProgress, RecycleTargets, ResetOptions, ResetPreview, Targets, When};
use crate::components::dialog::Dialog;
use crate::components::problem::Problem;
use leptos::prelude::*;
pub use progress::{running_jobs, EndedBanner, RunningBanner};

#[derive(Clone, Debug, PartialEq)]
pub enum Step {
    /// The ticked users and what can be done to them.
    Actions,
    /// Which data to clear, and whether to recycle afterwards.
    ResetOptions,
    /// What exactly will be deleted, before anything is.
    Confirm(ResetPreview),
    /// Who Send Welcome Email or Force Password Reset would reach, and who it skips.
    Account(AccountPreview),
    /// The job's live progress, or its schedule while it waits (also reached from the Users page's
    /// banner).
    Progress(JobProgress),
    /// New people for reset extensions: those the job just reset, or reset users the admin ticked.
    Recycle(RecycleTargets),
}

impl Step {
    fn title(&self) -> &'static str {
        match self {
            Step::Actions => "Bulk Action",
            Step::ResetOptions => "Reset Users",
            Step::Confirm(_) => "Confirm Reset",
            Step::Account(preview) => preview.action.title(),
            Step::Progress(job) => job.action.progress_title(),
            Step::Recycle(_) => "Recycle Users",
        }
    }
}

/// What every step may need: where the dialog is, what is ticked, and a way to tell the page that
/// users changed (so that it reloads its table).
#[derive(Clone, Copy)]
pub struct Flow {
    pub open: RwSignal<bool>,
    pub step: RwSignal<Step>,
    pub selection: RwSignal<Selection>,
    pub domain: Signal<String>,
    pub changed: Callback<()>,
    /// A job is being started or a form saved: Escape waits for the answer.
    busy: RwSignal<bool>,
}

impl Flow {
    /// A closed dialog for `selection`'s users of `domain`; `changed` is told when users changed.
    pub fn new(selection: RwSignal<Selection>, domain: Signal<String>, changed: Callback<()>) -> Self {
        let (open, step, busy) = (RwSignal::new(false), RwSignal::new(Step::Actions), RwSignal::new(false));
        Flow { open, step, selection, domain, changed, busy }
    }

    /// The dialog is busy while `pending` is true (and no longer once the step is gone).
    fn busy_while(&self, pending: Memo<bool>) {
        let busy = self.busy;
        Effect::new(move |_| busy.set(pending.get()));
        on_cleanup(move || {
            let _ = busy.try_set(false);
        });
    }

    fn go(&self, step: Step) {
        self.step.set(step);
    }

    fn close(&self) {
        self.open.set(false);
    }

    /// Closes the dialog once the action is done; its users are no longer ticked, so that a second
    /// action needs a fresh choice.
    fn finish(&self) {
        self.selection.update(Selection::clear);
        self.close();
    }
}

#[component]
pub fn BulkActionDialog(flow: Flow) -> impl IntoView {
    // The reset's choices outlive the steps, so that Back finds them as they were left.
    let options = RwSignal::new(ResetOptions::defaults());
    let recycle = RwSignal::new(false);
    let when = RwSignal::new(When::Now);
    // A new bulk action starts from the defaults.
    Effect::watch(
        move || flow.step.get() == Step::Actions,
        move |&at_start, _, _| {
            if at_start {
                options.set(ResetOptions::defaults());
                recycle.set(false);
                when.set(When::Now);
            }
        },
        false,
    );
    let title = Signal::derive(move || flow.step.read().title().to_string());
    view! {
        <Dialog open=flow.open title title_id="bulk-action-title" busy=flow.busy>
            {move || match flow.step.get() {
                Step::Actions => view! { <ActionsStep flow /> }.into_any(),
                Step::ResetOptions => view! { <reset::OptionsStep flow options recycle when /> }.into_any(),
                Step::Confirm(preview) => view! { <reset::ConfirmStep flow preview recycle when /> }.into_any(),
                Step::Account(preview) => view! { <account::AccountConfirmStep flow preview /> }.into_any(),
                Step::Progress(job) => view! { <progress::ProgressStep flow job /> }.into_any(),
                Step::Recycle(targets) => view! { <recycle::RecycleStep flow targets /> }.into_any(),
            }}
        </Dialog>
    }
}

#[component]
fn ActionsStep(flow: Flow) -> impl IntoView {
    let selection = flow.selection;
    // Users reset earlier can be recycled straight away; the server says which of the ticked cannot.
    let recycle = Action::new(move |user_ids: &Vec<i32>| {
        let (domain, user_ids) = (flow.domain.get_untracked(), user_ids.clone());
        async move { recycle::recycle_form(domain, user_ids).await }
    });
    Effect::new(move |_| {
        if let Some(Ok(targets)) = recycle.value().get() {
            flow.go(Step::Recycle(targets));
        }
    });
    let account = Action::new(move |action: &AccountAction| {
        let domain = flow.domain.get_untracked();
        let request = AccountRequest { action: *action, targets: selection.read_untracked().targets() };
        async move { account::preview_account_action(domain, request).await }
    });
    Effect::new(move |_| {
        if let Some(Ok(preview)) = account.value().get() {
            flow.go(Step::Account(preview));
        }
    });
    let busy = move || recycle.pending().get() || account.pending().get();
    let error =
        move || account.value().get().and_then(Result::err).or_else(|| recycle.value().get().and_then(Result::err));
    // Recycling needs each user's row in the form: it works on ticked users, not on all matches.
    let matching = move || selection.read().matching().is_some();
    view! {
        <p>{move || match selection.read().matching() {
            Some((filter, total)) => format!("Selected: {}.", filter.describe(total)),
            None => match selection.read().len() {
                1 => "1 user selected:".to_string(),
                n => format!("{n} users selected:"),
            },
        }}</p>
        <ul class="selected-users" aria-label="Selected users" tabindex="0">
            {move || selection.read().users().into_iter().map(|user| view! {
                <li><span class="ext">{user.extension}</span>" "<span>{user.name}</span></li>
            }).collect_view()}
        </ul>
        {move || error().map(|error| view! { <Problem error /> })}
        <div class="action-list">
            <button type="button" class="primary" on:click=move |_| flow.go(Step::ResetOptions)>"Reset Users"</button>
            <button type="button" class="secondary" disabled=move || busy() || matching()
                on:click=move |_| {
                    if let Targets::Ticked(ids) = selection.read_untracked().targets() {
                        recycle.dispatch(ids);
                    }
                }>
                "Recycle Users"
            </button>
            {[AccountAction::SendWelcome, AccountAction::ForcePasswordReset { revoke: false }].into_iter().map(|action| view! {
                <button type="button" class="secondary" disabled=busy on:click=move |_| { account.dispatch(action); }>
                    {action.title()}
                </button>
            }).collect_view()}
        </div>
        <div class="actions">
            <button type="button" class="secondary" on:click=move |_| flow.close()>"Cancel"</button>
        </div>
    }
}

/// The users a bulk action leaves out, each with why (skipped by an account action, or matched by a
/// filter but not allowed); nothing when there are none.
#[component]
fn LeftOut(users: Vec<SkippedUser>) -> impl IntoView {
    (!users.is_empty()).then(|| {
        view! {
            <h3>"Left out"</h3>
            <ul class="skipped-users" aria-label="Users left out">
                {users.into_iter().map(|left| view! {
                    <li>
                        <span class="ext">{left.user.extension}</span>" "<span class="name">{left.user.name}</span>" "
                        <span class="reason">{left.reason}</span>
                    </li>
                }).collect_view()}
            </ul>
        }
    })
}
