//! The Domains page: the domains a Reseller or Super User manages, each leading to its users.

use crate::shared::error::AppError;
use crate::shared::model::DomainSummary;
use crate::shared::routes;
use crate::ui::components::listing::{HeaderRow, Listing};
use leptos::prelude::*;
use leptos::server_fn::codec::Json;
use leptos_router::components::A;

#[server(input = Json)]
pub async fn list_domains() -> Result<Vec<DomainSummary>, AppError> {
    use crate::server::{auth::request, directory::domains};
    let state = request::state()?;
    let actor = request::actor(&state).await?;
    domains::list(&state.db, &actor).await
}

#[component]
pub fn DomainsPage() -> impl IntoView {
    let domains = Resource::new(|| (), |_| list_domains());
    view! {
        <Listing title="Domains" rows=domains loading="Loading domains…" empty="There are no domains yet." table=domain_table />
    }
}

fn domain_table(domains: Vec<DomainSummary>) -> impl IntoView {
    view! {
        <table class="grid cards">
            <HeaderRow columns=&["Domain", "Description", "Reseller", "Users", "Provisioning"] numeric=&["Users"] />
            <tbody>
                {domains.into_iter().map(|domain| {
                    let (users, provisioning) = (routes::users(&domain.name), routes::provisioning(&domain.name));
                    let provisioning_label = format!("Provisioning of {}", domain.name);
                    view! {
                    <tr class="card-on-phones">
                        <td data-label="Domain"><A href=users>{domain.name}</A></td>
                        <td data-label="Description" class="wraps">{domain.description}</td>
                        <td data-label="Reseller">{domain.reseller}</td>
                        <td data-label="Users" class="num">{domain.user_count}</td>
                        <td><A href=provisioning attr:aria-label=provisioning_label>"Provisioning"</A></td>
                    </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
    }
}
