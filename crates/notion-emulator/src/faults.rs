//! Fault injection: per-route (or any-route) errors, latency and dropped connections.

use std::time::Duration;

use notion_workspace::util::SplitMix;
use serde::{Deserialize, Serialize};

/// What an injected fault does.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Fault {
    /// Answer with this HTTP status and Notion's body for it: 409 `conflict_error`, 429 `rate_limited`,
    /// 500, 502 `bad_gateway`, 503 `service_unavailable` (with `additional_data.retry_guidance`),
    /// 504 `gateway_timeout`, 529 `service_overload`. 429 and 529 carry `Retry-After`.
    Status(u16),
    /// Answer 429 `rate_limited` with this `additional_data.rate_limit_reason`, e.g.
    /// `"public_api_request_blocked"` (Notion: never retry) or `"public_api_endpoint_rate_limit"`
    /// (`Fault::Status(429)` answers the per-connection `"public_api_request_rate_limit"`).
    /// A variant rather than a rule field, so rules written as struct literals keep compiling.
    RateLimited(String),
    /// Serve the request (a write is applied), then answer 503 `service_unavailable` anyway, with
    /// `additional_data.retry_guidance` (the rule's, default [`SAVED_RETRY_GUIDANCE`]) and
    /// `committed_resource_id` (the id of the object the request answered with): Notion's answer
    /// for a write saved behind a timeout, which a client must read again, not repeat. A request
    /// that fails on its own is answered as usual. JSON: `"saved_then_503"`.
    #[serde(rename = "saved_then_503")]
    SavedThen503,
    /// Delay the response by this many milliseconds, then serve it normally.
    LatencyMs(u64),
    /// Close the connection without answering.
    Drop,
}

impl Default for Fault {
    fn default() -> Self {
        Self::Status(500)
    }
}

/// One fault rule. Rules are tried in the order they were added.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct FaultRule {
    /// `"PATCH /v1/pages/{page_id}"` (method + route template), a template alone (any method), or
    /// `None`/`"*"` for every `/v1` route.
    pub route: Option<String>,
    /// Fire only for requests whose path contains this text, e.g. one data source's id (any path
    /// when `None`).
    pub path_contains: Option<String>,
    /// What happens.
    pub kind: Fault,
    /// Fire for the next `count` matching requests only (forever when `None`).
    pub count: Option<u32>,
    /// Fire with this probability (0.0–1.0) per matching request, from the emulator's seeded RNG.
    pub probability: Option<f64>,
    /// `Retry-After` seconds for 429/529 (default 1).
    pub retry_after_secs: Option<u64>,
    /// `additional_data.retry_guidance` for 503 (default `"safe_to_retry"`, and
    /// [`SAVED_RETRY_GUIDANCE`] for [`Fault::SavedThen503`]).
    pub retry_guidance: Option<String>,
}

/// The default `retry_guidance` of [`Fault::SavedThen503`]. Notion does not document its values;
/// this one says what the docs say to do: read the object again, do not repeat the write.
pub const SAVED_RETRY_GUIDANCE: &str = "do_not_retry_read_again";

/// The 503 body's `additional_data` for a request served under [`Fault::SavedThen503`]: the
/// guidance, and the id of the object the request answered with (when it had one).
pub(crate) fn saved_additional_data(
    guidance: Option<&str>,
    served: &serde_json::Value,
) -> serde_json::Value {
    let mut data = serde_json::json!({
        "retry_guidance": guidance.unwrap_or(SAVED_RETRY_GUIDANCE),
    });
    if let Some(id) = served.get("id").and_then(serde_json::Value::as_str) {
        data["committed_resource_id"] = serde_json::Value::String(id.to_owned());
    }
    data
}

impl FaultRule {
    /// A rule for `route` (e.g. `"PATCH /v1/pages/{page_id}"`) firing `kind` for the next `count` requests.
    pub fn next(route: impl Into<String>, kind: Fault, count: u32) -> Self {
        Self {
            route: Some(route.into()),
            kind,
            count: Some(count),
            ..Self::default()
        }
    }

    fn matches(&self, method: &str, template: &str, path: &str) -> bool {
        if let Some(part) = &self.path_contains
            && !path.contains(part.as_str())
        {
            return false;
        }
        match self.route.as_deref() {
            None | Some("*" | "any") => true,
            Some(r) => match r.split_once(' ') {
                Some((m, t)) => m.eq_ignore_ascii_case(method) && t == template,
                None => r == template,
            },
        }
    }
}

/// The faults a request gets.
#[derive(Debug, Default)]
pub(crate) struct Triggered {
    pub(crate) latency: Duration,
    pub(crate) terminal: Option<FaultRule>,
}

/// The active rules and the seeded generator that decides probabilistic ones.
#[derive(Debug)]
pub(crate) struct FaultSet {
    pub(crate) rules: Vec<FaultRule>,
    rng: SplitMix,
}

impl FaultSet {
    pub(crate) fn new(seed: u64) -> Self {
        Self {
            rules: Vec::new(),
            rng: SplitMix::new(seed ^ 0xFA17),
        }
    }

    pub(crate) fn reseed(&mut self, seed: u64) {
        self.rng = SplitMix::new(seed ^ 0xFA17);
    }

    /// Decides which rules fire for this request, consuming counts.
    pub(crate) fn trigger(&mut self, method: &str, template: &str, path: &str) -> Triggered {
        let mut out = Triggered::default();
        let mut i = 0;
        while i < self.rules.len() {
            let rule = &self.rules[i];
            let is_latency = matches!(rule.kind, Fault::LatencyMs(_));
            if !rule.matches(method, template, path) || (!is_latency && out.terminal.is_some()) {
                i += 1;
                continue;
            }
            if let Some(p) = rule.probability
                && self.rng.next_f64() >= p
            {
                i += 1;
                continue;
            }
            let rule = rule.clone();
            if let Some(c) = self.rules[i].count.as_mut() {
                *c = c.saturating_sub(1);
            }
            if self.rules[i].count == Some(0) {
                self.rules.remove(i);
            } else {
                i += 1;
            }
            match rule.kind {
                Fault::LatencyMs(ms) => out.latency += Duration::from_millis(ms),
                _ => out.terminal = Some(rule),
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rule_with_a_path_part_fires_only_for_paths_that_contain_it() {
        let mut set = FaultSet::new(1);
        set.rules.push(FaultRule {
            path_contains: Some("d5000000-0000-4000-8000-000000000003".into()),
            ..FaultRule::next(
                "POST /v1/data_sources/{data_source_id}/query",
                Fault::Status(429),
                1,
            )
        });
        let template = "/v1/data_sources/{data_source_id}/query";
        let other = "/v1/data_sources/d5000000-0000-4000-8000-000000000001/query";
        let targeted = "/v1/data_sources/d5000000-0000-4000-8000-000000000003/query";
        assert!(set.trigger("POST", template, other).terminal.is_none());
        assert!(set.trigger("POST", template, targeted).terminal.is_some());
        assert!(
            set.trigger("POST", template, targeted).terminal.is_none(),
            "its count is spent"
        );
    }

    #[test]
    fn count_rules_expire() {
        let mut set = FaultSet::new(1);
        set.rules.push(FaultRule::next(
            "PATCH /v1/pages/{page_id}",
            Fault::Status(503),
            2,
        ));
        assert!(
            set.trigger("GET", "/v1/pages/{page_id}", "/v1/pages/{page_id}")
                .terminal
                .is_none()
        );
        assert!(
            set.trigger("PATCH", "/v1/pages/{page_id}", "/v1/pages/{page_id}")
                .terminal
                .is_some()
        );
        assert!(
            set.trigger("PATCH", "/v1/pages/{page_id}", "/v1/pages/{page_id}")
                .terminal
                .is_some()
        );
        assert!(
            set.trigger("PATCH", "/v1/pages/{page_id}", "/v1/pages/{page_id}")
                .terminal
                .is_none()
        );
    }

    #[test]
    fn saved_then_503_names_the_committed_object() {
        let rule: FaultRule = serde_json::from_value(serde_json::json!({
            "route": "PATCH /v1/pages/{page_id}",
            "kind": "saved_then_503",
            "count": 1,
        }))
        .unwrap();
        assert_eq!(rule.kind, Fault::SavedThen503);
        let data = saved_additional_data(None, &serde_json::json!({"object": "page", "id": "p1"}));
        assert_eq!(data["retry_guidance"], SAVED_RETRY_GUIDANCE);
        assert_eq!(data["committed_resource_id"], "p1");
        let data = saved_additional_data(Some("custom"), &serde_json::json!({}));
        assert_eq!(data, serde_json::json!({"retry_guidance": "custom"}));
    }

    #[test]
    fn probability_is_reproducible() {
        let run = || {
            let mut set = FaultSet::new(42);
            set.rules.push(FaultRule {
                kind: Fault::Status(500),
                probability: Some(0.5),
                ..FaultRule::default()
            });
            (0..32)
                .map(|_| {
                    set.trigger("GET", "/v1/users", "/v1/users")
                        .terminal
                        .is_some()
                })
                .collect::<Vec<_>>()
        };
        let a = run();
        assert_eq!(a, run());
        assert!(a.iter().any(|x| *x) && a.iter().any(|x| !*x));
    }
}
