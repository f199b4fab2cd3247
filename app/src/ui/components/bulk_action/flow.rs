//! Where the Bulk Action dialog is: its steps, and what every step may need (the ticked users, the
//! domain, a way to tell the page that users changed).

use crate::shared::accounts::AccountPreview;
use crate::shared::bulk::{JobProgress, RecycleTargets, ResetPreview};
use crate::ui::components::selection::Selection;
use leptos::prelude::*;

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
    pub(super) fn title(&self) -> &'static str {
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

/// What a step tells the page behind the dialog, which decides what to load again.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Change {
    /// A job was started (or scheduled): its users change as it runs.
    Started,
    /// The job with this id was seen to end: its users have changed. The page's own stream of
    /// unfinished jobs may see the same end; the page loads its users once for both.
    Ended(i32),
    /// New holders of reset extensions were saved.
    Saved,
}

/// What every step may need: where the dialog is, what is ticked, and a way to tell the page that
/// users changed (so that it reloads its table).
#[derive(Clone, Copy)]
pub struct Flow {
    pub open: RwSignal<bool>,
    pub step: RwSignal<Step>,
    pub selection: RwSignal<Selection>,
    pub domain: Signal<String>,
    pub changed: Callback<Change>,
    /// A job is being started or a form saved: Escape waits for the answer.
    pub(super) busy: RwSignal<bool>,
}

impl Flow {
    /// A closed dialog for `selection`'s users of `domain`; `changed` is told when users changed.
    pub fn new(selection: RwSignal<Selection>, domain: Signal<String>, changed: Callback<Change>) -> Self {
        let (open, step, busy) = (RwSignal::new(false), RwSignal::new(Step::Actions), RwSignal::new(false));
        Flow { open, step, selection, domain, changed, busy }
    }

    /// The dialog is busy while `pending` is true (and no longer once the step is gone).
    pub(super) fn busy_while(&self, pending: Memo<bool>) {
        let busy = self.busy;
        Effect::new(move |_| busy.set(pending.get()));
        on_cleanup(move || {
            let _ = busy.try_set(false);
        });
    }

    pub(super) fn go(&self, step: Step) {
        self.step.set(step);
    }

    pub(super) fn close(&self) {
        self.open.set(false);
    }

    /// Closes the dialog once the action is done; its users are no longer ticked, so that a second
    /// action needs a fresh choice.
    pub(super) fn finish(&self) {
        self.selection.update(Selection::clear);
        self.close();
    }
}
