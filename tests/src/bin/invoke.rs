//! `invoke ACTIVITY [JSON]`: runs one activity from the registry, in-process, on the
//! process-wide services configured from the standard environment (`AWS_ENDPOINT_URL`,
//! `AWS_REGION`, credentials, profiles), and prints its JSON output.
//!
//! The integration tests run it as a child process to prove that pointing the standard
//! variables at local services is all a local run needs. It must not configure AWS in
//! any other way.
//!
//! Exit codes: 0 with the output on stdout; 1 when the activity fails, with
//! `{"Error": name, "Cause": cause}` on stderr; 2 on bad usage.

use std::process::ExitCode;

use serde_json::{Value, json};
use stepwise_runtime::Context;

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (name, input) = match args.as_slice() {
        [name] => (name.as_str(), "{}"),
        [name, input] => (name.as_str(), input.as_str()),
        _ => {
            eprintln!("usage: invoke ACTIVITY [JSON]");
            return ExitCode::from(2);
        }
    };
    let input: Value = match serde_json::from_str(input) {
        Ok(input) => input,
        Err(e) => {
            eprintln!("invoke: the input is not JSON: {e}");
            return ExitCode::from(2);
        }
    };
    match stepwise_lambda::all()
        .invoke(name, input, &Context::default())
        .await
    {
        Ok(output) => {
            println!("{output}");
            ExitCode::SUCCESS
        }
        Err(err) => {
            eprintln!(
                "{}",
                json!({"Error": err.name.as_str(), "Cause": err.cause})
            );
            ExitCode::FAILURE
        }
    }
}
