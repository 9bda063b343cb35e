//! `stepwise`: the command line of Stepwise.
//!
//! Exit codes everywhere: 0 ok, 1 invalid input or definition, 2 usage. Results go to
//! stdout, errors to stderr.

mod commands;
mod output;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use commands::execution::ExecutionFlags;

/// Stepwise: typed Rust activities and workflows for AWS Step Functions.
#[derive(Debug, Parser)]
#[command(name = "stepwise", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Write every workflow's generated files (ASL, Mermaid, input schema and example,
    /// mock config, manifest) to statemachines/generated/.
    Generate {
        /// Write nothing; exit 1 naming every stale, missing or extra file.
        #[arg(long)]
        check: bool,
        /// The output directory (default: statemachines/generated of the workspace
        /// containing the current directory).
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
    },
    /// Validate ASL files: one line per problem, `FILE: State "X": message`.
    Validate {
        /// The ASL JSON files.
        #[arg(required = true, value_name = "FILE")]
        files: Vec<PathBuf>,
    },
    /// Print the canonical form of an ASL document.
    Fmt {
        /// The ASL JSON file.
        #[arg(value_name = "FILE")]
        file: PathBuf,
    },
    /// Print the Mermaid flowchart of a workflow (by name) or of an ASL file.
    Graph {
        /// A workflow name or an ASL JSON file.
        #[arg(value_name = "WORKFLOW|FILE")]
        target: String,
    },
    /// Run any ASL document in-process (sfn-local). Prints the output JSON (exit 0) or
    /// {"error", "cause"} (exit 1) on stdout.
    Exec {
        /// The ASL JSON file.
        #[arg(long, value_name = "FILE")]
        definition: PathBuf,
        #[command(flatten)]
        flags: ExecutionFlags,
    },
    /// Run a workflow with the real activities, with progress on stderr.
    Run {
        /// The workflow's name.
        workflow: String,
        #[command(flatten)]
        flags: ExecutionFlags,
    },
    /// Serve the Step Functions API (AWS JSON 1.0) and Lambda's Invoke for every activity
    /// on 127.0.0.1: a drop-in for stepfunctions-local. Any SigV4 signature (or none) is
    /// accepted: it is a local tool, never expose it. Also reads stepfunctions-local's
    /// variables: SFN_MOCK_CONFIG, WAIT_TIME_SCALE, AWS_ACCOUNT_ID, AWS_DEFAULT_REGION,
    /// LAMBDA_ENDPOINT and the per-service *_ENDPOINT (mapped to AWS_ENDPOINT_URL_<SERVICE>).
    Serve {
        #[command(flatten)]
        flags: commands::serve::ServeFlags,
    },
    /// Serve activities of the registry as Step Functions Activities: long-poll
    /// GetActivityTask through the standard AWS environment (AWS, or `stepwise serve` with
    /// AWS_ENDPOINT_URL_SFN), run each task with heartbeats, report success or failure;
    /// SIGTERM or ctrl-c stops polling and finishes the tasks in flight.
    Worker {
        #[command(flatten)]
        flags: commands::worker::WorkerFlags,
    },
    /// Dead-letter queues: `stepwise dlq replay --queue-url URL [--local --substitute NAME=VALUE...]`.
    Dlq {
        #[command(subcommand)]
        command: DlqCommand,
    },
    /// The lake's Iceberg tables: `stepwise lake import --dataset smartgo_sales --from
    /// s3://bucket/prefix --table-bucket NAME --namespace NAME` imports Hive-style objects
    /// of earlier runs.
    Lake {
        #[command(subcommand)]
        command: LakeCommand,
    },
    /// Create the tables, queues and S3 Vectors indexes the workflows declare on the
    /// endpoints of the standard AWS environment (moto server locally) and print the
    /// definition substitutions that reach them, as JSON for `run --substitutions`.
    Provision {
        #[command(flatten)]
        flags: commands::provision::ProvisionFlags,
    },
    /// List every activity with its error names, or print one activity's schemas.
    Activities {
        /// Print the input and output JSON Schemas of this activity.
        #[arg(long, value_name = "NAME")]
        schema: Option<String>,
    },
    /// A vector-ingest job's progress: a live bar with rate and ETA on stderr until the
    /// execution ends, then the last snapshot as JSON on stdout.
    Progress {
        #[command(flatten)]
        flags: commands::progress::ProgressFlags,
    },
    /// The nearest neighbours of a sale's vector in an S3 Vectors index (SimilarProducts).
    Similar {
        #[command(flatten)]
        flags: commands::similar::SimilarFlags,
    },
    /// Print a JWT of the local issuer for a tenant, for `stepwise serve --jobs-api`.
    Token {
        #[command(flatten)]
        flags: commands::token::TokenFlags,
    },
}

/// `stepwise lake` subcommands.
#[derive(Debug, Subcommand)]
enum LakeCommand {
    /// Import the Hive-style Parquet objects under a prefix into a lake table: copied
    /// under the table's location and appended in one snapshot; files already in the
    /// table, or whose tenant and dates it already holds, are skipped.
    Import {
        #[command(flatten)]
        flags: commands::lake::ImportFlags,
    },
}

/// `stepwise dlq` subcommands.
#[derive(Debug, Subcommand)]
enum DlqCommand {
    /// Replay the events of a dead-letter queue: re-put them to the bus (or run them
    /// locally with --local); a message is deleted only after its replay succeeded.
    Replay {
        #[command(flatten)]
        flags: commands::dlq::ReplayFlags,
    },
}

fn main() -> ExitCode {
    if let Err(e) = output::check_streams() {
        let _ = output::errln(&format!("error: {e}"));
        return ExitCode::from(1);
    }
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Generate { check, out } => commands::generate::run(check, out),
        Command::Validate { files } => commands::validate::run(&files),
        Command::Fmt { file } => commands::fmt::run(&file),
        Command::Graph { target } => commands::graph::run(&target),
        Command::Exec { definition, flags } => commands::exec::run(&definition, flags),
        Command::Run { workflow, flags } => commands::run::run(&workflow, flags),
        Command::Serve { flags } => commands::serve::run(flags),
        Command::Worker { flags } => commands::worker::run(flags),
        Command::Dlq {
            command: DlqCommand::Replay { flags },
        } => commands::dlq::replay(flags),
        Command::Lake {
            command: LakeCommand::Import { flags },
        } => commands::lake::import(flags),
        Command::Activities { schema } => commands::activities::run(schema.as_deref()),
        Command::Progress { flags } => commands::progress::run(flags),
        Command::Similar { flags } => commands::similar::run(flags),
        Command::Provision { flags } => commands::provision::run(flags),
        Command::Token { flags } => commands::token::run(flags),
    };
    match result {
        Ok(code) => code,
        // The reader closed the pipe: it has what it wanted.
        Err(commands::CliError::Output(output::OutputError::Closed)) => ExitCode::SUCCESS,
        Err(e @ commands::CliError::Usage(_)) => {
            let _ = output::errln(&format!("error: {e}"));
            ExitCode::from(2)
        }
        Err(e) => {
            // Nothing more can be said if stderr itself is gone; the exit code still tells.
            let _ = output::errln(&format!("error: {e}"));
            ExitCode::from(1)
        }
    }
}
