//! Schemas: data sources (2025-09-03), databases (container; legacy schema on 2022-06-28).

use std::collections::BTreeMap;

use jiff::Timestamp;
use serde::{Deserialize, Deserializer};
use serde_json::Value;

use crate::id::NotionId;
use crate::objects::Parent;
use crate::property::SelectOption;
use crate::rich_text::{RichText, plain_text};

/// A status option group (`To-do`, `In progress`, `Complete`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct StatusGroup {
    /// Group id.
    #[serde(default)]
    pub id: Option<String>,
    /// Group name.
    pub name: String,
    /// Group colour.
    #[serde(default)]
    pub color: Option<String>,
    /// Ids of the options in this group.
    #[serde(default)]
    pub option_ids: Vec<String>,
}

/// The configuration of one property in a schema.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct PropertySchema {
    /// Property id (URL-encoded as Notion returns it; `title` for the title property).
    pub id: String,
    /// Property name.
    pub name: String,
    /// Property description.
    pub description: Option<String>,
    /// Property type, e.g. `status`, `url`, `title`.
    pub property_type: String,
    /// Options of a select, multi-select or status property.
    pub options: Vec<SelectOption>,
    /// Groups of a status property.
    pub groups: Vec<StatusGroup>,
    /// The type's configuration object as raw JSON (e.g. a relation's target, a number format).
    pub config: Value,
}

impl PropertySchema {
    /// True when an option with this name exists (select, multi-select, status).
    pub fn has_option(&self, name: &str) -> bool {
        self.options
            .iter()
            .any(|opt| opt.name.as_deref() == Some(name))
    }

    /// The names of the options, in order.
    pub fn option_names(&self) -> Vec<&str> {
        self.options
            .iter()
            .filter_map(|opt| opt.name.as_deref())
            .collect()
    }
}

impl<'de> Deserialize<'de> for PropertySchema {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        struct Raw {
            id: String,
            #[serde(default)]
            name: String,
            #[serde(default)]
            description: Option<String>,
            #[serde(rename = "type")]
            property_type: String,
            #[serde(flatten)]
            rest: serde_json::Map<String, Value>,
        }
        #[derive(Deserialize, Default)]
        struct Options {
            #[serde(default)]
            options: Vec<SelectOption>,
            #[serde(default)]
            groups: Vec<StatusGroup>,
        }
        let mut raw = Raw::deserialize(deserializer)?;
        let config = raw.rest.remove(&raw.property_type).unwrap_or(Value::Null);
        let opts = match raw.property_type.as_str() {
            "select" | "multi_select" | "status" => {
                crate::objects::decode_value::<Options, D::Error>(config.clone())?
            }
            _ => Options::default(),
        };
        Ok(Self {
            id: raw.id,
            name: raw.name,
            description: raw.description,
            property_type: raw.property_type,
            options: opts.options,
            groups: opts.groups,
            config,
        })
    }
}

/// A reference to a data source inside a database.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[non_exhaustive]
pub struct DataSourceRef {
    /// The data source id.
    pub id: NotionId,
    /// Its name.
    #[serde(default)]
    pub name: String,
}

/// A data source: the schema and the rows of a table (2025-09-03).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[non_exhaustive]
pub struct DataSource {
    /// The data source id (on 2022-06-28, the database id).
    pub id: NotionId,
    /// Title.
    #[serde(default)]
    pub title: Vec<RichText>,
    /// Description.
    #[serde(default)]
    pub description: Vec<RichText>,
    /// The schema: property name → configuration.
    #[serde(default)]
    pub properties: BTreeMap<String, PropertySchema>,
    /// Its database (`database_id` parent).
    #[serde(default)]
    pub parent: Option<Parent>,
    /// Where its database lives.
    #[serde(default)]
    pub database_parent: Option<Parent>,
    /// Notion URL.
    #[serde(default)]
    pub url: Option<String>,
    /// In the trash.
    #[serde(default)]
    pub in_trash: bool,
    /// Deprecated alias of `in_trash`.
    #[serde(default)]
    pub archived: bool,
    /// Creation time.
    #[serde(default)]
    pub created_time: Option<Timestamp>,
    /// Last edit time.
    #[serde(default)]
    pub last_edited_time: Option<Timestamp>,
}

impl DataSource {
    /// The property with this name (or, failing that, this id).
    pub fn property(&self, name_or_id: &str) -> Option<&PropertySchema> {
        self.properties
            .get(name_or_id)
            .or_else(|| self.properties.values().find(|p| p.id == name_or_id))
    }

    /// The title as plain text.
    pub fn title_text(&self) -> String {
        plain_text(&self.title)
    }

    /// The database this data source belongs to.
    pub fn database_id(&self) -> Option<NotionId> {
        self.parent.as_ref().and_then(Parent::database_id)
    }
}

/// A database: on 2025-09-03 a container of data sources; on 2022-06-28 it also carries the
/// schema (`properties`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[non_exhaustive]
pub struct Database {
    /// The database id.
    pub id: NotionId,
    /// Title.
    #[serde(default)]
    pub title: Vec<RichText>,
    /// Description.
    #[serde(default)]
    pub description: Vec<RichText>,
    /// Where it lives.
    #[serde(default)]
    pub parent: Option<Parent>,
    /// Its data sources (2025-09-03).
    #[serde(default)]
    pub data_sources: Vec<DataSourceRef>,
    /// The schema (2022-06-28 only; empty on 2025-09-03).
    #[serde(default)]
    pub properties: BTreeMap<String, PropertySchema>,
    /// Notion URL.
    #[serde(default)]
    pub url: Option<String>,
    /// Inline in its parent page.
    #[serde(default)]
    pub is_inline: bool,
    /// In the trash.
    #[serde(default)]
    pub in_trash: bool,
    /// Deprecated alias of `in_trash`.
    #[serde(default)]
    pub archived: bool,
    /// Creation time.
    #[serde(default)]
    pub created_time: Option<Timestamp>,
    /// Last edit time.
    #[serde(default)]
    pub last_edited_time: Option<Timestamp>,
}

impl Database {
    /// The title as plain text.
    pub fn title_text(&self) -> String {
        plain_text(&self.title)
    }

    /// The legacy (2022-06-28) schema presented as a data source whose id is the database id.
    pub fn into_legacy_data_source(self) -> DataSource {
        DataSource {
            id: self.id,
            title: self.title,
            description: self.description,
            properties: self.properties,
            parent: Some(Parent::DatabaseId {
                database_id: self.id,
            }),
            database_parent: self.parent,
            url: self.url,
            in_trash: self.in_trash,
            archived: self.archived,
            created_time: self.created_time,
            last_edited_time: self.last_edited_time,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_schema_has_options_and_groups() {
        let json = serde_json::json!({
            "object":"data_source","id":"393abc1e-edcd-8179-9372-000bd163e729",
            "properties":{
                "Voting Status":{"id":"stat","name":"Voting Status","description":null,"type":"status",
                  "status":{"options":[{"id":"1","name":"Not started","color":"default","description":null},
                                        {"id":"2","name":"In Voting","color":"blue","description":null}],
                            "groups":[{"id":"g","name":"To-do","color":"gray","option_ids":["1"]}]}},
                "Results Link":{"id":"Z%3ClH","name":"Results Link","type":"url","url":{}}
            }
        });
        let ds: DataSource = serde_json::from_value(json).unwrap();
        let status = ds.property("Voting Status").unwrap();
        assert_eq!(status.property_type, "status");
        assert!(status.has_option("In Voting"));
        assert!(!status.has_option("Done"));
        assert_eq!(status.groups[0].option_ids, vec!["1"]);
        assert_eq!(ds.property("Z%3ClH").unwrap().property_type, "url");
    }
}
