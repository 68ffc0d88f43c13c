//! Tickets: open one ([`crate::Client::create_case`], with [`NewCase`]) and follow it.

use std::collections::HashSet;
use std::time::{Duration, SystemTime};

use crate::case::{CreatedCase, NewCase};
use crate::error::{Error, ErrorKind};
use crate::exec::Input;
use crate::generated::types::CreateCaseResponse;
use crate::rules;

include!(concat!(env!("OUT_DIR"), "/ops_cases.rs"));

/// The most tickets a reconciliation reads in its look-ups (pages of 100).
const RECONCILE_MAX_TICKETS: usize = 1000;

/// How far back the look-ups around a create reach: tickets opened earlier are never
/// taken for this one.
const RECONCILE_WINDOW: Duration = Duration::from_secs(15 * 60);

/// How long a reconciliation waits before it looks, and between its two looks when the
/// first finds nothing: time for a create the service was still handling to land.
const RECONCILE_SETTLE: Duration = Duration::from_millis(1000);

/// `yyyy-MM-dd HH:mm:ss` in UTC, as ListCases takes its time window (with
/// `X-Time-Zone: GMT+0`).
fn list_time(t: SystemTime) -> String {
    let d = huaweicloud_signing::format_sdk_date(t); // YYYYMMDDTHHMMSSZ
    format!(
        "{}-{}-{} {}:{}:{}",
        &d[0..4],
        &d[4..6],
        &d[6..8],
        &d[9..11],
        &d[11..13],
        &d[13..15]
    )
}

/// The search key ListCases matches against descriptions: the description's first 64
/// characters (the spec's limit for one key), or none for an empty description.
fn search_key(description: &str) -> Option<String> {
    let key: String = description.chars().take(64).collect();
    (!key.trim().is_empty() && !key.chars().any(char::is_control)).then_some(key)
}

impl crate::Client {
    /// Opens a service ticket.
    ///
    /// The case is checked against the spec first; an invalid case is refused with
    /// [`ErrorKind::Validation`] before anything is sent. Failures that certainly did not
    /// reach the service are retried under the client's [`crate::RetryPolicy`]. With
    /// [`crate::ClientBuilder::exactly_once`], a failure after which the ticket may exist
    /// is resolved by looking the ticket up (see [`CreatedCase::found_after`]); otherwise
    /// see [`Error::outcome_unknown`].
    pub async fn create_case(&self, case: &NewCase) -> Result<CreatedCase, Error> {
        if self.exactly_once_enabled() {
            return self.create_case_exactly_once(case).await;
        }
        self.create_case_once(case).await
    }

    /// One create under the client's retry policy, without reconciliation.
    async fn create_case_once(&self, case: &NewCase) -> Result<CreatedCase, Error> {
        let mut input = Input::new(rules::CREATE_CASE);
        input.set_body_map(case.fields.clone());
        for (name, value) in case.headers() {
            input.set(name, serde_json::Value::String(value.to_owned()))?;
        }
        let answer = self.execute::<CreateCaseResponse>(input).await?;
        let attempts = answer.attempts();
        let request_id = answer.request_id().map(str::to_owned);
        let invalid = |message: String| {
            Error::new(ErrorKind::InvalidResponse, message)
                .for_operation(rules::CREATE_CASE)
                .with(|i| {
                    i.status = Some(200);
                    i.request_id = request_id.clone();
                    i.attempts = attempts;
                })
        };
        let id = match answer.into_inner().incident_id {
            Some(id) => id.to_string(),
            None => {
                return Err(invalid(
                    "the service answered success without a ticket id".into(),
                ));
            }
        };
        if id.is_empty() {
            return Err(invalid(
                "the service answered success with an empty ticket id".into(),
            ));
        }
        if id.chars().any(|c| c.is_control()) {
            return Err(invalid(format!(
                "the service answered success with a ticket id that holds control characters: {:?}",
                id.escape_debug().to_string()
            )));
        }
        self.remember_ticket(&id);
        Ok(CreatedCase {
            incident_id: id,
            request_id,
            attempts,
            found_after: None,
        })
    }

    /// The ids of the tickets with `description` that ListCases shows from `since` on;
    /// `None` if the look-up could not answer (with why).
    async fn tickets_like(
        &self,
        description: &str,
        since: SystemTime,
    ) -> Result<HashSet<String>, String> {
        let mut found = HashSet::new();
        let mut offset = 0usize;
        while offset < RECONCILE_MAX_TICKETS {
            let mut call = self
                .list_cases()
                .time_zone("GMT+0")
                .query_start_time(list_time(since))
                .offset(offset as i64)
                .limit(100);
            if let Some(key) = search_key(description) {
                call = call.search_key([key]);
            }
            let page = call
                .send()
                .await
                .map_err(|e| format!("the ticket list could not be read ({e})"))?
                .into_inner();
            let n = page.incident_info_list.len();
            for t in page.incident_info_list {
                if t.simple_description.as_deref() == Some(description)
                    && let Some(id) = t.incident_id.filter(|id| !id.is_empty())
                {
                    found.insert(id);
                }
            }
            let total = page.total_count.unwrap_or(0).max(0) as usize;
            offset += n;
            if n == 0 || offset >= total {
                return Ok(found);
            }
        }
        Err(format!(
            "more than {RECONCILE_MAX_TICKETS} tickets have this description in the window"
        ))
    }

    /// Creates a ticket exactly once: see [`crate::ClientBuilder::exactly_once`].
    async fn create_case_exactly_once(&self, case: &NewCase) -> Result<CreatedCase, Error> {
        case.validate()
            .map_err(|e| Error::from(e).for_operation(rules::CREATE_CASE))?;
        let description = case
            .body()
            .get("simple_description")
            .and_then(serde_json::Value::as_str)
            .unwrap_or_default()
            .to_owned();
        let since = self.now() - RECONCILE_WINDOW;
        // What exists before anything is sent is never taken for this ticket.
        let before = self.tickets_like(&description, since).await;
        let retry = self.retry_policy().clone();
        let started = std::time::Instant::now();
        let mut sends = 0;
        let mut spent = 0;
        loop {
            sends += 1;
            let err = match self.create_case_once(case).await {
                Ok(mut created) => {
                    created.attempts += spent;
                    return Ok(created);
                }
                Err(e) if !e.outcome_unknown() => return Err(e.with(|i| i.attempts += spent)),
                Err(e) => e,
            };
            spent += err.attempts();
            let before = match &before {
                Ok(b) => b,
                Err(why) => {
                    return Err(err.with(|i| {
                        i.reconciliation =
                            Some(format!("it could not be checked: before sending, {why}"))
                    }));
                }
            };
            let mut looks = 0;
            let verdict = loop {
                looks += 1;
                tokio::time::sleep(RECONCILE_SETTLE).await;
                let now = match self.tickets_like(&description, since).await {
                    Ok(now) => now,
                    Err(why) => break Err(format!("it could not be checked: {why}")),
                };
                let mut new: Vec<String> = now
                    .difference(before)
                    .filter(|id| !self.returned_ticket(id))
                    .cloned()
                    .collect();
                new.sort();
                match new.len() {
                    1 => break Ok(new.pop()),
                    0 if looks < 2 => continue,
                    0 => break Ok(None),
                    _ => {
                        break Err(format!(
                            "{} tickets with this description appeared meanwhile ({}); which one is this \
                             request's cannot be told",
                            new.len(),
                            new.join(", ")
                        ));
                    }
                }
            };
            match verdict {
                Ok(Some(id)) => {
                    self.remember_ticket(&id);
                    tracing::info!(incident_id = %id, error = %err, "the answer was lost; the ticket was found by listing");
                    return Ok(CreatedCase {
                        incident_id: id,
                        request_id: err.request_id().map(str::to_owned),
                        attempts: spent,
                        found_after: Some(
                            err.to_string()
                                .replace("; the ticket may or may not have been created", ""),
                        ),
                    });
                }
                Ok(None) => {
                    let in_time = retry.deadline().is_none_or(|d| started.elapsed() < d);
                    if sends >= retry.max_attempts() || !in_time {
                        return Err(err.with(|i| {
                            i.reconciliation = Some(
                                "the ticket list shows no such ticket, so it was not created; \
                                 the attempts are used up"
                                    .into(),
                            );
                            i.not_created = true;
                            i.attempts = spent;
                        }));
                    }
                    tracing::info!(error = %err, "the ticket was provably not created; sending again");
                }
                Err(why) => {
                    return Err(err.with(|i| {
                        i.reconciliation = Some(why);
                        i.attempts = spent;
                    }));
                }
            }
        }
    }
}
