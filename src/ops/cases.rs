//! Tickets: open one ([`crate::Client::create_case`], with [`NewCase`]) and follow it.

use crate::case::{CreatedCase, NewCase};
use crate::error::{Error, ErrorKind};
use crate::exec::Input;
use crate::generated::types::CreateCaseResponse;
use crate::rules;

include!(concat!(env!("OUT_DIR"), "/ops_cases.rs"));

impl crate::Client {
    /// Opens a service ticket.
    ///
    /// The case is checked against the spec first; an invalid case is refused with
    /// [`ErrorKind::Validation`] before anything is sent. Failures that certainly did not
    /// reach the service are retried under the client's [`crate::RetryPolicy`]; see
    /// [`Error::outcome_unknown`] for the others.
    pub async fn create_case(&self, case: &NewCase) -> Result<CreatedCase, Error> {
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
        Ok(CreatedCase {
            incident_id: id,
            request_id,
            attempts,
        })
    }
}
