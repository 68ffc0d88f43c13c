//! What `osm` prints: answers as JSON (as the service sent them) or as text tables,
//! failures with their exit codes, and one JSON error object on standard output for
//! every failure under `-o json`.

use std::io::Write;

use huaweicloud_osm::{Error, ErrorKind};
use serde_json::{Value, json};
use unicode_width::UnicodeWidthStr;

/// A failure with its exit code; the message is printed on standard error.
pub struct Failure {
    pub code: u8,
    pub message: String,
    pub json: Value,
}

impl Failure {
    fn plain(code: u8, kind: &str, message: String) -> Self {
        Self {
            code,
            json: json!({"error": {"kind": kind, "message": message, "outcome_unknown": false}}),
            message,
        }
    }

    /// A failure with its own exit code.
    pub fn plain_code(code: u8, kind: &str, message: impl Into<String>) -> Self {
        Self::plain(code, kind, message.into())
    }

    /// Invalid input or usage; nothing was sent (exit 2).
    pub fn usage(message: impl Into<String>) -> Self {
        Self::plain(2, "Usage", message.into())
    }

    /// Nothing could be sent: credentials, configuration, connection (exit 4).
    pub fn setup(message: impl Into<String>) -> Self {
        Self::plain(4, "Setup", message.into())
    }
}

/// The exit code of a library error.
pub fn exit_code(err: &Error) -> u8 {
    match err.kind() {
        ErrorKind::Validation => 2,
        ErrorKind::Credentials | ErrorKind::Configuration | ErrorKind::Connect => 4,
        _ if err.outcome_unknown() => 3,
        _ if err.is_auth() => 5,
        _ => 1,
    }
}

fn error_json(err: &Error) -> Value {
    json!({
        "error": {
            "kind": format!("{:?}", err.kind()),
            "operation": err.operation(),
            "message": err.to_string(),
            "causes": causes(err),
            "http_status": err.http_status(),
            "error_code": err.error_code(),
            "error_msg": err.error_msg(),
            "request_id": err.request_id(),
            "outcome_unknown": err.outcome_unknown(),
            "attempts": err.attempts(),
        }
    })
}

/// The error's source chain, outermost first, each link made safe for a terminal (at
/// most 8 links).
fn causes(err: &Error) -> Vec<String> {
    std::iter::successors(std::error::Error::source(err), |c| c.source())
        .take(8)
        .map(|c| clean(&c.to_string()))
        .collect()
}

/// A library error as a failure; `flag` names the flag of the field at fault.
pub fn from_error(err: Error, flag: impl Fn(&str) -> Option<String>) -> Failure {
    let mut message = format!("error: {}", clean(&err.to_string()));
    // The cause ("Connection refused", the credential source that failed) is the
    // error's source chain, not its Display: print it as `{:#}` does, each link once.
    for cause in causes(&err) {
        if !message.contains(&cause) {
            message.push_str(": ");
            message.push_str(&cause);
        }
    }
    if let Some(f) = err.validation().and_then(|v| flag(v.field())) {
        message.push_str(&format!(" (flag {f})"));
    }
    if err.kind() == ErrorKind::Service {
        for (label, value) in [
            ("error_code", err.error_code()),
            ("error_msg", err.error_msg()),
            ("request id", err.request_id()),
        ] {
            if let Some(v) = value {
                message.push_str(&format!("\n  {label}: {}", clean(v)));
            }
        }
        if err.is_auth() {
            message.push_str("\n  authentication failed: check the credentials (exit 5)");
        }
    } else if err.outcome_unknown() {
        message.push_str(&format!(
            "\n  the ticket may exist: check the console before trying again (request id: {})",
            err.request_id()
                .map(clean)
                .unwrap_or_else(|| "unknown".into())
        ));
    }
    Failure {
        code: exit_code(&err),
        message,
        json: error_json(&err),
    }
}

/// Text from the service made safe for a terminal: control characters (ESC, CR, LF…),
/// the bidirectional controls (U+202E "right-to-left override" and its kin), line and
/// paragraph separators and the other invisible format characters are shown escaped
/// (`\u{202e}`), so an answer cannot forge lines, colours, a window title or the
/// clipboard, nor reorder what is shown.
pub fn clean(text: &str) -> String {
    if !text.chars().any(unsafe_char) {
        return text.to_owned();
    }
    text.chars()
        .map(|c| {
            if c.is_control() {
                c.escape_default().to_string()
            } else if unsafe_char(c) {
                c.escape_unicode().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

/// Whether `c` must not reach a terminal raw: a control character, or one of Unicode's
/// format characters (general category Cf: bidirectional controls, zero-width
/// characters, tags…) or separators (Zl, Zp).
pub fn unsafe_char(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{00AD}'
                | '\u{0600}'..='\u{0605}'
                | '\u{061C}'
                | '\u{06DD}'
                | '\u{070F}'
                | '\u{0890}'..='\u{0891}'
                | '\u{08E2}'
                | '\u{180E}'
                | '\u{200B}'..='\u{200F}'
                | '\u{2028}'..='\u{202E}'
                | '\u{2060}'..='\u{2064}'
                | '\u{2066}'..='\u{206F}'
                | '\u{FEFF}'
                | '\u{FFF9}'..='\u{FFFB}'
                | '\u{110BD}'
                | '\u{110CD}'
                | '\u{13430}'..='\u{1343F}'
                | '\u{1BCA0}'..='\u{1BCA3}'
                | '\u{1D173}'..='\u{1D17A}'
                | '\u{E0001}'
                | '\u{E0020}'..='\u{E007F}'
        )
}

static QUERY: std::sync::OnceLock<String> = std::sync::OnceLock::new();

/// The longest `--query` expression accepted, in characters.
pub const MAX_QUERY_LENGTH: usize = 1024;
/// The most operators (`[`, `(`, `{`, `!`, `.`, `|`, `&`, `<`, `>`, `=` outside quoted
/// literals) a `--query` expression may hold: the JMESPath parser recurses once per
/// operator, so this bounds its stack.
pub const MAX_QUERY_OPERATORS: usize = 128;

/// The operators of a JMESPath expression outside its literals (`'…'`, `"…"`, `` `…` ``).
fn query_operators(expression: &str) -> usize {
    let mut quote = None;
    let mut escaped = false;
    let mut n = 0;
    for c in expression.chars() {
        match quote {
            Some(q) => {
                if escaped {
                    escaped = false;
                } else if c == '\\' {
                    escaped = true;
                } else if c == q {
                    quote = None;
                }
            }
            None => match c {
                '\'' | '"' | '`' => quote = Some(c),
                '[' | '(' | '{' | '!' | '.' | '|' | '&' | '<' | '>' | '=' => n += 1,
                _ => {}
            },
        }
    }
    n
}

/// Checks a `--query` JMESPath expression and keeps it for [`json`]; a bad one is a
/// usage failure (exit 2). The expression is bounded ([`MAX_QUERY_LENGTH`],
/// [`MAX_QUERY_OPERATORS`]) before it is compiled.
pub fn set_query(expression: &str) -> Result<(), Failure> {
    let len = expression.chars().count();
    if len > MAX_QUERY_LENGTH {
        return Err(Failure::usage(format!(
            "--query: {len} characters; at most {MAX_QUERY_LENGTH} are accepted"
        )));
    }
    let ops = query_operators(expression);
    if ops > MAX_QUERY_OPERATORS {
        return Err(Failure::usage(format!(
            "--query: {ops} operators ([, (, {{, !, ., |, &, <, >, =); at most {MAX_QUERY_OPERATORS} are accepted"
        )));
    }
    jmespath::compile(expression).map_err(|e| {
        Failure::usage(format!(
            "--query {:?}: not a JMESPath expression: {}",
            clean(expression),
            clean(&e.to_string())
        ))
    })?;
    let _ = QUERY.set(expression.to_owned());
    Ok(())
}

/// Prints a JSON answer, or with `--query` what the expression picks from it.
pub fn json(text: &str) {
    let Some(query) = QUERY.get() else {
        out(text);
        return;
    };
    let value: Value = match serde_json::from_str(text) {
        Ok(v) => v,
        Err(_) => {
            out(text);
            return;
        }
    };
    let picked = jmespath::compile(query)
        .and_then(|expr| expr.search(&value))
        .map_err(|e| e.to_string())
        .and_then(|v| serde_json::to_string(&*v).map_err(|e| e.to_string()));
    match picked {
        Ok(p) => out(&raw_form(p)),
        Err(e) => {
            let f = Failure::usage(format!("--query {query:?}: {e}"));
            print_failure(&f, true);
            std::process::exit(i32::from(f.code));
        }
    }
}

static RAW: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Turns on `--raw`: what `--query` picks is printed as `jq -r` does.
pub fn set_raw(on: bool) {
    RAW.store(on, std::sync::atomic::Ordering::Relaxed);
}

/// With `--raw`, a JSON string as its text (made safe for a terminal with [`clean`]),
/// an array of strings and scalars one per line; anything else as JSON.
fn raw_form(json_text: String) -> String {
    if !RAW.load(std::sync::atomic::Ordering::Relaxed) {
        return json_text;
    }
    let scalar = |v: &Value| match v {
        Value::String(s) => Some(clean(s)),
        Value::Number(_) | Value::Bool(_) | Value::Null => Some(v.to_string()),
        _ => None,
    };
    match serde_json::from_str::<Value>(&json_text) {
        Ok(Value::Array(items)) => {
            let lines: Option<Vec<String>> = items.iter().map(scalar).collect();
            lines.map_or(json_text, |l| l.join("\n"))
        }
        Ok(v) => scalar(&v).unwrap_or(json_text),
        Err(_) => json_text,
    }
}

/// Prints a failure: its message on standard error, and under JSON output its one JSON
/// error object on standard output (a closed pipe is ignored, the exit code kept).
pub fn print_failure(f: &Failure, json_output: bool) {
    if json_output {
        print_failure_json(f);
    }
    let _ = writeln!(std::io::stderr(), "osm: {}", f.message);
}

/// Prints a failure's JSON error object on standard output (a closed pipe is ignored).
pub fn print_failure_json(f: &Failure) {
    let mut stdout = std::io::stdout().lock();
    let _ = writeln!(stdout, "{}", f.json);
    let _ = stdout.flush();
}

/// Writes a line to standard output; a closed pipe (`osm … | head`) ends quietly.
pub fn out(line: &str) {
    let mut stdout = std::io::stdout().lock();
    if writeln!(stdout, "{line}").is_err() {
        std::process::exit(0);
    }
}

fn cell(v: &Value) -> String {
    match v {
        Value::String(s) => clean(s),
        Value::Null => String::new(),
        Value::Array(a) => format!("[{} items]", a.len()),
        Value::Object(_) => "{…}".into(),
        other => other.to_string(),
    }
}

/// An aligned table of an array of objects: one column per scalar member (in the order
/// the first row has them), nested lists summarised. Widths are display widths, so
/// Chinese names line up too.
pub fn table(rows: &[Value]) -> Vec<String> {
    let mut columns: Vec<String> = Vec::new();
    for row in rows {
        if let Value::Object(map) = row {
            for (k, v) in map {
                if !columns.contains(k) && !matches!(v, Value::Object(_)) {
                    columns.push(k.clone());
                }
            }
        }
    }
    let cells: Vec<Vec<String>> = rows
        .iter()
        .map(|row| {
            columns
                .iter()
                .map(|c| row.get(c).map(cell).unwrap_or_default())
                .collect()
        })
        .collect();
    // The keys come from the service too: shown cleaned, like the values.
    let headers: Vec<String> = columns.iter().map(|c| clean(c)).collect();
    let widths: Vec<usize> = headers
        .iter()
        .enumerate()
        .map(|(i, c)| {
            cells
                .iter()
                .map(|r| r[i].width())
                .chain([c.width()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let line = |values: &[String]| {
        let mut s = String::new();
        for (i, v) in values.iter().enumerate() {
            if i + 1 == values.len() {
                s.push_str(v);
            } else {
                s.push_str(v);
                s.push_str(&" ".repeat(widths[i].saturating_sub(v.width()) + 2));
            }
        }
        s
    };
    let mut out = vec![line(&headers)];
    out.extend(cells.iter().map(|r| line(r)));
    out
}

/// Prints an answer as text: each array of objects as a table under its name, each
/// object as its members indented, every other member as `name: value`.
pub fn text(value: &Value) {
    match value {
        Value::Object(map) => text_members(map, ""),
        other => out(&cell(other)),
    }
}

fn text_members(map: &serde_json::Map<String, Value>, indent: &str) {
    let deeper = format!("{indent}  ");
    for (k, v) in map {
        let k = clean(k);
        match v {
            Value::Array(rows) if !rows.is_empty() && rows.iter().all(Value::is_object) => {
                out(&format!("{indent}{k}:"));
                for l in table(rows) {
                    out(&format!("{deeper}{l}"));
                }
            }
            Value::Object(inner) => {
                out(&format!("{indent}{k}:"));
                text_members(inner, &deeper);
            }
            other => out(&format!("{indent}{k}: {}", cell(other))),
        }
    }
}

/// Prints an answer: the service's JSON as it came, or text.
pub fn answer(raw: &[u8], value: &Value, json_output: bool) {
    if json_output {
        json(String::from_utf8_lossy(raw).trim());
    } else {
        text(value);
    }
}
