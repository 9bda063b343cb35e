//! Child executions of executions on the server (`states:startExecution` Tasks): a child
//! of a state machine created on the server is an execution of the server like any other
//! (DescribeExecution, ListExecutions and GetExecutionHistory show it), run in-process
//! with its parent's task runner (the same mocks) from its parent's clock; a child of any
//! other machine goes to the Step Functions endpoint of the standard environment
//! ([`RemoteLauncher`]).

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Weak};

use serde_json::Value;
use sfn_local::history::History;
use sfn_local::{ChildExecution, Failure, Launcher, Parent, RemoteLauncher, StartRequest, Started};

use crate::App;
use crate::executions::Execution;
use crate::machines::Kind;
use crate::runner;

/// The server's launcher (see the module documentation).
pub struct ServeLauncher {
    app: Weak<App>,
    remote: RemoteLauncher,
}

impl ServeLauncher {
    /// A launcher for the server `app` (weak: the server owns its launcher).
    pub fn new(app: Weak<App>) -> Self {
        ServeLauncher {
            app,
            remote: RemoteLauncher::default(),
        }
    }
}

type Boxed<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

impl Launcher for ServeLauncher {
    fn start<'a>(
        &'a self,
        request: StartRequest,
        parent: Parent,
    ) -> Boxed<'a, Result<Started, Failure>> {
        let Some(app) = self.app.upgrade() else {
            return Box::pin(async {
                Err(Failure::runtime(
                    "the server stopped before the child execution started",
                ))
            });
        };
        let Ok(machine) = app.machines.get(&request.state_machine_arn) else {
            return self.remote.start(request, parent);
        };
        Box::pin(async move {
            let name = request
                .name
                .clone()
                .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
            crate::names::check(&name, "execution")
                .map_err(|e| Failure::new("StepFunctions.InvalidNameException", e.message))?;
            let arn = match machine.kind {
                Kind::Standard => app.config.account.execution(&machine.name, &name),
                Kind::Express => app.config.account.express(&machine.name, &name),
            };
            let history = Arc::new(History::new(sfn_local::history::MAX_EVENTS));
            let execution = Execution::new(
                arn.clone(),
                name.clone(),
                machine.clone(),
                request.input.to_string(),
                None,
                history,
                parent.tasks.clone(),
            );
            let execution = app.executions.insert(execution).map_err(|existing| {
                Failure::new(
                    "StepFunctions.ExecutionAlreadyExistsException",
                    format!("Execution Already Exists: '{}'", existing.arn),
                )
            })?;
            runner::spawn_at(
                &app,
                execution.clone(),
                runner::Start::Fresh(request.input.clone()),
                Some(parent.now),
            );
            let started = ChildExecution {
                execution_arn: arn,
                state_machine_arn: machine.arn.clone(),
                name,
                status: "RUNNING".into(),
                start_date: parent.now,
                stop_date: None,
                input: request.input,
                output: None,
                error: None,
                cause: None,
                request_id: uuid::Uuid::new_v4().to_string(),
            };
            let running = started.clone();
            let done: Boxed<'static, Result<ChildExecution, Failure>> = Box::pin(async move {
                execution.wait().await;
                let end = execution.progress();
                Ok(ChildExecution {
                    status: end.status.as_str().to_string(),
                    stop_date: end.stopped,
                    output: end
                        .output
                        .as_deref()
                        .and_then(|o| serde_json::from_str::<Value>(o).ok()),
                    error: end.error,
                    cause: end.cause,
                    ..running
                })
            });
            Ok(Started {
                execution: started,
                done,
            })
        })
    }
}
