//! Step Functions ARNs for the configured partition, region and account: building them
//! and checking the ones clients send (`InvalidArn` in AWS's words otherwise).

use crate::error::{ApiError, ErrorType};

/// The region and account the server's ARNs name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    /// The region (`AWS_DEFAULT_REGION`, default `us-east-1`).
    pub region: String,
    /// The account id (`AWS_ACCOUNT_ID`, default `123456789012`).
    pub account: String,
}

impl Default for Account {
    fn default() -> Self {
        Account {
            region: "us-east-1".into(),
            account: "123456789012".into(),
        }
    }
}

impl Account {
    fn prefix(&self) -> String {
        format!("arn:aws:states:{}:{}", self.region, self.account)
    }

    /// `arn:aws:states:<region>:<account>:stateMachine:<name>`.
    pub fn state_machine(&self, name: &str) -> String {
        format!("{}:stateMachine:{name}", self.prefix())
    }

    /// `arn:aws:states:<region>:<account>:execution:<machine>:<name>`.
    pub fn execution(&self, machine: &str, name: &str) -> String {
        format!("{}:execution:{machine}:{name}", self.prefix())
    }

    /// `arn:aws:states:<region>:<account>:express:<machine>:<name>:<id>` (a synchronous
    /// Express execution).
    pub fn express(&self, machine: &str, name: &str) -> String {
        format!(
            "{}:express:{machine}:{name}:{}",
            self.prefix(),
            uuid::Uuid::new_v4()
        )
    }

    /// `arn:aws:states:<region>:<account>:activity:<name>`.
    pub fn activity(&self, name: &str) -> String {
        format!("{}:activity:{name}", self.prefix())
    }

    /// `arn:aws:iam::<account>:role/<name>`.
    pub fn role(&self, name: &str) -> String {
        format!("arn:aws:iam::{}:role/{name}", self.account)
    }
}

/// A parsed Step Functions ARN: its resource type and the parts after it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parsed<'a> {
    /// `stateMachine`, `execution`, `activity`, `express`, `mapRun`, ...
    pub resource: &'a str,
    /// The rest, split on `:`.
    pub parts: Vec<&'a str>,
}

/// Parses `arn` as a Step Functions ARN of type `wanted`, with `count` parts after the
/// type; the error is AWS's `InvalidArn`.
pub fn parse<'a>(arn: &'a str, wanted: &[&str], count: usize) -> Result<Parsed<'a>, ApiError> {
    let invalid =
        |why: String| ApiError::new(ErrorType::InvalidArn, format!("Invalid Arn: '{why}'"));
    let fields: Vec<&str> = arn.split(':').collect();
    if fields.len() < 7 || fields[0] != "arn" {
        return Err(invalid(format!("Invalid ARN prefix: {arn}")));
    }
    if fields[2] != "states" {
        return Err(invalid(format!("Service name not valid: {}", fields[2])));
    }
    if fields[3].is_empty() || fields[4].is_empty() {
        return Err(invalid(format!("Region or account missing: {arn}")));
    }
    let resource = fields[5];
    if !wanted.contains(&resource) {
        return Err(invalid(format!(
            "Resource type not valid in this context: {resource}"
        )));
    }
    let parts = fields[6..].to_vec();
    if parts.len() != count || parts.iter().any(|p| p.is_empty()) {
        return Err(invalid(format!("Invalid resource name: {arn}")));
    }
    Ok(Parsed { resource, parts })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arns_follow_aws_format_and_bad_ones_are_invalid_arn() {
        let a = Account {
            region: "eu-west-1".into(),
            account: "111122223333".into(),
        };
        let sm = a.state_machine("Orders");
        assert_eq!(
            sm,
            "arn:aws:states:eu-west-1:111122223333:stateMachine:Orders"
        );
        assert_eq!(
            parse(&sm, &["stateMachine"], 1).unwrap().parts,
            vec!["Orders"]
        );
        let e = a.execution("Orders", "run-1");
        assert_eq!(
            parse(&e, &["execution"], 2).unwrap().parts,
            vec!["Orders", "run-1"]
        );
        let err = parse(&e, &["stateMachine"], 1).unwrap_err();
        assert_eq!(err.kind, ErrorType::InvalidArn);
        assert!(
            err.message
                .contains("Resource type not valid in this context: execution")
        );
        for bad in [
            "",
            "nope",
            "arn:aws:lambda:us-east-1:1:function:f",
            "arn:aws:states:::stateMachine:x",
        ] {
            assert_eq!(
                parse(bad, &["stateMachine"], 1).unwrap_err().kind,
                ErrorType::InvalidArn,
                "{bad}"
            );
        }
    }
}
