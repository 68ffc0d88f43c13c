//! Tickets: open one ([`crate::Client::create_case`], with [`NewCase`]) and follow it.

use std::collections::HashSet;
use std::time::{Duration, Instant, SystemTime};

use crate::case::{CreatedCase, NewCase};
use crate::error::{Error, ErrorKind};
use crate::exec::Input;
use crate::generated::types::{CreateCaseResponse, UpdateCaseActionId};
use crate::ops::exactly_once::{
    self as once, CLOCK_SKEW_ALLOWANCE, Known, LIST_TIME_ZONE, LOOKBACK, Listed, MAX_TICKETS, PAGE,
    Verdict,
};
use crate::rules;

include!("../generated/ops_cases.rs");

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
        self.check_required_lookups(case).await?;
        if self.exactly_once_enabled() {
            return self.create_case_exactly_once(case).await;
        }
        self.create_case_once(case).await
    }

    /// With [`crate::ClientBuilder::check_fault_report_region`], checks the requirements
    /// of create_case's body that a look-up decides (`x-required-when` with a `lookup`
    /// in the spec: `region_id` for a fault report); otherwise does nothing. The look-up
    /// is made once per client and cached. A record the look-up does not list is left
    /// for the service to judge.
    pub(crate) async fn check_required_lookups(&self, case: &NewCase) -> Result<(), Error> {
        if !self.check_lookups_enabled() {
            return Ok(());
        }
        for rule in rules::CREATE_CASE.body {
            let Some(when) = rule.required_when else {
                continue;
            };
            let Some(lookup) = when.lookup else {
                continue;
            };
            if case.fields.get(rule.name).is_some_and(|v| !v.is_null()) {
                continue;
            }
            let Some(key) = case
                .fields
                .get(when.field)
                .and_then(serde_json::Value::as_str)
            else {
                continue;
            };
            let op = rules::operation(lookup.operation).ok_or_else(|| {
                Error::new(
                    ErrorKind::Configuration,
                    format!(
                        "the spec names no operation {} to look up",
                        lookup.operation
                    ),
                )
            })?;
            let answer = self.lookup_answer(op).await?;
            let decided = answer
                .get(lookup.list)
                .and_then(serde_json::Value::as_array)
                .into_iter()
                .flatten()
                .find(|r| r.get(when.field).and_then(serde_json::Value::as_str) == Some(key))
                .and_then(|r| r.get(lookup.member))
                .and_then(|v| match v {
                    serde_json::Value::String(s) => Some(s.clone()),
                    serde_json::Value::Number(n) => Some(n.to_string()),
                    _ => None,
                });
            if decided.as_deref() == Some(when.equals) {
                return Err(Error::from(crate::ValidationError::new(
                    rule.name,
                    crate::rules::Location::Body,
                    crate::validation::Problem::MissingBecauseOf {
                        field: when.field,
                        member: lookup.member,
                        equals: when.equals,
                    },
                ))
                .for_operation(rules::CREATE_CASE));
            }
        }
        Ok(())
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
            Some(id) => id,
            None => {
                return Err(invalid(
                    "the service answered success without a ticket id".into(),
                ));
            }
        };
        if let Err(why) = once::check_id(&id) {
            return Err(invalid(format!(
                "the service answered success with {why}: \"{}\"",
                once::shown(&id)
            )));
        }
        self.remember_ticket(&id);
        Ok(CreatedCase {
            incident_id: id,
            request_id,
            attempts,
            found_after: None,
            already_open: false,
        })
    }

    /// The tickets ListCases shows from `since` on whose description is exactly
    /// `description` (at most [`MAX_TICKETS`] read). An answer that cannot be read, or
    /// that holds no ticket list, is an error: never an empty list.
    async fn tickets_like(
        &self,
        description: &str,
        since: SystemTime,
    ) -> Result<Vec<Listed>, Error> {
        let key = once::search_key(description);
        let unreadable = |why: String| {
            Error::new(ErrorKind::InvalidResponse, why).for_operation(rules::LIST_CASES)
        };
        let mut found = Vec::new();
        let mut offset = 0usize;
        while offset < MAX_TICKETS {
            let mut call = self
                .list_cases()
                .time_zone(LIST_TIME_ZONE)
                .query_start_time(once::list_time(since))
                .offset(offset as i64)
                .limit(PAGE as i64);
            if let Some(key) = &key {
                call = call.search_key([key]);
            }
            let answer = call.send().await?;
            once::check_page(answer.raw_json()).map_err(unreadable)?;
            let page = answer.into_inner();
            let n = page.incident_info_list.len();
            for t in page.incident_info_list {
                if t.simple_description.as_deref() == Some(description) {
                    found.push(Listed {
                        id: t.incident_id.unwrap_or_default(),
                        problem: t.business_type_name,
                        created: t.create_time,
                        status: t.status,
                    });
                }
            }
            offset += n;
            let total = page.total_count.map(|t| t.max(0) as usize);
            if n == 0 || n < PAGE || total.is_some_and(|t| offset >= t) {
                return Ok(found);
            }
        }
        Err(unreadable(match &key {
            Some(key) => format!(
                "more than {MAX_TICKETS} tickets match the search key {:?} (the description's \
                 first 64 characters) in the time window; they were not all read",
                once::shown(key)
            ),
            None => format!(
                "more than {MAX_TICKETS} tickets were opened in the time window (the description \
                 cannot be a search key); they were not all read"
            ),
        }))
    }

    /// The name of problem type `id` in the client's language (the language the ticket
    /// list names problem types in); `None` when the service does not list it.
    async fn problem_type_name(&self, id: &str) -> Result<Option<String>, Error> {
        let types = self.list_problem_types().send().await?;
        Ok(types
            .incident_business_type_list
            .iter()
            .find(|p| p.business_type_id.as_deref() == Some(id))
            .and_then(|p| p.business_type_name.clone()))
    }

    /// The open ticket (not completed, withdrawn, invalid or deleted) with the same
    /// description and problem type as `case`, opened within `within` of now; the newest
    /// if there are several. Returned with [`CreatedCase::already_open`] set.
    ///
    /// Problem types are compared by the name the service lists them under, so a
    /// problem type that [`crate::Client::list_problem_types`] does not list is an error
    /// (nothing can be compared), as is a ticket list that cannot be read.
    pub async fn find_open_case(
        &self,
        case: &NewCase,
        within: Duration,
    ) -> Result<Option<CreatedCase>, Error> {
        case.validate()
            .map_err(|e| Error::from(e).for_operation(rules::CREATE_CASE))?;
        let (description, problem_id) = key_of(case);
        let problem = self.problem_type_name(&problem_id).await?.ok_or_else(|| {
            Error::new(
                ErrorKind::InvalidResponse,
                format!(
                    "problem type {} is not among the problem types the service lists, so \
                     whether a ticket of that type is open cannot be told",
                    once::shown(&problem_id)
                ),
            )
            .for_operation(rules::LIST_PROBLEM_TYPES)
        })?;
        let now = self.now();
        let since = now.checked_sub(within).unwrap_or(SystemTime::UNIX_EPOCH);
        let listed = self.tickets_like(&description, since).await?;
        let mut open: Vec<(Option<SystemTime>, Listed)> = listed
            .into_iter()
            .filter(|t| t.problem.as_deref() == Some(problem.as_str()))
            .filter(|t| {
                t.status
                    .as_ref()
                    .is_none_or(|s| !once::CLOSED_STATES.contains(s))
            })
            .filter(|t| once::check_id(&t.id).is_ok())
            .map(|t| (t.created.as_deref().and_then(once::parse_time), t))
            .filter(|(at, _)| at.is_none_or(|at| at + CLOCK_SKEW_ALLOWANCE >= since))
            .collect();
        // Newest first; a ticket without a readable time counts as the oldest.
        open.sort_by_key(|(at, _)| std::cmp::Reverse(*at));
        Ok(open.into_iter().next().map(|(_, t)| {
            self.remember_ticket(&t.id);
            CreatedCase {
                incident_id: t.id,
                request_id: None,
                attempts: 0,
                found_after: None,
                already_open: true,
            }
        }))
    }

    /// Opens a ticket unless one is open already: returns the open ticket with the same
    /// description and problem type opened within `within` ([`Self::find_open_case`],
    /// with [`CreatedCase::already_open`] set), or else opens one exactly once (whether or
    /// not the client has [`crate::ClientBuilder::exactly_once`] on).
    ///
    /// This is the call for handlers that may run again for the same event (an alert
    /// handler restarted after a crash, or after an outcome it could not settle): put the
    /// alert's fingerprint in the description, and a second run finds the first run's
    /// ticket instead of opening another.
    ///
    /// ```no_run
    /// # async fn f(client: huaweicloud_osm::Client) -> Result<(), huaweicloud_osm::Error> {
    /// use std::time::Duration;
    /// use huaweicloud_osm::NewCase;
    ///
    /// let case = NewCase::new("506dae22153248e5d3f21cd5c9a05b43", "[alert 7f3a9c] disk full on ecs-01");
    /// let ticket = client.create_case_unless_open(&case, Duration::from_secs(24 * 3600)).await?;
    /// if ticket.already_open {
    ///     println!("ticket {} was already open", ticket.incident_id);
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn create_case_unless_open(
        &self,
        case: &NewCase,
        within: Duration,
    ) -> Result<CreatedCase, Error> {
        self.check_required_lookups(case).await?;
        if let Some(open) = self.find_open_case(case, within).await? {
            tracing::info!(incident_id = %open.incident_id, "an open ticket with this description and problem type exists");
            return Ok(open);
        }
        self.create_case_exactly_once(case).await
    }

    /// Creates a ticket exactly once: see [`crate::ClientBuilder::exactly_once`] and
    /// [`crate::ops::exactly_once`](self::once).
    async fn create_case_exactly_once(&self, case: &NewCase) -> Result<CreatedCase, Error> {
        case.validate()
            .map_err(|e| Error::from(e).for_operation(rules::CREATE_CASE))?;
        let (description, problem_id) = key_of(case);
        let flight = self.in_flight().enter(&description, &problem_id);
        let since = self
            .now()
            .checked_sub(LOOKBACK)
            .unwrap_or(SystemTime::UNIX_EPOCH);
        // What exists before anything is sent is never taken for this ticket.
        let before = self.tickets_like(&description, since).await;
        let first_send = self.now();
        // Failures that certainly did not reach the service are retried by the policy
        // inside; after any other failure the create is never sent again.
        let err = match self.create_case_once(case).await {
            Ok(created) => return Ok(created),
            Err(e) if !e.outcome_unknown() => return Err(e),
            Err(e) => e,
        };
        let unsure = |err: Error, why: String, candidates: Vec<String>| {
            err.with(|i| {
                i.reconciliation = Some(why);
                i.candidates = candidates;
            })
        };
        let before: HashSet<String> = match before {
            Ok(b) => b.into_iter().map(|t| t.id).collect(),
            Err(e) => {
                return Err(unsure(
                    err,
                    format!("it could not be checked: before sending, {e}"),
                    Vec::new(),
                ));
            }
        };
        let window = self.reconcile_window();
        let started = Instant::now();
        let mut problem: Option<Result<String, String>> = None;
        let mut wait = None;
        let mut failure: Option<String>;
        loop {
            let next = once::next_wait(wait, self.reconcile_first_look());
            wait = Some(next);
            tokio::time::sleep(next.min(window.saturating_sub(started.elapsed()))).await;
            failure = None;
            if problem.is_none() {
                problem = match self.problem_type_name(&problem_id).await {
                    Ok(Some(name)) => Some(Ok(name)),
                    Ok(None) => Some(Err(format!(
                        "problem type {} is not among the problem types the service lists, so \
                         the problem types of listed tickets cannot be compared",
                        once::shown(&problem_id)
                    ))),
                    Err(e) => {
                        failure = Some(format!("the problem types could not be read ({e})"));
                        None
                    }
                };
            }
            if let Some(problem) = &problem {
                match self.tickets_like(&description, since).await {
                    Err(e) => failure = Some(format!("the ticket list could not be read ({e})")),
                    Ok(listed) => {
                        let known = Known {
                            before: &before,
                            problem: problem.as_deref().map_err(String::as_str),
                            first_send,
                            concurrent: flight.concurrent(),
                        };
                        match once::classify(&listed, &known, |id| self.returned_ticket(id)) {
                            Verdict::Found(id) => {
                                self.remember_ticket(&id);
                                tracing::info!(incident_id = %id, error = %err, "the answer was lost; the ticket was found by listing");
                                return Ok(CreatedCase {
                                    incident_id: id,
                                    request_id: err.request_id().map(str::to_owned),
                                    attempts: err.attempts(),
                                    found_after: Some(err.to_string().replace(
                                        "; the ticket may or may not have been created",
                                        "",
                                    )),
                                    already_open: false,
                                });
                            }
                            Verdict::Nothing => {}
                            Verdict::Unsure { why, candidates } => {
                                return Err(unsure(err, why, candidates));
                            }
                        }
                    }
                }
            }
            if started.elapsed() >= window {
                break;
            }
        }
        let secs = window.as_secs_f64();
        let later = format!(
            "to find out later, list the tickets whose description starts with its first 64 \
             characters, opened since {} UTC",
            once::list_time(first_send - CLOCK_SKEW_ALLOWANCE)
        );
        let why = match failure {
            Some(f) => format!("{f} until the end of the {secs} s reconcile window; {later}"),
            None => format!(
                "no ticket with this description and problem type appeared in the ticket list \
                 within the {secs} s reconcile window, but it may still appear; {later}"
            ),
        };
        Err(unsure(err, why, Vec::new()))
    }
}

/// The description and the problem type id of a case: what tells its tickets apart.
fn key_of(case: &NewCase) -> (String, String) {
    let text = |field: &str| {
        case.body()
            .get(field)
            .and_then(serde_json::Value::as_str)
            .unwrap_or_default()
            .to_owned()
    };
    (text("simple_description"), text("business_type_id"))
}

/// The body of a message to add to a ticket ([`crate::Client::create_message`]'s
/// `message`), its members those of the spec's `NewMessage`.
impl crate::generated::types::NewMessage {
    /// A message of `content` alone. Refused, naming the field and the limit, when the
    /// text breaks the spec's limits.
    pub fn text(content: impl Into<String>) -> Result<Self, Error> {
        Self::checked(serde_json::json!({ "content": content.into() }))
    }

    /// A message of `content` with the attachments `accessory_ids` (uploaded beforehand
    /// for a message: [`crate::ops::attachments::Purpose::Message`]). Refused, naming the
    /// field and the limit, when either breaks the spec's limits (such as too many ids).
    pub fn with_attachments(
        content: impl Into<String>,
        accessory_ids: impl IntoIterator<Item = impl AsRef<str>>,
    ) -> Result<Self, Error> {
        let ids: Vec<String> = accessory_ids
            .into_iter()
            .map(|i| i.as_ref().to_owned())
            .collect();
        Self::checked(serde_json::json!({ "content": content.into(), "accessory_ids": ids }))
    }

    fn checked(message: serde_json::Value) -> Result<Self, Error> {
        let mut body = serde_json::Map::new();
        body.insert("message".into(), message.clone());
        crate::validation::check_body_of(rules::CREATE_MESSAGE, &body)
            .map_err(|e| Error::from(e).for_operation(rules::CREATE_MESSAGE))?;
        serde_json::from_value(message).map_err(|e| {
            Error::new(ErrorKind::Validation, format!("message: {e}"))
                .for_operation(rules::CREATE_MESSAGE)
        })
    }
}

impl crate::Client {
    /// Adds a message of `text` to ticket `case_id` (create_message). The text is checked
    /// against the spec's limits before anything is sent; a business error in the 200
    /// answer is an error.
    pub async fn reply(
        &self,
        case_id: &str,
        text: impl Into<String>,
    ) -> Result<crate::Answer<crate::generated::types::CreateMessageResponse>, Error> {
        let message = crate::generated::types::NewMessage::text(text)?;
        self.create_message()
            .case_id(case_id)
            .message(message)
            .send()
            .await
    }

    /// Uploads `files` for a message ([`crate::ops::attachments::Purpose::Message`]),
    /// then adds a message of `text` naming them to ticket `case_id`. The text, the number
    /// of files and each file are checked before anything is sent. When an upload or the
    /// message fails, the files uploaded so far stay on the service (unnamed by any
    /// message).
    pub async fn reply_with_attachments(
        &self,
        case_id: &str,
        text: impl Into<String>,
        files: &[crate::Attachment],
    ) -> Result<crate::Answer<crate::generated::types::CreateMessageResponse>, Error> {
        use crate::ops::attachments::{Purpose, UploadOptions};
        let text = text.into();
        let options = UploadOptions::default().purpose(Purpose::Message);
        // Every check first: the message with as many ids as it will carry, then the files.
        crate::generated::types::NewMessage::with_attachments(
            text.clone(),
            files.iter().map(|_| "0"),
        )?;
        for f in files {
            options
                .limits
                .check(f.name(), f.len())
                .map_err(|e| Error::from(e).for_operation(rules::UPLOAD_ATTACHMENT))?;
        }
        let mut ids = Vec::with_capacity(files.len());
        for f in files {
            ids.push(self.upload_attachment_with(f, &options).await?);
        }
        let message = crate::generated::types::NewMessage::with_attachments(text, &ids)?;
        self.create_message()
            .case_id(case_id)
            .message(message)
            .send()
            .await
    }

    /// Closes ticket `case_id` (update_case with [`UpdateCaseActionId::Close`]). For a
    /// verdict or a rating, use [`crate::Client::update_case`] and its setters.
    pub async fn close_case(
        &self,
        case_id: &str,
    ) -> Result<crate::Answer<crate::generated::types::UpdateCaseResponse>, Error> {
        self.case_action(case_id, UpdateCaseActionId::Close).await
    }

    /// Withdraws ticket `case_id` (update_case with [`UpdateCaseActionId::Cancel`]).
    pub async fn cancel_case(
        &self,
        case_id: &str,
    ) -> Result<crate::Answer<crate::generated::types::UpdateCaseResponse>, Error> {
        self.case_action(case_id, UpdateCaseActionId::Cancel).await
    }

    /// Urges support about ticket `case_id` (update_case with
    /// [`UpdateCaseActionId::Press`]). The service refuses urging too often with a
    /// business error (`OSM.01010004`).
    pub async fn urge_case(
        &self,
        case_id: &str,
    ) -> Result<crate::Answer<crate::generated::types::UpdateCaseResponse>, Error> {
        self.case_action(case_id, UpdateCaseActionId::Press).await
    }

    async fn case_action(
        &self,
        case_id: &str,
        action: UpdateCaseActionId,
    ) -> Result<crate::Answer<crate::generated::types::UpdateCaseResponse>, Error> {
        self.update_case()
            .case_id(case_id)
            .action_id(action)
            .send()
            .await
    }
}
