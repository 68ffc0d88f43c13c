//! What a test needs, in one `use`:
//!
//! ```
//! use osm_emulator::testing::*;
//! # let _ = (Emulator::builder(), Matcher::any(), Expectation::operation("create_case"));
//! ```
//!
//! It brings the emulator ([`Emulator`], [`RunningEmulator`]), faults ([`Fault`],
//! [`Faults`]), [`Matcher`], [`Expectation`] and what the emulator records
//! ([`RecordedRequest`], [`RecordedTicket`]), and the generated body type of a create,
//! [`CreateCaseRequest`], which [`RecordedTicket::request`] returns.

pub use crate::{
    Emulator, EmulatorBuilder, Expectation, ExpectationGuard, ExpectationReport, Fault, Faults,
    Matcher, RecordedRequest, RecordedTicket, RunningEmulator,
};
pub use huaweicloud_osm::generated::types::CreateCaseRequest;

impl RecordedTicket {
    /// The body of the create that opened this ticket, as the library's generated
    /// type: what the client sent, as the emulator validated it.
    pub fn request(&self) -> Result<CreateCaseRequest, serde_json::Error> {
        serde_json::from_value(self.body.clone())
    }
}
