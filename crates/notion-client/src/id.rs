//! Notion object ids in every form a user pastes, printed in one canonical form.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The id of a Notion object (page, database, data source, block, user, comment).
///
/// Parses a dashed UUID, 32 hex characters, or a Notion URL, and prints the canonical lowercase
/// dashed form. Serialises as that string.
///
/// For URLs, the id is the 32-hex run that ends the last path segment
/// (`https://www.notion.so/workspace/My-Page-1a2b…` → `1a2b…`); the `?v=` view id of a database
/// URL is ignored (the path names the database), while a `?p=` page id (a page opened in peek mode
/// over a database) wins over the path, because that is the page the user was looking at.
///
/// ```
/// use notion_client::NotionId;
/// let id: NotionId = "https://www.notion.so/acme/Mayor-2026-1A2B3C4D5E6F47809A0B1C2D3E4F5A6B?v=0123456789abcdef0123456789abcdef"
///     .parse()
///     .unwrap();
/// assert_eq!(id.to_string(), "1a2b3c4d-5e6f-4780-9a0b-1c2d3e4f5a6b");
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NotionId([u8; 16]);

/// Why a string is not a Notion id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "'{input}' is not a Notion id: {reason}. Paste a dashed UUID, 32 hex characters, or the page's Notion URL"
)]
pub struct IdParseError {
    /// The rejected input (truncated to 200 characters).
    pub input: String,
    /// What is wrong with it.
    pub reason: &'static str,
}

impl IdParseError {
    fn new(input: &str, reason: &'static str) -> Self {
        Self {
            input: input.chars().take(200).collect(),
            reason,
        }
    }
}

impl NotionId {
    /// Parses any accepted form (see the type docs).
    pub fn parse(input: &str) -> Result<Self, IdParseError> {
        let trimmed = input.trim();
        if trimmed.is_empty() {
            return Err(IdParseError::new(input, "it is empty"));
        }
        if trimmed.starts_with("http://") || trimmed.starts_with("https://") {
            return Self::parse_url(trimmed).map_err(|reason| IdParseError::new(input, reason));
        }
        Self::parse_bare(trimmed).map_err(|reason| IdParseError::new(input, reason))
    }

    /// Builds an id from its 16 bytes.
    pub const fn from_bytes(bytes: [u8; 16]) -> Self {
        Self(bytes)
    }

    /// The id's 16 bytes.
    pub const fn as_bytes(&self) -> &[u8; 16] {
        &self.0
    }

    /// The 32-hex form without dashes, as Notion uses in URLs.
    pub fn to_simple_string(&self) -> String {
        let mut out = String::with_capacity(32);
        for byte in self.0 {
            out.push_str(&format!("{byte:02x}"));
        }
        out
    }

    fn parse_bare(s: &str) -> Result<Self, &'static str> {
        let hex: Vec<u8> = match s.len() {
            32 => s.bytes().collect(),
            36 => {
                let bytes = s.as_bytes();
                for pos in [8, 13, 18, 23] {
                    if bytes[pos] != b'-' {
                        return Err(
                            "a 36-character id must have dashes at positions 9, 14, 19 and 24",
                        );
                    }
                }
                s.bytes().filter(|b| *b != b'-').collect()
            }
            _ => {
                return Err(
                    "it must be 32 hex characters, with or without the four dashes of a UUID",
                );
            }
        };
        if hex.len() != 32 {
            return Err("it must be 32 hex characters, with or without the four dashes of a UUID");
        }
        let mut out = [0u8; 16];
        for (i, pair) in hex.chunks(2).enumerate() {
            let hi = hex_value(pair[0]).ok_or("it contains a character that is not hexadecimal")?;
            let lo = hex_value(pair[1]).ok_or("it contains a character that is not hexadecimal")?;
            out[i] = (hi << 4) | lo;
        }
        Ok(Self(out))
    }

    fn parse_url(s: &str) -> Result<Self, &'static str> {
        let url =
            url::Url::parse(s).map_err(|_| "it looks like a URL but does not parse as one")?;
        if let Some((_, peek)) = url.query_pairs().find(|(k, _)| k == "p")
            && let Ok(id) = Self::parse_bare(&peek)
        {
            return Ok(id);
        }
        let segment = url
            .path_segments()
            .and_then(|mut segs| segs.rfind(|seg| !seg.is_empty()))
            .ok_or("the URL has no path naming a page or database")?;
        if let Ok(id) = Self::parse_bare(segment) {
            return Ok(id);
        }
        if segment.len() >= 32 && segment.is_char_boundary(segment.len() - 32) {
            let tail = &segment[segment.len() - 32..];
            if let Ok(id) = Self::parse_bare(tail) {
                return Ok(id);
            }
        }
        Err("the URL's path does not end with a 32-hex Notion id")
    }
}

fn hex_value(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

impl fmt::Display for NotionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let b = &self.0;
        write!(
            f,
            "{:02x}{:02x}{:02x}{:02x}-{:02x}{:02x}-{:02x}{:02x}-{:02x}{:02x}-{:02x}{:02x}{:02x}{:02x}{:02x}{:02x}",
            b[0],
            b[1],
            b[2],
            b[3],
            b[4],
            b[5],
            b[6],
            b[7],
            b[8],
            b[9],
            b[10],
            b[11],
            b[12],
            b[13],
            b[14],
            b[15]
        )
    }
}

impl fmt::Debug for NotionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "NotionId({self})")
    }
}

impl FromStr for NotionId {
    type Err = IdParseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl TryFrom<&str> for NotionId {
    type Error = IdParseError;
    fn try_from(s: &str) -> Result<Self, Self::Error> {
        Self::parse(s)
    }
}

impl From<uuid::Uuid> for NotionId {
    fn from(u: uuid::Uuid) -> Self {
        Self(*u.as_bytes())
    }
}

impl From<NotionId> for uuid::Uuid {
    fn from(id: NotionId) -> Self {
        Self::from_bytes(id.0)
    }
}

impl Serialize for NotionId {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for NotionId {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = NotionId;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a Notion id (UUID, 32 hex characters or Notion URL)")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<NotionId, E> {
                NotionId::parse(v).map_err(E::custom)
            }
        }
        deserializer.deserialize_str(Visitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CANON: &str = "1a2b3c4d-5e6f-4780-9a0b-1c2d3e4f5a6b";

    #[test]
    fn accepts_every_pasted_form() {
        for input in [
            CANON,
            "1a2b3c4d5e6f47809a0b1c2d3e4f5a6b",
            "1A2B3C4D-5E6F-4780-9A0B-1C2D3E4F5A6B",
            "  1a2b3c4d5e6f47809a0b1c2d3e4f5a6b\n",
            "https://www.notion.so/workspace/My-Page-1a2b3c4d5e6f47809a0b1c2d3e4f5a6b",
            "https://www.notion.so/workspace/My-Page-1a2b3c4d5e6f47809a0b1c2d3e4f5a6b?pvs=4",
            "https://www.notion.so/1a2b3c4d5e6f47809a0b1c2d3e4f5a6b?v=ffffffffffffffffffffffffffffffff",
            "https://app.notion.com/p/Test-2026-1a2b3c4d5e6f47809a0b1c2d3e4f5a6b",
            "https://www.notion.so/ws/00000000000000000000000000000000?v=ffffffffffffffffffffffffffffffff&p=1a2b3c4d5e6f47809a0b1c2d3e4f5a6b&pm=s",
            "https://www.notion.so/ws/1a2b3c4d5e6f47809a0b1c2d3e4f5a6b/",
        ] {
            let id = NotionId::parse(input).unwrap_or_else(|e| panic!("{input}: {e}"));
            assert_eq!(id.to_string(), CANON, "{input}");
        }
    }

    #[test]
    fn rejects_bad_input_with_a_reason() {
        for input in [
            "",
            "abc",
            "1a2b3c4d5e6f47809a0b1c2d3e4f5a6g",
            "1a2b3c4d-5e6f47809a0b1c2d3e4f5a6b--",
            "https://www.notion.so/workspace/My-Page",
            "https://",
            "ééééééééééééééééééééééééééééééééé",
        ] {
            let err = NotionId::parse(input).unwrap_err();
            assert!(err.to_string().contains("is not a Notion id"), "{err}");
        }
    }

    #[test]
    fn serde_uses_the_canonical_string() {
        let id = NotionId::parse("1a2b3c4d5e6f47809a0b1c2d3e4f5a6b").unwrap();
        assert_eq!(serde_json::to_string(&id).unwrap(), format!("\"{CANON}\""));
        let back: NotionId = serde_json::from_str(&format!("\"{CANON}\"")).unwrap();
        assert_eq!(back, id);
        assert_eq!(id.to_simple_string(), "1a2b3c4d5e6f47809a0b1c2d3e4f5a6b");
        assert_eq!(uuid::Uuid::from(id).to_string(), CANON);
    }
}
