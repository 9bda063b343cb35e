//! SQS standard queues: created with the declared retention and SQS-managed server-side
//! encryption; an existing queue is reused (its retention is set to the declared one).

use aws_sdk_sqs::Client;
use aws_sdk_sqs::types::QueueAttributeName;
use stepwise_contract::deploy::QueueSpec;

use crate::ProvisionError;

const KIND: &str = "queue";
const SECONDS_PER_DAY: u32 = 86_400;

/// A queue that exists.
pub(crate) struct Queue {
    pub url: String,
    pub arn: String,
}

/// Creates the queue `name` for `spec`, or reuses it.
pub(crate) async fn ensure(
    client: &Client,
    spec: &QueueSpec,
    name: &str,
) -> Result<Queue, ProvisionError> {
    let retention = (spec.retention_days * SECONDS_PER_DAY).to_string();
    let url = match client.get_queue_url().queue_name(name).send().await {
        Ok(out) => {
            let url = out.queue_url().unwrap_or_default().to_string();
            client
                .set_queue_attributes()
                .queue_url(&url)
                .attributes(QueueAttributeName::MessageRetentionPeriod, &retention)
                .attributes(QueueAttributeName::SqsManagedSseEnabled, "true")
                .send()
                .await
                .map_err(|e| ProvisionError::service(KIND, name, "SetQueueAttributes", e))?;
            url
        }
        Err(e)
            if e.as_service_error()
                .is_some_and(|s| s.is_queue_does_not_exist()) =>
        {
            client
                .create_queue()
                .queue_name(name)
                .attributes(QueueAttributeName::MessageRetentionPeriod, &retention)
                .attributes(QueueAttributeName::SqsManagedSseEnabled, "true")
                .send()
                .await
                .map_err(|e| ProvisionError::service(KIND, name, "CreateQueue", e))?
                .queue_url()
                .unwrap_or_default()
                .to_string()
        }
        Err(e) => return Err(ProvisionError::service(KIND, name, "GetQueueUrl", e)),
    };
    let attributes = client
        .get_queue_attributes()
        .queue_url(&url)
        .attribute_names(QueueAttributeName::QueueArn)
        .send()
        .await
        .map_err(|e| ProvisionError::service(KIND, name, "GetQueueAttributes", e))?;
    let arn = attributes
        .attributes()
        .and_then(|a| a.get(&QueueAttributeName::QueueArn))
        .cloned()
        .unwrap_or_default();
    tracing::info!(queue = name, "queue ready");
    Ok(Queue { url, arn })
}
