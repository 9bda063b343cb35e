//! The OpenAPI 3.0 document of the jobs API, built from the contract's types
//! ([`crate::contract`]) and written by `stepwise generate` as
//! `statemachines/generated/group-images.openapi.json`. Its component schemas are
//! self-contained (no `$ref`), so API Gateway can take each one as a request model and
//! the local server validates a body against the very same schema.
//!
//! `x-stepwise` tells the deployment what it must wire without naming anything in its
//! own code: the workflow the POST starts, the declared table the GET reads, the claim
//! that carries the tenant and the job id pattern.

use schemars::JsonSchema;
use schemars::generate::SchemaSettings;
use serde_json::{Map, Value, json};

use crate::contract::{
    Accepted, ApiError, IDEMPOTENCY_HEADER, JOB_ID_PATTERN, JOBS_PATH, JobRequest, JobStatus,
};

/// The generated file's name.
pub const FILE_NAME: &str = "group-images.openapi.json";
pub use crate::contract::DEFAULT_TENANT_CLAIM;

/// The component schemas, one per contract type, each self-contained.
pub fn schemas() -> Map<String, Value> {
    let mut settings = SchemaSettings::openapi3();
    settings.inline_subschemas = true;
    let mut generator = settings.into_generator();
    let mut out = Map::new();
    let mut add = |name: &str, schema: schemars::Schema| {
        let mut value = schema.to_value();
        if let Some(map) = value.as_object_mut() {
            map.remove("$schema");
            map.insert("title".into(), Value::String(name.into()));
        }
        out.insert(name.to_string(), value);
    };
    add("JobRequest", generator.root_schema_for::<JobRequest>());
    add("Accepted", generator.root_schema_for::<Accepted>());
    add("JobStatus", generator.root_schema_for::<JobStatus>());
    add("ApiError", generator.root_schema_for::<ApiError>());
    out
}

/// The schema of `T` as [`schemas`] has it.
pub fn schema_of<T: JsonSchema>() -> Value {
    let mut settings = SchemaSettings::openapi3();
    settings.inline_subschemas = true;
    let mut value = settings.into_generator().root_schema_for::<T>().to_value();
    if let Some(map) = value.as_object_mut() {
        map.remove("$schema");
    }
    value
}

fn reference(name: &str) -> Value {
    json!({"$ref": format!("#/components/schemas/{name}")})
}

fn error_response(description: &str) -> Value {
    json!({
        "description": description,
        "content": {"application/json": {"schema": reference("ApiError")}}
    })
}

/// The whole document.
pub fn document() -> Value {
    let workflow = statemachines::group_images::NAME;
    json!({
        "openapi": "3.0.3",
        "info": {
            "title": "Stepwise jobs API: group-images",
            "version": "1.0.0",
            "description": "Start a group-images job (which of these product photos show the same product?) and poll its status. The tenant comes from the caller's verified token, never from the body or a header."
        },
        "x-stepwise": {
            "workflow": workflow,
            "jobsTable": statemachines::group_images::JOBS,
            "tenantClaim": DEFAULT_TENANT_CLAIM,
            "jobIdPattern": JOB_ID_PATTERN,
            "idempotencyHeader": IDEMPOTENCY_HEADER
        },
        "security": [{"bearer": []}],
        "paths": {
            JOBS_PATH: {
                "post": {
                    "operationId": "startGroupImages",
                    "summary": "Start a group-images job",
                    "parameters": [{
                        "name": IDEMPOTENCY_HEADER,
                        "in": "header",
                        "required": false,
                        "description": "A retried POST with the same key returns the same job; the key becomes the job id.",
                        "schema": {"type": "string", "pattern": JOB_ID_PATTERN}
                    }],
                    "requestBody": {
                        "required": true,
                        "content": {"application/json": {"schema": reference("JobRequest")}}
                    },
                    "responses": {
                        "202": {
                            "description": "Accepted: the job has started",
                            "content": {"application/json": {"schema": reference("Accepted")}}
                        },
                        "400": error_response("The body breaks the schema (the problem is named)"),
                        "401": error_response("No valid token"),
                        "409": error_response("The Idempotency-Key names another caller's job"),
                        "429": error_response("Throttled")
                    }
                }
            },
            format!("{JOBS_PATH}/{{jobId}}"): {
                "get": {
                    "operationId": "getGroupImagesJob",
                    "summary": "A job's status, progress and result",
                    "parameters": [{
                        "name": "jobId",
                        "in": "path",
                        "required": true,
                        "schema": {"type": "string", "pattern": JOB_ID_PATTERN}
                    }],
                    "responses": {
                        "200": {
                            "description": "The job",
                            "content": {"application/json": {"schema": reference("JobStatus")}}
                        },
                        "401": error_response("No valid token"),
                        "404": error_response("No such job for this tenant"),
                        "429": error_response("Throttled")
                    }
                }
            }
        },
        "components": {
            "schemas": schemas(),
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
            }
        }
    })
}

/// The document as `stepwise generate` writes it (pretty, trailing newline).
pub fn generated_text() -> String {
    let mut text = serde_json::to_string_pretty(&document()).expect("JSON values always serialise");
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_request_schema_bounds_images_refuses_unknown_fields_and_has_no_refs() {
        let schemas = schemas();
        let request = &schemas["JobRequest"];
        assert_eq!(request["additionalProperties"], false);
        assert_eq!(request["properties"]["images"]["minItems"], 1);
        assert_eq!(request["properties"]["images"]["maxItems"], 500);
        let image = &request["properties"]["images"]["items"];
        assert_eq!(image["additionalProperties"], false);
        assert_eq!(image["properties"]["uri"]["pattern"], "^(s3|https)://");
        for (name, schema) in &schemas {
            assert!(
                !schema.to_string().contains("$ref"),
                "{name} must be self-contained: {schema}"
            );
        }
    }

    #[test]
    fn every_path_refers_to_a_component_that_exists() {
        let doc = document();
        let text = doc["paths"].to_string();
        for name in ["JobRequest", "Accepted", "JobStatus", "ApiError"] {
            assert!(
                text.contains(&format!("#/components/schemas/{name}")),
                "{name}"
            );
            assert!(doc["components"]["schemas"][name].is_object(), "{name}");
        }
    }
}
