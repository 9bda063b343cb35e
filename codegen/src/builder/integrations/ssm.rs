//! AWS Systems Manager Parameter Store through the AWS SDK integration:
//! `aws-sdk:ssm:getParameter`.

use super::{Arg, Params};
use crate::builder::Task;

/// `GetParameter`.
#[derive(Debug, Clone, PartialEq)]
pub struct GetParameter {
    /// The parameter's name (`/stepwise/config`).
    pub name: Arg,
    /// Decrypt a SecureString (the value then travels through the state machine in clear:
    /// prefer reading secrets in an activity).
    pub with_decryption: Option<bool>,
}

impl GetParameter {
    /// Reads the parameter `name`.
    pub fn new(name: impl Into<Arg>) -> Self {
        GetParameter {
            name: name.into(),
            with_decryption: None,
        }
    }
}

/// A Task that reads a parameter (`arn:aws:states:::aws-sdk:ssm:getParameter`; the result
/// has `Parameter` with `Name`, `Type`, `Value`, `Version`).
pub fn get_parameter(name: impl Into<String>, request: GetParameter) -> Task {
    Params::default()
        .arg("Name", &request.name)
        .boolean("WithDecryption", request.with_decryption)
        .task(name, "aws-sdk:ssm:getParameter")
}
