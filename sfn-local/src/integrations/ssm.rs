//! SSM Parameter Store: `aws-sdk:ssm:getParameter`.

use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::{Call, date, put};
use crate::failure::Failure;

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "PascalCase")]
struct GetParameter {
    name: String,
    with_decryption: Option<bool>,
}

/// Runs `getParameter`.
pub(super) async fn run(call: &Call<'_>) -> Result<Value, Failure> {
    let p: GetParameter = call.params()?;
    let client = call.clients().ssm().await;
    let r = call
        .send(
            client
                .get_parameter()
                .name(p.name)
                .set_with_decryption(p.with_decryption)
                .send(),
        )
        .await?;
    let mut parameter = Map::new();
    if let Some(got) = r.parameter() {
        put(&mut parameter, "Arn", got.arn().map(str::to_string));
        put(
            &mut parameter,
            "DataType",
            got.data_type().map(str::to_string),
        );
        put(
            &mut parameter,
            "LastModifiedDate",
            got.last_modified_date().map(date),
        );
        put(&mut parameter, "Name", got.name().map(str::to_string));
        put(
            &mut parameter,
            "Type",
            got.r#type().map(|t| t.as_str().to_string()),
        );
        put(&mut parameter, "Value", got.value().map(str::to_string));
        parameter.insert("Version".into(), json!(got.version()));
    }
    Ok(json!({"Parameter": parameter}))
}
