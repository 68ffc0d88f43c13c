//! Quick diagnosis (the `/v2.0/` paths): jobs started by create_diagnose_job, read back
//! by list_diagnose_job, list_diagnose_items and list_diagnose_records, and the feedback
//! of create_diagnose_feedback, kept in the generic store ([`crate::collections`]):
//! collection `diagnose_jobs` (key: the job id, value: the job as started) and
//! `diagnose_feedback` (key: a sequence number, value: the feedback as sent). Ids come
//! from the sequences of the same names and are never given twice. Each account (the
//! caller's `X-Domain-Id`, else its access key, else `emulator-account`) sees only its
//! own jobs.
//!
//! A job runs at once: it is done (status 3) when created, with a fixed set of checks
//! for its type, one of which finds a problem, so that the records have something to
//! show. list_diagnose_resources answers two made-up virtual machines.

use std::time::UNIX_EPOCH;

use http::StatusCode;
use serde_json::{Map, Value, json};

use huaweicloud_osm::rules::Location;

use crate::Shared;
use crate::collections::{StoreError, Tx};
use crate::http::{Reply, json_response};
use crate::router::Call;
use crate::store::AuthScheme;
use crate::vendor::Refusal;

/// The handlers of this module, by operation id.
pub(crate) const HANDLERS: &[(&str, super::Handler)] = &[
    ("create_diagnose_job", super::Handler::Sync(handle)),
    ("list_diagnose_job", super::Handler::Sync(handle)),
    ("list_diagnose_items", super::Handler::Sync(handle)),
    ("list_diagnose_resources", super::Handler::Sync(handle)),
    ("list_diagnose_records", super::Handler::Sync(handle)),
    ("create_diagnose_feedback", super::Handler::Sync(handle)),
];

/// The collection (and sequence) of the jobs.
const JOBS: &str = "diagnose_jobs";
/// The collection (and sequence) of the feedback.
const FEEDBACK: &str = "diagnose_feedback";
/// The state of a finished job.
const DONE: i64 = 3;
/// A check's outcome: normal, and a problem found.
const NORMAL: i64 = 3;
const PROBLEM: i64 = 4;

/// The account a call acts for: its `X-Domain-Id`, else the access key that signed it,
/// else `emulator-account` (a token names no account).
pub(crate) fn account(call: &Call) -> String {
    if let Some(d) = call
        .headers
        .get("x-domain-id")
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.is_empty())
    {
        return d.to_owned();
    }
    match &call.auth {
        AuthScheme::AkSk { access_key, .. } => access_key.clone(),
        AuthScheme::Token => "emulator-account".into(),
    }
}

/// One check of the fixed catalogue: id, group, Chinese name, English name, outcome,
/// suggestion.
struct Check {
    id: &'static str,
    group: &'static str,
    name: &'static str,
    name_en: &'static str,
    level: i64,
    suggestion: &'static str,
}

/// The checks a job of `kind` runs.
fn checks(kind: i64) -> &'static [Check] {
    const ECS: &[Check] = &[
        Check {
            id: "ecs-status",
            group: "ecs",
            name: "云服务器状态",
            name_en: "Instance status",
            level: NORMAL,
            suggestion: "",
        },
        Check {
            id: "ecs-security-group",
            group: "network",
            name: "安全组规则",
            name_en: "Security group rules",
            level: PROBLEM,
            suggestion: "Allow the port the service listens on in the instance's security group.",
        },
        Check {
            id: "ecs-cpu",
            group: "ecs",
            name: "CPU使用率",
            name_en: "CPU usage",
            level: NORMAL,
            suggestion: "",
        },
    ];
    const RDS: &[Check] = &[
        Check {
            id: "rds-status",
            group: "rds",
            name: "实例状态",
            name_en: "Instance status",
            level: NORMAL,
            suggestion: "",
        },
        Check {
            id: "rds-connections",
            group: "rds",
            name: "连接数",
            name_en: "Connections",
            level: PROBLEM,
            suggestion: "Close idle connections or raise max_connections.",
        },
        Check {
            id: "rds-storage",
            group: "rds",
            name: "存储空间",
            name_en: "Storage space",
            level: NORMAL,
            suggestion: "",
        },
    ];
    const LOGIN: &[Check] = &[
        Check {
            id: "login-port",
            group: "login",
            name: "远程登录端口",
            name_en: "Remote login port",
            level: NORMAL,
            suggestion: "",
        },
        Check {
            id: "login-password-policy",
            group: "login",
            name: "密码策略",
            name_en: "Password policy",
            level: PROBLEM,
            suggestion: "Reset the password from the console, then log in again.",
        },
    ];
    const NETWORK: &[Check] = &[
        Check {
            id: "net-eip-bound",
            group: "network",
            name: "弹性公网IP绑定",
            name_en: "Elastic IP binding",
            level: NORMAL,
            suggestion: "",
        },
        Check {
            id: "net-bandwidth",
            group: "network",
            name: "带宽使用率",
            name_en: "Bandwidth usage",
            level: PROBLEM,
            suggestion: "Raise the bandwidth or spread the traffic.",
        },
    ];
    match kind {
        1 => ECS,
        2 => RDS,
        3 => LOGIN,
        _ => NETWORK,
    }
}

fn handle(shared: &Shared, call: &Call) -> Reply {
    let rid = call.request_id.as_str();
    let answer = match call.op.id {
        "create_diagnose_job" => shared.collections.update(|tx| start(shared, tx, call)),
        "list_diagnose_job" => job_of(shared, call, call.text("job_id")).map(|job| show(&job)),
        "list_diagnose_items" => {
            let id = call.body.get("job_id").and_then(Value::as_str);
            job_of(shared, call, id.map(str::to_owned)).map(|job| items(&job, call))
        }
        "list_diagnose_resources" => Ok(resources(call)),
        "list_diagnose_records" => Ok(records(shared, call)),
        "create_diagnose_feedback" => shared.collections.update(|tx| feedback(tx, call)),
        _ => return super::not_implemented(call),
    };
    match answer {
        Ok(body) => json_response(StatusCode::OK, &body, rid).into(),
        Err(r) => r.reply(rid),
    }
}

/// The largest job id: list_diagnose_job answers the id as an int32.
const MAX_JOB_ID: u64 = i32::MAX as u64;

fn start(shared: &Shared, tx: &mut Tx<'_>, call: &Call) -> Result<Value, Refusal> {
    let max = MAX_JOB_ID;
    let id = tx.next_id(JOBS, max).ok_or_else(|| {
        Refusal::Store(StoreError::Full(format!(
            "every diagnosis job id up to {max} has been given; the emulator gives no more"
        )))
    })?;
    let created = (shared.clock)()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let kind = call.body.get("type").and_then(Value::as_i64).unwrap_or(1);
    let params = call
        .body
        .get("params")
        .filter(|p| p.is_object())
        .cloned()
        .unwrap_or_else(|| json!({}));
    let region = call
        .body
        .get("region_id")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let job = json!({
        "job_id": id,
        "type": kind,
        "params": params,
        "region_id": region,
        "domain_id": account(call),
        "create_time": created,
    });
    tx.put(JOBS, &id.to_string(), job)?;
    Ok(json!({ "job_id": id.to_string() }))
}

/// The job `id` of the calling account, or its latest job when `id` is not given.
fn job_of(shared: &Shared, call: &Call, id: Option<String>) -> Result<Value, Refusal> {
    let me = account(call);
    let id = id.filter(|i| !i.trim().is_empty());
    shared.collections.read(|d| {
        let found = match &id {
            Some(id) => d.get(JOBS, id.trim()).cloned(),
            None => d
                .iter(JOBS)
                .filter(|(_, j)| owner(j) == me)
                .max_by_key(|(_, j)| j["job_id"].as_u64())
                .map(|(_, j)| j.clone()),
        };
        found.filter(|j| owner(j) == me).ok_or_else(|| {
            Refusal::NotFound(match &id {
                Some(id) => format!("there is no diagnosis job {id}"),
                None => "there is no diagnosis job yet: start one with create_diagnose_job".into(),
            })
        })
    })
}

fn owner(job: &Value) -> &str {
    job["domain_id"].as_str().unwrap_or_default()
}

fn kind_of(job: &Value) -> i64 {
    job["type"].as_i64().unwrap_or(1)
}

/// list_diagnose_job's answer.
fn show(job: &Value) -> Value {
    let list: Vec<Value> = checks(kind_of(job))
        .iter()
        .map(|c| {
            json!({
                "status": DONE,
                "visible": 1,
                "resource_id": c.group,
                "resource_name": c.group,
                "check_id": c.id,
                "check_name": c.name,
                "problem_level": c.level,
            })
        })
        .collect();
    json!({
        "status": DONE,
        "job_id": job["job_id"],
        "domain_id": job["domain_id"],
        "items_result": list,
        "create_time": job["create_time"],
    })
}

/// list_diagnose_items' answer: the checks named by `item_ids` (commas between ids), or
/// all of them.
fn items(job: &Value, call: &Call) -> Value {
    let wanted: Option<Vec<&str>> = call
        .body
        .get("item_ids")
        .and_then(Value::as_str)
        .map(|s| s.split(',').map(str::trim).filter(|s| !s.is_empty()).collect());
    let list: Vec<Value> = checks(kind_of(job))
        .iter()
        .filter(|c| wanted.as_ref().is_none_or(|w| w.contains(&c.id)))
        .map(|c| {
            let found = if c.level == PROBLEM {
                format!("{}: a problem was found", c.name_en)
            } else {
                format!("{}: normal", c.name_en)
            };
            let mut detail = json!({
                "status": DONE,
                "level": c.level,
                "suggestion": c.suggestion,
                "response": found,
                "check_id": c.id,
                "check_name": c.name,
                "check_name_en": c.name_en,
            });
            if c.level == PROBLEM {
                detail["suggestion_url"] =
                    json!(format!("https://support.huaweicloud.com/diagnosis/{}", c.id));
            }
            detail
        })
        .collect();
    json!({ "item_results": list })
}

/// list_diagnose_records' answer: the account's jobs of one type, newest first, paged.
fn records(shared: &Shared, call: &Call) -> Value {
    let op = call.op;
    let default = |name: &str, fallback: i64| {
        op.param(Location::Query, name)
            .and_then(|r| r.default)
            .and_then(|d| d.parse().ok())
            .unwrap_or(fallback)
    };
    let kind = call.int("type").unwrap_or_else(|| default("type", 1));
    let size = call.int("page_size").unwrap_or_else(|| default("page_size", 10));
    let page = call.int("page_no").unwrap_or_else(|| default("page_no", 1));
    let me = account(call);
    shared.collections.read(|d| {
        let mut mine: Vec<&Value> = d
            .iter(JOBS)
            .map(|(_, j)| j)
            .filter(|j| owner(j) == me && kind_of(j) == kind)
            .collect();
        mine.sort_by_key(|j| std::cmp::Reverse(j["job_id"].as_u64()));
        let skip = usize::try_from((page.max(1) - 1).saturating_mul(size.max(0))).unwrap_or(usize::MAX);
        let list: Vec<Value> = mine
            .iter()
            .skip(skip)
            .take(usize::try_from(size.max(0)).unwrap_or(0))
            .map(|j| record(j))
            .collect();
        json!({ "total_count": mine.len(), "records": list })
    })
}

fn record(job: &Value) -> Value {
    let abnormal: Vec<&str> = checks(kind_of(job))
        .iter()
        .filter(|c| c.level == PROBLEM)
        .map(|c| c.id)
        .collect();
    let id = job["job_id"].as_u64().unwrap_or_default().to_string();
    json!({
        "id": id,
        "status": DONE.to_string(),
        "params": job["params"],
        "domain_id": job["domain_id"],
        "create_time": job["create_time"],
        "job_id": id,
        "red_count": abnormal.len(),
        "abnormal_items": abnormal,
        "region": job["region_id"],
    })
}

/// list_diagnose_resources' answer: two made-up machines in the project and region
/// asked for.
fn resources(call: &Call) -> Value {
    let text = |name: &str, fallback: &str| {
        call.body
            .get(name)
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .unwrap_or(fallback)
            .to_owned()
    };
    // tenantId holds at most 64 characters (the spec), the request's project_id 128.
    let project: String = text("project_id", "emulator-project").chars().take(64).collect();
    let region = text("region", "cn-north-4");
    let user = account(call);
    let list: Vec<Value> = (1..=2)
        .map(|i| {
            let mut metadata = Map::new();
            metadata.insert("region".into(), json!(region));
            json!({
                "fault": "",
                "id": format!("emulator-vm-{i:02}"),
                "name": format!("ecs-emulator-{i:02}"),
                "accessIPv4": format!("192.168.0.{}", 10 + i),
                "accessIPv6": "",
                "status": "ACTIVE",
                "progress": "100",
                "tenantId": project,
                "userId": user,
                "metadata": metadata,
                "hostId": format!("emulator-host-{i:02}"),
            })
        })
        .collect();
    json!({ "total_count": list.len(), "result": list })
}

fn feedback(tx: &mut Tx<'_>, call: &Call) -> Result<Value, Refusal> {
    let id = tx.next_id(FEEDBACK, u64::MAX).ok_or_else(|| {
        Refusal::Store(StoreError::Full("no feedback number is left".into()))
    })?;
    let mut note = call.body.clone();
    note.insert("domain_id".into(), json!(account(call)));
    tx.put(FEEDBACK, &id.to_string(), Value::Object(note))?;
    Ok(json!({}))
}
