//! The Domains page: the domains a Reseller or Super User manages, each leading to its users.

use crate::components::problem::Problems;
use crate::error::AppError;
use crate::model::{users_path, DomainSummary};
use leptos::prelude::*;
use leptos::server_fn::codec::Json;
use leptos_meta::Title;
use leptos_router::components::A;

#[server(input = Json)]
pub async fn list_domains() -> Result<Vec<DomainSummary>, AppError> {
    use crate::server::{domains, request};
    let state = request::state()?;
    let actor = request::actor(&state).await?;
    actor.require_admin()?;
    Ok(domains::list(&state.db, actor.domain_scope()).await?)
}

#[component]
pub fn DomainsPage() -> impl IntoView {
    let domains = Resource::new(|| (), |_| list_domains());
    view! {
        <Title text="Domains" />
        <h1>"Domains"</h1>
        <Transition fallback=|| view! { <p class="loading">"Loading domains…"</p> }>
            <ErrorBoundary fallback=|errors| view! { <Problems errors /> }>
                {move || Suspend::new(async move {
                    domains.await.map(|domains| if domains.is_empty() {
                        view! { <p class="empty">"There are no domains yet."</p> }.into_any()
                    } else { view! {
                        <table class="grid">
                            <thead>
                                <tr><th scope="col">"Domain"</th><th scope="col">"Description"</th><th scope="col">"Reseller"</th><th scope="col" class="num">"Users"</th></tr>
                            </thead>
                            <tbody>
                                {domains.into_iter().map(|domain| view! {
                                    <tr>
                                        <td><A href=users_path(&domain.name)>{domain.name.clone()}</A></td>
                                        <td>{domain.description}</td>
                                        <td>{domain.reseller}</td>
                                        <td class="num">{domain.user_count}</td>
                                    </tr>
                                }).collect_view()}
                            </tbody>
                        </table>
                    }.into_any() })
                })}
            </ErrorBoundary>
        </Transition>
    }
}
