//! The users table and its pager. Ticking a box only changes the selection signal in the browser,
//! so it paints at once; sorting and paging are links, so they work before the page hydrates too.

use super::query::{on_page, sorted_by, to_search};
use crate::shared::model::{SortDir, SortKey, UserQuery, UserRow};
use crate::shared::routes;
use crate::shared::words::count_of;
use crate::ui::before_hydration;
use crate::ui::components::selection::Selection;
use leptos::prelude::*;
use leptos_router::components::A;

#[component]
pub fn UserTable(
    rows: Vec<UserRow>,
    query: UserQuery,
    domain: String,
    selection: RwSignal<Selection>,
) -> impl IntoView {
    let page_rows = StoredValue::new(rows.clone());
    // Boxes ticked on the server's page before the app woke stay ticked, and count: read before
    // hydrating sets the boxes to the selection, and selected once it is done (what the selection shows,
    // such as "Clear selection", must first hydrate as the server rendered it).
    let early = before_hydration::ticked("table.users tbody input[type=checkbox]");
    let page_early = before_hydration::ticked(".tick-page input[type=checkbox]").first().copied().unwrap_or(false);
    if page_early || early.contains(&true) {
        Effect::new(move |_| {
            page_rows.with_value(|rows| {
                selection.update(|selection| match page_early {
                    true => selection.set_all(rows, true),
                    false => {
                        let ticked = early.iter().enumerate().filter(|(_, on)| **on);
                        ticked.for_each(|(at, _)| selection.set_range(rows, at, at, true))
                    }
                })
            })
        });
    }
    // The row last ticked or unticked on this page: where a shift-click's range starts.
    let anchor = RwSignal::new(None::<usize>);
    let all_ticked = move || page_rows.with_value(|rows| selection.read().covers(rows));
    let tick_all = move |ev: leptos::ev::Event| {
        let ticked = event_target_checked(&ev);
        page_rows.with_value(|rows| selection.update(|selection| selection.set_all(rows, ticked)));
    };
    let sort_by = view! { <SortBy query=query.clone() domain=domain.clone() /> };
    let header = move |key: SortKey| {
        let sorted = query.sort == key;
        let aria_sort = match (sorted, query.dir) {
            (false, _) => "none",
            (true, SortDir::Asc) => "ascending",
            (true, SortDir::Desc) => "descending",
        };
        let arrow = match (sorted, query.dir) {
            (false, _) => "",
            (true, SortDir::Asc) => "▲",
            (true, SortDir::Desc) => "▼",
        };
        let href = format!("{}{}", routes::users(&domain), to_search(&sorted_by(&query, key)));
        view! {
            <th scope="col" aria-sort=aria_sort>
                <A href=href attr:class="sort">{key.label()}</A>
                <span class="arrow" aria-hidden="true">{arrow}</span>
            </th>
        }
    };
    let empty = rows.is_empty();
    view! {
        // One row of selection tools above the table, on every width: "Select all on this page" and,
        // once anything is ticked, "Clear selection" (not in the sticky bar: over the phones' cards it
        // would take taps meant for their checkboxes). Phones, which show each user as a card without
        // the header row, find its sorting here too, as "Sort by".
        <div class="selection-tools">
            <label class="tick-page">
                <input type="checkbox" aria-label="Select all on this page" disabled=empty prop:checked=all_ticked
                    on:change=tick_all />
                "Select all on this page"
            </label>
            {sort_by}
            <Show when=move || !selection.read().is_empty()>
                <button type="button" class="link" on:click=move |_| selection.update(Selection::clear)>
                    "Clear selection"
                </button>
            </Show>
        </div>
        <div class="table-wrap">
            <table class="grid users">
                <thead>
                    <tr>
                        <th scope="col" class="tick"><span class="visually-hidden">"Selected"</span></th>
                        {header(SortKey::Extension)}
                        {header(SortKey::Name)}
                        {header(SortKey::Email)}
                        {header(SortKey::Status)}
                        <th scope="col" class="num">"Devices"</th>
                    </tr>
                </thead>
                <tbody>
                    {rows.into_iter().enumerate().map(|(index, row)| {
                        view! { <UserRowView row index page_rows anchor selection /> }
                    }).collect_view()}
                </tbody>
            </table>
            <Show when=move || empty>
                <p class="empty">"No users match this search."</p>
            </Show>
        </div>
    }
}

/// "Sort by": every column and direction the header row offers, as one select; choosing one opens the
/// page in that order, as the header's links do.
#[component]
fn SortBy(query: UserQuery, domain: String) -> impl IntoView {
    let navigate = leptos_router::hooks::use_navigate();
    let now = (query.sort, query.dir);
    let href = move |sort: SortKey, dir: SortDir| {
        format!("{}{}", routes::users(&domain), to_search(&UserQuery { sort, dir, page: 1, ..query.clone() }))
    };
    let choices: Vec<(String, String, bool)> = SortKey::ALL
        .into_iter()
        .flat_map(|key| [(key, SortDir::Asc), (key, SortDir::Desc)])
        .map(|(key, dir)| {
            let way = if dir == SortDir::Asc { "ascending" } else { "descending" };
            (href(key, dir), format!("{}, {way}", key.label()), (key, dir) == now)
        })
        .collect();
    view! {
        <span class="sort-by">
            <label for="sort-by">"Sort by"</label>
            <select id="sort-by" data-goes on:change=move |ev| navigate(&event_target_value(&ev), Default::default())>
                {choices.into_iter().map(|(href, label, chosen)| view! {
                    <option value=href selected=chosen>{label}</option>
                }).collect_view()}
            </select>
        </span>
    }
}

#[component]
fn UserRowView(
    row: UserRow,
    /// The row's place on the page.
    index: usize,
    page_rows: StoredValue<Vec<UserRow>>,
    anchor: RwSignal<Option<usize>>,
    selection: RwSignal<Selection>,
) -> impl IntoView {
    let id = row.id;
    let name = row.display_name();
    let label = format!("Select {} {}", row.extension, name).trim().to_string();
    let ticked = move || selection.read().contains(id);
    let status = row.status;
    // A click (the mouse's, or Space's) has already toggled the box; Shift extends it to a range.
    let click = move |ev: leptos::ev::MouseEvent| {
        let on = event_target_checked(&ev);
        let from = anchor.get_untracked().filter(|_| ev.shift_key()).unwrap_or(index);
        page_rows.with_value(|rows| selection.update(|selection| selection.set_range(rows, from, index, on)));
        anchor.set(Some(index));
    };
    view! {
        // The whole row (on phones, the whole card) is the checkbox's target, before the app wakes too
        // (`data-row-ticks`: the page's script, `ui/before_hydration.js`); a ticked row is marked by the
        // stylesheet (`:has(:checked)`), so that it shows at once either way.
        <tr class="card-on-phones" data-row-ticks>
            <td class="tick">
                <input type="checkbox" aria-label=label prop:checked=ticked on:click=click />
            </td>
            <td data-label="Extension" class="ext">{row.extension}</td>
            <td data-label="Name">{if name.is_empty() { "—".to_string() } else { name }}</td>
            <td data-label="Email">{row.email.unwrap_or_default()}</td>
            <td data-label="Status"><span class=format!("status status-{}", status.slug())>{status.label()}</span></td>
            <td data-label="Devices" class="num">{row.device_count}</td>
        </tr>
    }
}

#[component]
pub fn Pager(
    /// Users matching the search, over all pages.
    total: u64,
    page: u64,
    pages: u64,
    query: UserQuery,
    domain: String,
) -> impl IntoView {
    let link = |target: u64| format!("{}{}", routes::users(&domain), to_search(&on_page(&query, target)));
    let previous = (page > 1).then(|| link(page - 1));
    let next = (page < pages).then(|| link(page + 1));
    let users = count_of(total, "user", "users");
    view! {
        <nav class="pager" aria-label="Pages">
            {match previous {
                Some(href) => view! { <A href=href>"Previous"</A> }.into_any(),
                None => view! { <span class="off" aria-disabled="true">"Previous"</span> }.into_any(),
            }}
            <span class="where">{format!("Page {page} of {pages} · {users}")}</span>
            {match next {
                Some(href) => view! { <A href=href>"Next"</A> }.into_any(),
                None => view! { <span class="off" aria-disabled="true">"Next"</span> }.into_any(),
            }}
        </nav>
    }
}
