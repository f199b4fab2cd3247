//! One row of the Recycle Users form: the new holder of one reset extension, as typed or pasted, and
//! what is wrong with it.

use crate::shared::bulk::new_hires::NewHire;
use crate::shared::bulk::RecycleEntry;
use crate::shared::error::FieldError;
use leptos::prelude::*;

/// One row of the form, as typed (or pasted).
#[derive(Clone)]
pub(super) struct Row {
    pub(super) extension: String,
    pub(super) entry: RwSignal<RecycleEntry>,
    /// "Send Welcome Email" as the admin set it; until they touch it, ticked wherever an email is given.
    pub(super) welcome: RwSignal<Option<bool>>,
    pub(super) problems: RwSignal<Vec<FieldError>>,
    pub(super) saved: RwSignal<bool>,
}

impl Row {
    /// Only with an email address; then as ticked, or by default yes.
    pub(super) fn sends_welcome(&self) -> bool {
        !self.entry.read().email.trim().is_empty() && self.welcome.get().unwrap_or(true)
    }

    /// The row as it is sent.
    pub(super) fn entry(&self) -> RecycleEntry {
        RecycleEntry { send_welcome: self.sends_welcome(), ..self.entry.get() }
    }

    /// Fills the row from a pasted one and checks it, as Save would.
    pub(super) fn fill(&self, hire: NewHire) {
        self.entry.update(|entry| {
            entry.first_name = hire.first_name;
            entry.last_name = hire.last_name;
            entry.email = hire.email;
        });
        // Most pasted rows are fine and were fine: leaving their messages alone spares re-rendering them.
        let problems = untrack(|| self.entry()).problems();
        if *self.problems.read_untracked() != problems {
            self.problems.set(problems);
        }
    }
}
