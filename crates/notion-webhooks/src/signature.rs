//! `X-Notion-Signature: sha256=<hex>`: HMAC-SHA256 of the raw body bytes keyed by the verification
//! token.

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// The header Notion signs events in.
pub const SIGNATURE_HEADER: &str = "X-Notion-Signature";

const PREFIX: &str = "sha256=";

type HmacSha256 = Hmac<Sha256>;

/// Why a signature was refused. All of them mean "not from Notion" to the receiver (a 401); the
/// kinds are kept apart for logs and counters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SignatureError {
    /// No `X-Notion-Signature` header.
    #[error("the request has no X-Notion-Signature header: Notion signs every event it sends")]
    Missing,
    /// The header is not `sha256=` followed by 64 hex digits.
    #[error("X-Notion-Signature is not of the form sha256=<64 hex digits>")]
    Malformed,
    /// Well formed, but not the HMAC of this body under this token.
    #[error(
        "X-Notion-Signature does not match the body under the active verification token \
         (a forged or altered event, or the subscription was verified with another token)"
    )]
    Mismatch,
}

impl SignatureError {
    /// A short stable name, for counters and logs (`missing`, `malformed`, `mismatch`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Missing => "missing",
            Self::Malformed => "malformed",
            Self::Mismatch => "mismatch",
        }
    }
}

/// Whether `header` has the form Notion's `X-Notion-Signature` always has: `sha256=` and 64
/// lowercase hex digits (a receiver may refuse any other at once, whatever the body).
pub fn is_well_formed(header: &[u8]) -> bool {
    header.strip_prefix(PREFIX.as_bytes()).is_some_and(|hex| {
        hex.len() == 64
            && hex
                .iter()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(b))
    })
}

/// Checks `header` (the `X-Notion-Signature` value, if any) against `body` signed with `token`.
/// The comparison of the MAC is constant-time (`Mac::verify_slice`).
pub fn verify_signature(
    token: &[u8],
    body: &[u8],
    header: Option<&[u8]>,
) -> Result<(), SignatureError> {
    let header = header.ok_or(SignatureError::Missing)?;
    if !is_well_formed(header) {
        return Err(SignatureError::Malformed);
    }
    let hex_part = &header[PREFIX.len()..];
    let tag = hex::decode(hex_part).map_err(|_| SignatureError::Malformed)?;
    mac(token, body)
        .ok_or(SignatureError::Mismatch)?
        .verify_slice(&tag)
        .map_err(|_| SignatureError::Mismatch)
}

/// The `X-Notion-Signature` value Notion would send for `body` under `token` (for tests and tools
/// that play Notion).
pub fn sign(token: &[u8], body: &[u8]) -> String {
    let tag = mac(token, body).map(|m| hex::encode(m.finalize().into_bytes()));
    format!("{PREFIX}{}", tag.unwrap_or_default())
}

/// `None` never happens (HMAC takes a key of any length), but the type says it could, and a
/// missing MAC must refuse rather than panic.
fn mac(token: &[u8], body: &[u8]) -> Option<HmacSha256> {
    let mut mac = HmacSha256::new_from_slice(token).ok()?;
    mac.update(body);
    Some(mac)
}

#[cfg(test)]
mod tests {
    use super::*;

    // A value computed independently (Python: hmac.new(b"secret_tok", b'{"a":1}', sha256)).
    const KNOWN: &str = "sha256=dc0c258ae80ee01501f90d2e0efe1da2a56126a95e7a08b4998f5c2fcc38212e";

    #[test]
    fn a_signature_from_elsewhere_verifies() {
        assert_eq!(sign(b"secret_tok", br#"{"a":1}"#), KNOWN);
        assert_eq!(
            verify_signature(b"secret_tok", br#"{"a":1}"#, Some(KNOWN.as_bytes())),
            Ok(())
        );
    }

    #[test]
    fn refusals_are_told_apart() {
        let body = br#"{"a":1}"#;
        // (header, token, body, refusal)
        type Case<'a> = (Option<&'a [u8]>, &'a [u8], &'a [u8], SignatureError);
        let cases: [Case<'_>; 7] = [
            (None, b"secret_tok", body, SignatureError::Missing),
            (Some(b""), b"secret_tok", body, SignatureError::Malformed),
            (
                Some(&KNOWN.as_bytes()[7..]),
                b"secret_tok",
                body,
                SignatureError::Malformed,
            ),
            (
                Some(&KNOWN.as_bytes()[..70]),
                b"secret_tok",
                body,
                SignatureError::Malformed,
            ),
            (
                Some(b"sha256=zz0c258ae80ee01501f90d2e0efe1da2a56126a95e7a08b4998f5c2fcc38212e"),
                b"secret_tok",
                body,
                SignatureError::Malformed,
            ),
            (
                Some(KNOWN.as_bytes()),
                b"other_tok",
                body,
                SignatureError::Mismatch,
            ),
            (
                Some(KNOWN.as_bytes()),
                b"secret_tok",
                br#"{"a":2}"#,
                SignatureError::Mismatch,
            ),
        ];
        for (header, token, body, want) in cases {
            assert_eq!(
                verify_signature(token, body, header),
                Err(want),
                "{header:?}"
            );
        }
    }

    #[test]
    fn whitespace_in_the_body_changes_the_signature() {
        // The MAC is over the raw bytes: re-serialising the JSON would break it.
        let sig = sign(b"t", br#"{"a":1}"#);
        assert_eq!(
            verify_signature(b"t", br#"{"a": 1}"#, Some(sig.as_bytes())),
            Err(SignatureError::Mismatch)
        );
    }
}
