//! Counters of requests served, by method, route template and status.

use std::collections::BTreeMap;

use serde::Serialize;

/// One counter row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RequestCount {
    /// HTTP method.
    pub method: String,
    /// Route template, e.g. `/v1/pages/{page_id}` (`unknown` for unknown routes).
    pub route: String,
    /// HTTP status served (0 for a dropped connection).
    pub status: u16,
    /// How many.
    pub count: u64,
}

/// A snapshot of the request counters.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct RequestCounts {
    /// Rows sorted by method, route, status.
    pub counts: Vec<RequestCount>,
}

impl RequestCounts {
    /// All requests counted.
    pub fn total(&self) -> u64 {
        self.counts.iter().map(|c| c.count).sum()
    }

    /// Requests to `"METHOD /route/{template}"` (any status).
    pub fn route(&self, method_and_route: &str) -> u64 {
        let (m, r) = method_and_route
            .split_once(' ')
            .unwrap_or(("", method_and_route));
        self.counts
            .iter()
            .filter(|c| (m.is_empty() || c.method == m) && c.route == r)
            .map(|c| c.count)
            .sum()
    }

    /// Requests to `"METHOD /route/{template}"` answered with `status`.
    pub fn get(&self, method_and_route: &str, status: u16) -> u64 {
        let (m, r) = method_and_route
            .split_once(' ')
            .unwrap_or(("", method_and_route));
        self.counts
            .iter()
            .filter(|c| (m.is_empty() || c.method == m) && c.route == r && c.status == status)
            .map(|c| c.count)
            .sum()
    }

    /// Requests answered with `status`, any route.
    pub fn with_status(&self, status: u16) -> u64 {
        self.counts
            .iter()
            .filter(|c| c.status == status)
            .map(|c| c.count)
            .sum()
    }
}

/// The live counters.
#[derive(Debug, Default)]
pub(crate) struct Counters {
    map: BTreeMap<(String, &'static str, u16), u64>,
}

impl Counters {
    pub(crate) fn record(&mut self, method: &str, route: &'static str, status: u16) {
        *self
            .map
            .entry((method.to_owned(), route, status))
            .or_default() += 1;
    }

    pub(crate) fn snapshot(&self) -> RequestCounts {
        RequestCounts {
            counts: self
                .map
                .iter()
                .map(|((m, r, s), c)| RequestCount {
                    method: m.clone(),
                    route: (*r).to_owned(),
                    status: *s,
                    count: *c,
                })
                .collect(),
        }
    }

    pub(crate) fn reset(&mut self) {
        self.map.clear();
    }
}
