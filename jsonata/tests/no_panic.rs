//! No panic and no hang on any expression: random token soups and random well-formed
//! expressions are parsed and evaluated under a small budget; every outcome is a value or
//! a `JsonataError` with a code.

use std::time::Duration;

use proptest::prelude::*;
use serde_json::{Map, Value, json};
use stepwise_jsonata::{Expression, Options};

fn input() -> Value {
    json!({
        "Account": {"Name": "Firefly", "Order": [
            {"ID": "o1", "Product": [{"Name": "Hat", "Price": 34.45, "Qty": 2, "Tags": ["a", "b"]}]},
            {"ID": "o2", "Product": [{"Name": "Cloak", "Price": 107.99, "Qty": 1, "Tags": []}]}
        ]},
        "n": [3, 1, 2, -7, 0.5], "s": "Hello World", "e": null, "t": true, "deep": {"a": {"b": {"c": [1, [2, [3]]]}}}
    })
}

fn options() -> Options {
    Options {
        max_depth: 60,
        time_limit: Duration::from_millis(50),
        max_result_bytes: 16 * 1024,
        random_seed: Some(7),
        now: None,
    }
}

fn run(expr: &str) {
    let mut b = Map::new();
    b.insert(
        "states".into(),
        json!({"input": input(), "context": {"Execution": {"Id": "x"}}}),
    );
    b.insert("v".into(), json!([1, "two", {"three": 3}]));
    match Expression::parse(expr) {
        Err(e) => assert!(
            !e.code.is_empty(),
            "parse error without a code for {expr:?}"
        ),
        Ok(parsed) => {
            if let Err(e) = parsed.evaluate(Some(&input()), &b, &options()) {
                assert!(
                    !e.code.is_empty(),
                    "evaluation error without a code for {expr:?}"
                );
            }
        }
    }
}

const TOKENS: &[&str] = &[
    "Account",
    "Order",
    "Product",
    "Price",
    "n",
    "s",
    "e",
    "deep",
    "**",
    "*",
    "%",
    ".",
    "..",
    "[",
    "]",
    "{",
    "}",
    "(",
    ")",
    ",",
    ";",
    ":",
    "?",
    "?:",
    "??",
    ":=",
    "~>",
    "@",
    "#",
    "^(",
    "<",
    ">",
    "<=",
    ">=",
    "=",
    "!=",
    "+",
    "-",
    "/",
    "&",
    "and",
    "or",
    "in",
    "$",
    "$$",
    "$v",
    "$x",
    "$states",
    "$f",
    "function($x){",
    "function($a,$b)<nn:n>{",
    "}",
    "'str'",
    "\"q\"",
    "0",
    "1",
    "-1",
    "2.5",
    "1e300",
    "true",
    "false",
    "null",
    "/a+/i",
    "|",
    "$sum(",
    "$map(",
    "$reduce(",
    "$filter(",
    "$sort(",
    "$string(",
    "$substring(",
    "$pad(",
    "$replace(",
    "$split(",
    "$match(",
    "$formatNumber(",
    "$formatInteger(",
    "$fromMillis(",
    "$toMillis(",
    "$partition(",
    "$range(",
    "$hash(",
    "$random(",
    "$uuid(",
    "$parse(",
    "$keys(",
    "$merge(",
    "$each(",
    "$sift(",
    "$zip(",
    "$single(",
    "$lookup(",
    "$spread(",
    "$distinct(",
    "$number(",
    "$round(",
    "$power(",
    "$error(",
    "$assert(",
    "?",
    "[]",
    "`odd name`",
    "/*c*/",
];

fn token_soup() -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(TOKENS), 0..24).prop_map(|t| t.join(" "))
}

fn leaf() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(
            &[
                "Account",
                "Account.Order",
                "n",
                "s",
                "e",
                "t",
                "deep",
                "*",
                "**",
                "$",
                "$$",
                "$v",
                "$states.input.n",
                "Product.Price"
            ][..]
        )
        .prop_map(String::from),
        (-1000i64..1000).prop_map(|n| n.to_string()),
        (-1e6f64..1e6).prop_map(|f| format!("{f}")),
        "[a-zA-Z ]{0,8}".prop_map(|s| format!("'{s}'")),
        prop::sample::select(
            &[
                "true",
                "false",
                "null",
                "[]",
                "{}",
                "$uuid()",
                "$random(3)",
                "$now()",
                "$millis()"
            ][..]
        )
        .prop_map(String::from),
    ]
}

fn expression() -> impl Strategy<Value = String> {
    leaf().prop_recursive(5, 64, 4, |inner| {
        let fns = prop::sample::select(
            &[
                "$sum",
                "$count",
                "$max",
                "$string",
                "$length",
                "$uppercase",
                "$substring",
                "$pad",
                "$join",
                "$split",
                "$replace",
                "$contains",
                "$number",
                "$round",
                "$abs",
                "$sqrt",
                "$power",
                "$boolean",
                "$not",
                "$exists",
                "$keys",
                "$lookup",
                "$append",
                "$spread",
                "$merge",
                "$reverse",
                "$distinct",
                "$type",
                "$zip",
                "$sort",
                "$formatNumber",
                "$formatBase",
                "$formatInteger",
                "$parseInteger",
                "$fromMillis",
                "$toMillis",
                "$partition",
                "$range",
                "$hash",
                "$parse",
                "$base64encode",
                "$encodeUrl",
                "$decodeUrlComponent",
                "$shuffle",
                "$each",
                "$sift",
            ][..],
        );
        let ops = prop::sample::select(
            &[
                "+", "-", "*", "/", "%", "=", "!=", "<", ">=", "&", "and", "or", "in", "..", "??",
                "?:",
            ][..],
        );
        prop_oneof![
            (inner.clone(), ops, inner.clone()).prop_map(|(a, o, b)| format!("({a} {o} {b})")),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("{a}.{b}")),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("{a}[{b}]")),
            (fns, prop::collection::vec(inner.clone(), 0..4))
                .prop_map(|(f, args)| format!("{f}({})", args.join(", "))),
            (inner.clone(), inner.clone(), inner.clone())
                .prop_map(|(c, a, b)| format!("({c} ? {a} : {b})")),
            prop::collection::vec(inner.clone(), 0..4).prop_map(|v| format!("[{}]", v.join(", "))),
            (inner.clone(), inner.clone()).prop_map(|(k, v)| format!("{{{k}: {v}}}")),
            (inner.clone(), inner.clone())
                .prop_map(|(a, b)| format!("($x := {a}; $f := function($y){{ {b} }}; $f($x))")),
            (inner.clone(), inner.clone())
                .prop_map(|(a, b)| format!("$map({a}, function($v, $i){{ {b} }})")),
            (inner.clone(), inner.clone())
                .prop_map(|(a, b)| format!("$reduce({a}, function($p, $c){{ {b} }})")),
            (inner.clone(), inner.clone())
                .prop_map(|(a, b)| format!("{a} ~> $filter(function($v){{ {b} }})")),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("{a}^(>{b})")),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("{a}{{ $string({b}): $ }}")),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("{a} ~> |$|{{'x': {b}}}|")),
            inner.clone().prop_map(|a| format!("{a}@$o.$o")),
            inner.clone().prop_map(|a| format!("{a}#$i[$i < 2]")),
            inner.clone().prop_map(|a| format!("-{a}")),
            inner.prop_map(|a| format!("$substring(?, 1)({a})")),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 600, ..ProptestConfig::default() })]

    #[test]
    fn token_soups_never_panic(expr in token_soup()) {
        run(&expr);
    }

    #[test]
    fn arbitrary_text_never_panics(expr in "\\PC{0,60}") {
        run(&expr);
    }

    #[test]
    fn generated_expressions_never_panic(expr in expression()) {
        run(&expr);
    }
}

#[test]
fn pathological_expressions_are_bounded() {
    for expr in [
        "[1..10000000].$string()",
        "$reduce([1..100000], function($a, $b){ $a & 'xxxxxxxxxx' }, '')",
        "($f := function($n){ $f($n) + 1 }; $f(1))",
        "($f := function(){ $f() }; $f())",
        "$pad('x', -1e12)",
        "$formatNumber(1e300, '#,###.00e0')",
        "$fromMillis(1e20)",
        "$range(0, 1e15, 1)",
        "$partition([1..1000], 0.5)",
        &"(".repeat(500),
        &format!("{}1{}", "[".repeat(300), "]".repeat(300)),
        &format!("{}1{}", "{'a':".repeat(300), "}".repeat(300)),
        &"-".repeat(10_000),
        "$sort([1..20000], function($a, $b){ $a < $b })",
    ] {
        run(expr);
    }
}
