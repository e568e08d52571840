//! Page property values: every type Notion returns, typed accessors, and builders for writes.

use std::fmt;

use jiff::Timestamp;
use serde::de::{DeserializeSeed, Error as _, IgnoredAny, MapAccess};
use serde::ser::{SerializeMap, SerializeSeq};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;

use crate::id::NotionId;
use crate::objects::User;
use crate::rich_text::{RichText, TextTooLong, plain_text, rich_text_from_str};

/// A select, multi-select or status option (`{"id","name","color"}`).
///
/// In writes, name *or* id is enough; unset fields are not sent.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize, Serialize)]
#[non_exhaustive]
pub struct SelectOption {
    /// Option id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Option name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Option colour.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub color: Option<String>,
    /// Option description (schema only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

impl SelectOption {
    /// An option referred to by name.
    pub fn named(name: impl Into<String>) -> Self {
        Self {
            name: Some(name.into()),
            ..Self::default()
        }
    }

    /// An option referred to by id.
    pub fn with_id(id: impl Into<String>) -> Self {
        Self {
            id: Some(id.into()),
            ..Self::default()
        }
    }
}

/// A date property value: `start` and `end` are ISO 8601 dates (`2026-09-15`) or date-times.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[non_exhaustive]
pub struct DateValue {
    /// Start date or date-time.
    pub start: String,
    /// End date or date-time, for ranges.
    #[serde(default)]
    pub end: Option<String>,
    /// IANA time zone, when the value was written with one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_zone: Option<String>,
}

impl DateValue {
    /// A date-time starting at `start` (sent in UTC).
    pub fn at(start: Timestamp) -> Self {
        Self {
            start: start.to_string(),
            end: None,
            time_zone: None,
        }
    }

    /// A date (or date-time) given as Notion's ISO 8601 string.
    pub fn from_iso(start: impl Into<String>) -> Self {
        Self {
            start: start.into(),
            end: None,
            time_zone: None,
        }
    }

    /// `start` as an instant, when it is a date-time with an offset.
    pub fn start_timestamp(&self) -> Option<Timestamp> {
        self.start.parse().ok()
    }
}

/// A `files` property item: a file hosted by Notion or an external link.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[non_exhaustive]
pub struct FileRef {
    /// The file's name.
    #[serde(default)]
    pub name: String,
    /// `file` (hosted by Notion), `external`, or `file_upload`.
    #[serde(rename = "type", default)]
    pub kind: String,
    /// Hosted file (`{"url","expiry_time"}`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<Value>,
    /// External file (`{"url"}`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external: Option<Value>,
}

impl FileRef {
    /// The file's URL (hosted URLs expire after an hour).
    pub fn url(&self) -> Option<&str> {
        self.file
            .as_ref()
            .or(self.external.as_ref())
            .and_then(|f| f.get("url"))
            .and_then(Value::as_str)
    }
}

/// A related page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
pub struct RelationRef {
    /// The related page's id.
    pub id: NotionId,
}

/// A `unique_id` value (`PREFIX-42`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[non_exhaustive]
pub struct UniqueId {
    /// The prefix configured on the property, if any.
    #[serde(default)]
    pub prefix: Option<String>,
    /// The number.
    #[serde(default)]
    pub number: Option<i64>,
}

/// A `verification` value (wiki pages).
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[non_exhaustive]
pub struct Verification {
    /// `verified`, `unverified` or `expired`.
    #[serde(default)]
    pub state: String,
    /// Who verified the page.
    #[serde(default)]
    pub verified_by: Option<User>,
    /// The verification's validity window.
    #[serde(default)]
    pub date: Option<DateValue>,
}

/// A formula result.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Formula {
    /// A string result.
    String(Option<String>),
    /// A number result.
    Number(Option<f64>),
    /// A boolean result.
    Boolean(Option<bool>),
    /// A date result.
    Date(Option<DateValue>),
    /// A result type this client does not know yet, as raw JSON.
    Unknown(Value),
}

impl<'de> Deserialize<'de> for Formula {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = Value::deserialize(deserializer)?;
        let kind = raw.get("type").and_then(Value::as_str).unwrap_or_default();
        let inner = raw.get(kind).cloned().unwrap_or(Value::Null);
        let convert = |v: Value| -> Result<Self, serde_json::Error> {
            Ok(match kind {
                "string" => Self::String(serde_json::from_value(v)?),
                "number" => Self::Number(serde_json::from_value(v)?),
                "boolean" => Self::Boolean(serde_json::from_value(v)?),
                "date" => Self::Date(serde_json::from_value(v)?),
                _ => return Ok(Self::Unknown(raw.clone())),
            })
        };
        convert(inner).map_err(D::Error::custom)
    }
}

impl Serialize for Formula {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        if let Self::Unknown(raw) = self {
            return raw.serialize(serializer);
        }
        let mut map = serializer.serialize_map(Some(2))?;
        match self {
            Self::String(v) => {
                map.serialize_entry("type", "string")?;
                map.serialize_entry("string", v)?;
            }
            Self::Number(v) => {
                map.serialize_entry("type", "number")?;
                map.serialize_entry("number", v)?;
            }
            Self::Boolean(v) => {
                map.serialize_entry("type", "boolean")?;
                map.serialize_entry("boolean", v)?;
            }
            Self::Date(v) => {
                map.serialize_entry("type", "date")?;
                map.serialize_entry("date", v)?;
            }
            Self::Unknown(_) => {}
        }
        map.end()
    }
}

/// A rollup result.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Rollup {
    /// A numeric aggregate.
    Number(Option<f64>),
    /// A date aggregate.
    Date(Option<DateValue>),
    /// The rolled-up values themselves.
    Array(Vec<PropertyValue>),
    /// `incomplete`, `unsupported` or a type this client does not know, as raw JSON.
    Other(Value),
}

impl<'de> Deserialize<'de> for Rollup {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = Value::deserialize(deserializer)?;
        let kind = raw.get("type").and_then(Value::as_str).unwrap_or_default();
        let inner = raw.get(kind).cloned().unwrap_or(Value::Null);
        let result: Result<Self, serde_json::Error> = match kind {
            "number" => serde_json::from_value(inner).map(Self::Number),
            "date" => serde_json::from_value(inner).map(Self::Date),
            "array" => serde_json::from_value(inner).map(Self::Array),
            _ => Ok(Self::Other(raw.clone())),
        };
        result.map_err(D::Error::custom)
    }
}

impl Serialize for Rollup {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        if let Self::Other(raw) = self {
            return raw.serialize(serializer);
        }
        let mut map = serializer.serialize_map(Some(2))?;
        match self {
            Self::Number(v) => {
                map.serialize_entry("type", "number")?;
                map.serialize_entry("number", v)?;
            }
            Self::Date(v) => {
                map.serialize_entry("type", "date")?;
                map.serialize_entry("date", v)?;
            }
            Self::Array(v) => {
                map.serialize_entry("type", "array")?;
                map.serialize_entry("array", v)?;
            }
            Self::Other(_) => {}
        }
        map.end()
    }
}

/// The value of one page property.
///
/// Decodes from Notion's read shape (`{"id","type","<type>": …}`); an unknown `type` becomes
/// [`PropertyValue::Unknown`] holding the raw JSON, never a decode failure. Serialises to the
/// write shape (`{"<type>": …}`) used in create/update page requests.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum PropertyValue {
    /// The page title.
    Title(Vec<RichText>),
    /// Rich text.
    RichText(Vec<RichText>),
    /// A number (`None` when empty).
    Number(Option<f64>),
    /// A single select.
    Select(Option<SelectOption>),
    /// A multi-select.
    MultiSelect(Vec<SelectOption>),
    /// A status.
    Status(Option<SelectOption>),
    /// A date or date range.
    Date(Option<DateValue>),
    /// People (only the first 25 may be returned in page responses: see [`PageProperty::is_truncated`]).
    People(Vec<User>),
    /// Files and media.
    Files(Vec<FileRef>),
    /// A checkbox.
    Checkbox(bool),
    /// A URL.
    Url(Option<String>),
    /// An email address.
    Email(Option<String>),
    /// A phone number.
    PhoneNumber(Option<String>),
    /// A formula result (read-only).
    Formula(Formula),
    /// Related pages (up to 25 in page responses: see [`PageProperty::is_truncated`]).
    Relation(Vec<RelationRef>),
    /// A rollup result (read-only).
    Rollup(Rollup),
    /// Creation time (read-only).
    CreatedTime(Timestamp),
    /// Creator (read-only).
    CreatedBy(User),
    /// Last edit time (read-only; Notion rounds it to the minute).
    LastEditedTime(Timestamp),
    /// Last editor (read-only).
    LastEditedBy(User),
    /// An auto-incremented id (read-only).
    UniqueId(UniqueId),
    /// Wiki verification state.
    Verification(Option<Verification>),
    /// A button (has no value).
    Button,
    /// A place (location), kept as raw JSON.
    Place(Option<Value>),
    /// A property type this client does not know yet, kept as raw JSON.
    Unknown {
        /// The `type` Notion gave.
        type_name: String,
        /// The value under that type's key.
        raw: Value,
    },
}

impl PropertyValue {
    /// Notion's name for this value's type, e.g. `status`.
    pub fn type_name(&self) -> &str {
        match self {
            Self::Title(_) => "title",
            Self::RichText(_) => "rich_text",
            Self::Number(_) => "number",
            Self::Select(_) => "select",
            Self::MultiSelect(_) => "multi_select",
            Self::Status(_) => "status",
            Self::Date(_) => "date",
            Self::People(_) => "people",
            Self::Files(_) => "files",
            Self::Checkbox(_) => "checkbox",
            Self::Url(_) => "url",
            Self::Email(_) => "email",
            Self::PhoneNumber(_) => "phone_number",
            Self::Formula(_) => "formula",
            Self::Relation(_) => "relation",
            Self::Rollup(_) => "rollup",
            Self::CreatedTime(_) => "created_time",
            Self::CreatedBy(_) => "created_by",
            Self::LastEditedTime(_) => "last_edited_time",
            Self::LastEditedBy(_) => "last_edited_by",
            Self::UniqueId(_) => "unique_id",
            Self::Verification(_) => "verification",
            Self::Button => "button",
            Self::Place(_) => "place",
            Self::Unknown { type_name, .. } => type_name,
        }
    }

    // ----- builders for writes -----

    /// A title from a string of any length (split into ≤ 2000-character items).
    pub fn title(text: &str) -> Result<Self, TextTooLong> {
        rich_text_from_str(text).map(Self::Title)
    }

    /// Rich text from a string of any length (split into ≤ 2000-character items).
    pub fn rich_text(text: &str) -> Result<Self, TextTooLong> {
        rich_text_from_str(text).map(Self::RichText)
    }

    /// A status by option name. The option must already exist: page writes cannot create
    /// status options, and an unknown name fails the whole update.
    pub fn status_name(name: impl Into<String>) -> Self {
        Self::Status(Some(SelectOption::named(name)))
    }

    /// A status by option id.
    pub fn status_id(id: impl Into<String>) -> Self {
        Self::Status(Some(SelectOption::with_id(id)))
    }

    /// A select by option name (a new name creates the option if the integration may edit the schema).
    pub fn select_name(name: impl Into<String>) -> Self {
        Self::Select(Some(SelectOption::named(name)))
    }

    /// A multi-select by option names.
    pub fn multi_select_names<I, S>(names: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Self::MultiSelect(names.into_iter().map(SelectOption::named).collect())
    }

    /// A URL; `None` clears it.
    pub fn url(url: Option<impl Into<String>>) -> Self {
        Self::Url(url.map(Into::into))
    }

    /// An email; `None` clears it.
    pub fn email(email: Option<impl Into<String>>) -> Self {
        Self::Email(email.map(Into::into))
    }

    /// A phone number; `None` clears it.
    pub fn phone_number(phone: Option<impl Into<String>>) -> Self {
        Self::PhoneNumber(phone.map(Into::into))
    }

    /// A number; `None` clears it.
    pub fn number(n: Option<f64>) -> Self {
        Self::Number(n)
    }

    /// A checkbox.
    pub fn checkbox(checked: bool) -> Self {
        Self::Checkbox(checked)
    }

    /// A date; `None` clears it.
    pub fn date(date: Option<DateValue>) -> Self {
        Self::Date(date)
    }

    /// Relations to these pages (replaces the whole relation).
    pub fn relation(ids: impl IntoIterator<Item = NotionId>) -> Self {
        Self::Relation(ids.into_iter().map(|id| RelationRef { id }).collect())
    }

    // ----- accessors for reads -----

    /// The joined plain text of a title or rich-text value (every segment, not just the first).
    pub fn as_plain_text(&self) -> Option<String> {
        match self {
            Self::Title(rt) | Self::RichText(rt) => Some(plain_text(rt)),
            _ => None,
        }
    }

    /// The option name of a status value (`None` for other types or an empty status).
    pub fn as_status_name(&self) -> Option<&str> {
        match self {
            Self::Status(Some(opt)) => opt.name.as_deref(),
            _ => None,
        }
    }

    /// The option name of a select value.
    pub fn as_select_name(&self) -> Option<&str> {
        match self {
            Self::Select(Some(opt)) => opt.name.as_deref(),
            _ => None,
        }
    }

    /// The URL of a URL value (`None` for other types or an empty URL).
    pub fn as_url(&self) -> Option<&str> {
        match self {
            Self::Url(url) => url.as_deref(),
            _ => None,
        }
    }

    /// A checkbox value.
    pub fn as_checkbox(&self) -> Option<bool> {
        match self {
            Self::Checkbox(b) => Some(*b),
            _ => None,
        }
    }

    /// A number value.
    pub fn as_number(&self) -> Option<f64> {
        match self {
            Self::Number(n) => *n,
            _ => None,
        }
    }

    /// A date value.
    pub fn as_date(&self) -> Option<&DateValue> {
        match self {
            Self::Date(d) => d.as_ref(),
            _ => None,
        }
    }

    /// The page ids of a relation value.
    pub fn as_relation_ids(&self) -> Option<Vec<NotionId>> {
        match self {
            Self::Relation(refs) => Some(refs.iter().map(|r| r.id).collect()),
            _ => None,
        }
    }
}

/// One property of a page as returned by Notion: its id, its value and whether Notion cut the
/// value short (relations and people over 25 items).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct PageProperty {
    /// The property id (URL-encoded as Notion returns it; pass it back as-is).
    pub id: String,
    /// The value.
    pub value: PropertyValue,
    /// `has_more` of relation/people values: Notion returned only the first 25 items. Fetch the
    /// whole value with `NotionClient::retrieve_page_property_item`.
    pub has_more: bool,
}

impl PageProperty {
    /// True when Notion cut this value short (see [`PageProperty::has_more`]).
    pub fn is_truncated(&self) -> bool {
        self.has_more
    }
}

impl std::ops::Deref for PageProperty {
    type Target = PropertyValue;
    fn deref(&self) -> &PropertyValue {
        &self.value
    }
}

struct ValueSeed<'a>(&'a str);

impl<'de> DeserializeSeed<'de> for ValueSeed<'_> {
    type Value = PropertyValue;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<PropertyValue, D::Error> {
        decode_typed(self.0, d)
    }
}

fn decode_typed<'de, D: Deserializer<'de>>(ty: &str, d: D) -> Result<PropertyValue, D::Error> {
    use PropertyValue as P;
    Ok(match ty {
        "title" => P::Title(Deserialize::deserialize(d)?),
        "rich_text" => P::RichText(Deserialize::deserialize(d)?),
        "number" => P::Number(Deserialize::deserialize(d)?),
        "select" => P::Select(Deserialize::deserialize(d)?),
        "multi_select" => P::MultiSelect(Deserialize::deserialize(d)?),
        "status" => P::Status(Deserialize::deserialize(d)?),
        "date" => P::Date(Deserialize::deserialize(d)?),
        "people" => P::People(Deserialize::deserialize(d)?),
        "files" => P::Files(Deserialize::deserialize(d)?),
        "checkbox" => P::Checkbox(Deserialize::deserialize(d)?),
        "url" => P::Url(Deserialize::deserialize(d)?),
        "email" => P::Email(Deserialize::deserialize(d)?),
        "phone_number" => P::PhoneNumber(Deserialize::deserialize(d)?),
        "formula" => P::Formula(Deserialize::deserialize(d)?),
        "relation" => P::Relation(Deserialize::deserialize(d)?),
        "rollup" => P::Rollup(Deserialize::deserialize(d)?),
        "created_time" => P::CreatedTime(Deserialize::deserialize(d)?),
        "created_by" => P::CreatedBy(Deserialize::deserialize(d)?),
        "last_edited_time" => P::LastEditedTime(Deserialize::deserialize(d)?),
        "last_edited_by" => P::LastEditedBy(Deserialize::deserialize(d)?),
        "unique_id" => P::UniqueId(Deserialize::deserialize(d)?),
        "verification" => P::Verification(Deserialize::deserialize(d)?),
        "button" => {
            IgnoredAny::deserialize(d)?;
            P::Button
        }
        "place" => P::Place(Deserialize::deserialize(d)?),
        other => P::Unknown {
            type_name: other.to_owned(),
            raw: Value::deserialize(d)?,
        },
    })
}

/// Reads `{"id"?, "type", "<type>": …, "has_more"?}` in any key order.
fn visit_property<'de, A: MapAccess<'de>>(
    mut map: A,
) -> Result<(Option<String>, PropertyValue, bool), A::Error> {
    let mut id = None;
    let mut ty: Option<String> = None;
    let mut value = None;
    let mut has_more = false;
    let mut pending: Vec<(String, Value)> = Vec::new();
    while let Some(key) = map.next_key::<String>()? {
        match key.as_str() {
            "id" => id = Some(map.next_value::<String>()?),
            "type" => ty = Some(map.next_value::<String>()?),
            "has_more" => has_more = map.next_value::<Option<bool>>()?.unwrap_or(false),
            "object" | "next_url" => {
                map.next_value::<IgnoredAny>()?;
            }
            k if ty.as_deref() == Some(k) => {
                value = Some(map.next_value_seed(ValueSeed(k))?);
            }
            _ => pending.push((key, map.next_value::<Value>()?)),
        }
    }
    let ty = ty.ok_or_else(|| A::Error::missing_field("type"))?;
    let value = match value {
        Some(v) => v,
        None => {
            let raw = pending
                .into_iter()
                .find(|(k, _)| *k == ty)
                .map(|(_, v)| v)
                .ok_or_else(|| {
                    A::Error::custom(format!("property of type `{ty}` lacks its `{ty}` value"))
                })?;
            decode_typed(&ty, raw).map_err(A::Error::custom)?
        }
    };
    Ok((id, value, has_more))
}

impl<'de> Deserialize<'de> for PageProperty {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = PageProperty;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a page property value object")
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<PageProperty, A::Error> {
                let (id, value, has_more) = visit_property(map)?;
                Ok(PageProperty {
                    id: id.unwrap_or_default(),
                    value,
                    has_more,
                })
            }
        }
        deserializer.deserialize_map(Visitor)
    }
}

impl<'de> Deserialize<'de> for PropertyValue {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = PropertyValue;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a property value object with a `type`")
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<PropertyValue, A::Error> {
                Ok(visit_property(map)?.1)
            }
        }
        deserializer.deserialize_map(Visitor)
    }
}

/// `[{"id": …}]`, the write shape of people.
struct UserRefs<'a>(&'a [User]);

impl Serialize for UserRefs<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut seq = serializer.serialize_seq(Some(self.0.len()))?;
        for user in self.0 {
            seq.serialize_element(&serde_json::json!({"object": "user", "id": user.id}))?;
        }
        seq.end()
    }
}

impl Serialize for PropertyValue {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(1))?;
        let key = self.type_name();
        match self {
            Self::Title(v) | Self::RichText(v) => map.serialize_entry(key, v)?,
            Self::Number(v) => map.serialize_entry(key, v)?,
            Self::Select(v) | Self::Status(v) => map.serialize_entry(key, v)?,
            Self::MultiSelect(v) => map.serialize_entry(key, v)?,
            Self::Date(v) => map.serialize_entry(key, v)?,
            Self::People(v) => map.serialize_entry(key, &UserRefs(v))?,
            Self::Files(v) => map.serialize_entry(key, v)?,
            Self::Checkbox(v) => map.serialize_entry(key, v)?,
            Self::Url(v) | Self::Email(v) | Self::PhoneNumber(v) => map.serialize_entry(key, v)?,
            Self::Formula(v) => map.serialize_entry(key, v)?,
            Self::Relation(v) => map.serialize_entry(key, v)?,
            Self::Rollup(v) => map.serialize_entry(key, v)?,
            Self::CreatedTime(v) | Self::LastEditedTime(v) => map.serialize_entry(key, v)?,
            Self::CreatedBy(v) | Self::LastEditedBy(v) => {
                map.serialize_entry(key, &serde_json::json!({"object": "user", "id": v.id}))?
            }
            Self::UniqueId(v) => map.serialize_entry(key, v)?,
            Self::Verification(v) => map.serialize_entry(key, v)?,
            Self::Button => map.serialize_entry(key, &serde_json::json!({}))?,
            Self::Place(v) => map.serialize_entry(key, v)?,
            Self::Unknown { raw, .. } => map.serialize_entry(key, raw)?,
        }
        map.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn prop(v: Value) -> PageProperty {
        serde_path_to_error::deserialize(v).unwrap()
    }

    #[test]
    fn decodes_every_known_type() {
        let user = json!({"object":"user","id":"7775f3a3-893f-43fa-b625-460c61094c78"});
        let rt = json!([{"type":"text","text":{"content":"Hi","link":null},"plain_text":"Hi","href":null}]);
        let cases = vec![
            (json!({"id":"title","type":"title","title":rt}), "title"),
            (
                json!({"id":"a","type":"rich_text","rich_text":rt}),
                "rich_text",
            ),
            (json!({"id":"b","type":"number","number":4.5}), "number"),
            (
                json!({"id":"c","type":"select","select":{"id":"x","name":"A","color":"red"}}),
                "select",
            ),
            (
                json!({"id":"d","type":"multi_select","multi_select":[{"id":"x","name":"A","color":"red"}]}),
                "multi_select",
            ),
            (
                json!({"id":"e","type":"status","status":{"id":"s","name":"In Voting","color":"blue"}}),
                "status",
            ),
            (
                json!({"id":"f","type":"date","date":{"start":"2026-09-15","end":null,"time_zone":null}}),
                "date",
            ),
            (
                json!({"id":"g","type":"people","people":[user.clone()]}),
                "people",
            ),
            (
                json!({"id":"h","type":"files","files":[{"name":"a.pdf","type":"external","external":{"url":"https://x"}}]}),
                "files",
            ),
            (
                json!({"id":"i","type":"checkbox","checkbox":true}),
                "checkbox",
            ),
            (json!({"id":"j","type":"url","url":null}), "url"),
            (json!({"id":"k","type":"email","email":"a@b.c"}), "email"),
            (
                json!({"id":"l","type":"phone_number","phone_number":"+1"}),
                "phone_number",
            ),
            (
                json!({"id":"m","type":"formula","formula":{"type":"number","number":3}}),
                "formula",
            ),
            (
                json!({"id":"n","type":"relation","relation":[{"id":"393abc1e-edcd-81f5-ae94-ec2d55fe98ed"}],"has_more":true}),
                "relation",
            ),
            (
                json!({"id":"o","type":"rollup","rollup":{"type":"array","array":[{"type":"title","title":rt}],"function":"show_original"}}),
                "rollup",
            ),
            (
                json!({"id":"p","type":"created_time","created_time":"2026-07-04T09:08:00.000Z"}),
                "created_time",
            ),
            (
                json!({"id":"q","type":"created_by","created_by":user.clone()}),
                "created_by",
            ),
            (
                json!({"id":"r","type":"last_edited_time","last_edited_time":"2026-07-04T09:08:00.000Z"}),
                "last_edited_time",
            ),
            (
                json!({"id":"s","type":"last_edited_by","last_edited_by":user}),
                "last_edited_by",
            ),
            (
                json!({"id":"t","type":"unique_id","unique_id":{"prefix":"EL","number":42}}),
                "unique_id",
            ),
            (
                json!({"id":"u","type":"verification","verification":{"state":"unverified","verified_by":null,"date":null}}),
                "verification",
            ),
            (json!({"id":"v","type":"button","button":{}}), "button"),
            (
                json!({"id":"w","type":"place","place":{"lat":1.0,"lon":2.0}}),
                "place",
            ),
        ];
        for (json, ty) in cases {
            let p = prop(json);
            assert_eq!(p.type_name(), ty);
        }
    }

    #[test]
    fn unknown_types_and_any_key_order_are_kept() {
        let p = prop(json!({"future":{"x":1},"type":"future","id":"z"}));
        assert_eq!(
            p.value,
            PropertyValue::Unknown {
                type_name: "future".into(),
                raw: json!({"x":1})
            }
        );
        let p = prop(json!({"status":{"name":"Done"},"id":"s","type":"status"}));
        assert_eq!(p.as_status_name(), Some("Done"));
    }

    #[test]
    fn relation_truncation_is_visible() {
        let p = prop(json!({"id":"n","type":"relation","relation":[],"has_more":true}));
        assert!(p.is_truncated());
    }

    #[test]
    fn known_type_with_wrong_shape_names_the_path() {
        let v = json!({"props": {"Status": {"id":"s","type":"status","status": 7}}});
        #[derive(Debug, Deserialize)]
        struct Wrapper {
            #[allow(dead_code)]
            props: std::collections::BTreeMap<String, PageProperty>,
        }
        let err = serde_path_to_error::deserialize::<_, Wrapper>(v).unwrap_err();
        assert!(
            err.path().to_string().starts_with("props.Status"),
            "{}",
            err.path()
        );
    }

    #[test]
    fn write_shapes() {
        assert_eq!(
            serde_json::to_value(PropertyValue::status_name("In Voting")).unwrap(),
            json!({"status":{"name":"In Voting"}})
        );
        assert_eq!(
            serde_json::to_value(PropertyValue::url(Some("https://e.org/r"))).unwrap(),
            json!({"url":"https://e.org/r"})
        );
        assert_eq!(
            serde_json::to_value(PropertyValue::url(None::<String>)).unwrap(),
            json!({"url":null})
        );
        assert_eq!(
            serde_json::to_value(PropertyValue::title("Mayor").unwrap()).unwrap(),
            json!({"title":[{"type":"text","text":{"content":"Mayor","link":null}}]})
        );
        assert_eq!(
            serde_json::to_value(PropertyValue::rich_text("").unwrap()).unwrap(),
            json!({"rich_text":[]})
        );
        assert_eq!(
            serde_json::to_value(PropertyValue::checkbox(true)).unwrap(),
            json!({"checkbox":true})
        );
    }
}
