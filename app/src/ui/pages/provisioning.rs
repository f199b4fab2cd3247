//! A domain's Provisioning page (`/domains/{domain}/provisioning`): what an admin pastes into Okta or
//! Entra ID (the SCIM base URL and an API token, shown once with a copy button), the tokens in use with
//! Revoke, and what a deactivation from the identity provider clears.

use crate::shared::bulk::{ResetOption, ResetOptions};
use crate::shared::error::AppError;
use crate::shared::provisioning::{ApiToken, NewToken, Provisioning, MAX_TOKEN_NAME_LEN};
use crate::ui::components::action_state::ActionState;
use crate::ui::components::not_allowed::Refused;
use crate::ui::components::problem::{Problem, Problems};
use crate::ui::components::title::PageTitle;
use leptos::either::Either;
use leptos::prelude::*;
use leptos::server_fn::codec::Json;
use leptos_router::hooks::use_params_map;

#[server(input = Json)]
pub async fn load_provisioning(domain: String) -> Result<Provisioning, AppError> {
    use crate::server::auth::request;
    use crate::server::provisioning::{deprovisioning, tokens};
    use crate::shared::routes;
    // Read from the request before the first await: its context is not kept across one.
    let base_url = format!("{}{}", request::site(&request::state()?)?, routes::SCIM);
    let (db, managed) = request::managing(&domain).await?;
    Ok(Provisioning {
        domain: managed.domain().name.clone(),
        base_url,
        tokens: tokens::list(&db, managed.domain()).await?,
        deprovisioning: deprovisioning::options(managed.domain()),
    })
}

#[server(input = Json)]
pub async fn create_api_token(domain: String, name: String) -> Result<NewToken, AppError> {
    use crate::server::auth::request;
    use crate::server::provisioning::tokens;
    if name.chars().count() > MAX_TOKEN_NAME_LEN {
        return Err(AppError::invalid("name", format!("A token's name has at most {MAX_TOKEN_NAME_LEN} characters.")));
    }
    let (db, managed) = request::managing(&domain).await?;
    let token = tokens::create(&db, managed.domain(), &name, tokens::Maker::Admin(managed.actor())).await?;
    Ok(NewToken { name: name.trim().to_string(), token })
}

#[server(input = Json)]
pub async fn revoke_api_token(domain: String, name: String) -> Result<(), AppError> {
    use crate::server::auth::request;
    use crate::server::provisioning::tokens;
    let (db, managed) = request::managing(&domain).await?;
    tokens::revoke(&db, managed.domain(), &name, tokens::Maker::Admin(managed.actor())).await
}

#[server(input = Json)]
pub async fn save_deprovisioning(domain: String, options: ResetOptions) -> Result<(), AppError> {
    use crate::server::auth::request;
    use crate::server::provisioning::deprovisioning;
    let (db, managed) = request::managing(&domain).await?;
    deprovisioning::save(&db, &managed, options).await
}

#[component]
pub fn ProvisioningPage() -> impl IntoView {
    let params = use_params_map();
    let domain = Memo::new(move |_| params.read().get("domain").unwrap_or_default());
    let tokens = TokenActions::new();
    // Loaded again once a token is made or revoked, not after a refused attempt: loading again renders
    // the form anew, and the admin is typing in it then.
    let page = Resource::new(
        move || (domain.get(), tokens.made.get(), tokens.revoke.version().get()),
        |(domain, _, _)| load_provisioning(domain),
    );
    // Another domain's admin gets the plain refusal, as on the Users page, rather than this page's
    // heading over an error.
    view! {
        <Transition fallback=|| view! { <p class="loading">"Loading provisioning…"</p> }>
            {move || Suspend::new(async move {
                match page.await {
                    Err(error @ (AppError::Forbidden(_) | AppError::NotFound(_))) => {
                        Either::Right(view! { <Refused error /> })
                    }
                    loaded => Either::Left(view! {
                        <PageTitle text=move || format!("Provisioning · {}", domain.get()) />
                        <h1>"Provisioning"</h1>
                        <p class="lead">
                            "Connect the identity provider (Okta, Microsoft Entra ID) of "<strong>{move || domain.get()}</strong>
                            " so that people it creates get an extension and a welcome email, and people it deactivates are reset at once."
                        </p>
                        <ErrorBoundary fallback=|errors| view! { <Problems errors /> }>
                            {loaded.map(|page| view! { <Settings page tokens /> })}
                        </ErrorBoundary>
                    }),
                }
            })}
        </Transition>
    }
}

/// Creating and revoking API tokens, how each last went, and the name being typed for the next token.
/// Made once by the page, so that what the admin types outlives the page's data, which is loaded again
/// (and the form rendered anew) once a token is made.
#[derive(Clone, Copy)]
struct TokenActions {
    create: ServerAction<CreateApiToken>,
    revoke: ServerAction<RevokeApiToken>,
    creating: ActionState<Result<NewToken, AppError>>,
    revoking: ActionState<Result<(), AppError>>,
    /// The last token made, to show once.
    made: Memo<Option<NewToken>>,
    name: RwSignal<String>,
}

impl TokenActions {
    fn new() -> Self {
        let create = ServerAction::<CreateApiToken>::new();
        let revoke = ServerAction::<RevokeApiToken>::new();
        let creating = ActionState::of(*create);
        let made = Memo::new(move |_| creating.outcome().and_then(Result::ok));
        let name = RwSignal::new(String::new());
        // A token made: the field is ready for the next one's name.
        Effect::new(move |_| {
            if made.get().is_some() {
                name.set(String::new());
            }
        });
        TokenActions { create, revoke, creating, revoking: ActionState::of(*revoke), made, name }
    }
}

#[component]
fn Settings(page: Provisioning, tokens: TokenActions) -> impl IntoView {
    let domain = page.domain.clone();
    view! {
        <section class="card provisioning" aria-labelledby="connection-title">
            <h2 id="connection-title">"Connection"</h2>
            <p>"In the identity provider's SCIM app, paste this address as the base URL (Okta: SCIM connector base URL; Entra ID: Tenant URL), and an API token below as the bearer token."</p>
            <CopyField id="scim-base-url" label="SCIM base URL" value=page.base_url.clone() />
        </section>
        <section class="card provisioning" aria-labelledby="tokens-title">
            <h2 id="tokens-title">"API tokens"</h2>
            <TokenList domain=domain.clone() list=page.tokens.clone() actions=tokens />
            <NewTokenForm domain=domain.clone() actions=tokens />
        </section>
        <section class="card provisioning" aria-labelledby="deprovisioning-title">
            <h2 id="deprovisioning-title">"Deprovisioning"</h2>
            <DeprovisioningForm domain options=page.deprovisioning.clone() />
        </section>
    }
}

#[component]
fn TokenList(domain: String, list: Vec<ApiToken>, actions: TokenActions) -> impl IntoView {
    if list.is_empty() {
        return view! { <p class="empty">"No API tokens yet: create one for the identity provider."</p> }.into_any();
    }
    let failure = move || actions.revoking.failure().map(|error| view! { <Problem error /> });
    view! {
        <div class="table-wrap">
            <table class="grid cards tokens">
                <thead><tr><th scope="col">"Name"</th><th scope="col">"Created"</th><th scope="col">"Last used"</th><th scope="col"><span class="visually-hidden">"Actions"</span></th></tr></thead>
                <tbody>
                    {list.into_iter().map(|token| view! { <TokenRow domain=domain.clone() token actions /> }).collect_view()}
                </tbody>
            </table>
        </div>
        {failure}
    }
    .into_any()
}

/// A token's row; Revoke asks once more in the row itself before the identity provider is cut off.
#[component]
fn TokenRow(domain: String, token: ApiToken, actions: TokenActions) -> impl IntoView {
    let confirming = RwSignal::new(false);
    let name = token.name.clone();
    let revoke_now = {
        let (domain, name) = (domain.clone(), name.clone());
        move |_| {
            actions.revoke.dispatch(RevokeApiToken { domain: domain.clone(), name: name.clone() });
        }
    };
    let buttons = {
        let name = name.clone();
        move || {
            if confirming.get() {
                view! {
                    <span class="confirm">"The identity provider using it will be refused. "</span>
                    <button type="button" class="danger" aria-label=format!("Confirm revoking {name}")
                        disabled=move || actions.revoking.running() on:click=revoke_now.clone()>"Confirm revoking"</button>
                    " "
                    <button type="button" class="secondary" aria-label=format!("Keep {name}")
                        on:click=move |_| confirming.set(false)>"Keep"</button>
                }
                .into_any()
            } else {
                view! {
                    <button type="button" class="secondary" aria-label=format!("Revoke {name}")
                        on:click=move |_| confirming.set(true)>"Revoke"</button>
                }
                .into_any()
            }
        }
    };
    view! {
        <tr class="card-on-phones">
            <td data-label="Name" class="wraps">{token.name.clone()}</td>
            <td data-label="Created" class="wraps">
                <span class="keep">{token.created}</span>" by "{token.created_by}
            </td>
            <td data-label="Last used">{token.last_used.unwrap_or_else(|| "Never".to_string())}</td>
            <td>{buttons}</td>
        </tr>
    }
}

#[component]
fn NewTokenForm(domain: String, actions: TokenActions) -> impl IntoView {
    let (name, made) = (actions.name, actions.made);
    let problem = move || actions.creating.failure();
    let field_problem =
        move || problem().and_then(|error| error.field_errors().first().map(|problem| problem.message.clone()));
    let other_problem =
        move || problem().filter(|error| error.field_errors().is_empty()).map(|error| view! { <Problem error /> });
    let submit = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        actions.create.dispatch(CreateApiToken { domain: domain.clone(), name: name.get_untracked() });
    };
    view! {
        {move || made.try_get().flatten().map(|NewToken { name, token }| view! {
            <div class="new-token" role="status">
                <p><strong>{format!("Copy the token {name} now:")}</strong>" it is shown only this once. Paste it into the identity provider as the bearer token (Okta: API Token; Entra ID: Secret Token)."</p>
                <CopyField id="new-api-token" label="New API token" value=token />
            </div>
        })}
        <form class="inline-form" on:submit=submit novalidate>
            <label for="token-name">"Token name"</label>
            <input id="token-name" name="name" type="text" autocomplete="off" maxlength=MAX_TOKEN_NAME_LEN.to_string()
                placeholder="Okta" prop:value=move || name.get() on:input=move |event| name.set(event_target_value(&event))
                aria-invalid=move || field_problem().is_some().to_string()
                aria-describedby=move || field_problem().map(|_| "token-name-problem") />
            <button type="submit" disabled=move || actions.creating.running()>"Create Token"</button>
            {move || field_problem().map(|message| view! { <p id="token-name-problem" class="field-error">{message}</p> })}
        </form>
        {other_problem}
    }
}

/// A read-only text to paste elsewhere, with a button that copies it.
#[component]
fn CopyField(id: &'static str, label: &'static str, value: String) -> impl IntoView {
    let copied = RwSignal::new(None::<bool>);
    let text = value.clone();
    let copy = move |_| copied.set(Some(copy_to_clipboard(&text)));
    view! {
        <div class="copy-field">
            <label for=id>{label}</label>
            <input id=id type="text" readonly value=value spellcheck="false" autocomplete="off" />
            <button type="button" class="secondary" aria-label=format!("Copy {label}") on:click=copy>"Copy"</button>
            <span class="copied" role="status">
                {move || match copied.get() {
                    Some(true) => "Copied to the clipboard.",
                    Some(false) => "Copying is not allowed here: select the text and copy it.",
                    None => "",
                }}
            </span>
        </div>
    }
}

/// Asks the browser to put `text` on the clipboard; false where it cannot (no Clipboard API).
fn copy_to_clipboard(_text: &str) -> bool {
    #[cfg(target_arch = "wasm32")]
    {
        use leptos::wasm_bindgen::{JsCast, JsValue};
        let get = |target: &JsValue, name: &str| {
            js_sys::Reflect::get(target, &name.into()).ok().filter(|v| !v.is_undefined())
        };
        let Some(clipboard) = get(&window().into(), "navigator").and_then(|navigator| get(&navigator, "clipboard"))
        else {
            return false;
        };
        let Some(write) = get(&clipboard, "writeText").and_then(|write| write.dyn_into::<js_sys::Function>().ok())
        else {
            return false;
        };
        write.call1(&clipboard, &_text.into()).is_ok()
    }
    #[cfg(not(target_arch = "wasm32"))]
    false
}

#[component]
fn DeprovisioningForm(domain: String, options: ResetOptions) -> impl IntoView {
    let save = ServerAction::<SaveDeprovisioning>::new();
    let saving = ActionState::of(*save);
    let chosen = RwSignal::new(options);
    let submit = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        save.dispatch(SaveDeprovisioning { domain: domain.clone(), options: chosen.get_untracked() });
    };
    let outcome = move || match saving.outcome() {
        Some(Ok(())) => Some(view! { <p class="saved" role="status">"Saved."</p> }.into_any()),
        Some(Err(error)) => Some(view! { <Problem error /> }.into_any()),
        None => None,
    };
    view! {
        <form on:submit=submit>
            <fieldset class="options">
                <legend>"When the identity provider deactivates someone, their extension is reset at once, clearing:"</legend>
                {ResetOption::ALL.into_iter().map(|option| view! {
                    <div class="option">
                        <label>
                            // `checked` for the server's page (a property is not HTML), `prop:checked` for the app.
                            <input type="checkbox" checked=chosen.read_untracked().contains(option)
                                prop:checked=move || chosen.read().contains(option)
                                on:change=move |event| chosen.update(|chosen| chosen.set(option, event_target_checked(&event))) />
                            {option.label()}
                        </label>
                    </div>
                }).collect_view()}
            </fieldset>
            <p class="hint">"Every option is ticked at first: the extension will go to someone else."</p>
            <button type="submit" disabled=move || saving.running()>"Save Deprovisioning Options"</button>
            {outcome}
        </form>
    }
}
