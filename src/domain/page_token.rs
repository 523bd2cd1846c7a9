//! Opaque, signed page tokens for keyset pagination.
//!
//! A token names the last question id of the previous page, so the next page
//! is an index seek (`id > last`) that costs the same at any depth. It also
//! carries a digest of the filters it was issued for, and an HMAC over both
//! with a key kept in the database: a client can neither forge a position nor
//! reuse a token with other filters, and tokens stay valid across restarts.
//!
//! Layout before base64url: `version (1) | filter digest (8) | last id | mac (16)`.

use base64::{Engine as _, engine::general_purpose::URL_SAFE_NO_PAD};
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

use super::{limits, listing::QuestionFilter};

const VERSION: u8 = 1;
const FILTER_DIGEST_LEN: usize = 8;
const MAC_LEN: usize = 16;
/// Length of the signing key the store generates.
pub const SIGNING_KEY_LEN: usize = 32;

/// Why a page token was refused. Both become `INVALID_ARGUMENT` on `page_token`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PageTokenError {
    /// Not a token this server issued, or altered since.
    #[error("is not a valid page token; pass the next_page_token of a previous page unchanged")]
    Invalid,
    /// A genuine token, but for a request with other filters.
    #[error("was issued for different filters; repeat the filters of the request that returned it")]
    OtherFilter,
}

/// Issues and checks page tokens with one signing key.
#[derive(Clone)]
pub struct PageTokenCodec {
    mac: Hmac<Sha256>,
}

impl std::fmt::Debug for PageTokenCodec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The key is a secret: never print it.
        f.debug_struct("PageTokenCodec").finish_non_exhaustive()
    }
}

impl PageTokenCodec {
    /// A codec signing with `key`.
    pub fn new(key: &[u8; SIGNING_KEY_LEN]) -> Self {
        Self {
            mac: Hmac::new_from_slice(key).expect("HMAC accepts keys of any length"),
        }
    }

    /// The token for the page after `last_id` under `filter`.
    pub fn encode(&self, filter: &QuestionFilter, last_id: &str) -> String {
        self.encode_in(&filter.canonical_bytes(), last_id)
    }

    /// The last id of the previous page, if `token` is one this codec issued
    /// for `filter`.
    pub fn decode(&self, filter: &QuestionFilter, token: &str) -> Result<String, PageTokenError> {
        self.decode_in(&filter.canonical_bytes(), token)
    }

    /// The token for the page after `position` of the listing that `scope`
    /// names (a filter's canonical bytes, or any other listing's).
    pub fn encode_in(&self, scope: &[u8], position: &str) -> String {
        let last_id = position;
        let mut bytes = Vec::with_capacity(1 + FILTER_DIGEST_LEN + last_id.len() + MAC_LEN);
        bytes.push(VERSION);
        bytes.extend_from_slice(&scope_digest(scope));
        bytes.extend_from_slice(last_id.as_bytes());
        let tag = self.sign(&bytes);
        bytes.extend_from_slice(&tag[..MAC_LEN]);
        URL_SAFE_NO_PAD.encode(bytes)
    }

    /// The position a token of [`PageTokenCodec::encode_in`] names, if this
    /// codec issued it for `scope`.
    pub fn decode_in(&self, scope: &[u8], token: &str) -> Result<String, PageTokenError> {
        if token.len() > limits::PAGE_TOKEN_MAX_CHARS {
            return Err(PageTokenError::Invalid);
        }
        let bytes = URL_SAFE_NO_PAD
            .decode(token)
            .map_err(|_| PageTokenError::Invalid)?;
        if bytes.len() < 1 + FILTER_DIGEST_LEN + MAC_LEN || bytes[0] != VERSION {
            return Err(PageTokenError::Invalid);
        }
        let (signed, tag) = bytes.split_at(bytes.len() - MAC_LEN);
        let mut mac = self.mac.clone();
        mac.update(signed);
        // Constant-time comparison: a timing leak would let a client forge a
        // tag byte by byte.
        mac.verify_truncated_left(tag)
            .map_err(|_| PageTokenError::Invalid)?;
        let (digest, last_id) = signed[1..].split_at(FILTER_DIGEST_LEN);
        if digest != scope_digest(scope) {
            return Err(PageTokenError::OtherFilter);
        }
        String::from_utf8(last_id.to_vec()).map_err(|_| PageTokenError::Invalid)
    }

    fn sign(&self, bytes: &[u8]) -> [u8; 32] {
        let mut mac = self.mac.clone();
        mac.update(bytes);
        mac.finalize().into_bytes().into()
    }
}

fn scope_digest(scope: &[u8]) -> [u8; FILTER_DIGEST_LEN] {
    let digest = Sha256::digest(scope);
    let mut truncated = [0; FILTER_DIGEST_LEN];
    truncated.copy_from_slice(&digest[..FILTER_DIGEST_LEN]);
    truncated
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn codec() -> PageTokenCodec {
        PageTokenCodec::new(&[7; SIGNING_KEY_LEN])
    }

    fn by_category(category: &str) -> QuestionFilter {
        QuestionFilter {
            category: Some(category.into()),
            ..QuestionFilter::default()
        }
    }

    #[test]
    fn a_token_round_trips_under_the_same_filter() {
        let token = codec().encode(&by_category("llm"), "llm-004");
        assert_eq!(
            codec().decode(&by_category("llm"), &token),
            Ok("llm-004".into())
        );
    }

    #[test]
    fn a_token_is_refused_under_another_filter() {
        let token = codec().encode(&by_category("llm"), "llm-004");
        assert_eq!(
            codec().decode(&by_category("ml"), &token),
            Err(PageTokenError::OtherFilter)
        );
    }

    #[test]
    fn a_token_signed_with_another_key_is_invalid() {
        let token = PageTokenCodec::new(&[8; SIGNING_KEY_LEN]).encode(&by_category("llm"), "x");
        assert_eq!(
            codec().decode(&by_category("llm"), &token),
            Err(PageTokenError::Invalid)
        );
    }

    #[test]
    fn garbage_is_invalid() {
        for garbage in ["", "not base64!", "AAAA", &"A".repeat(10_000)] {
            assert_eq!(
                codec().decode(&QuestionFilter::default(), garbage),
                Err(PageTokenError::Invalid)
            );
        }
    }

    proptest! {
        #[test]
        fn flipping_any_bit_invalidates_the_token(id in "[a-z0-9-]{1,20}", bit in 0usize..1000) {
            let filter = QuestionFilter::default();
            let token = codec().encode(&filter, &id);
            let mut bytes = URL_SAFE_NO_PAD.decode(&token).expect("own token decodes");
            let bit = bit % (bytes.len() * 8);
            bytes[bit / 8] ^= 1 << (bit % 8);
            let tampered = URL_SAFE_NO_PAD.encode(&bytes);
            prop_assert!(codec().decode(&filter, &tampered).is_err());
        }

        #[test]
        fn decoding_arbitrary_text_never_panics(token in "\\PC{0,300}") {
            let _ = codec().decode(&QuestionFilter::default(), &token);
        }
    }
}
