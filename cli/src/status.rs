//! Ticket statuses with their labels, from the library's [`CaseStatus`], which is
//! generated from the spec's `x-values` of the schema `CaseStatus`: one source for the
//! values, the names and the labels.

use huaweicloud_osm::CaseStatus;
#[cfg(test)]
use huaweicloud_osm::rules::{self, FieldRule, Location};
use serde_json::Value;

/// The deepest a JSON answer is searched for `status` members.
const MAX_DEPTH: usize = 16;

/// The spec's rule of list_cases' status filter.
#[cfg(test)]
fn rule() -> Option<&'static FieldRule> {
    rules::LIST_CASES.param(Location::Query, "status")
}

/// Every status the spec names: `(value, label)`, in the spec's order.
pub fn labels() -> Vec<(i64, String)> {
    CaseStatus::ALL
        .iter()
        .filter_map(|s| Some((s.value(), s.label()?.to_owned())))
        .collect()
}

/// The label of status `n`, if the spec names it.
pub fn label(n: i64) -> Option<String> {
    CaseStatus::from_value(n).label().map(str::to_owned)
}

/// A status as shown to a person: `17 (waiting for the customer's feedback)`, or the
/// number alone for one the spec does not name.
pub fn show(n: i64) -> String {
    match label(n) {
        Some(l) => format!("{n} ({l})"),
        None => n.to_string(),
    }
}

/// The statuses for a help text: `0 waiting to be accepted, 1 being handled, …`.
pub fn help_list() -> String {
    labels()
        .iter()
        .map(|(n, l)| format!("{n} {l}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Replaces every integer `status` member of an answer (at most [`MAX_DEPTH`] deep)
/// by its [`show`] text, for text output.
pub fn label_members(value: &mut Value) {
    fn walk(v: &mut Value, depth: usize) {
        if depth > MAX_DEPTH {
            return;
        }
        match v {
            Value::Object(map) => {
                for (k, member) in map.iter_mut() {
                    if k == "status"
                        && let Some(n) = member.as_i64()
                    {
                        *member = Value::String(show(n));
                    } else {
                        walk(member, depth + 1);
                    }
                }
            }
            Value::Array(items) => items.iter_mut().for_each(|i| walk(i, depth + 1)),
            _ => {}
        }
    }
    walk(value, 0);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_status_the_spec_allows_has_a_label() {
        let rule = rule().expect("list_cases has a status filter");
        let labels = labels();
        assert_eq!(labels.len(), rule.allowed.len(), "{labels:?}");
        for allowed in rule.allowed {
            let n: i64 = allowed.parse().unwrap();
            let l = label(n).unwrap_or_default();
            assert!(
                !l.is_empty() && !l.contains(',') && !l.ends_with('.'),
                "{n}: {l:?}"
            );
        }
    }
}
