//! Step Functions' own error names, as [`ErrorName`] constants for Retry and Catch, and
//! the service integrations' errors workflows most often handle, spelled as AWS spells
//! them (the service part differs between an optimized integration and the AWS SDK one).
//!
//! Activity error names live next to the activities (see `stepwise_contract::errors`).

use stepwise_contract::ErrorName;

/// Matches every error. Must appear alone, in the last rule.
pub const STATES_ALL: ErrorName = ErrorName::new("States.ALL");
/// Matches every error except `States.Runtime`.
pub const STATES_TASK_FAILED: ErrorName = ErrorName::new("States.TaskFailed");
/// A state ran longer than its TimeoutSeconds, or the execution timed out.
pub const STATES_TIMEOUT: ErrorName = ErrorName::new("States.Timeout");
/// A task sent no heartbeat within HeartbeatSeconds.
pub const STATES_HEARTBEAT_TIMEOUT: ErrorName = ErrorName::new("States.HeartbeatTimeout");
/// An unrecoverable runtime error (e.g. a path that does not resolve). Not matched by
/// `States.TaskFailed`; only by `States.ALL` or by name.
pub const STATES_RUNTIME: ErrorName = ErrorName::new("States.Runtime");
/// A state input, output or task result exceeded 256 KiB.
pub const STATES_DATA_LIMIT_EXCEEDED: ErrorName = ErrorName::new("States.DataLimitExceeded");
/// No Choice rule matched and there is no Default.
pub const STATES_NO_CHOICE_MATCHED: ErrorName = ErrorName::new("States.NoChoiceMatched");
/// An intrinsic function failed.
pub const STATES_INTRINSIC_FAILURE: ErrorName = ErrorName::new("States.IntrinsicFailure");
/// A Parameters path did not resolve.
pub const STATES_PARAMETER_PATH_FAILURE: ErrorName = ErrorName::new("States.ParameterPathFailure");
/// A ResultPath could not be applied to the input.
pub const STATES_RESULT_PATH_MATCH_FAILURE: ErrorName =
    ErrorName::new("States.ResultPathMatchFailure");
/// A Map failed more items than it tolerates.
pub const STATES_EXCEED_TOLERATED_FAILURE_THRESHOLD: ErrorName =
    ErrorName::new("States.ExceedToleratedFailureThreshold");
/// A Parallel branch failed.
pub const STATES_BRANCH_FAILED: ErrorName = ErrorName::new("States.BranchFailed");
/// The task failed because of missing permissions.
pub const STATES_PERMISSIONS: ErrorName = ErrorName::new("States.Permissions");
/// A distributed Map's item reader failed.
pub const STATES_ITEM_READER_FAILED: ErrorName = ErrorName::new("States.ItemReaderFailed");
/// A distributed Map's result writer failed.
pub const STATES_RESULT_WRITER_FAILED: ErrorName = ErrorName::new("States.ResultWriterFailed");
/// A JSONata expression failed or gave no value (JSONata states).
pub const STATES_QUERY_EVALUATION_ERROR: ErrorName = ErrorName::new("States.QueryEvaluationError");

/// Every Step Functions error name.
pub const ALL: &[ErrorName] = &[
    STATES_ALL,
    STATES_TASK_FAILED,
    STATES_TIMEOUT,
    STATES_HEARTBEAT_TIMEOUT,
    STATES_RUNTIME,
    STATES_DATA_LIMIT_EXCEEDED,
    STATES_NO_CHOICE_MATCHED,
    STATES_INTRINSIC_FAILURE,
    STATES_PARAMETER_PATH_FAILURE,
    STATES_RESULT_PATH_MATCH_FAILURE,
    STATES_EXCEED_TOLERATED_FAILURE_THRESHOLD,
    STATES_BRANCH_FAILED,
    STATES_PERMISSIONS,
    STATES_ITEM_READER_FAILED,
    STATES_RESULT_WRITER_FAILED,
    STATES_QUERY_EVALUATION_ERROR,
];

/// Whether `name` is one of Step Functions' own error names.
pub fn is_states_error(name: &str) -> bool {
    ALL.iter().any(|e| e.as_str() == name)
}

/// The Lambda service failed the invocation (a 500 from Lambda).
pub const LAMBDA_SERVICE_EXCEPTION: ErrorName = ErrorName::new("Lambda.ServiceException");
/// Lambda returned an error of its own (not the function's).
pub const LAMBDA_AWS_LAMBDA_EXCEPTION: ErrorName = ErrorName::new("Lambda.AWSLambdaException");
/// Step Functions could not reach Lambda.
pub const LAMBDA_SDK_CLIENT_EXCEPTION: ErrorName = ErrorName::new("Lambda.SdkClientException");
/// The function's (or the account's) concurrency limit was reached.
pub const LAMBDA_TOO_MANY_REQUESTS: ErrorName = ErrorName::new("Lambda.TooManyRequestsException");
/// The call to Lambda timed out before the function answered.
pub const LAMBDA_CLIENT_EXECUTION_TIMEOUT: ErrorName =
    ErrorName::new("Lambda.ClientExecutionTimeoutException");

/// The transient failures of the Lambda service itself, which Step Functions reports for a
/// Task that invokes a function whatever the function does (AWS's best practice is to
/// retry them). Every activity Task retries them first (see
/// [`Retry::lambda_service`](crate::builder::Retry::lambda_service)).
pub const LAMBDA_SERVICE: &[ErrorName] = &[
    LAMBDA_SERVICE_EXCEPTION,
    LAMBDA_AWS_LAMBDA_EXCEPTION,
    LAMBDA_SDK_CLIENT_EXCEPTION,
    LAMBDA_TOO_MANY_REQUESTS,
    LAMBDA_CLIENT_EXECUTION_TIMEOUT,
];

/// Whether `name` is one of [`LAMBDA_SERVICE`].
pub fn is_lambda_service_error(name: &str) -> bool {
    LAMBDA_SERVICE.iter().any(|e| e.as_str() == name)
}

/// The optimized DynamoDB integration's failed condition (`dynamodb:putItem` with a
/// `ConditionExpression` that does not hold) — an idempotency claim that someone else holds.
pub const DYNAMODB_CONDITIONAL_CHECK_FAILED: ErrorName =
    ErrorName::new("DynamoDB.ConditionalCheckFailedException");
/// The same failure through the AWS SDK integration (`aws-sdk:dynamodb:*`), which spells
/// the service `DynamoDb`.
pub const DYNAMODB_SDK_CONDITIONAL_CHECK_FAILED: ErrorName =
    ErrorName::new("DynamoDb.ConditionalCheckFailedException");
/// `aws-sdk:s3:getObject` on a key that does not exist.
pub const S3_NO_SUCH_KEY: ErrorName = ErrorName::new("S3.NoSuchKeyException");
/// `events:putEvents` with an entry EventBridge refused (the cause lists the entries).
pub const EVENTBRIDGE_FAILED_ENTRY: ErrorName = ErrorName::new("EventBridge.FailedEntry");
