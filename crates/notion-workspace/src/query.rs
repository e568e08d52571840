//! Query filters and sorts over a data source's pages; [`run`] answers a query body.

use std::cmp::Ordering;

use jiff::Timestamp;
use jiff::civil::Date;
use serde_json::{Map, Value, json};
use uuid::Uuid;

use crate::error::{ApiError, ApiResult};
use crate::model::{DataSource, Page, PropSchema, State, plain_text};
use crate::version::ApiVersion;

/// A date or an instant from a filter or a property value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum When {
    Day(Date),
    Instant(Timestamp),
}

impl When {
    fn instant(self) -> Timestamp {
        match self {
            Self::Instant(t) => t,
            Self::Day(d) => d
                .to_zoned(jiff::tz::TimeZone::UTC)
                .map(|z| z.timestamp())
                .unwrap_or(Timestamp::UNIX_EPOCH),
        }
    }

    fn day(self) -> Date {
        match self {
            Self::Day(d) => d,
            Self::Instant(t) => t.to_zoned(jiff::tz::TimeZone::UTC).date(),
        }
    }
}

/// Parses `2026-09-15`, `2026-09-15T09:00:00Z`, `2026-09-15T09:00:00-07:00` or a datetime without
/// offset (taken as UTC, as Notion does).
pub(crate) fn parse_date(raw: &str) -> Option<When> {
    if let Ok(t) = raw.parse::<Timestamp>() {
        return Some(When::Instant(t));
    }
    if raw.len() == 10 {
        return raw.parse::<Date>().ok().map(When::Day);
    }
    raw.parse::<jiff::civil::DateTime>()
        .ok()
        .and_then(|dt| dt.to_zoned(jiff::tz::TimeZone::UTC).ok())
        .map(|z| When::Instant(z.timestamp()))
}

#[derive(Debug, Clone)]
pub(crate) enum TextOp {
    Equals(String),
    DoesNotEqual(String),
    Contains(String),
    DoesNotContain(String),
    StartsWith(String),
    EndsWith(String),
    IsEmpty(bool),
}

#[derive(Debug, Clone)]
pub(crate) enum DateOp {
    Equals(When),
    Before(When),
    After(When),
    OnOrBefore(When),
    OnOrAfter(When),
    IsEmpty(bool),
}

#[derive(Debug, Clone)]
pub(crate) enum NumberOp {
    Equals(f64),
    DoesNotEqual(f64),
    Greater(f64),
    Less(f64),
    GreaterOrEqual(f64),
    LessOrEqual(f64),
    IsEmpty(bool),
}

#[derive(Debug, Clone)]
pub(crate) enum Cond {
    Text(TextOp),
    /// select / status: by option name.
    Option {
        /// The option names that pass (a status group name stands for its options before 2026-12-01).
        equals: Option<Vec<String>>,
        negate: bool,
        empty: Option<bool>,
    },
    MultiSelect {
        contains: Option<String>,
        negate: bool,
        empty: Option<bool>,
    },
    Checkbox {
        equals: bool,
    },
    Number(NumberOp),
    Date(DateOp),
    /// formula: a condition on the stored result, by the result type the filter names.
    Formula(Leaf),
    /// rollup: on a number or date result, or on the items of an array result.
    Rollup(RollupCond),
    /// people/relation/files: contains id or emptiness.
    List {
        contains: Option<String>,
        negate: bool,
        empty: Option<bool>,
    },
}

/// A condition on one typed value (a formula result, a rollup result or one item of a rollup).
#[derive(Debug, Clone)]
pub(crate) enum Leaf {
    Text(TextOp),
    Number(NumberOp),
    Checkbox(bool),
    Date(DateOp),
}

/// A rollup filter: `number`/`date` on the rolled-up result, `any`/`every`/`none` on its items.
#[derive(Debug, Clone)]
pub(crate) enum RollupCond {
    Number(NumberOp),
    Date(DateOp),
    Items(Quantifier, Leaf),
}

/// How many items of an array rollup must pass.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Quantifier {
    Any,
    Every,
    None,
}

/// A parsed, validated filter.
#[derive(Debug, Clone)]
pub(crate) enum Filter {
    And(Vec<Self>),
    Or(Vec<Self>),
    Prop {
        id: String,
        kind: String,
        cond: Cond,
    },
    Created(DateOp),
    LastEdited(DateOp),
}

fn str_arg(v: &Value, path: &str) -> ApiResult<String> {
    v.as_str()
        .map(str::to_owned)
        .ok_or_else(|| ApiError::body_validation(path, "a string", v))
}

fn date_arg(v: &Value, path: &str) -> ApiResult<When> {
    v.as_str()
        .and_then(parse_date)
        .ok_or_else(|| ApiError::body_validation(path, "a valid ISO 8601 date string", v))
}

fn single_op<'a>(cond: &'a Value, path: &str) -> ApiResult<(&'a str, &'a Value)> {
    let obj = cond
        .as_object()
        .ok_or_else(|| ApiError::body_validation(path, "an object", cond))?;
    let mut it = obj.iter();
    match (it.next(), it.next()) {
        (Some((k, v)), None) => Ok((k.as_str(), v)),
        _ => Err(ApiError::validation(format!(
            "body failed validation: {path} should have exactly one condition, instead was `{}`.",
            serde_json::to_string(cond).unwrap_or_default()
        ))),
    }
}

fn unknown_op(path: &str, op: &str) -> ApiError {
    ApiError::validation(format!(
        "body failed validation: {path}.{op} is not a supported filter condition."
    ))
}

fn parse_text(cond: &Value, path: &str) -> ApiResult<TextOp> {
    let (op, v) = single_op(cond, path)?;
    let p = format!("{path}.{op}");
    Ok(match op {
        "equals" => TextOp::Equals(str_arg(v, &p)?),
        "does_not_equal" => TextOp::DoesNotEqual(str_arg(v, &p)?),
        "contains" => TextOp::Contains(str_arg(v, &p)?),
        "does_not_contain" => TextOp::DoesNotContain(str_arg(v, &p)?),
        "starts_with" => TextOp::StartsWith(str_arg(v, &p)?),
        "ends_with" => TextOp::EndsWith(str_arg(v, &p)?),
        "is_empty" => TextOp::IsEmpty(true),
        "is_not_empty" => TextOp::IsEmpty(false),
        other => return Err(unknown_op(path, other)),
    })
}

fn parse_date_op(cond: &Value, path: &str) -> ApiResult<DateOp> {
    let (op, v) = single_op(cond, path)?;
    let p = format!("{path}.{op}");
    Ok(match op {
        "equals" => DateOp::Equals(date_arg(v, &p)?),
        "before" => DateOp::Before(date_arg(v, &p)?),
        "after" => DateOp::After(date_arg(v, &p)?),
        "on_or_before" => DateOp::OnOrBefore(date_arg(v, &p)?),
        "on_or_after" => DateOp::OnOrAfter(date_arg(v, &p)?),
        "is_empty" => DateOp::IsEmpty(true),
        "is_not_empty" => DateOp::IsEmpty(false),
        other => return Err(unknown_op(path, other)),
    })
}

fn parse_number(cond: &Value, path: &str) -> ApiResult<NumberOp> {
    let (op, v) = single_op(cond, path)?;
    let num = || {
        v.as_f64()
            .ok_or_else(|| ApiError::body_validation(&format!("{path}.{op}"), "a number", v))
    };
    Ok(match op {
        "equals" => NumberOp::Equals(num()?),
        "does_not_equal" => NumberOp::DoesNotEqual(num()?),
        "greater_than" => NumberOp::Greater(num()?),
        "less_than" => NumberOp::Less(num()?),
        "greater_than_or_equal_to" => NumberOp::GreaterOrEqual(num()?),
        "less_than_or_equal_to" => NumberOp::LessOrEqual(num()?),
        "is_empty" => NumberOp::IsEmpty(true),
        "is_not_empty" => NumberOp::IsEmpty(false),
        other => return Err(unknown_op(path, other)),
    })
}

/// Filter keys that are not a property type.
const FILTER_META: &[&str] = &["property", "type"];

/// Parses and validates a filter against the schema.
pub(crate) fn parse_filter(
    ds: &DataSource,
    f: &Value,
    path: &str,
    depth: usize,
    v: ApiVersion,
) -> ApiResult<Filter> {
    let Some(obj) = f.as_object() else {
        return Err(ApiError::body_validation(path, "an object", f));
    };
    if depth > 2 {
        return Err(ApiError::validation(format!(
            "body failed validation: {path} nests compound filters more than two levels deep."
        )));
    }
    if let Some(compound) = parse_compound(ds, obj, path, depth, v)? {
        return Ok(compound);
    }
    if let Some(ts) = obj.get("timestamp") {
        return parse_timestamp_filter(obj, ts, path);
    }
    let Some(prop_key) = obj.get("property").and_then(Value::as_str) else {
        return Err(ApiError::validation(format!(
            "body failed validation: {path}.property should be defined, instead was `undefined`."
        )));
    };
    let prop: &PropSchema = ds.prop(prop_key).ok_or_else(|| {
        ApiError::validation(format!(
            "Could not find property with name or id: {prop_key}"
        ))
    })?;
    let Some((filter_kind, cond)) = obj.iter().find(|(k, _)| !FILTER_META.contains(&k.as_str()))
    else {
        return Err(ApiError::validation(format!(
            "body failed validation: {path} should define a condition for property {prop_key}."
        )));
    };
    let compatible = filter_kind == &prop.kind
        || (matches!(filter_kind.as_str(), "rich_text" | "title")
            && matches!(prop.kind.as_str(), "rich_text" | "title"));
    if !compatible {
        return Err(ApiError::validation(format!(
            "data_source property {} does not match filter {filter_kind}",
            prop.kind
        )));
    }
    let cond = parse_condition(prop, cond, &format!("{path}.{filter_kind}"), v)?;
    Ok(Filter::Prop {
        id: prop.id.clone(),
        kind: prop.kind.clone(),
        cond,
    })
}

/// An `and` / `or` filter, its parts parsed one level deeper; `None` when `obj` is neither.
fn parse_compound(
    ds: &DataSource,
    obj: &serde_json::Map<String, Value>,
    path: &str,
    depth: usize,
    v: ApiVersion,
) -> ApiResult<Option<Filter>> {
    for compound in ["and", "or"] {
        let Some(list) = obj.get(compound) else {
            continue;
        };
        let Some(list) = list.as_array() else {
            return Err(ApiError::body_validation(
                &format!("{path}.{compound}"),
                "an array",
                list,
            ));
        };
        let parts = list
            .iter()
            .enumerate()
            .map(|(i, sub)| parse_filter(ds, sub, &format!("{path}.{compound}[{i}]"), depth + 1, v))
            .collect::<ApiResult<Vec<_>>>()?;
        return Ok(Some(if compound == "and" {
            Filter::And(parts)
        } else {
            Filter::Or(parts)
        }));
    }
    Ok(None)
}

/// A `timestamp` filter on the page's `created_time` or `last_edited_time`.
fn parse_timestamp_filter(
    obj: &serde_json::Map<String, Value>,
    ts: &Value,
    path: &str,
) -> ApiResult<Filter> {
    let which = ts.as_str().unwrap_or_default();
    let cond = obj.get(which).ok_or_else(|| {
        ApiError::validation(format!(
            "body failed validation: {path}.{which} should be defined, instead was `undefined`."
        ))
    })?;
    let op = parse_date_op(cond, &format!("{path}.{which}"))?;
    match which {
        "created_time" => Ok(Filter::Created(op)),
        "last_edited_time" => Ok(Filter::LastEdited(op)),
        _ => Err(ApiError::body_validation(
            &format!("{path}.timestamp"),
            "`\"created_time\"` or `\"last_edited_time\"`",
            ts,
        )),
    }
}

/// The condition on one property, by the property's type.
fn parse_condition(prop: &PropSchema, cond: &Value, cpath: &str, v: ApiVersion) -> ApiResult<Cond> {
    Ok(match prop.kind.as_str() {
        "title" | "rich_text" | "url" | "email" | "phone_number" => {
            Cond::Text(parse_text(cond, cpath)?)
        }
        "select" | "status" => {
            let (op, arg) = single_op(cond, cpath)?;
            let (equals, negate, empty) = match op {
                "equals" | "does_not_equal" => {
                    let name = str_arg(arg, &format!("{cpath}.{op}"))?;
                    (
                        Some(option_names(prop, name, v)),
                        op == "does_not_equal",
                        None,
                    )
                }
                "is_empty" => (None, false, Some(true)),
                "is_not_empty" => (None, false, Some(false)),
                other => return Err(unknown_op(cpath, other)),
            };
            Cond::Option {
                equals,
                negate,
                empty,
            }
        }
        "multi_select" => {
            let (contains, negate, empty) = parse_contains(cond, cpath)?;
            Cond::MultiSelect {
                contains,
                negate,
                empty,
            }
        }
        "people" | "relation" | "files" | "created_by" | "last_edited_by" => {
            let (contains, negate, empty) = parse_contains(cond, cpath)?;
            Cond::List {
                contains,
                negate,
                empty,
            }
        }
        "checkbox" => {
            let (op, arg) = single_op(cond, cpath)?;
            let b = arg.as_bool().ok_or_else(|| {
                ApiError::body_validation(&format!("{cpath}.{op}"), "a boolean", arg)
            })?;
            match op {
                "equals" => Cond::Checkbox { equals: b },
                "does_not_equal" => Cond::Checkbox { equals: !b },
                other => return Err(unknown_op(cpath, other)),
            }
        }
        "number" => Cond::Number(parse_number(cond, cpath)?),
        "date" | "created_time" | "last_edited_time" => Cond::Date(parse_date_op(cond, cpath)?),
        "formula" => Cond::Formula(parse_formula(cond, cpath)?),
        "rollup" => Cond::Rollup(parse_rollup(cond, cpath)?),
        other => {
            return Err(ApiError::validation(format!(
                "Filtering on {other} properties is not supported by the emulator."
            )));
        }
    })
}

/// A `contains` / `does_not_contain` / `is_empty` / `is_not_empty` condition on a list value
/// (multi-select, people, relation, files): (the value looked for, negated, emptiness wanted).
fn parse_contains(cond: &Value, cpath: &str) -> ApiResult<(Option<String>, bool, Option<bool>)> {
    let (op, arg) = single_op(cond, cpath)?;
    Ok(match op {
        "contains" => (Some(str_arg(arg, cpath)?), false, None),
        "does_not_contain" => (Some(str_arg(arg, cpath)?), true, None),
        "is_empty" => (None, false, Some(true)),
        "is_not_empty" => (None, false, Some(false)),
        other => return Err(unknown_op(cpath, other)),
    })
}

/// The option names a status/select `equals` stands for: the name itself, or, before 2026-12-01,
/// the options of the status group of that name when no option has it (2026-12-01 upgrade guide:
/// "`equals` stops matching groups").
fn option_names(prop: &PropSchema, name: String, v: ApiVersion) -> Vec<String> {
    let options = prop.config.get("options").and_then(Value::as_array);
    let is_option = options.is_some_and(|o| o.iter().any(|opt| opt["name"] == name.as_str()));
    if prop.kind != "status" || is_option || !v.status_equals_matches_groups() {
        return vec![name];
    }
    let Some(group) = prop
        .config
        .get("groups")
        .and_then(Value::as_array)
        .and_then(|g| g.iter().find(|g| g["name"] == name.as_str()))
    else {
        return vec![name];
    };
    let ids: Vec<&Value> = group["option_ids"]
        .as_array()
        .map(|a| a.iter().collect())
        .unwrap_or_default();
    options
        .map(|o| {
            o.iter()
                .filter(|opt| ids.contains(&&opt["id"]))
                .filter_map(|opt| opt["name"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// The one key of a filter object that must name exactly one of `allowed`.
fn one_of<'a>(cond: &'a Value, path: &str, allowed: &[&str]) -> ApiResult<(&'a str, &'a Value)> {
    let list = allowed
        .iter()
        .map(|k| format!("`{k}`"))
        .collect::<Vec<_>>()
        .join(", ");
    let Some(obj) = cond.as_object() else {
        return Err(ApiError::body_validation(path, "an object", cond));
    };
    let mut keys = obj.iter();
    match (keys.next(), keys.next()) {
        (Some((k, v)), None) if allowed.contains(&k.as_str()) => Ok((k.as_str(), v)),
        (Some((k, _)), None) => Err(ApiError::validation(format!(
            "body failed validation: {path} should define one of {list}, instead was `{k}`."
        ))),
        (None, _) => Err(ApiError::validation(format!(
            "body failed validation: {path} should define one of {list}, instead was `{{}}`."
        ))),
        _ => Err(ApiError::validation(format!(
            "body failed validation: {path} should define only one of {list}."
        ))),
    }
}

fn parse_checkbox(cond: &Value, path: &str) -> ApiResult<bool> {
    let (op, v) = single_op(cond, path)?;
    let b = v
        .as_bool()
        .ok_or_else(|| ApiError::body_validation(&format!("{path}.{op}"), "a boolean", v))?;
    match op {
        "equals" => Ok(b),
        "does_not_equal" => Ok(!b),
        other => Err(unknown_op(path, other)),
    }
}

/// `formula: {string|number|checkbox|date: {...}}`, Notion's formula filter.
fn parse_formula(cond: &Value, path: &str) -> ApiResult<Leaf> {
    let (kind, inner) = one_of(cond, path, &["string", "number", "checkbox", "date"])?;
    let ipath = format!("{path}.{kind}");
    Ok(match kind {
        "string" => Leaf::Text(parse_text(inner, &ipath)?),
        "number" => Leaf::Number(parse_number(inner, &ipath)?),
        "checkbox" => Leaf::Checkbox(parse_checkbox(inner, &ipath)?),
        _ => Leaf::Date(parse_date_op(inner, &ipath)?),
    })
}

/// The property-type conditions an array rollup's `any`/`every`/`none` may hold.
const ROLLUP_ITEM_KINDS: &[&str] = &[
    "rich_text",
    "title",
    "url",
    "email",
    "phone_number",
    "number",
    "checkbox",
    "date",
];

/// `rollup: {any|every|none: {<type>: {...}}}` or `rollup: {number|date: {...}}`.
fn parse_rollup(cond: &Value, path: &str) -> ApiResult<RollupCond> {
    let (kind, inner) = one_of(cond, path, &["any", "every", "none", "number", "date"])?;
    let ipath = format!("{path}.{kind}");
    let quantifier = match kind {
        "number" => return Ok(RollupCond::Number(parse_number(inner, &ipath)?)),
        "date" => return Ok(RollupCond::Date(parse_date_op(inner, &ipath)?)),
        "any" => Quantifier::Any,
        "every" => Quantifier::Every,
        _ => Quantifier::None,
    };
    let (item_kind, item_cond) = one_of(inner, &ipath, ROLLUP_ITEM_KINDS)?;
    let cpath = format!("{ipath}.{item_kind}");
    let leaf = match item_kind {
        "number" => Leaf::Number(parse_number(item_cond, &cpath)?),
        "checkbox" => Leaf::Checkbox(parse_checkbox(item_cond, &cpath)?),
        "date" => Leaf::Date(parse_date_op(item_cond, &cpath)?),
        _ => Leaf::Text(parse_text(item_cond, &cpath)?),
    };
    Ok(RollupCond::Items(quantifier, leaf))
}

fn number_matches(op: &NumberOp, n: Option<f64>) -> bool {
    match (op, n) {
        (NumberOp::IsEmpty(e), n) => n.is_none() == *e,
        (_, None) => false,
        (NumberOp::Equals(x), Some(n)) => n == *x,
        (NumberOp::DoesNotEqual(x), Some(n)) => n != *x,
        (NumberOp::Greater(x), Some(n)) => n > *x,
        (NumberOp::Less(x), Some(n)) => n < *x,
        (NumberOp::GreaterOrEqual(x), Some(n)) => n >= *x,
        (NumberOp::LessOrEqual(x), Some(n)) => n <= *x,
    }
}

fn start_of(v: Option<&Value>) -> Option<When> {
    v.and_then(|d| d.get("start"))
        .and_then(Value::as_str)
        .and_then(parse_date)
}

/// Whether one typed value `{type, <type>: x}` (a formula result or rollup item) passes `leaf`.
/// A value of another type than the condition expects does not pass (except emptiness checks).
fn leaf_matches(leaf: &Leaf, typed: Option<&Value>) -> bool {
    let kind = typed
        .and_then(|t| t.get("type"))
        .and_then(Value::as_str)
        .unwrap_or_default();
    let inner = typed.and_then(|t| t.get(kind)).filter(|v| !v.is_null());
    match leaf {
        Leaf::Text(op) => {
            let text = match (kind, inner) {
                ("title" | "rich_text", Some(v)) => plain_text(v),
                (_, Some(Value::String(s))) => s.clone(),
                _ => String::new(),
            };
            text_matches(op, &text)
        }
        Leaf::Number(op) => number_matches(op, inner.and_then(Value::as_f64)),
        Leaf::Checkbox(want) => inner.and_then(Value::as_bool).unwrap_or(false) == *want,
        Leaf::Date(op) => date_matches(op, start_of(inner)),
    }
}

fn rollup_matches(cond: &RollupCond, stored: Option<&Value>) -> bool {
    match cond {
        RollupCond::Number(op) => number_matches(
            op,
            stored.and_then(|r| r.get("number")).and_then(Value::as_f64),
        ),
        RollupCond::Date(op) => date_matches(op, start_of(stored.and_then(|r| r.get("date")))),
        RollupCond::Items(q, leaf) => {
            let items = stored
                .and_then(|r| r.get("array"))
                .and_then(Value::as_array)
                .map(Vec::as_slice)
                .unwrap_or_default();
            match q {
                Quantifier::Any => items.iter().any(|i| leaf_matches(leaf, Some(i))),
                Quantifier::Every => items.iter().all(|i| leaf_matches(leaf, Some(i))),
                Quantifier::None => !items.iter().any(|i| leaf_matches(leaf, Some(i))),
            }
        }
    }
}

fn text_matches(op: &TextOp, value: &str) -> bool {
    // Case-insensitive checks lower-case both sides; the exact ones need no copy at all.
    let lower = || value.to_lowercase();
    match op {
        TextOp::Equals(s) => value == s,
        TextOp::DoesNotEqual(s) => value != s,
        TextOp::Contains(s) => lower().contains(&s.to_lowercase()),
        TextOp::DoesNotContain(s) => !lower().contains(&s.to_lowercase()),
        TextOp::StartsWith(s) => lower().starts_with(&s.to_lowercase()),
        TextOp::EndsWith(s) => lower().ends_with(&s.to_lowercase()),
        TextOp::IsEmpty(empty) => value.is_empty() == *empty,
    }
}

fn date_matches(op: &DateOp, value: Option<When>) -> bool {
    let Some(value) = value else {
        return matches!(op, DateOp::IsEmpty(true));
    };
    let cmp = |target: &When| -> Ordering {
        match target {
            When::Day(d) => value.day().cmp(d),
            When::Instant(t) => value.instant().cmp(t),
        }
    };
    match op {
        DateOp::Equals(t) => cmp(t) == Ordering::Equal,
        DateOp::Before(t) => cmp(t) == Ordering::Less,
        DateOp::After(t) => cmp(t) == Ordering::Greater,
        DateOp::OnOrBefore(t) => cmp(t) != Ordering::Greater,
        DateOp::OnOrAfter(t) => cmp(t) != Ordering::Less,
        DateOp::IsEmpty(empty) => !*empty,
    }
}

/// The text value of a stored property for text filters and sorts.
fn text_of(kind: &str, v: Option<&Value>) -> String {
    match (kind, v) {
        ("title" | "rich_text", Some(v)) => plain_text(v),
        (_, Some(Value::String(s))) => s.clone(),
        _ => String::new(),
    }
}

fn date_of(page: &Page, kind: &str, v: Option<&Value>) -> Option<When> {
    match kind {
        "created_time" => Some(When::Instant(page.created_time)),
        "last_edited_time" => Some(When::Instant(page.last_edited_time)),
        _ => v
            .and_then(|d| d.get("start"))
            .and_then(Value::as_str)
            .and_then(parse_date),
    }
}

/// Whether the page passes the filter.
pub(crate) fn matches(filter: &Filter, page: &Page) -> bool {
    match filter {
        Filter::And(parts) => parts.iter().all(|f| matches(f, page)),
        Filter::Or(parts) => parts.iter().any(|f| matches(f, page)),
        Filter::Created(op) => date_matches(op, Some(When::Instant(page.created_time))),
        Filter::LastEdited(op) => date_matches(op, Some(When::Instant(page.last_edited_time))),
        Filter::Prop { id, kind, cond } => {
            let v = page.props.get(id);
            match cond {
                Cond::Text(op) => text_matches(op, &text_of(kind, v)),
                Cond::Option {
                    equals,
                    negate,
                    empty,
                } => {
                    let name = v.and_then(|o| o.get("name")).and_then(Value::as_str);
                    match (empty, equals) {
                        (Some(e), _) => name.is_none() == *e,
                        (None, Some(want)) => {
                            name.is_some_and(|n| want.iter().any(|w| w == n)) != *negate
                        }
                        (None, None) => true,
                    }
                }
                Cond::MultiSelect {
                    contains,
                    negate,
                    empty,
                } => {
                    let names: Vec<&str> = v
                        .and_then(Value::as_array)
                        .map(|a| {
                            a.iter()
                                .filter_map(|o| o.get("name").and_then(Value::as_str))
                                .collect()
                        })
                        .unwrap_or_default();
                    match (empty, contains) {
                        (Some(e), _) => names.is_empty() == *e,
                        (None, Some(want)) => names.contains(&want.as_str()) != *negate,
                        (None, None) => true,
                    }
                }
                Cond::List {
                    contains,
                    negate,
                    empty,
                } => {
                    let ids: Vec<&str> = v
                        .and_then(Value::as_array)
                        .map(|a| {
                            a.iter()
                                .filter_map(|o| o.get("id").and_then(Value::as_str))
                                .collect()
                        })
                        .unwrap_or_default();
                    match (empty, contains) {
                        (Some(e), _) => ids.is_empty() == *e,
                        (None, Some(want)) => {
                            let want = crate::util::parse_id(want)
                                .map_or_else(|| want.clone(), crate::util::fmt_id);
                            ids.contains(&want.as_str()) != *negate
                        }
                        (None, None) => true,
                    }
                }
                Cond::Checkbox { equals } => v.and_then(Value::as_bool).unwrap_or(false) == *equals,
                Cond::Number(op) => {
                    let n = v.and_then(Value::as_f64);
                    match (op, n) {
                        (NumberOp::IsEmpty(e), n) => n.is_none() == *e,
                        (_, None) => false,
                        (NumberOp::Equals(x), Some(n)) => n == *x,
                        (NumberOp::DoesNotEqual(x), Some(n)) => n != *x,
                        (NumberOp::Greater(x), Some(n)) => n > *x,
                        (NumberOp::Less(x), Some(n)) => n < *x,
                        (NumberOp::GreaterOrEqual(x), Some(n)) => n >= *x,
                        (NumberOp::LessOrEqual(x), Some(n)) => n <= *x,
                    }
                }
                Cond::Date(op) => date_matches(op, date_of(page, kind, v)),
                Cond::Formula(leaf) => {
                    // Notion's formula results name checkbox values `boolean`.
                    let renamed;
                    let typed = match v {
                        Some(f) if f.get("type").and_then(Value::as_str) == Some("boolean") => {
                            renamed = json!({"type": "checkbox", "checkbox": f.get("boolean")});
                            Some(&renamed)
                        }
                        other => other,
                    };
                    leaf_matches(leaf, typed)
                }
                Cond::Rollup(rc) => rollup_matches(rc, v),
            }
        }
    }
}

/// One sort key.
#[derive(Debug, Clone)]
pub(crate) enum SortKey {
    Prop {
        id: String,
        kind: String,
        options: Vec<String>,
    },
    Created,
    LastEdited,
}

/// Parses `sorts` against the schema.
pub(crate) fn parse_sorts(ds: &DataSource, sorts: &Value) -> ApiResult<Vec<(SortKey, bool)>> {
    let Some(list) = sorts.as_array() else {
        return Err(ApiError::body_validation("body.sorts", "an array", sorts));
    };
    list.iter()
        .enumerate()
        .map(|(i, s)| {
            let path = format!("body.sorts[{i}]");
            let descending = match s.get("direction").and_then(Value::as_str) {
                Some("ascending") | None => false,
                Some("descending") => true,
                Some(other) => {
                    return Err(ApiError::body_validation(
                        &format!("{path}.direction"),
                        "`\"ascending\"` or `\"descending\"`",
                        &Value::String(other.to_owned()),
                    ));
                }
            };
            if let Some(ts) = s.get("timestamp") {
                return match ts.as_str() {
                    Some("created_time") => Ok((SortKey::Created, descending)),
                    Some("last_edited_time") => Ok((SortKey::LastEdited, descending)),
                    _ => Err(ApiError::body_validation(
                        &format!("{path}.timestamp"),
                        "`\"created_time\"` or `\"last_edited_time\"`",
                        ts,
                    )),
                };
            }
            let key = s.get("property").and_then(Value::as_str).ok_or_else(|| {
                ApiError::validation(format!(
                    "body failed validation: {path}.property should be defined, instead was `undefined`."
                ))
            })?;
            let prop = ds
                .prop(key)
                .ok_or_else(|| ApiError::validation(format!("Could not find sort property with name or id: {key}")))?;
            let options = prop
                .options()
                .iter()
                .filter_map(|o| o["name"].as_str().map(str::to_owned))
                .collect();
            Ok((SortKey::Prop { id: prop.id.clone(), kind: prop.kind.clone(), options }, descending))
        })
        .collect()
}

#[derive(Debug, PartialEq, PartialOrd)]
enum SortVal {
    Num(f64),
    Text(String),
    Time(Timestamp),
}

fn sort_value(key: &SortKey, page: &Page) -> Option<SortVal> {
    match key {
        SortKey::Created => Some(SortVal::Time(page.created_time)),
        SortKey::LastEdited => Some(SortVal::Time(page.last_edited_time)),
        SortKey::Prop { id, kind, options } => {
            let v = page.props.get(id);
            match kind.as_str() {
                "number" => v.and_then(Value::as_f64).map(SortVal::Num),
                "checkbox" => Some(SortVal::Num(
                    if v.and_then(Value::as_bool).unwrap_or(false) {
                        1.0
                    } else {
                        0.0
                    },
                )),
                "select" | "status" => {
                    let name = v.and_then(|o| o.get("name")).and_then(Value::as_str)?;
                    options
                        .iter()
                        .position(|o| o == name)
                        .map(|p| SortVal::Num(p as f64))
                }
                "date" | "created_time" | "last_edited_time" => {
                    date_of(page, kind, v).map(|w| SortVal::Time(w.instant()))
                }
                _ => {
                    let t = text_of(kind, v);
                    if t.is_empty() {
                        None
                    } else {
                        Some(SortVal::Text(t.to_lowercase()))
                    }
                }
            }
        }
    }
}

/// A page's sort values, extracted once per query so sorting compares plain values instead of
/// re-reading (and re-lower-casing) page JSON on every comparison.
pub(crate) struct SortRow {
    values: Vec<Option<SortVal>>,
    seq: u64,
    /// The page.
    pub(crate) id: uuid::Uuid,
}

/// Extracts the values `keys` sort `page` by.
pub(crate) fn sort_row(keys: &[(SortKey, bool)], page: &Page) -> SortRow {
    SortRow {
        values: keys.iter().map(|(key, _)| sort_value(key, page)).collect(),
        seq: page.seq,
        id: page.id,
    }
}

/// Compares two rows by the sort keys; empty values go last; creation order breaks ties.
pub(crate) fn compare(keys: &[(SortKey, bool)], a: &SortRow, b: &SortRow) -> Ordering {
    for ((_, descending), (va, vb)) in keys.iter().zip(a.values.iter().zip(&b.values)) {
        let ord = match (va, vb) {
            (None, None) => Ordering::Equal,
            (None, Some(_)) => Ordering::Greater,
            (Some(_), None) => Ordering::Less,
            (Some(x), Some(y)) => {
                let o = x.partial_cmp(y).unwrap_or(Ordering::Equal);
                if *descending { o.reverse() } else { o }
            }
        };
        if ord != Ordering::Equal {
            return ord;
        }
    }
    a.seq.cmp(&b.seq)
}

/// Orders `rows` by `keys` and returns the first `cap` ids. Creation order breaks every tie, so the
/// order is total and an unstable sort gives the same result as a stable one. When the cap cuts the
/// list, only the kept rows are sorted (a selection first, then a sort of the kept part).
pub(crate) fn sorted_ids(keys: &[(SortKey, bool)], pages: &[&Page], cap: usize) -> Vec<uuid::Uuid> {
    let mut rows: Vec<SortRow> = pages.iter().map(|p| sort_row(keys, p)).collect();
    if rows.len() > cap && cap > 0 {
        rows.select_nth_unstable_by(cap - 1, |a, b| compare(keys, a, b));
    }
    rows.truncate(cap);
    rows.sort_unstable_by(|a, b| compare(keys, a, b));
    rows.into_iter().map(|r| r.id).collect()
}

/// The rows a data source query answers, in order: the `filter`, `sorts` and `in_trash` of `body`
/// (a query request body) applied to the data source's pages, cut to the workspace's result cap.
/// Returns the ids and whether the cap cut them. Nothing is paged here: the caller snapshots the
/// ids behind a cursor.
pub fn run(
    state: &State,
    ds_id: Uuid,
    body: &Map<String, Value>,
    v: ApiVersion,
) -> ApiResult<(Vec<Uuid>, bool)> {
    let Some(ds) = state.data_sources.get(&ds_id) else {
        return Ok((Vec::new(), false));
    };
    let filter = body
        .get("filter")
        .filter(|f| !f.is_null())
        .map(|f| parse_filter(ds, f, "body.filter", 0, v))
        .transpose()?;
    let sorts = body
        .get("sorts")
        .filter(|s| !s.is_null())
        .map(|s| parse_sorts(ds, s))
        .transpose()?
        .unwrap_or_default();
    let want_trash = body
        .get("in_trash")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let ds_trashed = ds.in_trash;
    let rows: Vec<&Page> = ds
        .pages
        .iter()
        .filter_map(|id| state.pages.get(id))
        .filter(|p| (p.in_trash || ds_trashed) == want_trash)
        .filter(|p| filter.as_ref().is_none_or(|f| matches(f, p)))
        .collect();
    let cap = state.query_result_cap;
    let capped = rows.len() > cap;
    let ids = if sorts.is_empty() {
        rows.iter().take(cap).map(|p| p.id).collect()
    } else {
        sorted_ids(&sorts, &rows, cap)
    };
    Ok((ids, capped))
}
