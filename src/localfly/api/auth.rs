//! Bearer auth as the Machines API takes it: `Bearer X`, `FlyV1 X` and
//! `Bearer FlyV1 X` are all the token `X`.

use std::future::{Ready, ready};

use actix_web::dev::Payload;
use actix_web::http::header::AUTHORIZATION;
use actix_web::{FromRequest, HttpRequest, web};
use secrecy::{ExposeSecret, SecretString};

use super::error::ApiError;

/// The token the stand-in accepts; never printed.
#[derive(Clone)]
pub struct ApiToken(pub SecretString);

/// Proof that a request carried the right token.
pub struct Authorized;

impl FromRequest for Authorized {
    type Error = ApiError;
    type Future = Ready<Result<Authorized, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let expected = req.app_data::<web::Data<ApiToken>>();
        let given = req
            .headers()
            .get(AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .and_then(token_of);
        ready(match (expected, given) {
            (Some(expected), Some(given)) if given == expected.0.expose_secret() => Ok(Authorized),
            _ => Err(ApiError::Unauthorized),
        })
    }
}

/// The token inside an `Authorization` value.
pub fn token_of(header: &str) -> Option<&str> {
    let mut rest = header.trim();
    for scheme in ["Bearer ", "FlyV1 "] {
        if rest.len() >= scheme.len() && rest[..scheme.len()].eq_ignore_ascii_case(scheme) {
            rest = rest[scheme.len()..].trim_start();
        }
    }
    let scheme_given = rest.len() < header.trim().len();
    (scheme_given && !rest.is_empty()).then_some(rest)
}

#[cfg(test)]
mod tests {
    use super::token_of;

    #[test]
    fn bearer_flyv1_and_both_give_the_token() {
        assert_eq!(token_of("Bearer dev"), Some("dev"));
        assert_eq!(token_of("FlyV1 fm2_abc"), Some("fm2_abc"));
        assert_eq!(token_of("Bearer FlyV1 fm2_abc"), Some("fm2_abc"));
    }

    #[test]
    fn a_bare_token_or_an_empty_one_is_not_accepted() {
        assert_eq!(token_of("dev"), None);
        assert_eq!(token_of("Bearer "), None);
        assert_eq!(token_of("Basic ZGV2"), None);
    }
}
