//! The admin token that unlocks the FULL view (answer keys and explanations).

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq as _;
use tonic::metadata::MetadataMap;

use super::convert::View;
use crate::error::Error;

/// The token the server was started with. Only its digest is kept, and it is
/// never printed.
#[derive(Clone)]
pub struct AdminToken {
    digest: [u8; 32],
}

impl std::fmt::Debug for AdminToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AdminToken(<redacted>)")
    }
}

impl AdminToken {
    /// The token `secret`; `None` for an empty one, which would otherwise
    /// grant the FULL view to anyone sending `Bearer ` with nothing after it.
    pub fn new(secret: &str) -> Option<Self> {
        (!secret.is_empty()).then(|| Self {
            digest: Sha256::digest(secret.as_bytes()).into(),
        })
    }

    /// Compares digests in constant time: neither the content nor the length
    /// of the real token leaks through response timing.
    fn matches(&self, presented: &str) -> bool {
        let presented: [u8; 32] = Sha256::digest(presented.as_bytes()).into();
        self.digest.ct_eq(&presented).into()
    }
}

/// What the admin token unlocks, and what a caller is told without it.
#[derive(Debug)]
struct AdminUse {
    /// On a server started without a token: PERMISSION_DENIED.
    disabled: &'static str,
    /// Without the metadata: UNAUTHENTICATED.
    missing: &'static str,
}

const FULL_VIEW: AdminUse = AdminUse {
    disabled: "the FULL view is disabled: this server was started without an admin token",
    missing: "the FULL view needs the metadata `authorization: Bearer <admin token>`",
};

const AUTHORING: AdminUse = AdminUse {
    disabled: "authoring is disabled: this server was started without an admin token",
    missing: "authoring needs the metadata `authorization: Bearer <admin token>`",
};

/// Allows `view` for a call carrying `metadata`. Runs before any lookup, so a
/// caller without the token learns nothing about which questions exist.
pub fn authorize_view(
    admin_token: Option<&AdminToken>,
    metadata: &MetadataMap,
    view: View,
) -> Result<(), Error> {
    if view == View::Basic {
        return Ok(());
    }
    authorize(admin_token, metadata, &FULL_VIEW)
}

/// Allows a change to the bank (create, update, delete, undelete, and the
/// revision history, which shows answer keys). Runs before the request is
/// even validated.
pub fn authorize_authoring(
    admin_token: Option<&AdminToken>,
    metadata: &MetadataMap,
) -> Result<(), Error> {
    authorize(admin_token, metadata, &AUTHORING)
}

fn authorize(
    admin_token: Option<&AdminToken>,
    metadata: &MetadataMap,
    admin_use: &AdminUse,
) -> Result<(), Error> {
    let Some(admin_token) = admin_token else {
        return Err(Error::PermissionDenied(admin_use.disabled));
    };
    let presented = metadata
        .get("authorization")
        .and_then(|value| value.to_str().ok())
        .and_then(bearer_token)
        .ok_or(Error::Unauthenticated(admin_use.missing))?;
    if admin_token.matches(presented) {
        Ok(())
    } else {
        Err(Error::Unauthenticated("the admin token is not valid"))
    }
}

/// The token of an `authorization` value; the scheme is case-insensitive
/// (RFC 9110).
fn bearer_token(value: &str) -> Option<&str> {
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn metadata(authorization: &str) -> MetadataMap {
        let mut metadata = MetadataMap::new();
        metadata.insert("authorization", authorization.parse().expect("ascii value"));
        metadata
    }

    #[test]
    fn the_right_token_with_any_scheme_case_is_accepted() {
        let token = AdminToken::new("s3cret");
        for header in ["Bearer s3cret", "bearer s3cret"] {
            assert!(authorize_view(token.as_ref(), &metadata(header), View::Full).is_ok());
        }
    }

    #[test]
    fn a_wrong_or_missing_token_is_unauthenticated() {
        let token = AdminToken::new("s3cret");
        for map in [
            metadata("Bearer s3cret2"),
            metadata("Basic s3cret"),
            MetadataMap::new(),
        ] {
            assert!(matches!(
                authorize_view(token.as_ref(), &map, View::Full),
                Err(Error::Unauthenticated(_))
            ));
        }
    }

    #[test]
    fn an_empty_admin_token_disables_the_full_view() {
        assert!(AdminToken::new("").is_none());
        assert!(matches!(
            authorize_view(None, &metadata("Bearer "), View::Full),
            Err(Error::PermissionDenied(_))
        ));
    }

    #[test]
    fn the_token_never_appears_in_debug_output() {
        let token = AdminToken::new("s3cret").expect("non-empty");
        assert!(!format!("{token:?}").contains("s3cret"));
    }
}
