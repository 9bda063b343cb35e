//! What an invocation knows about where it runs.

/// The invocation context passed to [`crate::Activity::run`]: the request id and, when
/// the caller passes them, the Step Functions execution and state names.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Context {
    /// The runtime's request id (Lambda's `awsRequestId`, or a local id).
    pub request_id: Option<String>,
    /// The Step Functions execution name or ARN.
    pub execution: Option<String>,
    /// The state that invoked the activity.
    pub state: Option<String>,
}
