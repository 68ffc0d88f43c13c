//! The older query of tickets (`/osm/incidentservice/api/v1/queryincident`): the
//! tickets list_cases would list, by the same filters under their camelCase names, plus
//! the problem type and product category a ticket was opened with; paged by number
//! (`pageNo` from 1, `pageSize` 10 by default) and answered with camelCase members.

use http::StatusCode;
use serde_json::{Value, json};

use huaweicloud_osm::rules::{self, Location};

use super::followup::{self, Filters};
use crate::Shared;
use crate::http::{Reply, json_response};
use crate::router::Call;
use crate::store::rfc3339;
use crate::vendor::bad_request;

/// The handlers of this module, by operation id.
pub(crate) const HANDLERS: &[(&str, super::Handler)] =
    &[("list_order_incident", super::Handler::Sync(handle))];

/// The older query's names of list_cases' filters.
const FILTERS: Filters = Filters {
    search_key: "searchKey",
    label_id_list: "labelIdList",
    app_key: "appKey",
    incident_id: "incidentId",
    query_start_time: "queryStartTime",
    query_end_time: "queryEndTime",
    status: "status",
};

/// The spec's default of query parameter `name`.
fn default_of(name: &str, fallback: usize) -> usize {
    rules::operation("list_order_incident")
        .and_then(|op| op.param(Location::Query, name))
        .and_then(|r| r.default)
        .and_then(|d| d.parse().ok())
        .unwrap_or(fallback)
}

fn handle(shared: &Shared, call: &Call) -> Reply {
    let rid = call.request_id.as_str();
    let rows = match followup::matching(shared, call, &FILTERS) {
        Ok(rows) => rows,
        Err(msg) => return bad_request(&msg, rid).into(),
    };
    let wanted = |name: &str| call.text(name).filter(|v| !v.is_empty());
    let (business, product) = (wanted("businessTypeId"), wanted("productCategoryId"));
    let rows: Vec<_> = rows
        .into_iter()
        .filter(|(t, _)| {
            let of = |key: &str| t.body.get(key).and_then(Value::as_str).unwrap_or_default();
            business.as_deref().is_none_or(|b| of("business_type_id") == b)
                && product
                    .as_deref()
                    .is_none_or(|p| of("product_category_id") == p)
        })
        .collect();
    let size = call
        .int("pageSize")
        .map_or_else(|| default_of("pageSize", 10), |n| n.max(0) as usize);
    let page = call
        .int("pageNo")
        .map_or_else(|| default_of("pageNo", 1), |n| n.max(1) as usize);
    let lang = call.language();
    let list: Vec<Value> = rows
        .iter()
        .skip((page - 1).saturating_mul(size))
        .take(size)
        .map(|(t, state)| {
            let (problem, kind, region, _) = followup::names(shared, t, lang);
            let labels: Vec<Value> = shared
                .collections
                .read(|d| super::labels::on_case(d, &t.incident_id))
                .iter()
                .map(|l| {
                    json!({
                        "labelId": l.get("label_id").map(|id| id.to_string()).unwrap_or_default(),
                        "name": l.get("name").cloned().unwrap_or_default(),
                        "color": l.get("color").cloned().unwrap_or_default(),
                    })
                })
                .collect();
            json!({
                "incidentId": t.incident_id,
                "businessTypeName": problem,
                "incidentTypeName": kind,
                "customerId": followup::customer(t),
                "dcName": region,
                "simpleDescribe": followup::text(&t.body, "simple_description"),
                "status": state.status,
                "createTime": rfc3339::format(t.received_at),
                "gray": false,
                "labelList": labels,
            })
        })
        .collect();
    json_response(
        StatusCode::OK,
        &json!({ "totalCount": rows.len(), "incidentInfoList": list }),
        rid,
    )
    .into()
}
