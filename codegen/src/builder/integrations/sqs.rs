//! Amazon SQS: `sqs:sendMessage` (optimized; also with `.waitForTaskToken`).

use serde_json::Value;

use super::{Arg, Params};
use crate::builder::Task;

/// SQS's longest delivery delay, in seconds.
pub const MAX_DELAY_SECONDS: u32 = 900;

/// `SendMessage`.
#[derive(Debug, Clone, PartialEq)]
pub struct SendMessage {
    /// The queue's URL.
    pub queue_url: Arg,
    /// The body: a string, or a JSON template Step Functions serialises
    /// (`{"order.$": "$.order", "token.$": "$$.Task.Token"}`).
    pub message_body: Arg,
    /// Delivery delay in seconds (0 to 900).
    pub delay_seconds: Option<u32>,
    /// Message attributes (`{"kind": {"DataType": "String", "StringValue": "sale"}}`).
    pub message_attributes: Option<Value>,
    /// FIFO queues: the message group.
    pub message_group_id: Option<Arg>,
    /// FIFO queues: the deduplication id (unless content-based deduplication is on).
    pub message_deduplication_id: Option<Arg>,
}

impl SendMessage {
    /// Sends `body` to the queue at `queue_url`.
    pub fn new(queue_url: impl Into<Arg>, body: impl Into<Arg>) -> Self {
        SendMessage {
            queue_url: queue_url.into(),
            message_body: body.into(),
            delay_seconds: None,
            message_attributes: None,
            message_group_id: None,
            message_deduplication_id: None,
        }
    }

    /// Delays delivery (0 to 900 seconds).
    pub fn delay_seconds(mut self, seconds: u32) -> Self {
        self.delay_seconds = Some(seconds);
        self
    }

    /// FIFO queues: the message group and deduplication id.
    pub fn fifo(mut self, group_id: impl Into<Arg>, deduplication_id: impl Into<Arg>) -> Self {
        self.message_group_id = Some(group_id.into());
        self.message_deduplication_id = Some(deduplication_id.into());
        self
    }
}

/// A Task that sends a message (`arn:aws:states:::sqs:sendMessage`; the result has
/// `MessageId` and `MD5OfMessageBody`).
pub fn send_message(name: impl Into<String>, request: SendMessage) -> Task {
    let delay_ok = request.delay_seconds.is_none_or(|s| s <= MAX_DELAY_SECONDS);
    Params::default()
        .arg("QueueUrl", &request.queue_url)
        .arg("MessageBody", &request.message_body)
        .number("DelaySeconds", request.delay_seconds)
        .value("MessageAttributes", request.message_attributes.as_ref())
        .opt_arg("MessageGroupId", request.message_group_id.as_ref())
        .opt_arg(
            "MessageDeduplicationId",
            request.message_deduplication_id.as_ref(),
        )
        .check(delay_ok, || {
            format!("Parameters.DelaySeconds: must be 0 to {MAX_DELAY_SECONDS}")
        })
        .task(name, "sqs:sendMessage")
}
