//! Rich text: reading every segment's plain text, and building rich text within Notion's limits.

use serde::de::{Error as _, IgnoredAny, MapAccess};
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Notion's limit on the characters of one rich-text item's `text.content`.
pub const MAX_TEXT_CONTENT_CHARS: usize = 2000;
/// Notion's limit on the items of one rich-text array.
pub const MAX_RICH_TEXT_ITEMS: usize = 100;

/// One rich-text segment, as Notion returns it.
///
/// Serialises to the *request* shape (`type`, the content object and `annotations`), which is
/// what Notion accepts in writes; `plain_text` and `href` are read-only.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct RichText {
    /// What the segment is (text, mention, equation, or a kind this client does not know).
    pub content: RichTextContent,
    /// Formatting; absent in requests built by this crate (Notion then uses its defaults).
    pub annotations: Option<Annotations>,
    /// The segment's text without formatting (mentions and equations only have this).
    pub plain_text: String,
    /// The segment's link, if any.
    pub href: Option<String>,
}

/// The content of a rich-text segment, tagged by `type`.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum RichTextContent {
    /// Plain text with an optional link.
    Text {
        /// The text object.
        text: TextContent,
    },
    /// A mention of a user, page, database, date, link preview… kept as raw JSON.
    Mention {
        /// The mention object.
        mention: serde_json::Value,
    },
    /// A KaTeX equation.
    Equation {
        /// The equation object (`{"expression": …}`).
        equation: serde_json::Value,
    },
    /// A segment type this client does not know yet.
    Unknown,
}

impl<'de> Deserialize<'de> for RichText {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = RichText;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a rich-text object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RichText, A::Error> {
                let mut kind: Option<String> = None;
                let mut text: Option<TextContent> = None;
                let mut mention: Option<serde_json::Value> = None;
                let mut equation: Option<serde_json::Value> = None;
                let mut annotations = None;
                let mut plain_text = None;
                let mut href = None;
                #[derive(Deserialize)]
                #[serde(field_identifier, rename_all = "snake_case")]
                enum Field {
                    Type,
                    Text,
                    Mention,
                    Equation,
                    Annotations,
                    PlainText,
                    Href,
                    #[serde(other)]
                    Other,
                }
                while let Some(key) = map.next_key::<Field>()? {
                    match key {
                        Field::Type => kind = Some(map.next_value()?),
                        Field::Text => text = Some(map.next_value()?),
                        Field::Mention => mention = Some(map.next_value()?),
                        Field::Equation => equation = Some(map.next_value()?),
                        Field::Annotations => annotations = map.next_value()?,
                        Field::PlainText => plain_text = map.next_value()?,
                        Field::Href => href = map.next_value()?,
                        Field::Other => {
                            map.next_value::<IgnoredAny>()?;
                        }
                    }
                }
                let content = match (kind.as_deref(), text, mention, equation) {
                    (Some("text") | None, Some(text), _, _) => RichTextContent::Text { text },
                    (Some("mention") | None, _, Some(mention), _) => {
                        RichTextContent::Mention { mention }
                    }
                    (Some("equation") | None, _, _, Some(equation)) => {
                        RichTextContent::Equation { equation }
                    }
                    (Some("text" | "mention" | "equation"), ..) => {
                        return Err(A::Error::custom(format!(
                            "rich text of type `{}` lacks its `{}` object",
                            kind.as_deref().unwrap_or_default(),
                            kind.as_deref().unwrap_or_default()
                        )));
                    }
                    _ => RichTextContent::Unknown,
                };
                Ok(RichText {
                    content,
                    annotations,
                    plain_text: plain_text.unwrap_or_default(),
                    href,
                })
            }
        }
        deserializer.deserialize_map(Visitor)
    }
}

/// The `text` object of a text segment.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct TextContent {
    /// The text (≤ 2000 characters in writes).
    pub content: String,
    /// An optional link (`{"url": …}`).
    #[serde(default)]
    pub link: Option<Link>,
}

/// A link target.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct Link {
    /// The URL.
    pub url: String,
}

/// Rich-text formatting.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct Annotations {
    /// Bold.
    pub bold: bool,
    /// Italic.
    pub italic: bool,
    /// Strikethrough.
    pub strikethrough: bool,
    /// Underline.
    pub underline: bool,
    /// Inline code.
    pub code: bool,
    /// Colour name, e.g. `default`, `red`, `blue_background`.
    pub color: String,
}

impl RichText {
    /// A plain text segment (the caller keeps it within 2000 characters; see [`rich_text_from_str`]).
    pub fn text(content: impl Into<String>) -> Self {
        let content = content.into();
        Self {
            plain_text: content.clone(),
            content: RichTextContent::Text {
                text: TextContent {
                    content,
                    link: None,
                },
            },
            annotations: None,
            href: None,
        }
    }

    /// The segment's plain text: `plain_text` when Notion gave it, else the text content.
    pub fn plain(&self) -> &str {
        if self.plain_text.is_empty()
            && let RichTextContent::Text { text } = &self.content
        {
            return &text.content;
        }
        &self.plain_text
    }
}

impl Serialize for RichText {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        match &self.content {
            RichTextContent::Text { text } => {
                map.serialize_entry("type", "text")?;
                map.serialize_entry("text", text)?;
            }
            RichTextContent::Mention { mention } => {
                map.serialize_entry("type", "mention")?;
                map.serialize_entry("mention", mention)?;
            }
            RichTextContent::Equation { equation } => {
                map.serialize_entry("type", "equation")?;
                map.serialize_entry("equation", equation)?;
            }
            RichTextContent::Unknown => {
                // Not writable as-is: send its plain text so no content is lost.
                map.serialize_entry("type", "text")?;
                map.serialize_entry(
                    "text",
                    &TextContent {
                        content: self.plain_text.clone(),
                        link: None,
                    },
                )?;
            }
        }
        if let Some(annotations) = &self.annotations {
            map.serialize_entry("annotations", annotations)?;
        }
        map.end()
    }
}

/// Joins every segment's plain text (reading only the first segment truncates multi-segment
/// titles: Notion splits text wherever formatting, links or mentions change).
pub fn plain_text(segments: &[RichText]) -> String {
    let mut out = String::new();
    for segment in segments {
        out.push_str(segment.plain());
    }
    out
}

/// Why text cannot be written as one rich-text value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "text of {chars} characters needs more than {MAX_RICH_TEXT_ITEMS} rich-text items of {MAX_TEXT_CONTENT_CHARS} characters; Notion accepts at most {} characters here",
    MAX_RICH_TEXT_ITEMS * MAX_TEXT_CONTENT_CHARS
)]
pub struct TextTooLong {
    /// The text's length in characters.
    pub chars: usize,
}

/// Builds rich text from a string of any length up to Notion's limits: items of at most 2000
/// characters (split on character boundaries), at most 100 items. An empty string gives an empty
/// array (which clears a title or rich-text property).
pub fn rich_text_from_str(text: &str) -> Result<Vec<RichText>, TextTooLong> {
    let mut items = Vec::new();
    let mut start = 0;
    let mut count = 0;
    for (idx, _) in text.char_indices() {
        if count == MAX_TEXT_CONTENT_CHARS {
            items.push(RichText::text(&text[start..idx]));
            start = idx;
            count = 0;
        }
        count += 1;
    }
    if start < text.len() {
        items.push(RichText::text(&text[start..]));
    }
    if items.len() > MAX_RICH_TEXT_ITEMS {
        return Err(TextTooLong {
            chars: text.chars().count(),
        });
    }
    Ok(items)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn joins_every_segment() {
        let json = r#"[
          {"type":"text","text":{"content":"Hello ","link":null},"annotations":{"bold":false,"italic":false,"strikethrough":false,"underline":false,"code":false,"color":"default"},"plain_text":"Hello ","href":null},
          {"type":"mention","mention":{"type":"date","date":{"start":"2026-01-01"}},"plain_text":"2026-01-01","href":null},
          {"type":"equation","equation":{"expression":"x"},"plain_text":"x","href":null},
          {"type":"future_kind","future_kind":{},"plain_text":"!","href":null}
        ]"#;
        let segments: Vec<RichText> = serde_json::from_str(json).unwrap();
        assert_eq!(plain_text(&segments), "Hello 2026-01-01x!");
    }

    #[test]
    fn splits_long_text_on_char_boundaries() {
        let text = "é".repeat(4001);
        let items = rich_text_from_str(&text).unwrap();
        assert_eq!(items.len(), 3);
        assert_eq!(items[0].plain().chars().count(), 2000);
        assert_eq!(items[2].plain().chars().count(), 1);
        assert_eq!(plain_text(&items), text);
        assert!(rich_text_from_str("").unwrap().is_empty());
        assert_eq!(rich_text_from_str(&"a".repeat(200_000)).unwrap().len(), 100);
        let err = rich_text_from_str(&"a".repeat(200_001)).unwrap_err();
        assert_eq!(err.chars, 200_001);
    }

    #[test]
    fn serialises_the_request_shape() {
        let v = serde_json::to_value(RichText::text("Mayor 2026")).unwrap();
        assert_eq!(
            v,
            serde_json::json!({"type":"text","text":{"content":"Mayor 2026","link":null}})
        );
    }
}
