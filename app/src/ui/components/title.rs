//! The page's title: every page names itself with `<PageTitle>`, never with `leptos_meta`'s `<Title>`
//! (clippy refuses it outside this file, `clippy.toml`). `leptos_meta` keeps, on the server, every
//! title text that any render pass registered and reads them once the whole page has rendered; a
//! closure over a page's signals then runs after that pass was disposed, and panics (seen on the Users
//! page under load, and as a 500 instead of a 403 on the Provisioning page). So on the server the text
//! is read here, while the page's pass is alive; in the browser it stays live and follows the page's
//! data, and leaves with its page.

// The one place `leptos_meta`'s `<Title>` may be used.
#![allow(clippy::disallowed_methods)]

use leptos::prelude::*;
use leptos::text_prop::TextProp;
use leptos_meta::Title;

/// The page's part of the tab's title ("Users of a.example", shown as "Users of a.example ·
/// Switchboard"): plain text, or a closure over the page's data.
#[component]
pub fn PageTitle(#[prop(into)] text: TextProp) -> impl IntoView {
    let text = if cfg!(feature = "ssr") { TextProp::from(untrack(|| text.get())) } else { text };
    view! { <Title text /> }
}

/// How every page's title reads in the tab: "Users of a.example · Switchboard", or "Switchboard"
/// alone for a page that names itself with nothing.
#[component]
pub fn TitleFormat() -> impl IntoView {
    view! {
        <Title formatter=|page: String| if page.is_empty() { "Switchboard".to_string() } else { format!("{page} · Switchboard") } />
    }
}
