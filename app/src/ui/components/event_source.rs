//! Listening to one of the server's live progress streams (server-sent events, `server::live`) from a
//! component: the browser's `EventSource` keeps the connection and, if it drops, reconnects by itself.

use leptos::prelude::*;
use leptos::wasm_bindgen::closure::Closure;
use leptos::wasm_bindgen::JsCast;
use send_wrapper::SendWrapper;
use serde::de::DeserializeOwned;
use web_sys::{Event, EventSource, MessageEvent};

/// What a listener wants after an event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Then {
    Listen,
    Stop,
}

/// While `url` gives an address (it is tracked: a change opens the new stream), listens to the
/// events there and hands each to `on_event`, decoded, until it says `Stop` or the component is gone.
/// `on_refused` runs if the server refuses the stream (signed out, gone): the browser does not retry
/// then, and the component can ask a server function why. Only in the browser.
pub fn listen<T: DeserializeOwned + 'static>(
    url: impl Fn() -> Option<String> + 'static,
    on_event: impl FnMut(T) -> Then + Clone + 'static,
    on_refused: impl Fn() + Clone + 'static,
) {
    // Effects run only in the browser, after hydration.
    Effect::new(move |_| {
        let Some(url) = url() else { return };
        let Ok(source) = EventSource::new(&url) else { return on_refused() };
        let mut on_event = on_event.clone();
        let on_message = {
            let source = source.clone();
            Closure::<dyn FnMut(MessageEvent)>::new(move |message: MessageEvent| {
                let Some(data) = message.data().as_string() else { return };
                // An event we cannot read is skipped: the next counts supersede it.
                let Ok(event) = serde_json::from_str::<T>(&data) else { return };
                if on_event(event) == Then::Stop {
                    source.close();
                }
            })
        };
        let on_error = {
            let (source, on_refused) = (source.clone(), on_refused.clone());
            Closure::<dyn FnMut(Event)>::new(move |_: Event| {
                if source.ready_state() == EventSource::CLOSED {
                    on_refused();
                }
            })
        };
        source.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        source.set_onerror(Some(on_error.as_ref().unchecked_ref()));
        // The handlers live as long as the stream; both go when the component does or the url changes.
        let open = SendWrapper::new((source, on_message, on_error));
        on_cleanup(move || open.0.close());
    });
}
