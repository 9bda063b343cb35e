//! The typed data-flow check: does every state receive the data it needs?
//!
//! Starting from the JSON Schema of the execution input, [`check`] propagates the *shape* of
//! the state document through every state, in the order Step Functions applies the fields —
//! InputPath → Parameters → task result → ResultSelector → ResultPath → OutputPath — and
//! through Map items, Parallel branches, Catch `ResultPath`s and Choice branches. On the way
//! it reports, at generation time, what would otherwise fail at run time:
//!
//! * a Task running an activity (`Resource: "${Name}"`) whose effective input lacks a
//!   required field of the activity's input schema, has one with the wrong JSON type
//!   (recursively), or carries a field the activity rejects (`additionalProperties: false`);
//! * a path over a service integration's result (`ResultSelector`, or a later state
//!   reading what `ResultPath` put down) to a field the integration does not return, as
//!   [`crate::integration::result_schema`] documents it (`dynamodb:getItem` gives `Item`,
//!   `SdkHttpMetadata` and `SdkResponseMetadata`; `startExecution.sync` gives `Output` as
//!   a string, `.sync:2` as JSON);
//! * a Task on a known integration whose Parameters lack a parameter the integration
//!   requires, or give one a value of the wrong JSON type
//!   ([`crate::integration::parameter_schema`]; other parameters pass unchecked);
//! * a JSONPath that cannot resolve against the shape (InputPath, OutputPath, ItemsPath,
//!   `.$` template values and intrinsic-function arguments, Choice `Variable` and `…Path`
//!   operands, the `…Path` fields of Wait, Fail, Task and Map);
//! * a path whose value has the wrong type: `ItemsPath` not an array, `SecondsPath` and the
//!   other count/duration paths not a number, `TimestampPath`, `ErrorPath` and `CausePath`
//!   not a string, an intrinsic argument of the wrong type.
//!
//! # Messages
//!
//! ```text
//! input of activity "Work": missing required field "order.id"
//! input of activity "Work": field "order.qty" is a string, expected an integer
//! input of activity "Work": unexpected field "note" (Work rejects unknown fields)
//! input of activity "Work": the input is an array, expected an object
//! Parameters.order.$ "$.ordr": no field "ordr" in the state input (it has: order, tenant)
//! InputPath "$.order.address.zip": no field "zip" in $.order.address (it has: street, city)
//! Parameters.id.$ "$$.Execution.Nme": no field "Nme" in $$.Execution (it has: Id, Input, …)
//! ResultSelector.x.$ "$.y": no field "y" in the result (it has: x)
//! OutputPath "$.z": no field "z" in the state output (it has: a)
//! Parameters.first.$ "$.items[3]": no index 3 in $.items (it has 2 items)
//! Parameters.a.$ "$.name.first": no field "first" in $.name (it is a string)
//! ItemsPath "$.items": is an object, expected an array
//! SecondsPath "$.s": is a string, expected a number
//! Parameters.n.$ "$.name": is a string, expected an array (argument 1 of States.ArrayLength)
//! ```
//!
//! Field positions are written the way the document nests them: `InputPath`,
//! `Parameters.order.$`, `ItemSelector.item.$`, `ResultSelector.x.$`, `Choices[0].Variable`,
//! `Choices[1].And[0].NumericEqualsPath`, `ItemReader.Parameters.Key.$`. `$` is named after
//! what it refers to: `the state input` (InputPath, Parameters, ItemSelector, Choice, Wait,
//! Fail and Map paths), `the result` (ResultSelector), `the state output` (OutputPath);
//! `$$` is `the context object`.
//!
//! # Rules
//!
//! * Unknown is quiet: [`Shape::Any`] (a `$ref`, the result of a resource that is neither an
//!   activity nor a known integration, a `.waitForTaskToken` callback's result, the output
//!   of a JSONata expression the check cannot follow, the result of a JSONata Task that
//!   hands out its task token, a path after an earlier miss) never
//!   produces a problem.
//! * JSONata states (the `jsonata` module): `$states.input`, `$states.result`,
//!   `$states.errorOutput` and `$states.context` field references are checked where they
//!   are a field's whole value or a member of an object or array constructor; the shape a
//!   state's `Output` builds (a JSON template, or a `{% %}` constructor with literal keys)
//!   is followed to the next state, else the result (Task, Map, Parallel) or the input
//!   (Pass, Wait, Choice, Succeed); `Arguments` feed Parallel branches, `Items` and
//!   `ItemSelector` a Map's processor; a Catch target gets its rule's `Output` or the
//!   error output. Expressions with operators, functions or predicates are unknown.
//! * A union (nullable field, `anyOf`, a state reached along several paths) is reported
//!   only when *no* variant fits; in particular a field present in only some variants — or
//!   optional in the schema — counts as present, both for reading paths and for an
//!   activity's required fields.
//! * An object schema with declared properties and no `additionalProperties` is closed for
//!   reading (a path to an undeclared field is reported) but open for consumers (extra
//!   fields are passed on unreported); only `"additionalProperties": false` rejects extra
//!   fields. An object schema without declared properties is map-like.
//! * Choice paths tested anywhere in the state with `IsPresent` (and every path below
//!   them) are not reported: testing an optional field first is the idiom.
//! * Indefinite paths (wildcards, filters, slices, unions, descent) yield arrays of
//!   matches; only a miss *before* their first indefinite segment is reported (Jayway's
//!   "missing property in path").
//! * Loops are followed to a fixpoint; a state whose input keeps growing is widened to
//!   `Any` after a few rounds. Problems are reported once per state and message, after
//!   convergence, in state definition order (nested states after their parent).
//! * Invalid paths and intrinsic calls are the validator's business and are skipped here.
//! * The problems carry the state name; the caller adds the workflow name.
//! * Workflow variables (the `variables` module): a state that reads a variable which no
//!   path to it assigns is reported (`Output.x: reads $total, which no path to this
//!   state assigns`).

mod compat;
mod flow;
mod jsonata;
mod resolve;
mod shape;
mod template;
mod variables;

pub use shape::{Extra, Field, MAX_DEPTH, MAX_VARIANTS, ObjectShape, Shape, WIDEN_DEPTH};

use std::collections::BTreeMap;

use stepwise_contract::ActivityInfo;

use crate::asl::{Problem, QueryLanguage, StateMachine};

/// Runs the data-flow check over `machine`, whose execution input is described by the
/// JSON Schema `input_schema`; `activities` are the activities `${Name}` resources may
/// name, by name. Returns every problem found (empty when the data flows).
pub fn check(
    machine: &StateMachine,
    input_schema: &serde_json::Value,
    activities: &BTreeMap<String, ActivityInfo>,
) -> Vec<Problem> {
    let analyzer = flow::Analyzer::new(input_schema, activities);
    let jsonata = machine.query_language == Some(QueryLanguage::Jsonata);
    let (_, mut problems) = analyzer.scope(
        &machine.states,
        &machine.start_at,
        analyzer.execution_input(),
        jsonata,
    );
    problems.extend(variables::check(
        &machine.states,
        &machine.start_at,
        Default::default(),
        machine.query_language,
    ));
    let mut unique: Vec<Problem> = Vec::with_capacity(problems.len());
    for problem in problems {
        if !unique.contains(&problem) {
            unique.push(problem);
        }
    }
    unique
}

#[cfg(test)]
mod tests;
