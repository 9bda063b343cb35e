//! `stepwise serve`: the Step Functions API on 127.0.0.1, a drop-in for
//! stepfunctions-local running on sfn-local with the project's activities, plus Lambda's
//! Invoke for every activity on the same port.
//!
//! One module per concern: [`protocol`] (AWS JSON 1.0, request helpers) and [`error`]
//! (error types), [`arn`] and [`names`] (ARNs and naming rules), [`pagination`],
//! [`machines`] (state machine store), [`executions`] (execution store, bounded
//! retention), [`activities`] (activity store), [`callbacks`] (task tokens and the
//! activity queue shared by every execution), [`launcher`] (child executions),
//! [`runner`] (starting executions on sfn-local), [`redrive`] (whether an execution
//! can be redriven), [`actions`] (one module per action
//! family), [`lambda`] (the Invoke endpoint), [`config`] (stepfunctions-local's
//! settings), [`worker`] (the activity worker of `stepwise worker`).
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! let config = stepwise_serve::config::Config { port: 0, ..Default::default() };
//! let app = stepwise_serve::App::new(config, stepwise_runtime::Registry::new())?;
//! let server = stepwise_serve::Server::bind(app).await?;
//! println!("listening on {}", server.endpoint());
//! server.run().await?;
//! # Ok(()) }
//! ```

pub mod actions;
pub mod activities;
pub mod arn;
pub mod callbacks;
pub mod config;
pub mod error;
pub mod executions;
pub mod lambda;
pub mod launcher;
pub mod machines;
pub mod names;
pub mod pagination;
pub mod protocol;
pub mod redrive;
pub mod runner;
pub mod worker;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::post;
use sfn_local::{MockConfig, TaskRunner};
use stepwise_runtime::{Registry, Services};

use crate::activities::ActivityStore;
use crate::callbacks::Tokens;
use crate::config::Config;
use crate::executions::ExecutionStore;
use crate::machines::MachineStore;

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// The mock config could not be read.
    #[error("{path}: {source}")]
    ReadMockConfig {
        /// The file.
        path: std::path::PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The mock config is not one.
    #[error("{path}: {source}")]
    MockConfig {
        /// The file.
        path: std::path::PathBuf,
        /// What is wrong.
        source: sfn_local::MockError,
    },
    /// The port could not be bound.
    #[error("cannot listen on 127.0.0.1:{port}: {source}")]
    Bind {
        /// The port.
        port: u16,
        /// Why.
        source: std::io::Error,
    },
    /// Serving failed.
    #[error("the server stopped: {0}")]
    Serve(#[source] std::io::Error),
}

/// Everything a request may touch.
pub struct App {
    /// The configuration.
    pub config: Config,
    /// The activities, for Tasks and Lambda's Invoke.
    pub registry: Registry,
    /// Runs Tasks: the AWS service integrations, then the real activities.
    pub tasks: Arc<dyn TaskRunner>,
    /// The mock config, when one is set.
    pub mocks: Option<MockConfig>,
    /// The state machines.
    pub machines: MachineStore,
    /// The executions.
    pub executions: ExecutionStore,
    /// The Step Functions activities.
    pub activities: ActivityStore,
    /// Task tokens and the activity queue, shared by every execution.
    pub tokens: Tokens,
    /// Starts the children of `states:startExecution` Tasks (see [`launcher`]).
    pub launcher: Arc<dyn sfn_local::Launcher>,
    /// The AWS clients of Tasks and of the executions' own S3 reads and writes (a
    /// distributed Map's ItemReader and ResultWriter).
    pub services: Arc<Services>,
}

impl App {
    /// The server's state for `config`, running the AWS service integrations against
    /// the endpoints of the standard environment and the activities of `registry`.
    pub fn new(config: Config, registry: Registry) -> Result<Arc<App>, ServeError> {
        Self::with_services(config, registry, Services::shared())
    }

    /// The server's state for `config`, running the AWS service integrations and the
    /// activities of `registry` against `services` (tests point these at moto server).
    pub fn with_services(
        config: Config,
        registry: Registry,
        services: Arc<Services>,
    ) -> Result<Arc<App>, ServeError> {
        let mocks = match &config.mock_config {
            None => None,
            Some(path) => {
                let text =
                    std::fs::read_to_string(path).map_err(|source| ServeError::ReadMockConfig {
                        path: path.clone(),
                        source,
                    })?;
                Some(
                    MockConfig::parse(&text).map_err(|source| ServeError::MockConfig {
                        path: path.clone(),
                        source,
                    })?,
                )
            }
        };
        let tasks = runner::real_tasks(registry.clone(), services.clone());
        Ok(Arc::new_cyclic(|app| App {
            launcher: Arc::new(launcher::ServeLauncher::new(app.clone())),
            executions: ExecutionStore::new(config.retention),
            config,
            registry,
            tasks,
            mocks,
            machines: MachineStore::default(),
            activities: ActivityStore::default(),
            tokens: Tokens::default(),
            services,
        }))
    }
}

/// The routes: the Step Functions API on `/`, Lambda's Invoke under `/2015-03-31/`.
pub fn router(app: Arc<App>) -> Router {
    Router::new()
        .route("/", post(protocol::handle))
        .route(
            "/2015-03-31/functions/{name}/invocations",
            post(lambda::invoke),
        )
        .layer(DefaultBodyLimit::max(protocol::MAX_BODY_BYTES))
        .with_state(app)
}

/// A server bound to its port.
pub struct Server {
    listener: tokio::net::TcpListener,
    app: Arc<App>,
    addr: SocketAddr,
}

impl Server {
    /// Binds 127.0.0.1 on the configured port (0: a free one).
    pub async fn bind(app: Arc<App>) -> Result<Server, ServeError> {
        let port = app.config.port;
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
            .await
            .map_err(|source| ServeError::Bind { port, source })?;
        let addr = listener
            .local_addr()
            .map_err(|source| ServeError::Bind { port, source })?;
        Ok(Server {
            listener,
            app,
            addr,
        })
    }

    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:<port>`.
    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Serves until the process ends.
    pub async fn run(self) -> Result<(), ServeError> {
        axum::serve(self.listener, router(self.app))
            .await
            .map_err(ServeError::Serve)
    }

    /// Serves until the process ends, with `extra` routes beside the Step Functions API
    /// (the jobs API of `stepwise serve --jobs-api`).
    pub async fn run_with(self, extra: Router) -> Result<(), ServeError> {
        axum::serve(self.listener, router(self.app).merge(extra))
            .await
            .map_err(ServeError::Serve)
    }
}
