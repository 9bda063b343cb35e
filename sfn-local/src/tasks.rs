//! How Task states run: the [`TaskRunner`] trait, the runner that calls the real
//! activities in-process, and the resource contract (`${Name}` placeholders, Lambda and
//! Activity ARNs name an activity).

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use serde_json::Value;
use stepwise_runtime::{Context, Registry, Services};

use crate::failure::Failure;

/// A boxed task future.
pub type TaskFuture<'a> = Pin<Box<dyn Future<Output = Result<Value, Failure>> + Send + 'a>>;

/// One invocation of a Task state.
#[derive(Debug, Clone)]
pub struct TaskRequest {
    /// The state's name.
    pub state: String,
    /// The state's `Resource`.
    pub resource: String,
    /// The effective input (after InputPath and Parameters).
    pub input: Value,
    /// 0 for the first attempt, 1 for the first retry, ...
    pub attempt: u32,
    /// The index of the enclosing Map item, if the state runs inside a Map.
    pub map_item: Option<usize>,
    /// The execution's ARN.
    pub execution: String,
}

/// Runs Task states.
pub trait TaskRunner: Send + Sync {
    /// Checks before the run that `resource` (of state `state`) can be served; the
    /// message says why not.
    fn check(&self, state: &str, resource: &str) -> Result<(), String>;

    /// Runs one attempt.
    fn run(&self, request: TaskRequest) -> TaskFuture<'_>;

    /// Whether this runner answers Task state `state` whole — a mock config's mocked
    /// state, whose response is the Task's result as stepfunctions-local gives it — so
    /// a `.waitForTaskToken` Task takes the answer as its result instead of waiting for
    /// a callback, and a `states:startExecution` Task is answered by the runner instead
    /// of starting a child. `false`, the default: the executor does both itself.
    fn answers_whole(&self, _state: &str) -> bool {
        false
    }

    /// The items of the distributed Map state `state`, when this runner answers its
    /// ItemReader instead of S3 (a mock config whose test case names the Map state; see
    /// [`crate::MockTasks`]). Then its ResultWriter writes nothing either. `None`, the
    /// default: read and write S3.
    fn map_items(&self, _state: &str) -> Option<TaskFuture<'_>> {
        None
    }
}

/// The activity a resource names: `${Name}`, `arn:aws:lambda:…:function:Name[:alias]`,
/// or `arn:aws:states:…:activity:Name`.
pub fn activity_name(resource: &str) -> Option<&str> {
    if let Some(inner) = resource
        .strip_prefix("${")
        .and_then(|r| r.strip_suffix('}'))
    {
        return Some(inner);
    }
    let parts: Vec<&str> = resource.split(':').collect();
    match parts.as_slice() {
        ["arn", _, "lambda", _, _, "function", name, ..] => Some(name),
        ["arn", _, "states", _, _, "activity", name] => Some(name),
        _ => None,
    }
}

/// Runs activities in-process through the registry — the same serde boundary a Lambda
/// invocation crosses.
#[derive(Debug, Clone)]
pub struct RegistryTasks {
    registry: Registry,
    services: Arc<Services>,
}

impl RegistryTasks {
    /// Runs the activities of `registry` with `services`.
    pub fn new(registry: Registry, services: Arc<Services>) -> Self {
        RegistryTasks { registry, services }
    }
}

impl TaskRunner for RegistryTasks {
    fn check(&self, state: &str, resource: &str) -> Result<(), String> {
        match activity_name(resource) {
            Some(name) if self.registry.contains(name) => Ok(()),
            Some(name) => Err(format!(
                "State \"{state}\": resource \"{resource}\" names activity \"{name}\", which is not registered (known: {})",
                self.registry.names().join(", ")
            )),
            None => Err(format!(
                "State \"{state}\": resource \"{resource}\" is not an activity (use ${{Name}}, a Lambda function ARN or an Activity ARN), and no mock is configured for it"
            )),
        }
    }

    fn run(&self, request: TaskRequest) -> TaskFuture<'_> {
        Box::pin(async move {
            let name = activity_name(&request.resource).ok_or_else(|| {
                Failure::runtime(format!(
                    "resource \"{}\" is not an activity",
                    request.resource
                ))
            })?;
            let mut ctx = Context::new(self.services.clone());
            ctx.execution = Some(request.execution.clone());
            ctx.state = Some(request.state.clone());
            self.registry
                .invoke(name, request.input, &ctx)
                .await
                .map_err(|e| Failure::new(e.name.as_str(), e.cause))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resources_name_activities() {
        assert_eq!(activity_name("${PriceLine}"), Some("PriceLine"));
        assert_eq!(
            activity_name("arn:aws:lambda:us-east-1:123456789012:function:PriceLine"),
            Some("PriceLine")
        );
        assert_eq!(
            activity_name("arn:aws:lambda:us-east-1:123456789012:function:PriceLine:live"),
            Some("PriceLine")
        );
        assert_eq!(
            activity_name("arn:aws:states:us-east-1:123456789012:activity:PriceLine"),
            Some("PriceLine")
        );
        assert_eq!(activity_name("arn:aws:states:::dynamodb:putItem"), None);
    }
}
