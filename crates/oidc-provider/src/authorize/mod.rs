//! The authorization endpoint (GET and POST, OIDC Core §3.1.2.1), the
//! continue step the login, step-up and consent forms return to, and the
//! login and consent form handlers.

mod admission;
mod consent;
mod flow;
mod login;
mod pages;
pub(crate) mod passkey;
pub(crate) mod request;
pub(crate) mod respond;

use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::HeaderMap;
use axum::response::Response;

pub(crate) use consent::consent_post;
pub(crate) use flow::{CONSENT_PATH, CONTINUE_PATH, CodeGrant, LOGIN_PATH, code_key};
pub(crate) use login::login_post;
use respond::{PageError, error_page, server_error};

use pratu_core::web::RequestContext;

use crate::state::AuthorizeFlow;
use crate::web::i18n::Locale;
use crate::web::params::Params;

/// `GET /authorize`.
pub(crate) async fn authorize_get(
    State(flow): State<AuthorizeFlow>,
    ctx: RequestContext,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> Response {
    let params = Params::parse(q.unwrap_or_default().as_bytes());
    authorize(&flow, &ctx, &headers, &params).await
}

/// `POST /authorize` (form-encoded, as OIDC Core §3.1.2.1 requires).
pub(crate) async fn authorize_post(
    State(flow): State<AuthorizeFlow>,
    ctx: RequestContext,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    match Params::from_form(&headers, &body) {
        Some(params) => authorize(&flow, &ctx, &headers, &params).await,
        None => error_page(
            PageError::BadRequest("the body must be application/x-www-form-urlencoded".into()),
            flow.forms.locale(&headers, None),
        ),
    }
}

#[tracing::instrument(name = "pratu.oidc.authorize", skip_all)]
async fn authorize(
    flow: &AuthorizeFlow,
    ctx: &RequestContext,
    headers: &HeaderMap,
    params: &Params,
) -> Response {
    match request::validate(flow, params, headers).await {
        Ok((req, client)) => match flow.admit(ctx.ip, req.locale).await {
            Ok(()) => flow.advance(headers, req, client, None, false).await,
            Err(e) => e.respond(&flow.forms),
        },
        Err(e) => e.respond(&flow.forms),
    }
}

/// `GET /authorize/continue?req=…[&lang=th|en][&login_hint=…][&factor=…]`: where the
/// forms send the browser back; decides the next step again. The enrollment
/// wizard's result page links here with the new username as `login_hint`:
/// it fills the sign-in form of this one page (it is not stored, and never
/// replaces a hint the client sent).
pub(crate) async fn continue_get(
    State(flow): State<AuthorizeFlow>,
    headers: HeaderMap,
    RawQuery(q): RawQuery,
) -> Response {
    let params = Params::parse(q.unwrap_or_default().as_bytes());
    let id = params.get("req").unwrap_or_default();
    let mut req = match flow.load_pending(id).await {
        Ok(Some(r)) => r,
        Ok(None) => {
            return error_page(
                PageError::Expired,
                flow.forms
                    .locale(&headers, Locale::from_ui_locales(params.get("lang"))),
            );
        }
        Err(e) => return server_error(e, flow.forms.locale(&headers, None)),
    };
    let mut changed = false;
    if let Some(locale) = params.get("lang").and_then(Locale::parse)
        && locale != req.locale
    {
        req.locale = locale;
        changed = true;
    }
    // "Use another way" on a step-up page: kept for the rest of the
    // request; a factor the account lacks falls back to its strongest.
    if let Some(factor) = params.get("factor").and_then(crate::stepup::Factor::parse)
        && req.step_up_factor.as_deref() != Some(factor.as_str())
    {
        req.step_up_factor = Some(factor.as_str().to_owned());
        changed = true;
    }
    if changed && let Err(e) = flow.save_pending(id, &req).await {
        return server_error(e, req.locale);
    }
    let client = match flow.clients.active(&req.client_id).await {
        Ok(Some(c)) => c,
        Ok(None) => return error_page(PageError::UnknownClient, req.locale),
        Err(e) => return server_error(e, req.locale),
    };
    if req.login_hint.is_none() {
        req.login_hint = params
            .get("login_hint")
            .filter(|h| !h.is_empty() && h.len() <= request::MAX_HINT)
            .map(str::to_owned);
    }
    flow.advance(&headers, req, client, Some(id.to_owned()), false)
        .await
}
