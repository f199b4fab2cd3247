use crate::accounts::CHANGE_PASSWORD_PATH;
use crate::auth::{provide_session, use_session};
use crate::components::header::Header;
use crate::components::problem::Problem;
use crate::model::{Me, Scope};
use crate::pages::{
    activity::ActivityPage, change_password::ChangePasswordPage, domains::DomainsPage, forbidden::RequireScope,
    login::LoginPage, me::MyPage, not_found::NotFound, outbox::OutboxPage, set_password::SetPasswordPage,
    users::UsersPage,
};
use leptos::either::EitherOf4;
use leptos::prelude::*;
use leptos_meta::{provide_meta_context, HashedStylesheet, MetaTags, Title};
use leptos_router::components::{Outlet, ParentRoute, Redirect, Route, Router, Routes};
use leptos_router::hooks::use_location;
use leptos_router::{path, SsrMode};

pub fn shell(options: LeptosOptions) -> impl IntoView {
    #[cfg(feature = "ssr")]
    crate::server::csp::apply_to_page();
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <link rel="icon" type="image/svg+xml" href="/favicon.svg" />
                // Named by its content when the build hashes files: cached for a year (server `assets`).
                <HashedStylesheet options=options.clone() id="leptos" />
                <AutoReload options=options.clone() />
                <HydrationScripts options />
                <MetaTags />
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    provide_session();
    view! {
        <Title formatter=|page: String| if page.is_empty() { "Switchboard".to_string() } else { format!("{page} · Switchboard") } />
        // Every route renders asynchronously: pages arrive complete, and redirects (to sign-in, to a
        // user's home) are real HTTP redirects rather than scripts.
        <Router>
            <Routes fallback=NotFound>
                <Route path=path!("/login") view=LoginPage ssr=SsrMode::Async />
                <Route path=path!("/set-password") view=SetPasswordPage ssr=SsrMode::Async />
                <ParentRoute path=path!("") view=SignedIn ssr=SsrMode::Async>
                    <Route path=path!("/") view=Home ssr=SsrMode::Async />
                    // Pages outside a user's scope answer 403 with a plain refusal (`pages::forbidden`);
                    // the server functions behind them refuse on their own too.
                    <Route path=path!("/domains") ssr=SsrMode::Async
                        view=|| view! { <RequireScope at_least=Scope::OfficeManager><DomainsPage /></RequireScope> } />
                    <Route path=path!("/domains/:domain/users") ssr=SsrMode::Async
                        view=|| view! { <RequireScope at_least=Scope::OfficeManager><UsersPage /></RequireScope> } />
                    <Route path=path!("/activity") ssr=SsrMode::Async
                        view=|| view! { <RequireScope at_least=Scope::OfficeManager><ActivityPage /></RequireScope> } />
                    <Route path=path!("/outbox") ssr=SsrMode::Async
                        view=|| view! { <RequireScope at_least=Scope::OfficeManager><OutboxPage /></RequireScope> } />
                    <Route path=path!("/change-password") view=ChangePasswordPage ssr=SsrMode::Async />
                    <Route path=path!("/me") view=MyPage ssr=SsrMode::Async />
                </ParentRoute>
            </Routes>
        </Router>
    }
}

/// The frame of every page behind sign-in: sends visitors to the login page, and a user whose password
/// reset was forced to Change Password; gives the pages the signed-in user as context.
#[component]
fn SignedIn() -> impl IntoView {
    let session = use_session();
    let location = use_location();
    // Tracked apart from the path itself, so that the frame is rebuilt only on the way to or from
    // Change Password, not at every navigation.
    let changing_password = Memo::new(move |_| location.pathname.get() == CHANGE_PASSWORD_PATH);
    view! {
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || {
                let changing_password = changing_password.get();
                Suspend::new(async move {
                match session.me.await {
                    Ok(Some(me)) if me.must_change_password && !changing_password => {
                        EitherOf4::A(view! { <Redirect path=CHANGE_PASSWORD_PATH /> })
                    }
                    Ok(Some(me)) => {
                        provide_context(me.clone());
                        EitherOf4::B(view! {
                            <Header me />
                            <main class="page">
                                <Outlet />
                            </main>
                        })
                    }
                    Ok(None) => EitherOf4::C(view! { <Redirect path="/login" /> }),
                    Err(err) => EitherOf4::D(view! { <main class="page"><Problem error=err /></main> }),
                }
            })
            }}
        </Suspense>
    }
}

/// `/`: straight on to where the signed-in user works.
#[component]
fn Home() -> impl IntoView {
    let me = expect_context::<Me>();
    view! { <Redirect path=me.home() /> }
}
