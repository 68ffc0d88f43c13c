//! `cargo xtask drift --from-spec --base-url`: every page the spec records
//! (`x-vendor-pages`) rendered from the spec — English pages for the intl and eu sites,
//! Chinese ones for the China site (HTML, and Markdown for its `.md` pages) — and served
//! at the vendor's paths by a small HTTP server on loopback. The truth shows no drift;
//! each planted change is named; a page that cannot be had is named with exit 2.

mod common;

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::process::{Command, Output};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{field, real_spec};
use osm_spec::DocSite;
use xtask::drift::{self, Place, SpecOperation};
use xtask::page::Layout;
use xtask::render::{self, Language};
use xtask::watch::{self, Limits};

/// The answers of the test server: per path, the answers in order (the last repeats).
type Answers = HashMap<String, Vec<(u16, String)>>;

struct Server {
    base: String,
    hits: Arc<Mutex<HashMap<String, usize>>>,
}

impl Server {
    fn hits(&self, path: &str) -> usize {
        self.hits.lock().unwrap().get(path).copied().unwrap_or(0)
    }
}

/// Serves `answers` on an ephemeral loopback port; any other path is a 404.
fn serve(answers: Answers) -> Server {
    let listener = TcpListener::bind("127.0.0.1:0").expect("a loopback port");
    let addr = listener.local_addr().unwrap();
    let hits: Arc<Mutex<HashMap<String, usize>>> = Arc::default();
    let seen = Arc::clone(&hits);
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let Ok(clone) = stream.try_clone() else {
                continue;
            };
            let mut reader = BufReader::new(clone);
            let mut request_line = String::new();
            if reader.read_line(&mut request_line).is_err() {
                continue;
            }
            let mut line = String::new();
            while reader.read_line(&mut line).is_ok_and(|n| n > 2) {
                line.clear();
            }
            let path = request_line
                .split_whitespace()
                .nth(1)
                .unwrap_or("")
                .to_string();
            let n = {
                let mut h = seen.lock().unwrap();
                let n = h.entry(path.clone()).or_insert(0);
                *n += 1;
                *n
            };
            let (status, body) = match answers.get(&path) {
                Some(list) => list[(n - 1).min(list.len() - 1)].clone(),
                None => (404, "no such page".to_string()),
            };
            let _ = write!(
                stream,
                "HTTP/1.1 {status} X\r\nContent-Type: text/html; charset=utf-8\r\n\
                 Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    Server {
        base: format!("http://{addr}"),
        hits,
    }
}

/// The layout and language the vendor's site serves a page in.
fn layout_of(site: DocSite, path: &str) -> (Layout, Language) {
    match site {
        DocSite::China if path.ends_with(".md") => (Layout::Markdown, Language::Chinese),
        DocSite::China => (Layout::Html, Language::Chinese),
        DocSite::Eu => (Layout::Paragraphs, Language::English),
        DocSite::Intl => (Layout::Html, Language::English),
    }
}

/// Every page the spec records, rendered from the spec (`change` may alter an
/// operation's page for one site first): path → page.
fn truth(change: &dyn Fn(&str, DocSite, &mut SpecOperation)) -> Answers {
    let spec = real_spec();
    let ops = drift::operations(&spec).unwrap();
    let mut answers = Answers::new();
    for op in &spec.model.operations {
        let page_op = ops.iter().find(|o| o.operation_id == op.id).unwrap();
        for page in &op.vendor_pages {
            let mut this = page_op.clone();
            change(&op.id, page.site, &mut this);
            let (layout, language) = layout_of(page.site, page.path());
            answers.insert(
                page.path().to_string(),
                vec![(200, render::render_in(&this, layout, language))],
            );
        }
    }
    answers
}

fn xtask(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args(args)
        .output()
        .expect("the xtask binary runs")
}

fn from_spec(base: &str, extra: &[&str]) -> Output {
    let mut args = vec!["drift", "--from-spec", "--base-url", base, "--pause", "0"];
    args.extend_from_slice(extra);
    xtask(&args)
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[test]
fn every_recorded_page_is_fetched_and_the_truth_shows_no_drift() {
    let spec = real_spec();
    let answers = truth(&|_, _, _| {});
    let layouts: Vec<(Layout, Language)> = spec
        .model
        .operations
        .iter()
        .flat_map(|o| o.vendor_pages.iter())
        .map(|p| layout_of(p.site, p.path()))
        .collect();
    // Several layouts in both languages are served.
    for want in [
        (Layout::Html, Language::English),
        (Layout::Paragraphs, Language::English),
        (Layout::Html, Language::Chinese),
        (Layout::Markdown, Language::Chinese),
    ] {
        assert!(layouts.contains(&want), "no page served as {want:?}");
    }
    let server = serve(answers.clone());
    let out = from_spec(&server.base, &[]);
    let stdout = text(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stdout}\n{}",
        text(&out.stderr)
    );
    // One summary line per operation, each `ok`, or `none` without a recorded page.
    for op in &spec.model.operations {
        let line = stdout
            .lines()
            .find(|l| l.split_whitespace().nth(1) == Some(&format!("{}:", op.id)))
            .unwrap_or_else(|| panic!("no summary line for {}:\n{stdout}", op.id));
        if op.vendor_pages.is_empty() {
            assert!(line.starts_with("none"), "{line}");
        } else {
            assert!(line.starts_with("ok"), "{line}");
        }
    }
    // Every recorded page was asked for once, at the vendor's path.
    for path in answers.keys() {
        assert_eq!(server.hits(path), 1, "{path}");
    }
    // The Chinese pages were read as what they are.
    assert!(
        stdout
            .lines()
            .any(|l| l.starts_with("page cn ") && l.ends_with("read as Markdown rows")),
        "{stdout}"
    );
    assert!(
        stdout
            .lines()
            .any(|l| l.starts_with("page cn ") && l.ends_with("read as HTML")),
        "{stdout}"
    );
}

#[test]
fn each_planted_change_is_named_in_the_summary_and_the_details() {
    let spec = real_spec();
    let max_len = |op: &mut SpecOperation, place: &Place, name: &str| {
        let f = field(op, place, name);
        f.constraints.max_length.unwrap() + 7
    };
    // One change per page, on pages of both languages and several layouts.
    let answers = truth(&|id, site, op| match (id, site) {
        // English HTML: a length.
        ("create_case", DocSite::Intl) => {
            let n = max_len(op, &Place::Body, "simple_description");
            field(op, &Place::Body, "simple_description")
                .constraints
                .max_length = Some(n);
        }
        // Chinese HTML: an integer's maximum.
        ("list_cases", DocSite::China) => {
            let f = field(op, &Place::Query, "limit");
            f.constraints.maximum = Some(f.constraints.maximum.unwrap() + 900);
        }
        // English paragraphs: an integer's allowed values.
        ("check_need_verify", DocSite::Eu) => {
            field(op, &Place::Query, "contact_way")
                .constraints
                .allowed
                .push(7);
        }
        // Chinese Markdown: the Mandatory column (是/否).
        ("list_messages", DocSite::China) => {
            let f = field(op, &Place::Query, "limit");
            f.required = !f.required;
        }
        _ => {}
    });
    let server = serve(answers);
    let out = from_spec(&server.base, &[]);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");

    let limit = |id: &str, place: Place, name: &str| {
        let op = common::operation(&spec, id);
        op.table(&place)
            .iter()
            .find(|f| f.name == name)
            .unwrap()
            .clone()
    };
    let sd = limit("create_case", Place::Body, "simple_description");
    let lc = limit("list_cases", Place::Query, "limit");
    let cw = limit("check_need_verify", Place::Query, "contact_way");
    let lm = limit("list_messages", Place::Query, "limit");
    let yes_no = |b: bool| if b { "Yes" } else { "No" };
    let allowed: Vec<String> = cw
        .constraints
        .allowed
        .iter()
        .map(ToString::to_string)
        .collect();
    for (id, site, detail) in [
        (
            "create_case",
            "intl",
            format!(
                "drift: body parameter simple_description: Maximum length differs: page {}, spec {}",
                sd.constraints.max_length.unwrap() + 7,
                sd.constraints.max_length.unwrap()
            ),
        ),
        (
            "list_cases",
            "cn",
            format!(
                "drift: query parameter limit: Maximum differs: page {}, spec {}",
                lc.constraints.maximum.unwrap() + 900,
                lc.constraints.maximum.unwrap()
            ),
        ),
        (
            "check_need_verify",
            "eu",
            format!(
                "drift: query parameter contact_way: allowed values differs: page {}, 7, spec {}",
                allowed.join(", "),
                allowed.join(", ")
            ),
        ),
        (
            "list_messages",
            "cn",
            format!(
                "drift: query parameter limit: Mandatory differs: page {}, spec {}",
                yes_no(!lm.required),
                yes_no(lm.required)
            ),
        ),
    ] {
        assert!(
            stdout
                .lines()
                .any(|l| l == format!("DRIFT  {id}: 1 difference ({site} 1)")),
            "{id}:\n{stdout}"
        );
        assert!(stdout.lines().any(|l| l == detail), "{detail}\n{stdout}");
    }
    // Nothing else drifts.
    assert_eq!(stdout.lines().filter(|l| l.starts_with("DRIFT")).count(), 4);
    assert_eq!(
        stdout.lines().filter(|l| l.starts_with("drift:")).count(),
        4,
        "{stdout}"
    );
}

#[test]
fn a_page_that_cannot_be_had_is_named_with_exit_2_and_retried_only_when_it_may_pass() {
    let spec = real_spec();
    let mut answers = truth(&|_, _, _| {});
    let pages: Vec<String> = spec
        .model
        .operations
        .iter()
        .flat_map(|o| o.vendor_pages.iter().map(|p| p.path().to_string()))
        .collect();
    // One page is gone, one fails twice before it answers, one is not a reference page.
    let gone = pages[0].clone();
    let flaky = pages[1].clone();
    let garbage = pages[2].clone();
    answers.remove(&gone);
    let good = answers[&flaky][0].1.clone();
    answers.insert(
        flaky.clone(),
        vec![(503, "busy".into()), (502, "busy".into()), (200, good)],
    );
    answers.insert(
        garbage.clone(),
        vec![(200, "<html><body>moved</body></html>".into())],
    );
    let server = serve(answers);
    let out = from_spec(&server.base, &["--retries", "2"]);
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(2), "{stdout}\n{stderr}");
    let gone_url = format!("{}{gone}", server.base);
    let garbage_url = format!("{}{garbage}", server.base);
    assert!(
        stderr
            .lines()
            .any(|l| l.contains(&gone_url) && l.contains("404")),
        "{stderr}"
    );
    assert!(
        stderr
            .lines()
            .any(|l| l.contains(&garbage_url) && l.contains("Request Parameters")),
        "{stderr}"
    );
    assert!(
        !stderr.contains(&format!("{}{flaky}", server.base)),
        "{stderr}"
    );
    // A 404 is final; the 5xx answers were retried until the page came.
    assert_eq!(server.hits(&gone), 1);
    assert_eq!(server.hits(&flaky), 3);
    assert!(
        stdout
            .lines()
            .any(|l| l.starts_with("ERROR") && l.contains(&gone_url)),
        "{stdout}"
    );
}

#[test]
fn the_size_bound_and_the_deadline_hold() {
    let spec = real_spec();
    let answers = truth(&|_, _, _| {});
    let server = serve(answers);
    let args = |limits: Limits| watch::Args {
        spec: xtask::default_spec_path(),
        sites: vec![DocSite::Intl],
        base_url: Some(server.base.clone()),
        limits,
        plan: false,
    };
    let intl_pages = spec
        .model
        .operations
        .iter()
        .flat_map(|o| &o.vendor_pages)
        .filter(|p| p.site == DocSite::Intl)
        .count();

    let small = watch::run_from_spec(&args(Limits {
        pause: Duration::ZERO,
        max_bytes: 100,
        ..Limits::default()
    }));
    assert_eq!(small.code, 2);
    assert_eq!(
        small
            .stderr
            .lines()
            .filter(|l| l.contains("larger than 100 bytes"))
            .count(),
        intl_pages,
        "{}",
        small.stderr
    );

    let late = watch::run_from_spec(&args(Limits {
        pause: Duration::ZERO,
        deadline: Duration::ZERO,
        ..Limits::default()
    }));
    assert_eq!(late.code, 2);
    assert!(late.stderr.contains("deadline"), "{}", late.stderr);
    // Nothing was fetched after the deadline; only the intl site was asked for.
    let fetched: usize = spec
        .model
        .operations
        .iter()
        .flat_map(|o| &o.vendor_pages)
        .map(|p| server.hits(p.path()))
        .sum();
    assert_eq!(fetched, intl_pages, "only the size-bound run fetched");
}

#[test]
fn plan_lists_every_recorded_url_with_the_base_url_in_place_of_the_host() {
    let spec = real_spec();
    let out = xtask(&[
        "drift",
        "--from-spec",
        "--site",
        "cn",
        "--base-url",
        "http://127.0.0.1:1",
        "--plan",
    ]);
    assert_eq!(out.status.code(), Some(0));
    let stdout = text(&out.stdout);
    let want: Vec<String> = spec
        .model
        .operations
        .iter()
        .flat_map(|o| {
            o.vendor_pages
                .iter()
                .filter(|p| p.site == DocSite::China)
                .map(move |p| format!("fetch {} cn http://127.0.0.1:1{}", o.id, p.path()))
        })
        .collect();
    let got: Vec<&str> = stdout.lines().filter(|l| l.starts_with("fetch ")).collect();
    assert_eq!(got, want);
    let bad = xtask(&["drift", "--from-spec", "--site", "mars"]);
    assert_eq!(bad.status.code(), Some(2));
    let bad = xtask(&["drift", "--from-spec", "--base-url", "http://h/x", "--plan"]);
    assert_eq!(bad.status.code(), Some(2));
}

#[test]
fn chinese_pages_are_read_in_every_layout() {
    let spec = real_spec();
    for id in ["create_case", "list_cases", "check_need_verify"] {
        let op = common::operation(&spec, id);
        for layout in Layout::ALL {
            let page = render::render_in(&op, layout, Language::Chinese);
            assert!(page.contains("参数类型"), "{id} {layout}");
            let out = drift::run_text("zh", &page, &spec, false);
            assert!(
                out.stdout
                    .lines()
                    .any(|l| l == format!("page zh: {} ({id}), read as {layout}", op.uri())),
                "{id} {layout}:\n{}{}",
                out.stdout,
                out.stderr
            );
            assert!(
                !out.stdout.lines().any(|l| l.starts_with("drift:")),
                "{id} {layout}:\n{}",
                out.stdout
            );
        }
    }
}
