//! The server's configuration, with stepfunctions-local's names: each setting comes from
//! a flag, else from the environment variable stepfunctions-local reads
//! (`SFN_MOCK_CONFIG`, `WAIT_TIME_SCALE`, `AWS_ACCOUNT_ID`, `AWS_DEFAULT_REGION`,
//! `LAMBDA_ENDPOINT`, ...), else a default. The per-service endpoints
//! (`DYNAMODB_ENDPOINT`, `SQS_ENDPOINT`, ...) become the standard
//! `AWS_ENDPOINT_URL_<SERVICE>` that the AWS SDK clients read, unless that is set.

use std::path::PathBuf;

use crate::arn::Account;
use crate::executions::DEFAULT_RETENTION;

/// stepfunctions-local's per-service endpoint variables and the standard variable each
/// one stands for.
pub const ENDPOINT_ALIASES: &[(&str, &str)] = &[
    ("LAMBDA_ENDPOINT", "AWS_ENDPOINT_URL_LAMBDA"),
    ("BATCH_ENDPOINT", "AWS_ENDPOINT_URL_BATCH"),
    ("DYNAMODB_ENDPOINT", "AWS_ENDPOINT_URL_DYNAMODB"),
    ("ECS_ENDPOINT", "AWS_ENDPOINT_URL_ECS"),
    ("GLUE_ENDPOINT", "AWS_ENDPOINT_URL_GLUE"),
    ("SAGE_MAKER_ENDPOINT", "AWS_ENDPOINT_URL_SAGEMAKER"),
    ("SQS_ENDPOINT", "AWS_ENDPOINT_URL_SQS"),
    ("SNS_ENDPOINT", "AWS_ENDPOINT_URL_SNS"),
    ("EVENTBRIDGE_ENDPOINT", "AWS_ENDPOINT_URL_EVENTBRIDGE"),
    ("STEP_FUNCTIONS_ENDPOINT", "AWS_ENDPOINT_URL_SFN"),
];

/// A setting that makes no sense.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    /// A number that is not one.
    #[error("{name} must be {what}, not \"{value}\"")]
    Invalid {
        /// The flag or variable.
        name: &'static str,
        /// What it must be.
        what: &'static str,
        /// What it was.
        value: String,
    },
}

/// How the server runs.
#[derive(Debug, Clone)]
pub struct Config {
    /// The port on 127.0.0.1 (0: any free port). stepfunctions-local's is 8083.
    pub port: u16,
    /// The region and account in ARNs.
    pub account: Account,
    /// The stepfunctions-local mock config file.
    pub mock_config: Option<PathBuf>,
    /// Wait states last this many times their duration (0: instant).
    pub wait_time_scale: f64,
    /// Waits and retry backoff are instant (timestamps still move on).
    pub virtual_time: bool,
    /// How many finished executions are kept.
    pub retention: usize,
    /// How long GetActivityTask holds a poll with no task (60 s, as AWS).
    pub activity_poll_wait: std::time::Duration,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            port: 8083,
            account: Account::default(),
            mock_config: None,
            wait_time_scale: 1.0,
            virtual_time: false,
            retention: DEFAULT_RETENTION,
            activity_poll_wait: std::time::Duration::from_secs(60),
        }
    }
}

/// What the command line said; `None` falls back to the environment.
#[derive(Debug, Clone, Default)]
pub struct Flags {
    /// `--port`.
    pub port: Option<u16>,
    /// `--mock-config`.
    pub mock_config: Option<PathBuf>,
    /// `--wait-time-scale`.
    pub wait_time_scale: Option<f64>,
    /// `--virtual-time`.
    pub virtual_time: bool,
    /// `--account`.
    pub account: Option<String>,
    /// `--region`.
    pub region: Option<String>,
    /// `--retention`.
    pub retention: Option<usize>,
}

impl Config {
    /// The configuration from `flags`, then the variables `env` returns, then defaults.
    pub fn resolve(
        flags: Flags,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Config, ConfigError> {
        let defaults = Config::default();
        let var = |name: &str| env(name).filter(|v| !v.trim().is_empty());
        let wait_time_scale = match (flags.wait_time_scale, var("WAIT_TIME_SCALE")) {
            (Some(x), _) => x,
            (None, Some(text)) => text.trim().parse().map_err(|_| ConfigError::Invalid {
                name: "WAIT_TIME_SCALE",
                what: "a number",
                value: text.clone(),
            })?,
            (None, None) => defaults.wait_time_scale,
        };
        if !wait_time_scale.is_finite() || wait_time_scale < 0.0 {
            return Err(ConfigError::Invalid {
                name: "wait time scale",
                what: "a number of 0 or more",
                value: wait_time_scale.to_string(),
            });
        }
        Ok(Config {
            activity_poll_wait: defaults.activity_poll_wait,
            port: flags.port.unwrap_or(defaults.port),
            account: Account {
                region: flags
                    .region
                    .or_else(|| var("AWS_DEFAULT_REGION"))
                    .or_else(|| var("AWS_REGION"))
                    .unwrap_or(defaults.account.region),
                account: flags
                    .account
                    .or_else(|| var("AWS_ACCOUNT_ID"))
                    .unwrap_or(defaults.account.account),
            },
            mock_config: flags
                .mock_config
                .or_else(|| var("SFN_MOCK_CONFIG").map(PathBuf::from)),
            wait_time_scale,
            virtual_time: flags.virtual_time,
            retention: flags.retention.unwrap_or(defaults.retention),
        })
    }
}

/// The standard endpoint variables to set for stepfunctions-local's per-service ones:
/// `(AWS_ENDPOINT_URL_<SERVICE>, value)` for each alias that is set when the standard
/// variable is not.
pub fn endpoint_variables(env: impl Fn(&str) -> Option<String>) -> Vec<(&'static str, String)> {
    ENDPOINT_ALIASES
        .iter()
        .filter(|(_, standard)| env(standard).is_none())
        .filter_map(|(alias, standard)| {
            env(alias)
                .filter(|v| !v.trim().is_empty())
                .map(|v| (*standard, v))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |k| map.get(k).cloned()
    }

    #[test]
    fn stepfunctions_local_variables_configure_the_server_and_flags_win() {
        let vars = env(&[
            ("AWS_ACCOUNT_ID", "111122223333"),
            ("AWS_DEFAULT_REGION", "eu-west-1"),
            ("SFN_MOCK_CONFIG", "/tmp/mock.json"),
            ("WAIT_TIME_SCALE", "0.5"),
        ]);
        let c = Config::resolve(Flags::default(), &vars).unwrap();
        assert_eq!(c.account.account, "111122223333");
        assert_eq!(c.account.region, "eu-west-1");
        assert_eq!(c.mock_config, Some(PathBuf::from("/tmp/mock.json")));
        assert_eq!(c.wait_time_scale, 0.5);
        assert_eq!(c.port, 8083);
        let flags = Flags {
            region: Some("ap-south-1".into()),
            wait_time_scale: Some(0.0),
            ..Flags::default()
        };
        let c = Config::resolve(flags, &vars).unwrap();
        assert_eq!(c.account.region, "ap-south-1");
        assert_eq!(c.wait_time_scale, 0.0);
    }

    #[test]
    fn a_bad_wait_time_scale_is_refused_by_name() {
        let err =
            Config::resolve(Flags::default(), env(&[("WAIT_TIME_SCALE", "fast")])).unwrap_err();
        assert!(err.to_string().contains("WAIT_TIME_SCALE"), "{err}");
        let flags = Flags {
            wait_time_scale: Some(-1.0),
            ..Flags::default()
        };
        assert!(Config::resolve(flags, env(&[])).is_err());
    }

    #[test]
    fn service_endpoints_map_to_the_standard_variables_unless_set() {
        let vars = env(&[
            ("DYNAMODB_ENDPOINT", "http://127.0.0.1:4566"),
            ("SQS_ENDPOINT", "http://127.0.0.1:1"),
            ("AWS_ENDPOINT_URL_SQS", "http://127.0.0.1:2"),
            ("LAMBDA_ENDPOINT", "http://127.0.0.1:3"),
        ]);
        let mut set = endpoint_variables(vars);
        set.sort();
        assert_eq!(
            set,
            vec![
                (
                    "AWS_ENDPOINT_URL_DYNAMODB",
                    "http://127.0.0.1:4566".to_string()
                ),
                ("AWS_ENDPOINT_URL_LAMBDA", "http://127.0.0.1:3".to_string()),
            ]
        );
    }
}
