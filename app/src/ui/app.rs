use crate::shared::model::{Me, Scope};
use crate::shared::routes::{self, Segment};
use crate::ui::before_hydration;
use crate::ui::components::header::Header;
use crate::ui::components::not_allowed::RequireScope;
use crate::ui::components::problem::Problem;
use crate::ui::components::title::TitleFormat;
use crate::ui::pages::{
    activity::ActivityPage, change_password::ChangePasswordPage, domains::DomainsPage, login::LoginPage, me::MyPage,
    not_found::NotFound, outbox::OutboxPage, provisioning::ProvisioningPage, set_password::SetPasswordPage,
    users::UsersPage,
};
use crate::ui::signed_in::{provide_session, use_session};
use leptos::either::EitherOf4;
use leptos::prelude::*;
use leptos_meta::{provide_meta_context, HashedStylesheet, MetaTags};
use leptos_router::components::{Outlet, ParentRoute, Redirect, Route, Router, Routes};
use leptos_router::hooks::use_location;
use leptos_router::{path, ParamSegment, PartialPathMatch, PathSegment, PossibleRouteMatch, SsrMode, StaticSegment};

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
                // Before the body, so that nothing done on the page before the app wakes is lost.
                <script nonce=leptos::nonce::use_nonce() inner_html=before_hydration::SCRIPT></script>
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
        <TitleFormat />
        // Every route renders asynchronously: pages arrive complete, and redirects (to sign-in, to a
        // user's home) are real HTTP redirects rather than scripts.
        <Router>
            <Routes fallback=NotFound>
                <Route path=Page(routes::LOGIN) view=LoginPage ssr=SsrMode::Async />
                <Route path=Page(routes::SET_PASSWORD) view=SetPasswordPage ssr=SsrMode::Async />
                <ParentRoute path=path!("") view=SignedIn ssr=SsrMode::Async>
                    <Route path=Page(routes::HOME) view=Home ssr=SsrMode::Async />
                    // Pages outside a user's scope answer 403 with a plain refusal (`components::not_allowed`);
                    // the server functions behind them refuse on their own too.
                    <Route path=Page(routes::DOMAINS) ssr=SsrMode::Async
                        view=|| view! { <RequireScope at_least=Scope::OfficeManager><DomainsPage /></RequireScope> } />
                    <Route path=Page(routes::USERS) ssr=SsrMode::Async
                        view=|| view! { <RequireScope at_least=Scope::OfficeManager><UsersPage /></RequireScope> } />
                    <Route path=Page(routes::PROVISIONING) ssr=SsrMode::Async
                        view=|| view! { <RequireScope at_least=Scope::OfficeManager><ProvisioningPage /></RequireScope> } />
                    <Route path=Page(routes::ACTIVITY) ssr=SsrMode::Async
                        view=|| view! { <RequireScope at_least=Scope::OfficeManager><ActivityPage /></RequireScope> } />
                    <Route path=Page(routes::OUTBOX) ssr=SsrMode::Async
                        view=|| view! { <RequireScope at_least=Scope::OfficeManager><OutboxPage /></RequireScope> } />
                    <Route path=Page(routes::CHANGE_PASSWORD) view=ChangePasswordPage ssr=SsrMode::Async />
                    <Route path=Page(routes::ME) view=MyPage ssr=SsrMode::Async />
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
    let changing_password = Memo::new(move |_| location.pathname.get() == routes::CHANGE_PASSWORD);
    view! {
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || {
                let changing_password = changing_password.get();
                Suspend::new(async move {
                match session.me.await {
                    Ok(Some(me)) if me.must_change_password && !changing_password => {
                        EitherOf4::A(view! { <Redirect path=routes::CHANGE_PASSWORD /> })
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
                    Ok(None) => EitherOf4::C(view! { <Redirect path=routes::LOGIN /> }),
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

/// A page's route, from its template in `routes`: its segments matched in turn, as a tuple of
/// `StaticSegment`s and `ParamSegment`s would be (`path!` takes only a literal, which would write each
/// address a second time).
#[derive(Clone, Copy, Debug)]
struct Page(&'static str);

impl Page {
    fn is_root(&self) -> bool {
        routes::segments(self.0).next().is_none()
    }
}

impl PossibleRouteMatch for Page {
    fn optional(&self) -> bool {
        false
    }

    fn test<'a>(&self, path: &'a str) -> Option<PartialPathMatch<'a>> {
        // The home page, `/`, has no segment: it matches as the router's own `/` does.
        if self.is_root() {
            return StaticSegment(self.0).test(path);
        }
        let (mut remaining, mut params, mut matched) = (path, Vec::new(), 0);
        for segment in routes::segments(self.0) {
            let found = match segment {
                Segment::Fixed(name) => StaticSegment(name).test(remaining)?,
                Segment::Param(name) => ParamSegment(name).test(remaining)?,
            };
            remaining = found.remaining();
            matched += found.matched().len();
            params.extend(found.params());
        }
        Some(PartialPathMatch::new(remaining, params, &path[..matched]))
    }

    fn generate_path(&self, path: &mut Vec<PathSegment>) {
        if self.is_root() {
            return StaticSegment(self.0).generate_path(path);
        }
        for segment in routes::segments(self.0) {
            match segment {
                Segment::Fixed(name) => StaticSegment(name).generate_path(path),
                Segment::Param(name) => ParamSegment(name).generate_path(path),
            }
        }
    }
}
