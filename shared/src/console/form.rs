//! The console's session check for pages and forms: no session answers 401 with the sign-in
//! form; a form without the session's `csrf_token` field answers 403 (docs/console.md §2).

use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde::de::DeserializeOwned;

use super::layout::{Nav, problem_page};
use crate::admin::{AdminContext, Session};

/// The hidden field every state-changing console form carries.
pub const CSRF_FIELD: &str = "csrf_token";

/// A refused console request: the page that says why (boxed: a `Response` is large).
pub struct Refused(Box<Response>);

impl IntoResponse for Refused {
    fn into_response(self) -> Response {
        *self.0
    }
}

impl From<Response> for Refused {
    fn from(response: Response) -> Self {
        Refused(Box::new(response))
    }
}

/// A signed-in admin on a console page.
pub struct Signed {
    pub session: Session,
    pub csrf_token: String,
}

impl Signed {
    /// The left nav: the connections, then `extra` links (a connection's kinds).
    pub fn nav(&self, extra: Vec<(String, String)>) -> Nav {
        let mut links = vec![("/".to_owned(), "Connections".to_owned())];
        links.extend(extra);
        Nav {
            links,
            csrf_token: self.csrf_token.clone(),
        }
    }
}

/// The request's session, or the 401 sign-in page.
pub fn signed(ctx: &AdminContext, headers: &HeaderMap) -> Result<Signed, Refused> {
    let session = ctx
        .auth
        .session_of(headers, ctx.sync.clock.now())
        .ok_or_else(|| {
            super::sign_in::form_page(
                StatusCode::UNAUTHORIZED,
                Some("Sign in first: this page needs an admin session."),
            )
        })?;
    let csrf_token = ctx.auth.csrf_token(&session);
    Ok(Signed {
        session,
        csrf_token,
    })
}

#[derive(Deserialize)]
struct CsrfOnly {
    #[serde(default)]
    csrf_token: String,
}

/// A state-changing form post: the session (else 401), its CSRF field (else 403 with a page
/// saying so), then the form as `T` (else 400 with the reason).
pub fn signed_form<T: DeserializeOwned>(
    ctx: &AdminContext,
    headers: &HeaderMap,
    body: &Bytes,
) -> Result<(Signed, T), Refused> {
    let signed = signed(ctx, headers)?;
    let token = serde_urlencoded::from_bytes::<CsrfOnly>(body)
        .map(|f| f.csrf_token)
        .unwrap_or_default();
    if !ctx.auth.csrf_matches(&signed.session, &token) {
        return Err(Refused::from(problem_page(
            StatusCode::FORBIDDEN,
            "Form refused",
            "This form did not carry this session's CSRF token, so nothing was changed. Open the page again and resubmit.",
            Some(&signed.nav(Vec::new())),
        )));
    }
    match serde_urlencoded::from_bytes::<T>(body) {
        Ok(form) => Ok((signed, form)),
        Err(error) => Err(Refused::from(problem_page(
            StatusCode::BAD_REQUEST,
            "Form not understood",
            &format!("The form could not be read: {error}."),
            Some(&signed.nav(Vec::new())),
        ))),
    }
}

/// A form with no fields besides the CSRF token.
#[derive(Debug, Deserialize)]
pub struct NoFields {}
