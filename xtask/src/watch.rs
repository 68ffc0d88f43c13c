//! `cargo xtask drift --from-spec [--site SITE…] [--base-url URL] [--plan]`: fetches the
//! vendor's reference page of every operation, on every site the spec records one for
//! (`x-vendor-pages`, read by the spec's model), and compares each with its operation.
//!
//! Every fetch is bounded ([`Limits`]): a timeout per request, a deadline for the whole
//! run, a few retries of what may pass (a failed connection, 408, 429, 5xx) and a pause
//! before every request but the first, and a size bound on each page. `--base-url`
//! replaces the scheme and host of every recorded URL and keeps the vendor's path
//! (`/intl/en-us/api-ticket/CreateCases.html`), so that a test serves rendered pages on
//! loopback at those paths, and `--plan` prints the URLs without fetching anything.
//!
//! Output: one summary line per operation, in the spec's order —
//!
//! - `ok     <operationId>: <sites>, no drift`
//! - `DRIFT  <operationId>: N differences (<site> N, …)`
//! - `ERROR  <operationId>: <site> <url> could not be read`
//! - `none   <operationId>: no page recorded` (for the sites asked for)
//!
//! then the details of each page (`page <site> <url>: …, read as <layout>` followed by
//! its `drift:`, `declared deviation:` and `warning:` lines, as `drift` prints them), and
//! a last line with the counts. Exit status: 0 no drift, 1 drift, 2 a page could not be
//! fetched or read (each is named on standard error) or the spec could not be.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{Result, anyhow, bail};
use osm_spec::DocSite;

use crate::drift::{self, Report, SpecOperation};
use crate::page::{self, MAX_PAGE_BYTES};
use crate::spec::Spec;

/// The bounds of a run's fetches.
#[derive(Debug, Clone)]
pub struct Limits {
    /// The longest one request may take, connection and body included.
    pub timeout: Duration,
    /// The longest the whole run may spend fetching; pages not fetched by then are
    /// unreadable.
    pub deadline: Duration,
    /// How many times a failure that may pass is retried.
    pub retries: u32,
    /// The pause before every request but the first (and before each retry).
    pub pause: Duration,
    /// The largest page, in bytes.
    pub max_bytes: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            timeout: Duration::from_secs(30),
            deadline: Duration::from_secs(20 * 60),
            retries: 2,
            pause: Duration::from_secs(1),
            max_bytes: MAX_PAGE_BYTES,
        }
    }
}

/// The arguments of `drift --from-spec`.
#[derive(Debug, Clone, Default)]
pub struct Args {
    /// The spec whose pages are fetched and compared.
    pub spec: PathBuf,
    /// The sites to fetch (empty: every site).
    pub sites: Vec<DocSite>,
    /// Replaces the scheme and host of every recorded URL.
    pub base_url: Option<String>,
    /// The bounds of the fetches.
    pub limits: Limits,
    /// Print the URLs, fetch nothing.
    pub plan: bool,
}

/// What a run prints and how it ends.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// 0 no drift, 1 drift, 2 a page could not be read.
    pub code: u8,
    /// Summary lines, details, counts.
    pub stdout: String,
    /// One line per page that could not be read, naming it.
    pub stderr: String,
}

/// `http://host[:port]` (or https), without a path: the part of a URL `--base-url`
/// replaces. The error says what is wrong.
pub fn check_base_url(base: &str) -> Result<String> {
    let base = base.trim_end_matches('/');
    let rest = base
        .strip_prefix("http://")
        .or_else(|| base.strip_prefix("https://"))
        .ok_or_else(|| anyhow!("--base-url {base}: expected http://host[:port]"))?;
    if rest.is_empty() || rest.contains(['/', '?', '#']) || rest.chars().any(char::is_whitespace) {
        bail!("--base-url {base}: expected only a scheme and a host (the vendor's path is kept)");
    }
    Ok(base.to_string())
}

/// One page to fetch: its operation's index, its site and its URL (after `--base-url`).
#[derive(Debug, Clone)]
struct Target {
    op: usize,
    site: DocSite,
    url: String,
}

/// The pages of `spec` for `sites` (all when empty), with `base` in place of their scheme
/// and host.
fn targets(spec: &Spec, sites: &[DocSite], base: Option<&str>) -> Vec<Target> {
    let mut out = Vec::new();
    for (i, op) in spec.model.operations.iter().enumerate() {
        for page in &op.vendor_pages {
            if !sites.is_empty() && !sites.contains(&page.site) {
                continue;
            }
            out.push(Target {
                op: i,
                site: page.site,
                url: match base {
                    Some(b) => format!("{b}{}", page.path()),
                    None => page.url.clone(),
                },
            });
        }
    }
    out
}

/// Whether a failed fetch may pass on a second try.
enum Failure {
    Retry(String),
    Final(String),
}

fn fetch_once(
    url: &str,
    timeout: Duration,
    max_bytes: usize,
) -> std::result::Result<String, Failure> {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(timeout))
        .http_status_as_error(false)
        .max_redirects(5)
        .user_agent(concat!("huaweicloud-osm-xtask/", env!("CARGO_PKG_VERSION")))
        .build()
        .into();
    let mut response = agent
        .get(url)
        .call()
        .map_err(|e| Failure::Retry(format!("cannot fetch it: {e}")))?;
    let status = response.status();
    if !status.is_success() {
        let message = format!("it answered HTTP {status}");
        let code = status.as_u16();
        return Err(if code == 408 || code == 429 || code >= 500 {
            Failure::Retry(message)
        } else {
            Failure::Final(message)
        });
    }
    let bytes = response
        .body_mut()
        .with_config()
        .limit(max_bytes as u64)
        .read_to_vec()
        .map_err(|e| match e {
            ureq::Error::BodyExceedsLimit(_) => {
                Failure::Final(format!("it is larger than {max_bytes} bytes"))
            }
            e => Failure::Retry(format!("cannot read its body: {e}")),
        })?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

/// Fetches one page within the limits; `started` is when the run began, `first` whether
/// no request was made before.
fn fetch(url: &str, limits: &Limits, started: Instant, first: &mut bool) -> Result<String> {
    let mut last = String::new();
    for attempt in 0..=limits.retries {
        if !*first {
            std::thread::sleep(limits.pause);
        }
        *first = false;
        let left = limits.deadline.saturating_sub(started.elapsed());
        if left.is_zero() {
            bail!(
                "the run's deadline ({} s) passed before it could be fetched{}",
                limits.deadline.as_secs(),
                if last.is_empty() {
                    String::new()
                } else {
                    format!(" (last try: {last})")
                }
            );
        }
        match fetch_once(url, limits.timeout.min(left), limits.max_bytes) {
            Ok(text) => return Ok(text),
            Err(Failure::Final(m)) => bail!("{m}"),
            Err(Failure::Retry(m)) => {
                last = if attempt > 0 {
                    format!("{m} (after {} tries)", attempt + 1)
                } else {
                    m
                }
            }
        }
    }
    bail!("{last}")
}

/// What became of one page.
enum PageResult {
    Compared { layout: String, report: Report },
    Unreadable(String),
}

/// Runs `drift --from-spec` and renders its output.
pub fn run_from_spec(args: &Args) -> Outcome {
    let mut out = Outcome {
        code: 0,
        stdout: String::new(),
        stderr: String::new(),
    };
    let fail = |message: String| Outcome {
        code: 2,
        stdout: String::new(),
        stderr: format!("error: {message}\n"),
    };
    let base = match args.base_url.as_deref().map(check_base_url).transpose() {
        Ok(b) => b,
        Err(e) => return fail(format!("{e:#}")),
    };
    let spec = match Spec::load(&args.spec) {
        Ok(s) => s,
        Err(e) => return fail(format!("{e:#}")),
    };
    let ops = match drift::operations(&spec) {
        Ok(o) => o,
        Err(e) => return fail(format!("{e:#}")),
    };
    let targets = targets(&spec, &args.sites, base.as_deref());
    if args.plan {
        for t in &targets {
            let op = &spec.model.operations[t.op];
            out.stdout
                .push_str(&format!("fetch {} {} {}\n", op.id, t.site, t.url));
        }
        out.stdout.push_str(&format!(
            "{} pages of {} operations\n",
            targets.len(),
            spec.model.operations.len()
        ));
        return out;
    }
    if targets.is_empty() {
        return fail("the spec records no page for the sites asked for (x-vendor-pages)".into());
    }

    let started = Instant::now();
    let mut first = true;
    let mut results: Vec<(Target, PageResult)> = Vec::new();
    for t in targets {
        let op_id = &spec.model.operations[t.op].id;
        let Some(op) = ops.iter().find(|o| &o.operation_id == op_id) else {
            continue;
        };
        let result = match fetch(&t.url, &args.limits, started, &mut first) {
            Err(e) => PageResult::Unreadable(format!("{e:#}")),
            Ok(text) => compare_page(&text, op),
        };
        results.push((t, result));
    }

    let mut summary = String::new();
    let mut details = String::new();
    let (mut drifting, mut unreadable, mut without) = (0, 0, 0);
    for (i, op) in spec.model.operations.iter().enumerate() {
        let mine: Vec<&(Target, PageResult)> = results.iter().filter(|(t, _)| t.op == i).collect();
        if mine.is_empty() {
            without += 1;
            summary.push_str(&format!("none   {}: no page recorded\n", op.id));
            continue;
        }
        let mut per_site = Vec::new();
        let mut bad = Vec::new();
        let mut total = 0;
        for (t, r) in &mine {
            match r {
                PageResult::Unreadable(why) => {
                    bad.push(format!("{} {}", t.site, t.url));
                    out.stderr.push_str(&format!(
                        "error: {} ({}): {} could not be read: {why}\n",
                        op.id, t.site, t.url
                    ));
                    details.push_str(&format!(
                        "page {} {}: could not be read: {why}\n",
                        t.site, t.url
                    ));
                }
                PageResult::Compared { layout, report } => {
                    let n = report.differences.len();
                    total += n;
                    if n > 0 {
                        per_site.push(format!("{} {n}", t.site));
                    }
                    details.push_str(&format!(
                        "page {} {}: {} ({}), read as {layout}\n",
                        t.site,
                        t.url,
                        op.signature(),
                        op.id
                    ));
                    for d in &report.differences {
                        details.push_str(&format!("drift: {d}\n"));
                    }
                    for d in &report.deviations {
                        details.push_str(&format!("declared deviation: {d}\n"));
                    }
                    for w in &report.warnings {
                        details.push_str(&format!("warning: {w}\n"));
                    }
                }
            }
        }
        if !bad.is_empty() {
            unreadable += 1;
            summary.push_str(&format!(
                "ERROR  {}: {} could not be read\n",
                op.id,
                bad.join(", ")
            ));
        } else if total > 0 {
            drifting += 1;
            summary.push_str(&format!(
                "DRIFT  {}: {total} difference{} ({})\n",
                op.id,
                if total == 1 { "" } else { "s" },
                per_site.join(", ")
            ));
        } else {
            let sites: Vec<String> = mine.iter().map(|(t, _)| t.site.to_string()).collect();
            summary.push_str(&format!(
                "ok     {}: {}, no drift\n",
                op.id,
                sites.join(", ")
            ));
        }
    }
    out.stdout = format!(
        "{summary}\n{details}\n{} operations, {} pages: {drifting} with drift, {unreadable} with \
         a page that could not be read, {without} without a page\n",
        spec.model.operations.len(),
        results.len()
    );
    out.code = if unreadable > 0 {
        2
    } else if drifting > 0 {
        1
    } else {
        0
    };
    out
}

/// Reads a fetched page and compares it with its operation: a page of another operation
/// is drift (its URI), whatever the spec's other operations.
fn compare_page(text: &str, op: &SpecOperation) -> PageResult {
    let page = match page::parse(text) {
        Ok(p) => p,
        Err(e) => return PageResult::Unreadable(e.to_string()),
    };
    match drift::compare(&page, std::slice::from_ref(op)) {
        Ok(report) => PageResult::Compared {
            layout: page
                .layout
                .map_or("an unknown layout", |l| l.name())
                .to_string(),
            report,
        },
        Err(e) => PageResult::Unreadable(format!("{e:#}")),
    }
}

/// The command: prints and returns the exit status.
pub fn run(args: &Args) -> u8 {
    let out = run_from_spec(args);
    print!("{}", out.stdout);
    eprint!("{}", out.stderr);
    out.code
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_urls() {
        assert_eq!(
            check_base_url("http://127.0.0.1:8080/").unwrap(),
            "http://127.0.0.1:8080"
        );
        assert!(check_base_url("ftp://host").is_err());
        assert!(check_base_url("http://host/path").is_err());
        assert!(check_base_url("http://").is_err());
    }
}
