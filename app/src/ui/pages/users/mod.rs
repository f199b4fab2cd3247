//! The Users page of a domain (`/domains/{domain}/users`): a searchable, sortable, paged table of
//! the domain's users with checkboxes, and the Bulk Action dialog for the ticked ones.

pub mod query;
mod table;

use crate::shared::bulk::{JobProgress, UserFilter};
use crate::shared::error::AppError;
use crate::shared::model::{UserPage, UserQuery, UserRow, UserStatus};
use crate::shared::routes;
use crate::shared::words::number;
use crate::ui::before_hydration;
use crate::ui::components::bulk_action::{BulkActionDialog, Change, Flow, Step};
use crate::ui::components::event_source::{listen, Then};
use crate::ui::components::job_widgets::{running_jobs, EndedBanner, RunningBanner};
use crate::ui::components::not_allowed::Refused;
use crate::ui::components::problem::Problems;
use crate::ui::components::selection::Selection;
use crate::ui::components::title::PageTitle;
use leptos::either::Either;
use leptos::prelude::*;
use leptos::server_fn::codec::Json;
use leptos_router::components::Form;
use leptos_router::hooks::{use_params_map, use_query_map};
use send_wrapper::SendWrapper;
use std::collections::HashSet;
use table::{Pager, UserTable};

#[server(input = Json)]
pub async fn list_users(domain: String, query: UserQuery) -> Result<UserPage, AppError> {
    use crate::server::{auth::request, directory::users};
    let (db, managed) = request::managing(&domain).await?;
    users::page(&db, &managed, &query).await
}

/// How long typing must pause before the search runs.
const SEARCH_DELAY_MS: u32 = 250;
/// The search box's id, by which a search typed before the app woke is found.
const SEARCH_ID: &str = "user-search";

/// The domain's users, once the server has said that the admin manages the domain: the domain's
/// unfinished jobs are asked for first (the banner needs them), and the server refuses them for a domain
/// outside the admin's scope, so its refusal replaces the whole page rather than sit under the page's
/// controls. (Resources and the dialog are made outside that answer, so that the browser hydrates them
/// in the order the server rendered them.)
#[component]
pub fn UsersPage() -> impl IntoView {
    let params = use_params_map();
    let domain = Memo::new(move |_| params.read().get("domain").unwrap_or_default());
    let running = Resource::new(move || domain.get(), running_jobs);
    let query_map = use_query_map();
    let query = Memo::new(move |_| query::from_params(&query_map.read()));
    // Bumped when a bulk action changed users, to load the page again.
    let users_changed = RwSignal::new(0u32);
    let users = Resource::new(
        move || (domain.get(), query.get(), users_changed.get()),
        |(domain, query, _)| list_users(domain, query),
    );

    let selection = RwSignal::new(Selection::default());
    let count = move || selection.read().len();

    // Unfinished bulk jobs of the domain: as the page is first rendered (`running`), then as their
    // stream sends them while there are any (it ends with the last one). When one ends, the table is
    // loaded again.
    let live_jobs = RwSignal::new(None::<Vec<JobProgress>>);
    // Jobs that ended while the dialog was closed, until dismissed.
    let ended = RwSignal::new(Vec::<JobProgress>::new());
    // All matches of one search are not those of the next: a new search or filter clears them.
    Effect::watch(
        move || UserFilter::from(&*query.read()),
        move |filter, _, _| {
            if selection.read_untracked().matching().is_some_and(|(selected, _)| selected != filter) {
                selection.set(Selection::default());
            }
        },
        false,
    );
    // Another domain's users are another selection, and its jobs another banner.
    Effect::watch(
        move || domain.get(),
        move |_, _, _| {
            selection.set(Selection::default());
            live_jobs.set(None);
            ended.set(Vec::new());
        },
        false,
    );
    // Bumped when this page starts a job: the stream is opened (again) to follow it.
    let jobs_started = RwSignal::new(0u32);
    // Jobs seen to end, by the dialog or by the stream (often both): the users are loaded again once
    // for each.
    let ended_jobs = StoredValue::new(HashSet::<i32>::new());
    let reload_for = move |jobs: Vec<i32>| {
        let news = ended_jobs.try_update_value(|seen| jobs.into_iter().filter(|job| seen.insert(*job)).count());
        if news.unwrap_or(0) > 0 {
            users_changed.update(|n| *n += 1);
        }
    };
    let flow = Flow::new(
        selection,
        domain.into(),
        Callback::new(move |change| match change {
            Change::Started => jobs_started.update(|n| *n += 1),
            Change::Ended(job) => reload_for(vec![job]),
            Change::Saved => users_changed.update(|n| *n += 1),
        }),
    );
    listen(
        move || {
            let found = running.get().and_then(Result::ok).is_some_and(|jobs| !jobs.is_empty());
            (jobs_started.get() > 0 || found).then(|| routes::running_jobs(&domain.get()))
        },
        move |jobs: Vec<JobProgress>| {
            let before = live_jobs.get_untracked().or_else(|| running.get_untracked().and_then(Result::ok));
            let gone: Vec<JobProgress> = before
                .unwrap_or_default()
                .into_iter()
                .filter(|job| !jobs.iter().any(|still| still.id == job.id))
                .collect();
            if !gone.is_empty() {
                reload_for(gone.iter().map(|job| job.id).collect());
                // The dialog showed the end of its own job.
                if !flow.open.get_untracked() {
                    ended.update(|ended| ended.extend(gone));
                }
            }
            let then = if jobs.is_empty() { Then::Stop } else { Then::Listen };
            live_jobs.set(Some(jobs));
            then
        },
        || (),
    );
    let start_bulk_action = move |_| {
        flow.step.set(Step::Actions);
        flow.open.set(true);
    };
    let show_job = Callback::new(move |job: crate::shared::bulk::JobProgress| {
        flow.step.set(Step::Progress(job));
        flow.open.set(true);
    });

    // Searching waits for a pause in typing, then submits the filter form (a GET to this page).
    // The timer exists only in the (single-threaded) browser; on the server this stays None, so the
    // wrapper never crosses threads when the server drops the page's reactive owner.
    let pending_search = StoredValue::new(None::<SendWrapper<gloo_timers::callback::Timeout>>);
    let search_later = move |ev: leptos::ev::Event| {
        let input = event_target::<web_sys::HtmlInputElement>(&ev);
        let submit = move || {
            if let Some(form) = input.form() {
                // Fails only for a detached form: then there is nothing to submit.
                let _ = form.request_submit();
            }
        };
        pending_search.set_value(Some(SendWrapper::new(gloo_timers::callback::Timeout::new(SEARCH_DELAY_MS, submit))));
    };
    // A search typed on the server's page before the app woke stays in the box, and runs once it wakes
    // (as if typing had paused); one submitted with Enter before then was an ordinary GET of this page.
    let search_box = NodeRef::<leptos::html::Input>::new();
    let early_search = before_hydration::typed(SEARCH_ID, &query.read_untracked().search);
    let kept_search = StoredValue::new(early_search.clone());
    let shown_search = move || {
        let served = query.read().search.clone();
        kept_search.try_update_value(Option::take).flatten().unwrap_or(served)
    };
    if early_search.is_some() {
        Effect::new(move |submitted: Option<bool>| {
            let form = search_box.get().and_then(|input| input.form());
            if let (None | Some(false), Some(form)) = (submitted, &form) {
                let _ = form.request_submit();
            }
            form.is_some()
        });
    }
    let submit_now = move |ev: leptos::ev::Event| {
        if let Some(form) = event_target::<web_sys::HtmlSelectElement>(&ev).form() {
            let _ = form.request_submit();
        }
    };

    let controls = move || {
        view! {
            <PageTitle text=move || format!("Users of {}", domain.get()) />
            <div class="page-head">
                <h1>"Users" <span class="domain-name">{move || domain.get()}</span></h1>
                <div class="bulk-bar">
                    // Always in the page, so that a screen reader hears each change of the count.
                    // On phones only for screen readers: the Bulk Action button shows the count.
                    <span class="selected-count visually-hidden-on-phones" role="status">
                        {move || (count() > 0).then(|| format!("{} selected", number(count())))}
                    </span>
                    // Disabled for assistive technology only (`aria-disabled`), so that it keeps the focus
                    // the dialog hands back on closing, even when closing cleared the selection.
                    <button type="button" class="primary" aria-disabled=move || (count() == 0).then_some("true")
                        on:click=move |ev| { if count() > 0 { start_bulk_action(ev) } }>
                        {move || match count() { 0 => "Bulk Action".to_string(), n => format!("Bulk Action ({n})") }}
                    </button>
                </div>
            </div>
            // A banner per unfinished job (usually none); a failure to read them leaves just no banner, as
            // the table below reports the same failure. None while the dialog is open: it shows the job
            // itself, and a banner coming and going behind it would shift the page under it.
            <div class="banners">
                <Transition>
                    {move || Suspend::new(async move {
                        let first = running.await.unwrap_or_default();
                        let (jobs, done) = match flow.open.get() {
                            true => (Vec::new(), Vec::new()),
                            false => (live_jobs.get().unwrap_or(first), ended.get()),
                        };
                        let dismiss = Callback::new(move |id: i32| ended.update(|ended| ended.retain(|job| job.id != id)));
                        view! {
                            <RunningBanner jobs open=show_job />
                            <EndedBanner jobs=done dismiss />
                        }
                    })}
                </Transition>
            </div>
            <Form method="GET" action=move || routes::users(&domain.get()) noscroll=true replace=true attr:class="filters" attr:role="search">
                <label class="search">
                    <span class="visually-hidden">"Search users"</span>
                    // `value` is what the server renders (a property is not HTML), so that an address
                    // with a search shows it before the app wakes, and the app does not take an empty box
                    // for a search typed meanwhile; `prop:value` is what the app keeps up to date.
                    <input type="search" id=SEARCH_ID name="q" placeholder="Search users" aria-label="Search users"
                        value=query.read_untracked().search.clone()
                        prop:value=shown_search on:input=search_later node_ref=search_box />
                </label>
                // The label names the select alone (wrapped around it, the label's text would take in
                // every option's).
                <span class="status-filter">
                    <label for="status-filter">"Status"</label>
                    <select id="status-filter" name="status" data-submits on:change=submit_now>
                        <option value="" selected=move || query.read().status.is_none()>"All statuses"</option>
                        {UserStatus::ALL.into_iter().map(|status| view! {
                            <option value=status.slug() selected=move || query.read().status == Some(status)>{status.label()}</option>
                        }).collect_view()}
                    </select>
                </span>
                // The order survives a new search; the page does not.
                <Show when=move || query.read().sort != Default::default()>
                    <input type="hidden" name="sort" value=move || query.read().sort.slug() />
                </Show>
                <Show when=move || query.read().dir == crate::shared::model::SortDir::Desc>
                    <input type="hidden" name="dir" value="desc" />
                </Show>
                <noscript><button type="submit">"Search"</button></noscript>
            </Form>
            <Transition fallback=|| view! { <p class="loading">"Loading users…"</p> }>
                <ErrorBoundary fallback=|errors| view! { <Problems errors /> }>
                    {move || Suspend::new(async move {
                        users.await.map(|UserPage { rows, total, page, pages }| view! {
                            <SelectAllMatching rows=rows.clone() total filter=UserFilter::from(&query.get_untracked()) selection />
                            <UserTable rows query=query.get_untracked() domain=domain.get_untracked() selection />
                            <Pager total page pages query=query.get_untracked() domain=domain.get_untracked() />
                        })
                    })}
                </ErrorBoundary>
            </Transition>
        }
    };
    view! {
        <Transition fallback=|| view! { <p class="loading">"Loading users…"</p> }>
            {move || Suspend::new(async move {
                match running.await {
                    Err(error @ (AppError::Forbidden(_) | AppError::NotFound(_))) => {
                        Either::Right(view! { <Refused error /> })
                    }
                    _ => Either::Left(controls()),
                }
            })}
        </Transition>
        <BulkActionDialog flow />
    }
}

/// Once the whole page is ticked and more users match than the page shows: "All 50 users on this page
/// are selected." with "Select all 3,127 users that match"; once chosen, "All 3,127 matching users are
/// selected." ("Clear selection" is beside the table, as for any selection).
#[component]
fn SelectAllMatching(
    rows: Vec<UserRow>,
    total: u64,
    filter: UserFilter,
    selection: RwSignal<Selection>,
) -> impl IntoView {
    let on_page = rows.len() as u64;
    let filter = StoredValue::new(filter);
    let page_ticked = move || selection.read().matching().is_none() && selection.read().covers(&rows);
    let all_matching = move || selection.read().matching().map(|(_, total)| total);
    view! {
        <div class="select-matching" role="status">
            {move || match all_matching() {
                Some(total) => Some(view! {
                    <span>{format!("All {} matching users are selected.", number(total))}</span>
                }.into_any()),
                None => (page_ticked() && total > on_page).then(|| view! {
                    <span>{format!("All {on_page} users on this page are selected.")}</span>
                    <button type="button" class="link"
                        on:click=move |_| selection.update(|selection| selection.select_matching(filter.get_value(), total))>
                        {format!("Select all {} users that match", number(total))}
                    </button>
                }.into_any()),
            }}
        </div>
    }
}
