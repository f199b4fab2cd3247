//! The SCIM 2.0 service at `routes::SCIM`, for a domain's identity provider: its HTTP side. Every
//! request carries a domain's API token (`Authorization: Bearer …`), which says which domain it acts
//! on; a session cookie counts for nothing here, as a token does on the portal's pages. Wrong tokens
//! are throttled per client address like sign-ins. Answers are `application/scim+json`, errors SCIM
//! Error bodies. What the requests do is `app::server::provisioning`.

use app::server::auth::client::Client;
use app::server::auth::throttle::{self, Attempt};
use app::server::provisioning::holder::TokenHolder;
use app::server::provisioning::people::{self, Found};
use app::server::provisioning::scim::error::{ScimError, ScimType, MEDIA_TYPE};
use app::server::provisioning::scim::projection::Projection;
use app::server::provisioning::scim::{discovery, filter, list_response, patch, resource, Page};
use app::server::provisioning::tokens;
use app::server::AppState;
use app::shared::error::AppError;
use app::shared::routes;
use axum::body::{Body, Bytes};
use axum::extract::{FromRequest, FromRequestParts, Path, Query, Request, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Router};
use serde_json::Value;
use std::collections::HashMap;

/// Every route of the service, under `routes::SCIM`, with the methods it answers: the authorization
/// matrix checks that each has its row.
pub const ROUTES: [(&str, &[&str]); 9] = [
    ("/ServiceProviderConfig", &["GET"]),
    ("/ResourceTypes", &["GET"]),
    ("/ResourceTypes/{id}", &["GET"]),
    ("/Schemas", &["GET"]),
    ("/Schemas/{id}", &["GET"]),
    ("/Users", &["GET", "POST"]),
    ("/Users/{id}", &["GET", "PUT", "PATCH", "DELETE"]),
    ("/Users/.search", &["POST"]),
    // Searching every resource type: there is one, User.
    ("/.search", &["POST"]),
];

/// The service's routes (`ROUTES`), each behind the token check.
pub fn routes(state: &AppState) -> Router<AppState> {
    let service = Router::new()
        .route("/ServiceProviderConfig", get(service_provider_config))
        .route("/ResourceTypes", get(resource_types))
        .route("/ResourceTypes/{id}", get(resource_type))
        .route("/Schemas", get(schemas))
        .route("/Schemas/{id}", get(schema))
        .route("/Users", get(list_users).post(create_user))
        .route("/Users/{id}", get(get_user).put(replace_user).patch(patch_user).delete(delete_user))
        .route("/Users/.search", post(search_users))
        .route("/.search", post(search_users))
        .fallback(unknown)
        .route_layer(middleware::from_fn_with_state(state.clone(), authenticate));
    Router::new().nest(routes::SCIM, service)
}

/// The SCIM answer of a JSON document.
fn answer(status: StatusCode, body: &Value) -> Response {
    let mut response = (status, body.to_string()).into_response();
    response.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(MEDIA_TYPE));
    response
}

fn respond(result: Result<Response, ScimError>) -> Response {
    result.unwrap_or_else(IntoResponse::into_response)
}

/// The service's absolute address, as identity providers are to use it: `PUBLIC_URL`'s, or else the one
/// the request was sent to.
fn base(state: &AppState, headers: &HeaderMap, client: Option<&Client>) -> String {
    format!("{}{}", state.settings.site(headers, client.is_some_and(|client| client.https)), routes::SCIM)
}

/// Lets a request through with its domain's `TokenHolder` if its bearer token is a live one; otherwise
/// 401 (the failure counted against the client's address), or 429 while that address is locked.
async fn authenticate(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    let client = request.extensions().get::<Client>().copied();
    let base = base(&state, request.headers(), client.as_ref());
    let bearer = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim().to_string());
    let attempt = Attempt::from_address(client.and_then(|client| client.addr));
    let checked = async {
        throttle::check(&state.db, &attempt).await?;
        if let Some(holder) = match &bearer {
            Some(token) => tokens::authenticate(&state.db, token).await?,
            None => None,
        } {
            return Ok(holder);
        }
        throttle::reserve(&state.db, &state.settings.signin, attempt)
            .await?
            .failed(&state.db, &state.settings.signin)
            .await?;
        Err(ScimError::unauthorized())
    };
    match checked.await {
        Ok(holder) => {
            tracing::Span::current().record("domain", holder.domain.name.as_str());
            request.extensions_mut().insert(holder);
            request.extensions_mut().insert(Base(base));
            next.run(request).await
        }
        Err(error) => error.into_response(),
    }
}

/// The service's absolute address for this request (`base`).
#[derive(Clone, Debug)]
struct Base(String);

impl Base {
    fn user(&self, id: i32) -> String {
        format!("{}/Users/{id}", self.0)
    }

    fn render(&self, found: &Found, projection: &Projection) -> Value {
        let location = self.user(found.person.id);
        projection.apply(resource::render(
            &found.person,
            found.held.as_ref(),
            &location,
            projection.asks_for_extension(),
        ))
    }
}

async fn service_provider_config(Extension(base): Extension<Base>) -> Response {
    answer(StatusCode::OK, &discovery::service_provider_config(&base.0))
}

async fn resource_types(Extension(base): Extension<Base>) -> Response {
    answer(StatusCode::OK, &discovery::resource_types(&base.0))
}

async fn resource_type(Extension(base): Extension<Base>, Path(id): Path<String>) -> Response {
    match discovery::resource_type(&base.0, &id) {
        Some(found) => answer(StatusCode::OK, &found),
        None => ScimError::not_found("The only resource type is User.").into_response(),
    }
}

async fn schemas(Extension(base): Extension<Base>) -> Response {
    answer(StatusCode::OK, &discovery::schemas(&base.0))
}

async fn schema(Extension(base): Extension<Base>, Path(id): Path<String>) -> Response {
    match discovery::schema(&base.0, &id) {
        Some(found) => answer(StatusCode::OK, &found),
        None => ScimError::not_found("There is no such schema.").into_response(),
    }
}

async fn unknown() -> Response {
    ScimError::not_found(
        "There is no such resource: this service has /Users, /Schemas, /ResourceTypes and /ServiceProviderConfig.",
    )
    .into_response()
}

/// A request's JSON body: `application/scim+json` or `application/json` (what identity providers send).
struct ScimJson(Value);

impl<S: Send + Sync> FromRequest<S> for ScimJson {
    type Rejection = ScimError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ScimError> {
        let mime = request
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.split(';').next())
            .map(|mime| mime.trim().to_ascii_lowercase());
        if mime.as_deref().is_some_and(|mime| mime != MEDIA_TYPE && mime != "application/json") {
            return Err(ScimError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                None,
                format!("Send the body as {MEDIA_TYPE} (or application/json)."),
            ));
        }
        // The guard has read the body already, within its size and time limits.
        let body = Bytes::from_request(request, state).await.map_err(|_| ScimError::from(AppError::TooLarge))?;
        serde_json::from_slice(&body)
            .map(ScimJson)
            .map_err(|err| ScimError::bad(ScimType::InvalidSyntax, format!("The body is not valid JSON: {err}.")))
    }
}

/// A list query's parameters, named without regard to case as the RFC's attribute names are.
struct ListQuery(HashMap<String, String>);

impl ListQuery {
    fn get(&self, name: &str) -> Option<&str> {
        self.0.iter().find(|(key, _)| key.eq_ignore_ascii_case(name)).map(|(_, value)| value.as_str())
    }

    fn projection(&self) -> Result<Projection, ScimError> {
        let names = |name: &str| self.get(name).map(|list| list.split(',').collect::<Vec<_>>()).unwrap_or_default();
        Projection::new(names("attributes"), names("excludedAttributes"))
    }
}

/// Who asks and how they want the answer: what every request to `/Users` brings (the token's holder and
/// the service's address, put there by `authenticate`; the query's parameters).
struct Caller {
    state: AppState,
    holder: TokenHolder,
    base: Base,
    query: ListQuery,
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ScimError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ScimError> {
        let (Some(holder), Some(base)) =
            (parts.extensions.get::<TokenHolder>().cloned(), parts.extensions.get::<Base>().cloned())
        else {
            return Err(ScimError::unauthorized());
        };
        let Query(query) = Query::<HashMap<String, String>>::from_request_parts(parts, state)
            .await
            .map_err(|err| ScimError::bad(ScimType::InvalidValue, format!("The query could not be read: {err}.")))?;
        Ok(Caller { state: state.clone(), holder, base, query: ListQuery(query) })
    }
}

impl Caller {
    /// The person as the request asked to see them, with `status`.
    fn answer(&self, status: StatusCode, found: &Found) -> Result<Response, ScimError> {
        Ok(answer(status, &self.base.render(found, &self.query.projection()?)))
    }

    /// Waits for the domain's turn to change its people (`provisioning::turns`).
    async fn turn(&self) -> tokio::sync::OwnedMutexGuard<()> {
        self.state.provisioning.take(self.holder.domain.id).await
    }

    /// A page of the domain's people that `filter` matches, each as the request asked.
    async fn list(&self, filter: Option<&str>, page: Page, projection: &Projection) -> Result<Response, ScimError> {
        let filter = filter.map(filter::parse).transpose()?;
        let (total, found) =
            people::list(&self.state.db, &self.holder, filter.as_ref(), page.start, page.count).await?;
        let resources = found.iter().map(|found| self.base.render(found, projection)).collect();
        Ok(answer(StatusCode::OK, &list_response(total, page.start, resources)))
    }
}

async fn list_users(caller: Caller) -> Response {
    let query = &caller.query;
    respond(
        async {
            let page = Page::parse(query.get("startIndex"), query.get("count"))?;
            caller.list(query.get("filter"), page, &query.projection()?).await
        }
        .await,
    )
}

/// A search sent as a body (RFC 7644 §3.4.3): the list query's parameters as JSON.
async fn search_users(caller: Caller, ScimJson(search): ScimJson) -> Response {
    respond(
        async {
            let Value::Object(search) = search else {
                return Err(ScimError::bad(ScimType::InvalidSyntax, "A search must be a JSON object."));
            };
            let text = |name: &str| match resource::attribute(&search, name) {
                None => Ok(None),
                Some(Value::String(text)) => Ok(Some(text.clone())),
                Some(Value::Number(number)) => Ok(Some(number.to_string())),
                Some(_) => Err(ScimError::bad(ScimType::InvalidValue, format!("{name} must be a string or a number."))),
            };
            let names = |name: &str| -> Result<Vec<String>, ScimError> {
                let refused = || ScimError::bad(ScimType::InvalidValue, format!("{name} must be a list of names."));
                match resource::attribute(&search, name) {
                    None => Ok(Vec::new()),
                    Some(Value::Array(names)) => names
                        .iter()
                        .map(|name| name.as_str().map(str::to_string))
                        .collect::<Option<Vec<_>>>()
                        .ok_or_else(refused),
                    Some(_) => Err(refused()),
                }
            };
            let page = Page::parse(text("startIndex")?.as_deref(), text("count")?.as_deref())?;
            let (only, without) = (names("attributes")?, names("excludedAttributes")?);
            let projection = Projection::new(only.iter().map(String::as_str), without.iter().map(String::as_str))?;
            caller.list(text("filter")?.as_deref(), page, &projection).await
        }
        .await,
    )
}

async fn get_user(caller: Caller, Path(id): Path<String>) -> Response {
    respond(async { caller.answer(StatusCode::OK, &people::get(&caller.state.db, &caller.holder, &id).await?) }.await)
}

async fn create_user(caller: Caller, ScimJson(body): ScimJson) -> Response {
    respond(
        async {
            let person = resource::person(&body)?;
            let _turn = caller.turn().await;
            let found = people::create(&caller.state.db, &caller.holder, person).await?;
            let mut response = caller.answer(StatusCode::CREATED, &found)?;
            let location = HeaderValue::from_str(&caller.base.user(found.person.id))
                .map_err(|_| ScimError::from(AppError::Internal))?;
            response.headers_mut().insert(header::LOCATION, location);
            Ok(response)
        }
        .await,
    )
}

async fn replace_user(caller: Caller, Path(id): Path<String>, ScimJson(body): ScimJson) -> Response {
    respond(
        async {
            let person = resource::person(&body)?;
            let _turn = caller.turn().await;
            caller.answer(StatusCode::OK, &people::replace(&caller.state.db, &caller.holder, &id, person).await?)
        }
        .await,
    )
}

async fn patch_user(caller: Caller, Path(id): Path<String>, ScimJson(operations): ScimJson) -> Response {
    respond(
        async {
            // The person as they are in their turn: an earlier change's result is what this one patches.
            let _turn = caller.turn().await;
            let current = people::get(&caller.state.db, &caller.holder, &id).await?;
            let patched = patch::apply(caller.base.render(&current, &Projection::default()), &operations)?;
            let person = resource::person(&patched)?;
            caller.answer(StatusCode::OK, &people::replace(&caller.state.db, &caller.holder, &id, person).await?)
        }
        .await,
    )
}

async fn delete_user(caller: Caller, Path(id): Path<String>) -> Response {
    let _turn = caller.turn().await;
    respond(
        people::delete(&caller.state.db, &caller.holder, &id).await.map(|()| StatusCode::NO_CONTENT.into_response()),
    )
}

/// A refusal of the guards in front of every route (too large, too slow, cross-site), as SCIM words it
/// for a request to the service.
pub fn refusal(path: &str, error: AppError) -> Response<Body> {
    if path.starts_with(routes::SCIM) {
        ScimError::from(error).into_response()
    } else {
        error.into_response()
    }
}
