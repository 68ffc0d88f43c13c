//! Expectations: "this operation, matching this, N times", checked when verified or
//! when their guard is dropped, like wiremock's `expect(1)`.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use serde_json::{Value, json};

use crate::Shared;
use crate::journal::RecordedRequest;
use crate::matcher::Matcher;

/// How many closest requests a report shows for an expectation that was not met.
const CLOSEST: usize = 3;
/// How many of the requests that did match a report shows for one seen too often.
const SHOWN_MATCHES: usize = 5;

/// How many matching requests an [`Expectation`] wants.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Times {
    Between(u64, u64),
}

impl Times {
    fn holds(self, n: u64) -> bool {
        let Times::Between(lo, hi) = self;
        (lo..=hi).contains(&n)
    }
}

impl fmt::Display for Times {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let plural = |n: u64| if n == 1 { "time" } else { "times" };
        match *self {
            Times::Between(lo, hi) if lo == hi => write!(f, "exactly {lo} {}", plural(lo)),
            Times::Between(lo, u64::MAX) => write!(f, "at least {lo} {}", plural(lo)),
            Times::Between(0, hi) => write!(f, "at most {hi} {}", plural(hi)),
            Times::Between(lo, hi) => write!(f, "between {lo} and {hi} times"),
        }
    }
}

/// A declaration that requests like these arrive a number of times (at least once
/// unless told otherwise). Register it with
/// [`RunningEmulator::expect`](crate::RunningEmulator::expect).
///
/// ```
/// use osm_emulator::Expectation;
/// let one_english_create = Expectation::operation("create_case")
///     .matching(|r| r.header("x-language") == Some("en-us"))
///     .times(1);
/// # let _ = one_english_create;
/// ```
///
/// Requests are counted when they are answered (or dropped by a fault), refused ones
/// included: add [`status`](Self::status) to count only some answers.
#[derive(Clone, Debug)]
pub struct Expectation {
    name: Option<String>,
    matcher: Matcher,
    times: Times,
}

impl Expectation {
    /// Requests of the operation with this id (`create_case`, …).
    pub fn operation(id: impl Into<String>) -> Self {
        Self::matcher(Matcher::operation(id))
    }

    /// Requests `matcher` describes.
    pub fn matcher(matcher: Matcher) -> Self {
        Self {
            name: None,
            matcher,
            times: Times::Between(1, u64::MAX),
        }
    }

    /// The name a report uses (by default, the matcher's description).
    pub fn named(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// And this closure returns `true` for the request.
    pub fn matching(
        mut self,
        f: impl Fn(&RecordedRequest) -> bool + Send + Sync + 'static,
    ) -> Self {
        self.matcher = self
            .matcher
            .when_named("the closure given to matching()", f);
        self
    }

    /// And a JSON body holding `subset` (see [`Matcher::body`]).
    pub fn body(mut self, subset: Value) -> Self {
        self.matcher = self.matcher.body(subset);
        self
    }

    /// And header `name` with exactly this value.
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.matcher = self.matcher.header(name, value);
        self
    }

    /// And answered with this HTTP status.
    pub fn status(mut self, status: u16) -> Self {
        self.matcher = self.matcher.status(status);
        self
    }

    /// Exactly `n` matching requests.
    pub fn times(mut self, n: u64) -> Self {
        self.times = Times::Between(n, n);
        self
    }

    /// At least `n` matching requests.
    pub fn at_least(mut self, n: u64) -> Self {
        self.times = Times::Between(n, u64::MAX);
        self
    }

    /// At most `n` matching requests.
    pub fn at_most(mut self, n: u64) -> Self {
        self.times = Times::Between(0, n);
        self
    }

    /// No matching request at all.
    pub fn never(self) -> Self {
        self.times(0)
    }

    fn title(&self) -> String {
        match &self.name {
            Some(n) => format!("{n} ({})", self.matcher),
            None => self.matcher.to_string(),
        }
    }
}

/// One registered expectation and its count.
pub(crate) struct State {
    id: u64,
    expectation: Expectation,
    seen: AtomicU64,
    /// Registered over HTTP (kept until deleted or reset) rather than by a guard.
    http: bool,
}

impl State {
    fn seen(&self) -> u64 {
        self.seen.load(Ordering::SeqCst)
    }

    fn met(&self) -> bool {
        self.expectation.times.holds(self.seen())
    }
}

/// The expectations of one emulator.
#[derive(Default)]
pub(crate) struct Registry {
    list: Mutex<Vec<Arc<State>>>,
    next_id: AtomicU64,
}

impl Registry {
    fn lock(&self) -> MutexGuard<'_, Vec<Arc<State>>> {
        self.list.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn add(&self, expectation: Expectation, http: bool) -> Arc<State> {
        let state = Arc::new(State {
            id: self.next_id.fetch_add(1, Ordering::SeqCst) + 1,
            expectation,
            seen: AtomicU64::new(0),
            http,
        });
        self.lock().push(state.clone());
        state
    }

    fn remove(&self, id: u64) {
        self.lock().retain(|s| s.id != id);
    }

    /// Forgets the expectations registered over HTTP; returns how many.
    pub(crate) fn clear_http(&self) -> usize {
        let mut list = self.lock();
        let before = list.len();
        list.retain(|s| !s.http);
        before - list.len()
    }

    /// Whether no expectation is registered (then a finished request is not looked at).
    pub(crate) fn is_empty(&self) -> bool {
        self.lock().is_empty()
    }

    /// Counts a finished request.
    pub(crate) fn count(&self, request: &RecordedRequest) {
        for s in self.lock().iter() {
            if s.expectation.matcher.matches(request) {
                s.seen.fetch_add(1, Ordering::SeqCst);
            }
        }
    }

    fn all(&self) -> Vec<Arc<State>> {
        self.lock().clone()
    }
}

/// Keeps an expectation registered; when dropped, checks it and panics with the
/// report if it is not met (unless the thread is panicking already). From
/// [`RunningEmulator::expect`](crate::RunningEmulator::expect).
#[must_use = "the expectation is checked when this guard is dropped; dropped at once, it checks nothing yet"]
pub struct ExpectationGuard {
    state: Arc<State>,
    shared: Arc<Shared>,
}

impl fmt::Debug for ExpectationGuard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ExpectationGuard")
            .field("expectation", &self.state.expectation.title())
            .field("wanted", &self.state.expectation.times.to_string())
            .field("seen", &self.state.seen())
            .finish()
    }
}

impl ExpectationGuard {
    pub(crate) fn new(shared: Arc<Shared>, expectation: Expectation) -> Self {
        let state = shared.journal.expectations.add(expectation, false);
        Self { state, shared }
    }

    /// How many matching requests were seen so far.
    pub fn seen(&self) -> u64 {
        self.state.seen()
    }

    /// Checks this expectation now.
    pub fn verify(&self) -> Result<(), ExpectationReport> {
        report(&self.shared, std::slice::from_ref(&self.state))
    }
}

impl Drop for ExpectationGuard {
    fn drop(&mut self) {
        self.shared.journal.expectations.remove(self.state.id);
        if std::thread::panicking() {
            return;
        }
        if let Err(report) = self.verify() {
            panic!("{report}");
        }
    }
}

/// What a verification found: each expectation that was not met, with what was
/// expected and seen, and the closest requests that did not match (or, for one seen
/// too often, those that did). `Display` and `Debug` both print the readable report.
#[derive(Clone, PartialEq, Eq)]
pub struct ExpectationReport {
    text: String,
    unmet: usize,
}

impl ExpectationReport {
    /// How many expectations were not met.
    pub fn unmet(&self) -> usize {
        self.unmet
    }
}

impl fmt::Display for ExpectationReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl fmt::Debug for ExpectationReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl std::error::Error for ExpectationReport {}

/// Checks every registered expectation.
pub(crate) fn verify_all(shared: &Shared) -> Result<(), ExpectationReport> {
    report(shared, &shared.journal.expectations.all())
}

fn report(shared: &Shared, states: &[Arc<State>]) -> Result<(), ExpectationReport> {
    let unmet: Vec<&Arc<State>> = states.iter().filter(|s| !s.met()).collect();
    if unmet.is_empty() {
        return Ok(());
    }
    let requests = shared.journal.requests();
    let mut text = format!(
        "{} of {} expectation{} of the emulator not met ({} request{} recorded):\n",
        unmet.len(),
        states.len(),
        if states.len() == 1 { "" } else { "s" },
        requests.len(),
        if requests.len() == 1 { "" } else { "s" },
    );
    for s in unmet {
        let e = &s.expectation;
        text.push_str(&format!(
            "\n✗ {}\n  expected {}, seen {} time{}\n",
            e.title(),
            e.times,
            s.seen(),
            if s.seen() == 1 { "" } else { "s" }
        ));
        let Times::Between(_, hi) = e.times;
        if s.seen() > hi {
            text.push_str("  matching requests:\n");
            let matching: Vec<&RecordedRequest> = requests
                .iter()
                .filter(|r| r.finished && e.matcher.matches(r))
                .collect();
            for r in matching.iter().take(SHOWN_MATCHES) {
                text.push_str(&format!("    {}\n", r.summary()));
            }
            if matching.len() > SHOWN_MATCHES {
                text.push_str(&format!(
                    "    … and {} more\n",
                    matching.len() - SHOWN_MATCHES
                ));
            }
            continue;
        }
        let mut near: Vec<(usize, Vec<String>, &RecordedRequest)> = requests
            .iter()
            .filter(|r| r.finished && !e.matcher.matches(r))
            .map(|r| {
                let (held, missed) = e.matcher.misses(r);
                (held, missed, r)
            })
            .collect();
        if near.is_empty() {
            text.push_str("  no other request was recorded\n");
            continue;
        }
        // Most conditions held first; the latest first among equals.
        near.sort_by(|a, b| b.0.cmp(&a.0).then(b.2.seq.cmp(&a.2.seq)));
        text.push_str("  closest requests:\n");
        for (_, missed, r) in near.iter().take(CLOSEST) {
            text.push_str(&format!("    {}\n", r.summary()));
            for m in missed {
                text.push_str(&format!("      - {m}\n"));
            }
        }
        if near.len() > CLOSEST {
            text.push_str(&format!(
                "    … and {} more that do not match\n",
                near.len() - CLOSEST
            ));
        }
    }
    Err(ExpectationReport {
        unmet: states.iter().filter(|s| !s.met()).count(),
        text,
    })
}

/// The JSON form of the verification, for `GET /__emulator/expectations`.
pub(crate) fn verification_json(shared: &Shared) -> Value {
    let all = shared.journal.expectations.all();
    let list: Vec<Value> = all
        .iter()
        .map(|s| {
            json!({
                "id": s.id,
                "expectation": s.expectation.title(),
                "match": s.expectation.matcher.to_json(),
                "wanted": s.expectation.times.to_string(),
                "seen": s.seen(),
                "met": s.met(),
                "registered": if s.http { "http" } else { "rust" },
            })
        })
        .collect();
    let report = verify_all(shared).err();
    json!({
        "ok": report.is_none(),
        "report": report.map(|r| r.text),
        "expectations": list,
    })
}

/// The JSON form of an expectation, for `POST /__emulator/expectations`:
/// `{"name": "...", "match": {...}, "times": 1}` or `"at_least"`/`"at_most"` instead
/// of `"times"` (none of them: at least once).
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ExpectationSpec {
    #[serde(default)]
    name: Option<String>,
    #[serde(default, rename = "match")]
    matcher: Option<crate::matcher::MatchSpec>,
    #[serde(default)]
    times: Option<u64>,
    #[serde(default)]
    at_least: Option<u64>,
    #[serde(default)]
    at_most: Option<u64>,
}

impl ExpectationSpec {
    pub(crate) fn into_expectation(self) -> Result<Expectation, String> {
        let matcher = self
            .matcher
            .unwrap_or_default()
            .into_matcher()
            .map_err(|e| format!("match: {e}"))?;
        let mut e = Expectation::matcher(matcher);
        e = match (self.times, self.at_least, self.at_most) {
            (Some(n), None, None) => e.times(n),
            (None, lo, hi) => {
                let (lo, hi) = (
                    lo.unwrap_or(if hi.is_some() { 0 } else { 1 }),
                    hi.unwrap_or(u64::MAX),
                );
                if lo > hi {
                    return Err(format!("at_least {lo} is more than at_most {hi}"));
                }
                Expectation {
                    times: Times::Between(lo, hi),
                    ..e
                }
            }
            _ => return Err("give times, or at_least and/or at_most, not both".into()),
        };
        if let Some(n) = self.name {
            e = e.named(n);
        }
        Ok(e)
    }
}

/// Registers an expectation from the admin route; returns its id.
pub(crate) fn add_http(shared: &Shared, e: Expectation) -> (u64, String) {
    let title = e.title();
    let state = shared.journal.expectations.add(e, true);
    (state.id, title)
}
