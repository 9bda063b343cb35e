//! The crate's API as the executor uses it: parse once, evaluate with bindings, bounded
//! evaluation (depth, time, size, nesting) with JSONata's error codes, and the functions
//! Step Functions adds.

use std::time::Duration;

use serde_json::{Map, Value, json};
use stepwise_jsonata::{Expression, Options};

fn eval_with(
    expr: &str,
    input: Value,
    bindings: Map<String, Value>,
    options: &Options,
) -> Result<Option<Value>, stepwise_jsonata::JsonataError> {
    Expression::parse(expr)?.evaluate(Some(&input), &bindings, options)
}

fn eval(expr: &str, input: Value) -> Result<Option<Value>, stepwise_jsonata::JsonataError> {
    eval_with(expr, input, Map::new(), &Options::default())
}

fn code(expr: &str) -> String {
    eval(expr, json!({}))
        .expect_err("the expression fails")
        .code
}

#[test]
fn syntax_errors_carry_code_and_position() {
    let e = Expression::parse("Account.(Order").expect_err("unterminated block");
    assert_eq!(e.code, "S0203");
    let e = Expression::parse("a + ]").expect_err("misplaced bracket");
    assert_eq!(e.code, "S0211");
    assert_eq!(e.position, 5);
}

#[test]
fn states_bindings_and_workflow_variables() {
    let mut b = Map::new();
    b.insert("states".into(), json!({"input": {"order": {"total": 40, "items": [{"sku": "a", "qty": 2}, {"sku": "b", "qty": 1}]}}}));
    b.insert("discount".into(), json!(0.25));
    let r = eval_with(
        "{ 'skus': $states.input.order.items.sku, 'due': $states.input.order.total * (1 - $discount), 'count': $sum($states.input.order.items.qty) }",
        json!(null),
        b,
        &Options::default(),
    )
    .expect("evaluates");
    assert_eq!(r, Some(json!({"skus": ["a", "b"], "due": 30, "count": 3})));
}

#[test]
fn evaluation_errors_name_the_function_and_point_at_the_call() {
    let e = eval("  $substring('abc', 'x')", json!(null)).expect_err("bad argument");
    assert_eq!(e.code, "T0410");
    assert_eq!(e.token.as_deref(), Some("substring"));
    assert!(e.position > 0, "a position in the expression: {e:?}");
}

#[test]
fn undefined_result_is_none() {
    assert_eq!(
        eval("nothing.here", json!({"a": 1})).expect("evaluates"),
        None
    );
}

#[test]
fn type_errors_use_jsonata_codes() {
    assert_eq!(code("'a' + 1"), "T2001");
    assert_eq!(code("$number('x')"), "D3030");
    assert_eq!(code("$substring('abc', 'x')"), "T0410");
    assert_eq!(code("$substring(1)"), "T0411");
}

#[test]
fn infinite_recursion_stops_at_the_depth_limit() {
    let e = eval(
        "($f := function($n){ $n + $f($n + 1) }; $f(0))",
        json!(null),
    )
    .expect_err("bounded");
    assert_eq!(e.code, "U1001");
}

#[test]
fn endless_tail_calls_stop_at_the_time_limit() {
    let options = Options {
        time_limit: Duration::from_millis(200),
        ..Options::default()
    };
    let start = std::time::Instant::now();
    let e = eval_with(
        "($f := function(){ $f() }; $f())",
        json!(null),
        Map::new(),
        &options,
    )
    .expect_err("bounded");
    assert_eq!(e.code, "U1001");
    assert!(
        start.elapsed() < Duration::from_secs(5),
        "stopped near the limit, took {:?}",
        start.elapsed()
    );
}

#[test]
fn results_are_bounded_while_they_are_built() {
    // A 300 KB string is refused when $pad builds it, not after.
    assert_eq!(code("$pad('', 300000)"), "U1002");
    // Doubling an array in a loop is refused once it passes the size limit.
    assert_eq!(
        code("$reduce([1..40], function($a, $b){ $append($a, $a) }, [1])"),
        "U1002"
    );
    // So is nesting arrays thousands deep (dropping or serialising them would recurse).
    assert_eq!(
        code("$reduce([1..5000], function($a, $b){ {'a': $a} }, {})"),
        "U1002"
    );
    // Intermediate values count too; a larger limit lets them through.
    assert_eq!(code("$sum([1..100000])"), "U1002");
    let roomy = Options {
        max_result_bytes: 1 << 20,
        ..Options::default()
    };
    assert_eq!(
        eval_with("$sum([1..100000])", json!(null), Map::new(), &roomy).expect("fits in 1 MiB"),
        Some(json!(5_000_050_000u64))
    );
    // The final result is measured as JSON.
    let options = Options {
        max_result_bytes: 1024,
        ..Options::default()
    };
    let e = eval_with("[1..300]", json!(null), Map::new(), &options).expect_err("over 1 KiB");
    assert_eq!(e.code, "U1002");
}

#[test]
fn step_functions_functions() {
    assert_eq!(
        eval("$partition([1,2,3,4,5], 2)", json!(null)).expect("ok"),
        Some(json!([[1, 2], [3, 4], [5]]))
    );
    assert_eq!(
        eval("$range(0, 10, 2)", json!(null)).expect("ok"),
        Some(json!([0, 2, 4, 6, 8, 10]))
    );
    assert_eq!(
        eval("$range(5, 1, -2)", json!(null)).expect("ok"),
        Some(json!([5, 3, 1]))
    );
    assert_eq!(
        eval("$hash('abc', 'SHA-256')", json!(null)).expect("ok"),
        Some(json!(
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        ))
    );
    assert_eq!(
        eval("$hash('abc', 'MD5')", json!(null)).expect("ok"),
        Some(json!("900150983cd24fb0d6963f7d28e17f72"))
    );
    assert_eq!(code("$hash('abc', 'CRC32')"), "D3202");
    assert_eq!(code("$hash('abc')"), "T0410", "the algorithm is required");
    assert_eq!(
        eval("$partition([1,2,3], 2.7)", json!(null)).expect("ok"),
        Some(json!([[1, 2], [3]])),
        "integer parameters round down"
    );
    assert_eq!(
        eval("$random(4.2) = $random(4)", json!(null)).expect("ok"),
        Some(json!(true))
    );
    let a = eval("$random(42)", json!(null)).expect("ok");
    assert_eq!(
        a,
        eval("$random(42)", json!(null)).expect("ok"),
        "same seed, same number"
    );
    let n = a.and_then(|v| v.as_f64()).expect("a number");
    assert!((0.0..1.0).contains(&n));
    let u = eval("$uuid()", json!(null)).expect("ok").expect("a value");
    let u = u.as_str().expect("a string");
    assert_eq!(u.len(), 36);
    assert_eq!(&u[14..15], "4", "version 4: {u}");
    assert_eq!(
        eval("$parse('{\"a\": [1, 2]}').a[1]", json!(null)).expect("ok"),
        Some(json!(2))
    );
    assert_eq!(code("$parse('{nope')"), "D3203");
}

#[test]
fn eval_is_not_offered() {
    assert_eq!(code("$eval('1 + 1')"), "T1006");
}

#[test]
fn now_is_fixed_by_the_options() {
    let options = Options {
        now: Some(chrono::DateTime::from_timestamp_millis(1_521_801_216_617).expect("valid")),
        ..Options::default()
    };
    let r = eval_with(
        "[$now(), $millis(), $now('[D1o] [MNn] [Y]')]",
        json!(null),
        Map::new(),
        &options,
    )
    .expect("ok");
    assert_eq!(
        r,
        Some(json!([
            "2018-03-23T10:33:36.617Z",
            1521801216617u64,
            "23rd March 2018"
        ]))
    );
}

#[test]
fn a_parsed_expression_is_shared_across_threads() {
    // The executor parses a definition's expressions once and evaluates them from any task.
    fn assert_send_sync<T: Send + Sync>(_: &T) {}
    let expr = std::sync::Arc::new(Expression::parse("$sum($states.input.n)").expect("parses"));
    assert_send_sync(&*expr);
    let handles: Vec<_> = (0..4)
        .map(|i| {
            let expr = expr.clone();
            std::thread::spawn(move || {
                let mut b = Map::new();
                b.insert("states".into(), json!({"input": {"n": [i, 1, 2]}}));
                expr.evaluate(None, &b, &Options::default())
                    .expect("evaluates")
            })
        })
        .collect();
    let results: Vec<_> = handles
        .into_iter()
        .map(|h| h.join().expect("thread completes"))
        .collect();
    assert_eq!(
        results,
        vec![
            Some(json!(3)),
            Some(json!(4)),
            Some(json!(5)),
            Some(json!(6))
        ]
    );
}

/// The expressions of AWS's "Transforming data with JSONata" examples, evaluated as the
/// examples' `$states.input` binds them, with the outputs the page shows.
#[test]
fn aws_documentation_examples() {
    let states = |input: Value| {
        let mut b = Map::new();
        b.insert("states".into(), json!({ "input": input }));
        b
    };
    let input = json!({"customer": {"firstName": "Martha", "lastName": "Rivera"}, "order": {"items": 7, "total": 27.91}});
    let out = |e: &str, b: Map<String, Value>| {
        eval_with(e, json!(null), b, &Options::default()).expect("evaluates")
    };
    assert_eq!(
        out(
            "'Last=>' & $states.input.customer.lastName",
            states(input.clone())
        ),
        Some(json!("Last=>Rivera"))
    );
    assert_eq!(
        out("$states.input.order.total", states(input)),
        Some(json!(27.91))
    );
    let products = json!({"products": [
        {"calories": 140, "flavour": "Cola", "name": "Product-1"},
        {"calories": 0, "flavour": "Cola", "name": "Product-2"},
        {"calories": 160, "flavour": "Orange", "name": "Product-3"},
        {"calories": 100, "flavour": "Orange", "name": "Product-4"},
        {"calories": 0, "flavour": "Lime", "name": "Product-5"}
    ]});
    assert_eq!(
        out("$states.input.products[calories=0]", states(products)),
        Some(json!([
            {"calories": 0, "flavour": "Cola", "name": "Product-2"},
            {"calories": 0, "flavour": "Lime", "name": "Product-5"}
        ]))
    );
    assert_eq!(
        out(
            "$partition([1,2,3,4], $states.input.chunkSize)",
            states(json!({"chunkSize": 3}))
        ),
        Some(json!([[1, 2, 3], [4]]))
    );
    assert_eq!(
        out("$range(0, 10, 2)", Map::new()),
        Some(json!([0, 2, 4, 6, 8, 10]))
    );
    assert_eq!(
        out(
            "$parse($states.input.json_string)",
            states(json!({"json_string": "{\"a\":[1,true]}"}))
        ),
        Some(json!({"a": [1, true]}))
    );
}
