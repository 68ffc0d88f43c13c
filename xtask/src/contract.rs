//! `cargo xtask contract`: schemathesis against the emulator, driven by `spec/osm.yaml`.
//!
//! 1. A Python virtual environment in `target/venv-contract` (created with
//!    `python3 -m venv` if absent) gets schemathesis [`SCHEMATHESIS_VERSION`], pinned;
//!    the install is skipped when that version is already there.
//! 2. The `osm-emulator` binary is built and started on an ephemeral loopback port with
//!    the token `contract-token`; its base URL is the first line of its standard output.
//! 3. `schemathesis run` sends generated requests, valid and invalid, with a fixed seed
//!    and a bounded number of examples, and checks every answer against the spec
//!    ([`CHECKS`]). Any failure fails the command, with schemathesis's report. The spec
//!    it reads is `target/contract/osm.contract.yaml`: `spec/osm.yaml` with the links the
//!    model derives ([`spec_with_links`]), so that its stateful phase calls the operations
//!    on a ticket or an attachment with an id the emulator holds.
//! 4. The emulator is killed at the end, on success and on error alike.
//!
//! # Links
//!
//! An operation that takes a ticket's id (`case_id` in its path) answers 404 to every id
//! schemathesis makes up; only a link from `create_case`'s answer lets it reach what the
//! operation does. The links are not listed in `spec/osm.yaml`: a response declares
//! `x-link-path-parameters` (`case_id: $response.body#/incident_id`), and the model
//! (`osm_spec::Spec::links`) derives a link to every operation whose path has that
//! parameter, so an operation added with a `case_id` is linked with no other edit.
//! [`spec_with_links`] writes them into the copy schemathesis reads.
//!
//! Options: `--max-examples N` (default [`DEFAULT_MAX_EXAMPLES`]), `--seed S` (default
//! [`DEFAULT_SEED`]); anything after `--` goes to `schemathesis run` as it is, such as
//! `cargo xtask contract -- --checks all`. Files land in `target/contract/`: the
//! emulator's log and the hooks file.
//!
//! # What the spec cannot say, and the hooks file
//!
//! Some rules of the service are beyond what OpenAPI 3.0 can express, or beyond what the
//! spec states yet, so schemathesis cannot know them; [`HOOKS`] (a `filter_failure` hook)
//! drops exactly the failures that come from them, and nothing else:
//!
//! - `region_id` is required when `business_type_id` is `"5"` (`x-required-when` in the
//!   spec). A spec-valid body with `business_type_id: "5"` and no `region_id` is refused
//!   by the emulator with 400 `OSM.0001` naming `region_id`; that one refusal is not a
//!   `positive_data_acceptance` failure. (Expressing the rule as `anyOf` turns typify's
//!   `CreateCaseRequest` struct into an untagged enum of two copies of every field, so the
//!   spec keeps its extension instead.) The rule itself is tested in `tests/constraints.rs`.
//! - schemathesis 4.32 counts an undeclared *header* as invalid data when the request
//!   also carries the integer header `X-Site`: it re-validates the header value `"0"`, a
//!   string on the wire, against `type: integer`, and takes the mismatch for a second
//!   mutation. HTTP servers ignore headers they do not know, the vendor's included, so an
//!   extra header alone is not a `negative_data_rejection` failure.
//! - State: a ticket, a product category or an attachment id the emulator does not hold
//!   is refused, and so is a picture asked of an attachment that is not one
//!   (`download_images`) (`_state_refusal`), which no schema can foresee.
//! - Gaps of the spec (`UNSTATED_RULES`): checks of the emulator that the spec does not
//!   state yet (the multipart `form_data` JSON, a non-empty `contact_value` of the form
//!   its `contact_way` says, an attachment name a multipart header can carry, a file
//!   type the service accepts, the documented values of an open set in a request, a
//!   poll's cursor or a time of the instant messages the emulator cannot read; Base64
//!   `accessory_data` is now `format: byte`). Each is listed by its message so it stays
//!   visible until the spec states it.

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use anyhow::{Context, anyhow, bail};

/// The schemathesis version installed in the virtual environment.
pub const SCHEMATHESIS_VERSION: &str = "4.32.5";
/// Test cases per operation (and per phase), unless `--max-examples` says otherwise.
pub const DEFAULT_MAX_EXAMPLES: u32 = 200;
/// The seed of the data generation, so that a run can be repeated.
pub const DEFAULT_SEED: u64 = 20_261_128;
/// The token the emulator accepts, and schemathesis sends.
pub const TOKEN: &str = "contract-token";

/// The checks run on every answer. `negative_data_rejection` and
/// `positive_data_acceptance` hold the emulator to the spec in both directions: what the
/// spec forbids is refused, what it allows is accepted.
pub const CHECKS: &[&str] = &[
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_schema_conformance",
    "response_headers_conformance",
    "negative_data_rejection",
    "positive_data_acceptance",
    "unsupported_method",
    "allow_header_conformance",
    "ignored_auth",
];

/// The schemathesis hooks file; see the module documentation.
pub const HOOKS: &str = r#"# Written by `cargo xtask contract` (xtask/src/contract.rs); edits are overwritten.
# Drops the schemathesis failures that come from rules OpenAPI 3.0 cannot express.
import json

import schemathesis
from schemathesis.core.failures import AcceptedNegativeData
from schemathesis.core.parameters import ParameterLocation
from schemathesis.generation.meta import CoveragePhaseData, CoverageScenario
from schemathesis.openapi.checks import RejectedPositiveData


def _answer(response):
    try:
        answer = json.loads(response.text)
    except ValueError:
        return {}
    return answer if isinstance(answer, dict) else {}


def _region_id_required(case, response):
    """A create without region_id for a problem type that needs one (x-required-when: a
    fault report, case_type "5" in the catalogue), refused for that reason."""
    body = case.body if isinstance(case.body, dict) else None
    if body is None or body.get("region_id") not in (None, ""):
        return False
    answer = _answer(response)
    msg = str(answer.get("error_msg", ""))
    return (
        response.status_code == 400
        and answer.get("error_code") == "OSM.0001"
        and msg.startswith("region_id is required: problem type ")
    )


def _state_refusal(case, response):
    """A request about data the emulator does not hold (a ticket, a problem type): the
    answer depends on state, which a schema cannot describe."""
    answer = _answer(response)
    msg = str(answer.get("error_msg", ""))
    return answer.get("error_code") == "OSM.0001" and (
        (response.status_code == 404 and msg.startswith("there is no ticket"))
        or (response.status_code == 400 and msg.startswith("no severities for product category"))
        or (response.status_code == 400 and "names no uploaded attachment" in msg)
        or (response.status_code == 400 and "is not an image" in msg)
    )


# Rules the emulator enforces that spec/osm.yaml does not state yet (see the module docs:
# each is a gap of the spec to close, listed here so that it stays visible).
UNSTATED_RULES = (
    "accessory_data is not valid Base64",
    "form_data must be JSON text holding an object",
    "contact_value is empty",
    "is not an e-mail address",
    "is not a phone number",
    # A file name a multipart header cannot carry (a control character, a quote, a slash
    # or a backslash): the client and the emulator refuse it for the JSON upload too.
    "is malformed: the name holds",
    # A file type the service does not accept: the accepted types are what
    # show_attachment_limits answers, not a rule a schema can state.
    "is not of an accepted file type",
    # A request may send only the documented values of an open set (x-values, such as a
    # ticket's status in list_cases or a reporter's id_type in create_feedback); OpenAPI's
    # schema states the range, not the set.
    "query parameter status must be",
    "contacts member id_type must be",
    # A ticket related to itself (create_relations): a rule between a path parameter and
    # the body, which a schema cannot state.
    "cannot be related to itself",
    # A rating names the dimensions list_satisfaction_dimensions answers (catalogue state).
    "is no satisfaction dimension",
    # How many labels a ticket carries in all (create_case_labels): state, not a schema.
    "a ticket carries at most",
    # The poll's cursor (last_message_time_id) and list_more_instant_messages' create_time:
    # the vendor documents neither format, so the spec states none; the emulator reads
    # the timestamps it gives (milliseconds) and its answers' times.
    "is neither a timestamp in milliseconds nor a time such as",
)


def _unstated_rule(case, response):
    answer = _answer(response)
    msg = str(answer.get("error_msg", ""))
    return (
        response.status_code == 400
        and answer.get("error_code") == "OSM.0001"
        and any(rule in msg for rule in UNSTATED_RULES)
    )


def _only_an_extra_header(case):
    """A coverage case whose one mutation is an undeclared header, X-Site being valid."""
    data = case.meta.phase.data if case.meta is not None else None
    return (
        isinstance(data, CoveragePhaseData)
        and data.scenario == CoverageScenario.OBJECT_UNEXPECTED_PROPERTIES
        and data.parameter_location == ParameterLocation.HEADER
        and str((case.headers or {}).get("X-Site", "0")).strip() in ("0", "1")
    )


@schemathesis.hook
def filter_failure(context, failure, case, response):
    if isinstance(failure, RejectedPositiveData) and (
        _region_id_required(case, response)
        or _state_refusal(case, response)
        or _unstated_rule(case, response)
    ):
        return False
    if isinstance(failure, AcceptedNegativeData) and _only_an_extra_header(case):
        return False
    return True
"#;

/// The spec as schemathesis reads it: `spec`'s text with every derived link of the model
/// (`osm_spec::Spec::links`) written as an OpenAPI `links` entry of its response; links
/// written in the spec stay as they are.
pub fn spec_with_links(spec: &osm_spec::Spec) -> anyhow::Result<String> {
    use serde_yaml::Value;
    let mut doc: Value = serde_yaml::from_str(&spec.text).context("the spec is not YAML")?;
    for (op, status, link) in spec.links().filter(|(_, _, l)| l.derived) {
        let response = doc
            .get_mut("paths")
            .and_then(|p| p.get_mut(op.path.as_str()))
            .and_then(|p| p.get_mut(op.method.as_str().to_ascii_lowercase()))
            .and_then(|o| o.get_mut("responses"))
            .and_then(|r| r.get_mut(status))
            .and_then(Value::as_mapping_mut)
            .ok_or_else(|| {
                anyhow!(
                    "{}: response {status} is not written out in the spec; a derived link \
                     needs it inline",
                    op.id
                )
            })?;
        let links = response
            .entry(Value::from("links"))
            .or_insert_with(|| Value::Mapping(Default::default()));
        let Some(links) = links.as_mapping_mut() else {
            bail!("{}: response {status}: links is not a mapping", op.id);
        };
        let mut parameters = serde_yaml::Mapping::new();
        for p in &link.parameters {
            parameters.insert(Value::from(p.key()), Value::from(p.value.clone()));
        }
        let mut entry = serde_yaml::Mapping::new();
        entry.insert("operationId".into(), Value::from(link.operation_id.clone()));
        entry.insert("parameters".into(), Value::Mapping(parameters));
        if let Some(d) = &link.description {
            entry.insert("description".into(), Value::from(d.clone()));
        }
        links.insert(Value::from(link.name.clone()), Value::Mapping(entry));
    }
    inline_parameter_schemas(&mut doc);
    serde_yaml::to_string(&doc).context("cannot write the spec with its links")
}

/// schemathesis's configuration: longer stateful scenarios than its default 6 steps, so
/// that a chain such as create_case → show_case_detail → revoke_message, among the many
/// links of a ticket, is walked to its end; and, for the ids a made-up value never names
/// (a ticket, a message, an authorization, a host detail, a session), a dictionary of the
/// ones [`seed`] made, drawn for half the values of those parameters (schemathesis keeps
/// a negative case negative: an entry is drawn only where it fits the case's mode).
fn config(seeds: &Seeds) -> String {
    let mut toml = String::from("[phases.stateful]\nmax-steps = 12\n");
    let mut bindings = String::new();
    for (name, values, keys) in [
        (
            "tickets",
            &seeds.tickets,
            &["path.case_id", "body.related_id_list[*]"][..],
        ),
        ("messages", &seeds.messages, &["path.message_id"][..]),
        (
            "authorizations",
            &seeds.authorizations,
            &["path.authorization_id"][..],
        ),
        (
            "details",
            &seeds.details,
            &["path.authorization_detail_id"][..],
        ),
        ("sessions", &seeds.sessions, &["path.session_id"][..]),
    ] {
        if values.is_empty() {
            continue;
        }
        let list: Vec<String> = values.iter().map(|v| v.to_string()).collect();
        toml.push_str(&format!(
            "\n[dictionaries.{name}]\nvalues = [{}]\n",
            list.join(", ")
        ));
        for key in keys {
            bindings.push_str(&format!(
                "\"{key}\" = {{ dictionary = \"{name}\", probability = 0.5 }}\n"
            ));
        }
    }
    if !bindings.is_empty() {
        toml.push_str("\n[parameters]\n");
        toml.push_str(&bindings);
    }
    // update_case deletes tickets: it draws from tickets of its own, so that the others
    // stay for the rest of the run.
    if !seeds.spare_tickets.is_empty() {
        let list: Vec<String> = seeds.spare_tickets.iter().map(|v| v.to_string()).collect();
        toml.push_str(&format!(
            "\n[dictionaries.spare_tickets]\nvalues = [{}]\n\n[[operations]]\n\
             include-operation-id = \"update_case\"\n\
             parameters = {{ \"path.case_id\" = {{ dictionary = \"spare_tickets\", probability = 0.5 }} }}\n",
            list.join(", ")
        ));
    }
    toml
}

/// The ids [`seed`] made, as JSON values (a string or a number, as the spec types them).
#[derive(Debug, Default)]
struct Seeds {
    tickets: Vec<serde_json::Value>,
    /// Tickets for update_case alone, which may delete them.
    spare_tickets: Vec<serde_json::Value>,
    messages: Vec<serde_json::Value>,
    authorizations: Vec<serde_json::Value>,
    details: Vec<serde_json::Value>,
    sessions: Vec<serde_json::Value>,
}

/// One call to the emulator during the seeding: its JSON answer, or an error naming the
/// call when it fails or answers a business error.
fn call(
    agent: &ureq::Agent,
    method: &str,
    url: &str,
    body: Option<serde_json::Value>,
) -> anyhow::Result<serde_json::Value> {
    let request = http_request(method, url, body.as_ref())?;
    let mut response = agent
        .run(request)
        .with_context(|| format!("contract: seeding: {method} {url}"))?;
    let status = response.status();
    let text = response
        .body_mut()
        .with_config()
        .limit(1024 * 1024)
        .read_to_string()
        .unwrap_or_default();
    let answer: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
    // A business error is an HTTP 200 with an error_code (an empty one is a success).
    let code = answer.get("error_code").and_then(serde_json::Value::as_str);
    if !status.is_success() || code.is_some_and(|c| !c.is_empty()) {
        bail!("contract: seeding: {method} {url} answered {status}: {text}");
    }
    Ok(answer)
}

fn http_request(
    method: &str,
    url: &str,
    body: Option<&serde_json::Value>,
) -> anyhow::Result<ureq::http::Request<Vec<u8>>> {
    let bytes = body.map(|b| b.to_string().into_bytes()).unwrap_or_default();
    ureq::http::Request::builder()
        .method(method)
        .uri(url)
        .header("X-Auth-Token", TOKEN)
        .header("Content-Type", "application/json")
        .body(bytes)
        .context("contract: seeding: a request")
}

/// What a customer holds before schemathesis starts, made through the emulator's API (and,
/// for support's side, its admin routes): a label (id 1, the smallest the emulator gives,
/// which the fuzzer tries early for create_case_labels' label ids), two tickets, a message
/// of the customer's on the first, an authorization that is granted with a session on
/// its host and one still pending (spec/README.md, "Links between operations").
fn seed(base_url: &str) -> anyhow::Result<Seeds> {
    use serde_json::json;
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(std::time::Duration::from_secs(30)))
        .http_status_as_error(false)
        .proxy(None)
        .build()
        .into();
    let api = |path: &str| format!("{base_url}/v2/servicerequest{path}");
    let admin = |path: &str| format!("{base_url}/__emulator/{path}");
    let mut seeds = Seeds::default();
    call(
        &agent,
        "POST",
        &api("/labels"),
        Some(json!({"name": "contract", "color": "#0000ff"})),
    )?;
    for n in 1..=4 {
        let ticket = call(
            &agent,
            "POST",
            &api("/cases"),
            Some(json!({
                "business_type_id": "1",
                "simple_description": format!("contract seed ticket {n}"),
                "source_id": "83aeb0f2834c4df49826c781d32a963e",
            })),
        )?;
        let id = ticket["incident_id"].clone();
        if !id.is_string() {
            bail!("contract: seeding: create_case answered no incident_id: {ticket}");
        }
        if n <= 2 {
            seeds.tickets.push(id);
        } else {
            seeds.spare_tickets.push(id);
        }
    }
    let first = seeds.tickets[0].as_str().unwrap_or_default().to_owned();
    call(
        &agent,
        "POST",
        &api(&format!("/cases/{first}/message")),
        Some(json!({"message": {"content": "contract seed message"}})),
    )?;
    let detail = call(&agent, "GET", &api(&format!("/cases/{first}")), None)?;
    let messages = detail["incident_detail_info"]["message_list"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    seeds.messages.extend(
        messages
            .iter()
            .map(|m| m["message_id"].clone())
            .filter(|m| m.is_string()),
    );
    for granted in [true, false] {
        let made = call(
            &agent,
            "POST",
            &admin("authorizations"),
            Some(json!({"incident_id": first, "hosts": [{}]})),
        )?;
        let id = made["id"].clone();
        let details: Vec<serde_json::Value> =
            made["detail_ids"].as_array().cloned().unwrap_or_default();
        let Some(id_text) = id.as_str().map(str::to_owned) else {
            bail!("contract: seeding: the authorization has no id: {made}");
        };
        if granted {
            call(
                &agent,
                "PUT",
                &api(&format!("/authorizations/{id_text}")),
                Some(json!({})),
            )?;
            for d in &details {
                let session = call(
                    &agent,
                    "POST",
                    &admin(&format!("authorizations/{id_text}/sessions")),
                    Some(json!({"detail_id": d, "commands": ["uptime"]})),
                )?;
                seeds.sessions.push(session["session_id"].clone());
            }
        }
        seeds.authorizations.push(id);
        seeds.details.extend(details);
    }
    Ok(seeds)
}

/// Replaces a parameter's schema that is a `$ref` to a component (`CaseId`) with the
/// component itself: schemathesis checks a dictionary's entries against a parameter's
/// schema without resolving references, so a seeded ticket id would never be drawn for
/// a valid case. The schema is the same; only where it is written changes.
fn inline_parameter_schemas(doc: &mut serde_yaml::Value) {
    use serde_yaml::Value;
    let components = doc
        .get("components")
        .and_then(|c| c.get("schemas"))
        .cloned()
        .unwrap_or(Value::Null);
    let Some(paths) = doc.get_mut("paths").and_then(Value::as_mapping_mut) else {
        return;
    };
    for (_, item) in paths.iter_mut() {
        let Some(item) = item.as_mapping_mut() else {
            continue;
        };
        for (_, op) in item.iter_mut() {
            let Some(params) = op.get_mut("parameters").and_then(Value::as_sequence_mut) else {
                continue;
            };
            for p in params {
                let Some(schema) = p.get_mut("schema") else {
                    continue;
                };
                let target = schema
                    .get("$ref")
                    .and_then(Value::as_str)
                    .and_then(|r| r.strip_prefix("#/components/schemas/"))
                    .and_then(|name| components.get(name))
                    // An open set (x-values) names a Rust type and stays a component.
                    .filter(|c| c.get("x-values").is_none())
                    .cloned();
                if let Some(t) = target {
                    *schema = t;
                }
            }
        }
    }
}

/// Options of the command.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Options {
    max_examples: u32,
    seed: u64,
    extra: Vec<String>,
}

fn parse_args(args: &[String]) -> anyhow::Result<Options> {
    let mut o = Options {
        max_examples: DEFAULT_MAX_EXAMPLES,
        seed: DEFAULT_SEED,
        extra: Vec::new(),
    };
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let mut value = |name: &str| {
            it.next()
                .cloned()
                .ok_or_else(|| anyhow!("contract: {name} needs a value"))
        };
        match a.as_str() {
            "--max-examples" => {
                o.max_examples = value("--max-examples")?
                    .parse()
                    .context("contract: --max-examples takes a positive number")?;
                if o.max_examples == 0 {
                    bail!("contract: --max-examples takes a positive number");
                }
            }
            "--seed" => {
                o.seed = value("--seed")?
                    .parse()
                    .context("contract: --seed takes a number")?;
            }
            "--" => {
                o.extra = it.cloned().collect();
                break;
            }
            other => bail!(
                "contract: unexpected argument `{other}` (options: --max-examples N, --seed S, \
                 -- SCHEMATHESIS-ARGS...)"
            ),
        }
    }
    Ok(o)
}

/// Runs the contract test.
pub fn run(root: &Path, args: &[String]) -> anyhow::Result<()> {
    let options = parse_args(args)?;
    let target = target_dir(root);
    let work = target.join("contract");
    std::fs::create_dir_all(&work).with_context(|| format!("cannot create {}", work.display()))?;

    let venv = target.join("venv-contract");
    let schemathesis = ensure_schemathesis(&venv)?;
    let hooks = work.join("osm_contract_hooks.py");
    std::fs::write(&hooks, HOOKS).with_context(|| format!("cannot write {}", hooks.display()))?;

    let binary = build_emulator(root)?;
    let log = work.join("emulator.log");
    let emulator = Emulator::start(
        &binary,
        &["--listen", "127.0.0.1:0", "--token", TOKEN],
        &log,
    )?;
    eprintln!(
        "contract: emulator at {} (log: {})",
        emulator.base_url,
        log.display()
    );

    let seeds = seed(&emulator.base_url)?;

    let source = root.join("spec").join("osm.yaml");
    let model = osm_spec::Spec::load(&source).map_err(|e| anyhow!("{e}"))?;
    let spec = work.join("osm.contract.yaml");
    std::fs::write(&spec, spec_with_links(&model)?)
        .with_context(|| format!("cannot write {}", spec.display()))?;
    eprintln!(
        "contract: {} links between operations ({})",
        model.links().count(),
        spec.display()
    );
    let config_file = work.join("schemathesis.toml");
    std::fs::write(&config_file, config(&seeds))
        .with_context(|| format!("cannot write {}", config_file.display()))?;
    let mut cmd = Command::new(&schemathesis);
    cmd.arg("--config-file")
        .arg(&config_file)
        .arg("run")
        .arg(&spec)
        .args(["--url", &emulator.base_url])
        .args(["-H", &format!("X-Auth-Token: {TOKEN}")])
        .args(["--checks", &CHECKS.join(",")])
        .args(["--max-examples", &options.max_examples.to_string()])
        .args(["--seed", &options.seed.to_string()])
        // One worker: a repeatable order, and the emulator has the second core.
        .args(["--workers", "1"])
        .args(["--generation-database", "none"])
        .args(["--request-timeout", "30"])
        .arg("--no-color")
        .args(&options.extra)
        .env("SCHEMATHESIS_HOOKS", &hooks)
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .current_dir(&work);
    eprintln!(
        "contract: schemathesis {SCHEMATHESIS_VERSION}, {} examples, seed {}",
        options.max_examples, options.seed
    );
    let output = cmd
        .output()
        .with_context(|| format!("cannot run {}", schemathesis.display()))?;
    let stopped = emulator.stop();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    print!("{text}");
    if !output.status.success() {
        bail!(
            "schemathesis reported failures ({}); its report is above, the emulator's log is {}",
            output.status,
            log.display()
        );
    }
    // The summary line: `No issues found`, or with warnings only (such as operations
    // that answer 404 for ids schemathesis cannot know) `N warnings in …`.
    let summary = text
        .lines()
        .rev()
        .find(|l| l.starts_with("====="))
        .unwrap_or_default();
    let clean = summary.contains("No issues found")
        || (summary.contains("warning")
            && !summary.contains("failure")
            && !summary.contains("error"));
    if !clean {
        bail!("schemathesis exited successfully but its summary reports issues: {summary}");
    }
    stopped?;
    Ok(())
}

/// The Cargo target directory (`CARGO_TARGET_DIR`, else `<root>/target`).
pub fn target_dir(root: &Path) -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) if !dir.is_empty() => {
            let dir = PathBuf::from(dir);
            if dir.is_absolute() {
                dir
            } else {
                root.join(dir)
            }
        }
        _ => root.join("target"),
    }
}

fn venv_bin(venv: &Path, name: &str) -> PathBuf {
    if cfg!(windows) {
        venv.join("Scripts").join(format!("{name}.exe"))
    } else {
        venv.join("bin").join(name)
    }
}

/// Creates the virtual environment if needed and installs the pinned schemathesis in it,
/// unless that version is there already. Returns the path of the `schemathesis` script.
fn ensure_schemathesis(venv: &Path) -> anyhow::Result<PathBuf> {
    let python = venv_bin(venv, "python");
    if !python.exists() {
        let system = std::env::var("PYTHON").unwrap_or_else(|_| "python3".into());
        eprintln!("contract: creating {} with {system}", venv.display());
        let status = Command::new(&system)
            .args(["-m", "venv"])
            .arg(venv)
            .status()
            .with_context(|| format!("cannot run `{system} -m venv` (is Python 3 installed?)"))?;
        if !status.success() {
            bail!("`{system} -m venv {}` failed ({status})", venv.display());
        }
    }
    let installed = Command::new(&python)
        .args([
            "-c",
            "import importlib.metadata as m; print(m.version('schemathesis'))",
        ])
        .stderr(Stdio::null())
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned());
    if installed.as_deref() != Some(SCHEMATHESIS_VERSION) {
        eprintln!(
            "contract: installing schemathesis=={SCHEMATHESIS_VERSION} (found {})",
            installed.as_deref().unwrap_or("none")
        );
        let status = Command::new(&python)
            .args([
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
            ])
            .arg(format!("schemathesis=={SCHEMATHESIS_VERSION}"))
            .status()
            .context("cannot run pip")?;
        if !status.success() {
            bail!("pip could not install schemathesis=={SCHEMATHESIS_VERSION} ({status})");
        }
    }
    let script = venv_bin(venv, "schemathesis");
    if !script.exists() {
        bail!("{} is missing after the install", script.display());
    }
    Ok(script)
}

/// Builds the `osm-emulator` binary (debug profile) and returns its path.
fn build_emulator(root: &Path) -> anyhow::Result<PathBuf> {
    build_bin(root, "osm-emulator", &[])
}

/// `cargo build -p osm-emulator --bin osm-emulator --locked` plus `extra` (such as
/// `--release`); returns the path of the executable, as Cargo reports it.
pub fn build_bin(root: &Path, bin: &str, extra: &[&str]) -> anyhow::Result<PathBuf> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let output = Command::new(&cargo)
        .args(["build", "-p", "osm-emulator", "--bin", bin, "--locked"])
        .args(extra)
        .args(["--message-format", "json-render-diagnostics"])
        .current_dir(root)
        .stderr(Stdio::inherit())
        .output()
        .context("cannot run cargo build")?;
    if !output.status.success() {
        bail!("cargo build -p osm-emulator failed ({})", output.status);
    }
    for line in String::from_utf8_lossy(&output.stdout).lines() {
        let Ok(msg) = serde_json::from_str::<serde_json::Value>(line) else {
            continue;
        };
        if msg["reason"] == "compiler-artifact"
            && msg["target"]["name"] == bin
            && let Some(exe) = msg["executable"].as_str()
        {
            return Ok(PathBuf::from(exe));
        }
    }
    bail!("cargo build did not report the {bin} executable")
}

/// An `osm-emulator` process, killed when dropped.
pub struct Emulator {
    child: Option<Child>,
    /// The base URL it printed, such as `http://127.0.0.1:40123`.
    pub base_url: String,
}

impl Emulator {
    /// Starts `binary` with `args`, its standard error written to `log`, and waits (up
    /// to 60 s) for the base URL on the first line of its standard output.
    pub fn start(binary: &Path, args: &[&str], log: &Path) -> anyhow::Result<Self> {
        let log_file = std::fs::File::create(log)
            .with_context(|| format!("cannot create {}", log.display()))?;
        let mut child = Command::new(binary)
            .args(args)
            .env(
                "RUST_LOG",
                std::env::var("RUST_LOG").unwrap_or_else(|_| "info".into()),
            )
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(log_file)
            .spawn()
            .with_context(|| format!("cannot start {}", binary.display()))?;
        let stdout = child.stdout.take().context("no stdout")?;
        let mut emulator = Emulator {
            child: Some(child),
            base_url: String::new(),
        };
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            let mut line = String::new();
            let first = reader.read_line(&mut line).map(|_| line);
            let _ = tx.send(first);
            // Keep reading so that the emulator never blocks on a full pipe.
            let _ = std::io::copy(&mut reader.take(u64::MAX), &mut std::io::sink());
        });
        let line = match rx.recv_timeout(Duration::from_secs(60)) {
            Ok(Ok(line)) => line,
            Ok(Err(e)) => return Err(e).context("cannot read the emulator's standard output"),
            Err(_) => bail!(
                "the emulator printed no base URL within 60 s (log: {})",
                log.display()
            ),
        };
        let url = line.trim();
        if !url.starts_with("http://") {
            let status = emulator
                .child
                .as_mut()
                .and_then(|c| c.try_wait().ok())
                .flatten();
            bail!(
                "the emulator did not print its base URL (got {url:?}, exit status {status:?}); \
                 see {}",
                log.display()
            );
        }
        emulator.base_url = url.to_owned();
        Ok(emulator)
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.as_ref().map_or(0, Child::id)
    }

    /// Kills the process and reaps it; an error if it had already exited on its own.
    pub fn stop(mut self) -> anyhow::Result<()> {
        let Some(mut child) = self.child.take() else {
            return Ok(());
        };
        if let Ok(Some(status)) = child.try_wait() {
            bail!("the emulator exited on its own during the run ({status})");
        }
        let _ = child.kill();
        let _ = child.wait();
        Ok(())
    }

    /// Asks the process to stop (SIGTERM, which the emulator answers with a graceful
    /// shutdown) and waits up to `grace` for it to exit, killing it after that. An error
    /// if it had already exited on its own, did not stop in time, or exited with a
    /// failure status. Where SIGTERM cannot be sent (not Unix), it is killed.
    pub fn terminate(mut self, grace: Duration) -> anyhow::Result<()> {
        let Some(mut child) = self.child.take() else {
            return Ok(());
        };
        if let Ok(Some(status)) = child.try_wait() {
            bail!("the emulator exited on its own during the run ({status})");
        }
        let sent = cfg!(unix)
            && Command::new("kill")
                .args(["-TERM", &child.id().to_string()])
                .stderr(Stdio::null())
                .status()
                .is_ok_and(|s| s.success());
        if sent {
            let deadline = std::time::Instant::now() + grace;
            while std::time::Instant::now() < deadline {
                match child.try_wait() {
                    Ok(Some(status)) if status.success() => return Ok(()),
                    Ok(Some(status)) => bail!("the emulator exited with {status} after SIGTERM"),
                    Ok(None) => std::thread::sleep(Duration::from_millis(50)),
                    Err(_) => break,
                }
            }
        }
        let _ = child.kill();
        let _ = child.wait();
        if sent {
            bail!("the emulator did not stop within {grace:?} of SIGTERM, and was killed");
        }
        Ok(())
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(a: &[&str]) -> Vec<String> {
        a.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn the_copy_for_schemathesis_links_create_case_to_every_operation_on_a_ticket() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let model = osm_spec::Spec::load(root.join("spec/osm.yaml")).unwrap();
        let text = spec_with_links(&model).unwrap();
        // What schemathesis reads is still the spec, to the model, with the links.
        let copy = osm_spec::Spec::from_text("osm.contract.yaml", text).unwrap();
        assert_eq!(copy.operations.len(), model.operations.len());
        let create = copy.operation("create_case").unwrap();
        let linked: Vec<&str> = create
            .success()
            .unwrap()
            .links
            .iter()
            .map(|l| l.operation_id.as_str())
            .collect();
        let on_a_ticket: Vec<&str> = model
            .operations
            .iter()
            .filter(|o| o.param(osm_spec::Location::Path, "case_id").is_some())
            .map(|o| o.id.as_str())
            .collect();
        assert!(on_a_ticket.len() >= 8, "{on_a_ticket:?}");
        assert_eq!(linked, on_a_ticket);
        // Written out, not derived again: the copy's links are all written ones.
        assert!(copy.links().all(|(_, _, l)| !l.derived));
        assert_eq!(copy.links().count(), model.links().count());
        // Every upload's answer leads to every operation on an attachment.
        for upload in ["upload_attachment", "upload_json_attachment"] {
            let linked: Vec<&str> = copy
                .operation(upload)
                .unwrap()
                .success()
                .unwrap()
                .links
                .iter()
                .map(|l| l.operation_id.as_str())
                .collect();
            for op in [
                "download_attachment",
                "delete_attachment",
                "download_images",
                "show_download_accessory_url",
            ] {
                assert!(linked.contains(&op), "{upload} → {op}: {linked:?}");
            }
        }
    }

    #[test]
    fn options() {
        let o = parse_args(&[]).unwrap();
        assert_eq!(o.max_examples, DEFAULT_MAX_EXAMPLES);
        assert_eq!(o.seed, DEFAULT_SEED);
        let o = parse_args(&args(&[
            "--max-examples",
            "5",
            "--seed",
            "9",
            "--",
            "-c",
            "all",
        ]))
        .unwrap();
        assert_eq!((o.max_examples, o.seed), (5, 9));
        assert_eq!(o.extra, ["-c", "all"]);
        assert!(parse_args(&args(&["--max-examples", "0"])).is_err());
        assert!(parse_args(&args(&["--seed"])).is_err());
        assert!(parse_args(&args(&["--bogus"])).is_err());
    }
}
