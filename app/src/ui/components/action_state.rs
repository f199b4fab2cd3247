//! An action's state as a view reads it. The server renders a page's tables after their data has come,
//! and by then the browser may have gone (a phone that moved on, a client that closed its connection):
//! the page's reactive values are disposed, and reading an action then panics ("Tried to access a
//! reactive value that has already been disposed"). The signals are taken here while the component
//! that made the action is alive, and read with `try_get`: a view of a page nobody waits for sees an
//! idle action, instead of panicking a server thread.

use leptos::prelude::*;

/// Whether an action runs, and its last outcome.
pub struct ActionState<O: Send + Sync + 'static> {
    running: Memo<bool>,
    outcome: MappedSignal<Option<O>>,
}

impl<O: Send + Sync + 'static> Clone for ActionState<O> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<O: Send + Sync + 'static> Copy for ActionState<O> {}

impl<O: Clone + Send + Sync + 'static> ActionState<O> {
    /// Call where the action is made, in the same component.
    pub fn of<I: 'static>(action: Action<I, O>) -> Self {
        ActionState { running: action.pending(), outcome: action.value() }
    }

    pub fn running(self) -> bool {
        self.running.try_get().unwrap_or(false)
    }

    /// None until it has run (or once its page is gone).
    pub fn outcome(self) -> Option<O> {
        self.outcome.try_get().flatten()
    }
}

impl<T: Clone + Send + Sync + 'static, E: Clone + Send + Sync + 'static> ActionState<Result<T, E>> {
    /// The last run's failure, if it failed.
    pub fn failure(self) -> Option<E> {
        self.outcome().and_then(Result::err)
    }
}
