//! Page titles that depend on the page's data. `leptos_meta`'s `<Title>` keeps, on the server, every
//! title text that any render pass registered, and reads them once the whole page has rendered; a
//! closure over a page's signals can then run after an earlier pass of that page was disposed, and
//! panic (seen under load on the Users page). In the browser a title leaves with its page.

use leptos::prelude::untrack;
use leptos::text_prop::TextProp;

/// The text for `<Title text=…/>` that `text` makes: read once into plain text on the server, kept
/// live in the browser so that it follows the page's data.
pub fn live_title(text: impl Fn() -> String + Send + Sync + 'static) -> TextProp {
    if cfg!(feature = "ssr") {
        TextProp::from(untrack(text))
    } else {
        TextProp::from(text)
    }
}
