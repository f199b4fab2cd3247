//! What the list pages (Domains, Activity, Outbox) share: their title; while their list loads, a line
//! saying what is loading; if it fails, the problem; if it is empty, a sentence saying so; otherwise its
//! table, whose header row is one column name per `th`.

use crate::shared::error::AppError;
use crate::ui::components::problem::Problems;
use crate::ui::components::title::PageTitle;
use leptos::prelude::*;
use serde::{de::DeserializeOwned, Serialize};

#[component]
pub fn Listing<T, V, F>(
    /// The page's title and heading.
    title: &'static str,
    rows: Resource<Result<Vec<T>, AppError>>,
    /// "Loading domains…"
    loading: &'static str,
    /// "There are no domains yet."
    empty: &'static str,
    /// The table of a list that has rows.
    table: F,
    /// Shown between the heading and the list.
    #[prop(optional)]
    children: Option<Children>,
) -> impl IntoView
where
    T: Clone + Send + Sync + Serialize + DeserializeOwned + 'static,
    V: IntoView + 'static,
    F: Fn(Vec<T>) -> V + Copy + Send + Sync + 'static,
{
    view! {
        <PageTitle text=title />
        <h1>{title}</h1>
        {children.map(|children| children())}
        <Transition fallback=move || view! { <p class="loading">{loading}</p> }>
            <ErrorBoundary fallback=|errors| view! { <Problems errors /> }>
                {move || Suspend::new(async move {
                    rows.await.map(|rows| if rows.is_empty() {
                        view! { <p class="empty">{empty}</p> }.into_any()
                    } else {
                        table(rows).into_any()
                    })
                })}
            </ErrorBoundary>
        </Transition>
    }
}

/// A table's header row: each column's name, with the class `num` where it holds numbers.
#[component]
pub fn HeaderRow(
    columns: &'static [&'static str],
    #[prop(default = &[])] numeric: &'static [&'static str],
) -> impl IntoView {
    view! {
        <thead>
            <tr>
                {columns.iter().map(|&name| view! {
                    <th scope="col" class=numeric.contains(&name).then_some("num")>{name}</th>
                }).collect_view()}
            </tr>
        </thead>
    }
}
