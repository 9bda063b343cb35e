//! `LoadConfig`: reads the pipeline configuration from SSM and returns it without its
//! secret. Reads only; it must not write anything or return the database URL.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use stepwise_contract::deploy::{Deployment, Permission, Resource};
use stepwise_contract::{ActivityDef, ErrorName};

use super::{PipelineConfig, PipelineSettings};
use stepwise_runtime::{Activity, ActivityError, Context};

/// Which configuration to load.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LoadConfigInput {
    /// The SSM parameter (a `SecureString` holding the configuration's JSON), e.g.
    /// `/stepwise/daily-sales-export/config`.
    pub parameter: String,
}

/// Loads the daily-sales-export configuration from an SSM `SecureString` parameter
/// (through the parameter cache), checks it, and returns it without the database URL:
/// Step Functions records every state's output in the execution history, which
/// operators can read, so the secret stays in SSM and later steps re-read it by the
/// returned `config_parameter`.
///
/// Fails with `NotFound` when the parameter does not exist, `InvalidInput` naming the
/// field (and the parameter) when the configuration is wrong, and `Throttled`,
/// `Transient` or `Permanent` for AWS failures.
#[derive(Debug, Clone, Copy, Default)]
pub struct LoadConfig;

impl ActivityDef for LoadConfig {
    const NAME: &'static str = "LoadConfig";
    const DEPLOYMENT: Deployment = Deployment {
        memory_mb: 128,
        timeout_seconds: 30,
        permissions: &[Permission {
            actions: &["ssm:GetParameter"],
            resource: Resource::ConfigParameter,
            reason: "reads and checks the configuration (SecureString, decrypted)",
        }],
    };
    const ERRORS: &'static [ErrorName] = &[];
    type Input = LoadConfigInput;
    type Output = PipelineSettings;
}

impl Activity for LoadConfig {
    async fn run(
        &self,
        input: LoadConfigInput,
        ctx: &Context,
    ) -> Result<PipelineSettings, ActivityError> {
        let parameter = input.parameter.trim();
        if parameter.is_empty() {
            return Err(ActivityError::invalid_input(
                "input field \"parameter\": must name an SSM parameter",
            ));
        }
        let config = PipelineConfig::load(ctx, parameter).await?;
        Ok(config.settings(parameter))
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[tokio::test]
    async fn an_empty_parameter_name_is_invalid_input() {
        let err = crate::registry()
            .invoke("LoadConfig", json!({"parameter": " "}), &Context::default())
            .await
            .unwrap_err();
        assert_eq!(err.name.as_str(), "InvalidInput");
        assert!(err.cause.contains("\"parameter\""), "{}", err.cause);
    }

    #[tokio::test]
    async fn unknown_input_fields_are_rejected_before_any_call() {
        let err = crate::registry()
            .invoke(
                "LoadConfig",
                json!({"parameter": "/x", "decrypt": true}),
                &Context::default(),
            )
            .await
            .unwrap_err();
        assert_eq!(err.name.as_str(), "InvalidInput");
        assert!(
            err.cause.contains("unknown field \"decrypt\""),
            "{}",
            err.cause
        );
    }

    #[test]
    fn the_output_schema_has_no_secret() {
        let schema = LoadConfig::output_schema();
        assert!(schema["properties"].get("database_url").is_none());
        assert!(schema["properties"].get("config_parameter").is_some());
        assert_eq!(LoadConfig::input_schema()["required"], json!(["parameter"]));
    }
}
