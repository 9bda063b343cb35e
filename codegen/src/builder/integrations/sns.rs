//! Amazon SNS: `sns:publish` (optimized; also with `.waitForTaskToken`).

use serde_json::Value;

use super::{Arg, Params};
use crate::builder::Task;

/// Where a message goes: exactly one of a topic, an endpoint or a phone number.
#[derive(Debug, Clone, PartialEq)]
pub enum Target {
    /// A topic (`TopicArn`).
    Topic(Arg),
    /// A mobile endpoint (`TargetArn`).
    Endpoint(Arg),
    /// An SMS number in E.164 form (`PhoneNumber`).
    Phone(Arg),
}

/// `Publish`.
#[derive(Debug, Clone, PartialEq)]
pub struct Publish {
    /// Where the message goes.
    pub target: Target,
    /// The message: a string, or a JSON template Step Functions serialises.
    pub message: Arg,
    /// The e-mail subject.
    pub subject: Option<Arg>,
    /// Message attributes (`{"kind": {"DataType": "String", "StringValue": "sale"}}`).
    pub message_attributes: Option<Value>,
    /// FIFO topics: the message group.
    pub message_group_id: Option<Arg>,
    /// FIFO topics: the deduplication id.
    pub message_deduplication_id: Option<Arg>,
}

impl Publish {
    /// Publishes `message` to the topic `topic_arn`.
    pub fn to_topic(topic_arn: impl Into<Arg>, message: impl Into<Arg>) -> Self {
        Publish::new(Target::Topic(topic_arn.into()), message)
    }

    /// Publishes `message` to `target`.
    pub fn new(target: Target, message: impl Into<Arg>) -> Self {
        Publish {
            target,
            message: message.into(),
            subject: None,
            message_attributes: None,
            message_group_id: None,
            message_deduplication_id: None,
        }
    }

    /// The e-mail subject.
    pub fn subject(mut self, subject: impl Into<Arg>) -> Self {
        self.subject = Some(subject.into());
        self
    }
}

/// A Task that publishes a message (`arn:aws:states:::sns:publish`; the result has
/// `MessageId`).
pub fn publish(name: impl Into<String>, request: Publish) -> Task {
    let (key, target) = match &request.target {
        Target::Topic(arn) => ("TopicArn", arn),
        Target::Endpoint(arn) => ("TargetArn", arn),
        Target::Phone(number) => ("PhoneNumber", number),
    };
    Params::default()
        .arg(key, target)
        .arg("Message", &request.message)
        .opt_arg("Subject", request.subject.as_ref())
        .value("MessageAttributes", request.message_attributes.as_ref())
        .opt_arg("MessageGroupId", request.message_group_id.as_ref())
        .opt_arg(
            "MessageDeduplicationId",
            request.message_deduplication_id.as_ref(),
        )
        .task(name, "sns:publish")
}
