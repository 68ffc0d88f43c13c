//! Links between operations: which answer gives the value another operation's parameter
//! takes (a ticket's id from `create_case` for every `case_id`), so that a tool walking
//! the API (schemathesis's stateful phase, `cargo xtask contract`) can call an operation
//! with an id that exists.
//!
//! Two sources, one model ([`Link`] on [`Response::links`]):
//!
//! - OpenAPI's own `links` on a response, written out one by one. Each is checked: it
//!   names its target by `operationId` (an `operationRef` is refused), the target exists,
//!   every parameter it sets is one of the target's, and every runtime expression reads
//!   something the source has.
//! - `x-link-path-parameters` on a response, a map of a path parameter's name to the
//!   expression that gives its value (`case_id: $response.body#/incident_id`): a link to
//!   **every** operation with a path parameter of that name, derived here. An operation
//!   added to the spec with a `case_id` in its path is linked with no edit, and the name
//!   of the parameter stays the one source of truth. A written link to the same
//!   operation wins over the derived one.
//!
//! [`Response::links`]: crate::Response::links

use std::fmt;

use crate::{Kind, Location, Operation, Result, SpecError};

/// The extension that derives links from path parameters' names.
pub const LINK_PATH_PARAMETERS: &str = "x-link-path-parameters";

/// A link from one operation's answer to another operation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    /// The link's name: the key under `links`, or, when derived, the target's id.
    pub name: String,
    /// The operation it leads to (`operationId`).
    pub operation_id: String,
    /// The target's parameters it sets, in the spec's order.
    pub parameters: Vec<LinkParameter>,
    /// The link's description.
    pub description: Option<String>,
    /// Whether it was derived from `x-link-path-parameters` rather than written out.
    pub derived: bool,
}

/// One parameter a [`Link`] sets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkParameter {
    /// Where the parameter is, when the link says (`path.case_id`); else found by name.
    pub location: Option<Location>,
    /// The parameter's name.
    pub name: String,
    /// A runtime expression (`$response.body#/incident_id`) or a constant.
    pub value: String,
}

impl LinkParameter {
    /// The key OpenAPI writes it under: `path.case_id`, or the bare name.
    pub fn key(&self) -> String {
        match self.location {
            Some(l) => format!("{}.{}", l.as_str(), self.name),
            None => self.name.clone(),
        }
    }
}

impl fmt::Display for Link {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} →", self.name)?;
        write!(f, " {}(", self.operation_id)?;
        for (i, p) in self.parameters.iter().enumerate() {
            if i > 0 {
                write!(f, ", ")?;
            }
            write!(f, "{} = {}", p.key(), p.value)?;
        }
        write!(f, ")")
    }
}

fn err<T>(message: String) -> Result<T> {
    Err(SpecError(message))
}

/// A link as the spec writes it, before it is checked against the operations.
pub(crate) fn read(
    name: &str,
    link: &openapiv3::ReferenceOr<openapiv3::Link>,
    at: &str,
) -> Result<Link> {
    let openapiv3::ReferenceOr::Item(link) = link else {
        return err(format!(
            "{at}: link {name} is a reference; write it out (components.links is not read)"
        ));
    };
    let operation_id = match &link.operation {
        openapiv3::LinkOperation::OperationId(id) => id.clone(),
        openapiv3::LinkOperation::OperationRef(r) => {
            return err(format!(
                "{at}: link {name} names its operation by operationRef {r}; use operationId"
            ));
        }
    };
    if link.request_body.is_some() {
        return err(format!(
            "{at}: link {name} sets a requestBody; only parameters are supported"
        ));
    }
    if link.server.is_some() {
        return err(format!(
            "{at}: link {name} names a server; links stay on the spec's servers"
        ));
    }
    let mut parameters = Vec::new();
    for (key, value) in &link.parameters {
        let value = match value {
            serde_json::Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        let (location, pname) = match key.split_once('.') {
            Some((l, n)) => match location(l) {
                Some(l) => (Some(l), n.to_owned()),
                None => {
                    return err(format!(
                        "{at}: link {name}: parameter {key}: {l} is not a location (path, query, header)"
                    ));
                }
            },
            None => (None, key.clone()),
        };
        parameters.push(LinkParameter {
            location,
            name: pname,
            value,
        });
    }
    if parameters.is_empty() {
        return err(format!("{at}: link {name} sets no parameter"));
    }
    Ok(Link {
        name: name.to_owned(),
        operation_id,
        parameters,
        description: link.description.as_deref().map(crate::collapse),
        derived: false,
    })
}

fn location(word: &str) -> Option<Location> {
    match word {
        "path" => Some(Location::Path),
        "query" => Some(Location::Query),
        "header" => Some(Location::Header),
        _ => None,
    }
}

/// `x-link-path-parameters` of a response: (path parameter's name, expression).
pub(crate) fn read_path_parameters(
    ext: &indexmap::IndexMap<String, serde_json::Value>,
    at: &str,
) -> Result<Vec<(String, String)>> {
    let Some(v) = ext.get(LINK_PATH_PARAMETERS) else {
        return Ok(Vec::new());
    };
    let Some(map) = v.as_object().filter(|m| !m.is_empty()) else {
        return err(format!(
            "{at}: {LINK_PATH_PARAMETERS} must map a path parameter's name to the expression \
             that gives its value, such as `case_id: $response.body#/incident_id`"
        ));
    };
    map.iter()
        .map(|(name, value)| match value.as_str() {
            Some(expr) => Ok((name.clone(), expr.to_owned())),
            None => err(format!(
                "{at}: {LINK_PATH_PARAMETERS}: {name} must be a runtime expression (text)"
            )),
        })
        .collect()
}

/// Checks every written link against the operations, then adds the derived ones.
pub(crate) fn resolve(ops: &mut [Operation]) -> Result<()> {
    let snapshot: Vec<Operation> = ops.to_vec();
    let find = |id: &str| snapshot.iter().find(|o| o.id == id);
    for (oi, op) in ops.iter_mut().enumerate() {
        let source = &snapshot[oi];
        for (ri, response) in op.responses.iter_mut().enumerate() {
            let at = format!("{}: response {}", op.id, response.status);
            for link in &response.links {
                let target = find(&link.operation_id).ok_or_else(|| {
                    SpecError(format!(
                        "{at}: link {} leads to operation {}, which the spec does not have",
                        link.name, link.operation_id
                    ))
                })?;
                for p in &link.parameters {
                    let found = target
                        .params
                        .iter()
                        .any(|t| t.name == p.name && p.location.is_none_or(|l| l == t.location));
                    if !found {
                        return err(format!(
                            "{at}: link {}: {} has no parameter {}",
                            link.name,
                            target.id,
                            p.key()
                        ));
                    }
                    check_expression(source, ri, &p.value).map_err(|m| {
                        SpecError(format!("{at}: link {}: {}: {m}", link.name, p.key()))
                    })?;
                }
            }
            let mut derived = Vec::new();
            for (param, expr) in &response.link_path_parameters {
                check_expression(source, ri, expr).map_err(|m| {
                    SpecError(format!("{at}: {LINK_PATH_PARAMETERS}: {param}: {m}"))
                })?;
                let targets: Vec<&Operation> = snapshot
                    .iter()
                    .filter(|t| t.id != op.id && t.param(Location::Path, param).is_some())
                    .collect();
                if targets.is_empty() {
                    return err(format!(
                        "{at}: {LINK_PATH_PARAMETERS}: no operation has a path parameter {param}"
                    ));
                }
                for t in targets {
                    let written = response
                        .links
                        .iter()
                        .chain(derived.iter())
                        .any(|l: &Link| l.operation_id == t.id);
                    if written {
                        continue;
                    }
                    derived.push(Link {
                        name: t.id.clone(),
                        operation_id: t.id.clone(),
                        parameters: vec![LinkParameter {
                            location: Some(Location::Path),
                            name: param.clone(),
                            value: expr.clone(),
                        }],
                        description: Some(format!(
                            "{} takes its {param} from this answer ({expr})",
                            t.id
                        )),
                        derived: true,
                    });
                }
            }
            response.links.extend(derived);
        }
    }
    Ok(())
}

/// Checks a link's value: a constant, or a runtime expression reading something the
/// source operation has (its parameters, its answer's members).
fn check_expression(
    source: &Operation,
    response: usize,
    expr: &str,
) -> std::result::Result<(), String> {
    let Some(rest) = expr.strip_prefix('$') else {
        // A constant.
        return Ok(());
    };
    if matches!(rest, "url" | "method" | "statusCode") {
        return Ok(());
    }
    let param = |location: Location, name: &str| {
        if source.param(location, name).is_some() {
            Ok(())
        } else {
            Err(format!(
                "{} has no {} parameter {name}",
                source.id,
                location.as_str()
            ))
        }
    };
    if let Some(name) = rest.strip_prefix("request.path.") {
        return param(Location::Path, name);
    }
    if let Some(name) = rest.strip_prefix("request.query.") {
        return param(Location::Query, name);
    }
    if let Some(name) = rest.strip_prefix("request.header.") {
        return param(Location::Header, name);
    }
    if let Some(name) = rest.strip_prefix("response.header.") {
        let r = &source.responses[response];
        return if r.headers.iter().any(|h| h.eq_ignore_ascii_case(name)) {
            Ok(())
        } else {
            Err(format!("response {} declares no header {name}", r.status))
        };
    }
    let (body, pointer) = if let Some(p) = rest.strip_prefix("request.body#") {
        (source.body.as_ref().map(|b| b.fields.as_slice()), p)
    } else if let Some(p) = rest.strip_prefix("response.body#") {
        (
            source.responses[response]
                .body
                .as_ref()
                .map(|b| b.fields.as_slice()),
            p,
        )
    } else {
        return Err(format!(
            "{expr} is not a runtime expression ($url, $method, $statusCode, \
             $request.path|query|header.NAME, $request.body#/POINTER, $response.header.NAME, \
             $response.body#/POINTER)"
        ));
    };
    let Some(mut fields) = body else {
        return Err(format!("{expr} reads a body the operation does not have"));
    };
    let Some(pointer) = pointer.strip_prefix('/') else {
        return Err(format!("{expr}: the pointer after # must start with /"));
    };
    let mut segments = pointer
        .split('/')
        .map(|s| s.replace("~1", "/").replace("~0", "~"))
        .peekable();
    while let Some(seg) = segments.next() {
        let Some(f) = fields.iter().find(|f| f.name == seg) else {
            return Err(format!("{expr}: the body has no member {seg}"));
        };
        if segments.peek().is_none() {
            break;
        }
        fields = match f.kind {
            Kind::Object => f.properties.as_slice(),
            Kind::Array => {
                // An index, then the items' members.
                let index = segments.next().unwrap_or_default();
                if index.parse::<usize>().is_err() {
                    return Err(format!(
                        "{expr}: {seg} is an array; {index} is not an index"
                    ));
                }
                f.item_properties()
            }
            _ => return Err(format!("{expr}: {seg} has no members")),
        };
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::Spec;

    /// A spec where `create_thing` answers `{thing_id}` with `response`'s extras, and
    /// three operations take a `thing_id` (two in the path, one in the query).
    fn spec(response: &str) -> crate::Result<Spec> {
        let text = format!(
            "openapi: 3.0.3
info: {{title: t, version: '1'}}
paths:
  /things:
    post:
      operationId: create_thing
      responses:
        '200':
          description: ok
{response}          content:
            application/json:
              schema:
                $ref: '#/components/schemas/Thing'
    get:
      operationId: list_things
      parameters:
        - {{name: thing_id, in: query, schema: {{type: string}}}}
      responses:
        '200': {{description: ok}}
  /things/{{thing_id}}:
    get:
      operationId: show_thing
      parameters:
        - {{name: thing_id, in: path, required: true, schema: {{type: string}}}}
      responses:
        '200': {{description: ok}}
    delete:
      operationId: delete_thing
      parameters:
        - {{name: thing_id, in: path, required: true, schema: {{type: string}}}}
      responses:
        '200': {{description: ok}}
components:
  schemas:
    Thing:
      type: object
      properties:
        thing_id: {{type: string}}
        owner: {{type: object, properties: {{name: {{type: string}}}}}}
"
        );
        Spec::from_text("test.yaml", text)
    }

    fn links(spec: &Spec) -> Vec<String> {
        spec.links()
            .map(|(o, status, l)| {
                format!(
                    "{} {status} {l}{}",
                    o.id,
                    if l.derived { " (derived)" } else { "" }
                )
            })
            .collect()
    }

    #[test]
    fn a_path_parameter_links_every_operation_that_takes_it() {
        let s = spec(
            "          x-link-path-parameters:\n            thing_id: $response.body#/thing_id\n",
        )
        .unwrap();
        assert_eq!(
            links(&s),
            [
                "create_thing 200 show_thing → show_thing(path.thing_id = $response.body#/thing_id) (derived)",
                "create_thing 200 delete_thing → delete_thing(path.thing_id = $response.body#/thing_id) (derived)",
            ]
        );
        // progenitor sees neither the links nor the extension.
        let doc = serde_json::to_value(s.progenitor_input()).unwrap();
        let r = &doc["paths"]["/things"]["post"]["responses"]["200"];
        assert!(
            r.get("links").is_none() && r.get("x-link-path-parameters").is_none(),
            "{r}"
        );
    }

    #[test]
    fn a_written_link_is_checked_and_wins_over_the_derived_one() {
        let s = spec(
            "          x-link-path-parameters:\n            thing_id: $response.body#/thing_id\n          \
             links:\n            remove:\n              operationId: delete_thing\n              \
             parameters:\n                thing_id: $response.body#/thing_id\n            \
             find:\n              operationId: list_things\n              \
             parameters:\n                query.thing_id: $response.body#/owner/name\n",
        )
        .unwrap();
        assert_eq!(
            links(&s),
            [
                "create_thing 200 remove → delete_thing(thing_id = $response.body#/thing_id)",
                "create_thing 200 find → list_things(query.thing_id = $response.body#/owner/name)",
                "create_thing 200 show_thing → show_thing(path.thing_id = $response.body#/thing_id) (derived)",
            ]
        );
    }

    #[test]
    fn a_wrong_link_is_refused_naming_where_and_why() {
        let link = |body: &str| {
            spec(&format!("          links:\n            l:\n{body}"))
                .unwrap_err()
                .to_string()
        };
        for (body, says) in [
            (
                "              operationId: show_nothing\n              parameters: {thing_id: $response.body#/thing_id}\n",
                "link l leads to operation show_nothing, which the spec does not have",
            ),
            (
                "              operationId: show_thing\n              parameters: {thing: $response.body#/thing_id}\n",
                "link l: show_thing has no parameter thing",
            ),
            (
                "              operationId: show_thing\n              parameters: {query.thing_id: $response.body#/thing_id}\n",
                "show_thing has no parameter query.thing_id",
            ),
            (
                "              operationId: show_thing\n              parameters: {thing_id: $response.body#/id}\n",
                "the body has no member id",
            ),
            (
                "              operationId: show_thing\n              parameters: {thing_id: $response.body#/owner/age}\n",
                "the body has no member age",
            ),
            (
                "              operationId: show_thing\n              parameters: {thing_id: $request.path.thing_id}\n",
                "create_thing has no path parameter thing_id",
            ),
            (
                "              operationId: show_thing\n              parameters: {thing_id: $responsebody}\n",
                "is not a runtime expression",
            ),
            (
                "              operationRef: '#/paths/~1things~1{thing_id}/get'\n              parameters: {thing_id: $response.body#/thing_id}\n",
                "use operationId",
            ),
            (
                "              operationId: show_thing\n",
                "sets no parameter",
            ),
        ] {
            let e = link(body);
            assert!(
                e.contains("create_thing: response 200") && e.contains(says),
                "{body}: {e}"
            );
        }
        for (ext, says) in [
            (
                "          x-link-path-parameters:\n            thing: $response.body#/thing_id\n",
                "no operation has a path parameter thing",
            ),
            (
                "          x-link-path-parameters:\n            thing_id: $response.body#/id\n",
                "the body has no member id",
            ),
            (
                "          x-link-path-parameters: [thing_id]\n",
                "must map a path parameter",
            ),
        ] {
            let e = spec(ext).unwrap_err().to_string();
            assert!(
                e.contains("create_thing: response 200") && e.contains(says),
                "{ext}: {e}"
            );
        }
    }
}
