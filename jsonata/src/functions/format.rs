//! Number formatting: `$formatBase`, `$formatNumber` (XPath `format-number` pictures with
//! the reference implementation's defaults and options), `$formatInteger`, `$parseInteger`.

use super::err;
use crate::error::Result;
use crate::value::Value;

/// The formatting functions.
pub fn call(name: &str, args: &[Value], pos: usize) -> Result<Value> {
    let s = |i: usize| match args.get(i) {
        Some(Value::String(s)) => Some(s.to_string()),
        _ => None,
    };
    if name == "parseInteger" {
        let Some(text) = s(0) else {
            return Ok(Value::Undefined);
        };
        return crate::picture::parse_integer(&text, &s(1).unwrap_or_default(), pos);
    }
    let Some(n) = args.first().and_then(|v| v.as_f64()) else {
        return Ok(Value::Undefined);
    };
    match name {
        "formatBase" => {
            let radix =
                super::numeric::round(args.get(1).and_then(|v| v.as_f64()).unwrap_or(10.0), 0);
            if !(2.0..=36.0).contains(&radix) {
                return Err(err(
                    "D3100",
                    pos,
                    format!(
                        "The radix of the formatBase function must be between 2 and 36.  It was given {radix}"
                    ),
                ));
            }
            let v = super::numeric::round(n, 0);
            let neg = v < 0.0;
            let mut x = v.abs() as u128;
            let radix = radix as u128;
            let mut digits = Vec::new();
            loop {
                digits.push(std::char::from_digit((x % radix) as u32, radix as u32).unwrap_or('0'));
                x /= radix;
                if x == 0 {
                    break;
                }
            }
            if neg {
                digits.push('-');
            }
            Ok(Value::str(digits.into_iter().rev().collect::<String>()))
        }
        "formatInteger" => Ok(Value::str(crate::picture::format_integer(
            n,
            &s(1).unwrap_or_default(),
            pos,
        )?)),
        _ => {
            let options = match args.get(2) {
                Some(Value::Object(o)) => o
                    .iter()
                    .filter_map(|(k, v)| match v {
                        Value::String(s) => Some((k.clone(), s.to_string())),
                        _ => None,
                    })
                    .collect(),
                _ => Vec::new(),
            };
            Ok(Value::str(format_number(
                n,
                &s(1).unwrap_or_default(),
                &options,
                pos,
            )?))
        }
    }
}

struct Props {
    decimal: char,
    grouping: char,
    exponent: char,
    minus: String,
    percent: char,
    per_mille: char,
    zero: char,
    digit: char,
    pattern: char,
}

struct Parts {
    prefix: String,
    suffix: String,
    active: String,
    mantissa: String,
    exponent: Option<String>,
    integer: String,
    fractional: String,
    sub: String,
}

struct Analysis {
    int_grouping: Vec<usize>,
    regular: usize,
    min_int: usize,
    scaling: usize,
    prefix: String,
    frac_grouping: Vec<usize>,
    min_frac: usize,
    max_frac: usize,
    min_exp: usize,
    suffix: String,
    picture: String,
}

fn first_char(s: &str, default: char) -> char {
    s.chars().next().unwrap_or(default)
}

/// `$formatNumber(number, picture, options)`.
pub fn format_number(
    value: f64,
    picture: &str,
    options: &[(String, String)],
    pos: usize,
) -> Result<String> {
    let mut p = Props {
        decimal: '.',
        grouping: ',',
        exponent: 'e',
        minus: "-".into(),
        percent: '%',
        per_mille: '\u{2030}',
        zero: '0',
        digit: '#',
        pattern: ';',
    };
    for (k, v) in options {
        match k.as_str() {
            "decimal-separator" => p.decimal = first_char(v, '.'),
            "grouping-separator" => p.grouping = first_char(v, ','),
            "exponent-separator" => p.exponent = first_char(v, 'e'),
            "minus-sign" => p.minus = v.clone(),
            "percent" => p.percent = first_char(v, '%'),
            "per-mille" => p.per_mille = first_char(v, '\u{2030}'),
            "zero-digit" => p.zero = first_char(v, '0'),
            "digit" => p.digit = first_char(v, '#'),
            "pattern-separator" => p.pattern = first_char(v, ';'),
            _ => {}
        }
    }
    let family: Vec<char> = (0..10)
        .filter_map(|i| char::from_u32(p.zero as u32 + i))
        .collect();
    let is_digit = |c: char| family.contains(&c);
    let mut active: Vec<char> = family.clone();
    active.extend([p.decimal, p.exponent, p.grouping, p.digit, p.pattern]);
    let is_active = |c: char| active.contains(&c);
    let subs: Vec<&str> = picture.split(p.pattern).collect();
    if subs.len() > 2 {
        return Err(err(
            "D3080",
            pos,
            "The format-number picture string must not contain more than one instance of the pattern-separator character",
        ));
    }
    let split = |sub: &str| -> Parts {
        let cs: Vec<char> = sub.chars().collect();
        let pre_len = cs
            .iter()
            .position(|c| is_active(*c) && *c != p.exponent)
            .unwrap_or(cs.len());
        let suf_start = cs
            .iter()
            .rposition(|c| is_active(*c) && *c != p.exponent)
            .map(|i| i + 1)
            .unwrap_or(cs.len());
        let prefix: String = cs[..pre_len].iter().collect();
        let suffix: String = if suf_start >= pre_len {
            cs[suf_start..].iter().collect()
        } else {
            String::new()
        };
        let act_end = cs.len() - suffix.chars().count();
        let activev: Vec<char> = if act_end >= pre_len {
            cs[pre_len..act_end].to_vec()
        } else {
            Vec::new()
        };
        let exp_pos = cs
            .iter()
            .enumerate()
            .skip(pre_len)
            .find(|(_, c)| **c == p.exponent)
            .map(|(i, _)| i);
        let (mantissa, exponent): (Vec<char>, Option<String>) = match exp_pos {
            Some(e) if e <= act_end => {
                let rel = e;
                (
                    activev
                        .iter()
                        .take(rel.min(activev.len()))
                        .copied()
                        .collect(),
                    Some(activev.iter().skip(rel + 1).collect()),
                )
            }
            _ => (activev.clone(), None),
        };
        let (integer, fractional) = match mantissa.iter().position(|c| *c == p.decimal) {
            None => (mantissa.iter().collect(), suffix.clone()),
            Some(d) => (
                mantissa[..d].iter().collect(),
                mantissa[d + 1..].iter().collect(),
            ),
        };
        Parts {
            prefix,
            suffix,
            active: activev.iter().collect(),
            mantissa: mantissa.iter().collect(),
            exponent,
            integer,
            fractional,
            sub: sub.to_string(),
        }
    };
    if subs
        .iter()
        .any(|s| !s.chars().any(|c| is_active(c) && c != p.exponent))
    {
        return Err(err(
            "D3086",
            pos,
            "The format-number picture string has no digit or optional-digit sign",
        ));
    }
    let parts: Vec<Parts> = subs.iter().map(|s| split(s)).collect();
    for part in &parts {
        let sub: Vec<char> = part.sub.chars().collect();
        let count = |c: char| sub.iter().filter(|x| **x == c).count();
        let mut code: Option<&str> = None;
        if count(p.decimal) > 1 {
            code = Some("D3081");
        }
        if count(p.percent) > 1 {
            code = Some("D3082");
        }
        if count(p.per_mille) > 1 {
            code = Some("D3083");
        }
        if count(p.percent) > 0 && count(p.per_mille) > 0 {
            code = Some("D3084");
        }
        if !part.mantissa.chars().any(|c| is_digit(c) || c == p.digit) {
            code = Some("D3085");
        }
        if part.active.chars().any(|c| !is_active(c)) {
            code = Some("D3086");
        }
        match sub.iter().position(|c| *c == p.decimal) {
            Some(d) => {
                if (d > 0 && sub[d - 1] == p.grouping) || sub.get(d + 1) == Some(&p.grouping) {
                    code = Some("D3087");
                }
            }
            None => {
                if part.integer.ends_with(p.grouping) {
                    code = Some("D3088");
                }
            }
        }
        if part.sub.contains(&format!("{}{}", p.grouping, p.grouping)) {
            code = Some("D3089");
        }
        let ic: Vec<char> = part.integer.chars().collect();
        if let Some(od) = ic.iter().position(|c| *c == p.digit)
            && ic[..od].iter().any(|c| is_digit(*c))
        {
            code = Some("D3090");
        }
        let fc: Vec<char> = part.fractional.chars().collect();
        if let Some(od) = fc.iter().rposition(|c| *c == p.digit)
            && fc[od..].iter().any(|c| is_digit(*c))
        {
            code = Some("D3091");
        }
        if let Some(e) = &part.exponent {
            if !e.is_empty() && (count(p.percent) > 0 || count(p.per_mille) > 0) {
                code = Some("D3092");
            }
            if e.is_empty() || e.chars().any(|c| !is_digit(c)) {
                code = Some("D3093");
            }
        }
        if let Some(c) = code {
            return Err(err(
                c,
                pos,
                format!("Invalid format-number picture string ({c})"),
            ));
        }
    }
    let analyse = |part: &Parts| -> Analysis {
        let grouping_positions = |s: &str, to_left: bool| -> Vec<usize> {
            let cs: Vec<char> = s.chars().collect();
            let mut out = Vec::new();
            for (i, c) in cs.iter().enumerate() {
                if *c == p.grouping {
                    let slice = if to_left { &cs[..i] } else { &cs[i..] };
                    out.push(
                        slice
                            .iter()
                            .filter(|c| is_digit(**c) || **c == p.digit)
                            .count(),
                    );
                }
            }
            out
        };
        let int_grouping = grouping_positions(&part.integer, false);
        let regular = if int_grouping.is_empty() {
            0
        } else {
            let factor = int_grouping
                .iter()
                .copied()
                .reduce(|a, b| {
                    fn g(a: usize, b: usize) -> usize {
                        if b == 0 { a } else { g(b, a % b) }
                    }
                    g(a, b)
                })
                .unwrap_or(0);
            if factor > 0 && (1..=int_grouping.len()).all(|i| int_grouping.contains(&(i * factor)))
            {
                factor
            } else {
                0
            }
        };
        let frac_grouping = grouping_positions(&part.fractional, true);
        let mut min_int = part.integer.chars().filter(|c| is_digit(*c)).count();
        let scaling = min_int;
        let mut min_frac = part.fractional.chars().filter(|c| is_digit(*c)).count();
        let mut max_frac = part
            .fractional
            .chars()
            .filter(|c| is_digit(*c) || *c == p.digit)
            .count();
        let exp_present = part.exponent.is_some();
        if min_int == 0 && max_frac == 0 {
            if exp_present {
                min_frac = 1;
                max_frac = 1;
            } else {
                min_int = 1;
            }
        }
        if exp_present && min_int == 0 && part.integer.contains(p.digit) {
            min_int = 1;
        }
        if min_int == 0 && min_frac == 0 {
            min_frac = 1;
        }
        let min_exp = part
            .exponent
            .as_ref()
            .map(|e| e.chars().filter(|c| is_digit(*c)).count())
            .unwrap_or(0);
        Analysis {
            int_grouping,
            regular,
            min_int,
            scaling,
            prefix: part.prefix.clone(),
            frac_grouping,
            min_frac,
            max_frac,
            min_exp,
            suffix: part.suffix.clone(),
            picture: part.sub.clone(),
        }
    };
    let mut vars: Vec<Analysis> = parts.iter().map(analyse).collect();
    if vars.len() == 1 {
        let mut neg = analyse(&parts[0]);
        neg.prefix = format!("{}{}", p.minus, neg.prefix);
        vars.push(neg);
    }
    let pic = if value >= 0.0 { &vars[0] } else { &vars[1] };
    let adjusted = if pic.picture.contains(p.percent) {
        value * 100.0
    } else if pic.picture.contains(p.per_mille) {
        value * 1000.0
    } else {
        value
    };
    let (mantissa, exponent) = if pic.min_exp == 0 {
        (adjusted, None)
    } else {
        let max_m = 10f64.powi(pic.scaling as i32);
        let min_m = 10f64.powi(pic.scaling as i32 - 1);
        let mut m = adjusted.abs();
        let mut e = 0i32;
        if m != 0.0 && m.is_finite() {
            while m < min_m {
                m *= 10.0;
                e -= 1;
            }
            while m > max_m {
                m /= 10.0;
                e += 1;
            }
        }
        (m.copysign(adjusted), Some(e))
    };
    let rounded = super::numeric::round(mantissa, pic.max_frac as i32);
    let make_string = |v: f64, dp: usize| -> String {
        let s = format!("{:.*}", dp, v.abs());
        if p.zero != '0' {
            s.chars()
                .map(|c| {
                    if c.is_ascii_digit() {
                        family[(c as u8 - b'0') as usize]
                    } else {
                        c
                    }
                })
                .collect()
        } else {
            s
        }
    };
    let mut sv: Vec<char> = make_string(rounded, pic.max_frac).chars().collect();
    match sv.iter().position(|c| *c == '.') {
        None => sv.push(p.decimal),
        Some(i) => sv[i] = p.decimal,
    }
    while sv.first() == Some(&p.zero) {
        sv.remove(0);
    }
    while sv.last() == Some(&p.zero) {
        sv.pop();
    }
    let dpos = sv.iter().position(|c| *c == p.decimal).unwrap_or(sv.len());
    let pad_left = pic.min_int as i64 - dpos as i64;
    let pad_right = pic.min_frac as i64 - (sv.len() as i64 - dpos as i64 - 1);
    if pad_left > 0 {
        for _ in 0..pad_left {
            sv.insert(0, p.zero);
        }
    }
    if pad_right > 0 {
        for _ in 0..pad_right {
            sv.push(p.zero);
        }
    }
    let mut dpos = sv.iter().position(|c| *c == p.decimal).unwrap_or(sv.len());
    if let Some(groups) = dpos
        .saturating_sub(1)
        .checked_div(pic.regular)
        .filter(|_| pic.regular > 0)
    {
        for g in 1..=groups {
            sv.insert(dpos - g * pic.regular, p.grouping);
        }
    } else {
        for gp in &pic.int_grouping {
            if *gp <= dpos {
                sv.insert(dpos - gp, p.grouping);
                dpos += 1;
            }
        }
    }
    let dpos = sv.iter().position(|c| *c == p.decimal).unwrap_or(sv.len());
    for gp in &pic.frac_grouping {
        let at = gp + dpos + 1;
        if at <= sv.len() {
            sv.insert(at, p.grouping);
        }
    }
    let dpos = sv.iter().position(|c| *c == p.decimal).unwrap_or(sv.len());
    if !pic.picture.contains(p.decimal) || dpos + 1 == sv.len() {
        sv.pop();
    }
    let mut out: String = sv.into_iter().collect();
    if let Some(e) = exponent {
        let mut es = make_string(e as f64, 0);
        let n = es.chars().count();
        if pic.min_exp > n {
            es = format!("{}{es}", p.zero.to_string().repeat(pic.min_exp - n));
        }
        out = format!(
            "{out}{}{}{es}",
            p.exponent,
            if e < 0 { p.minus.as_str() } else { "" }
        );
    }
    Ok(format!("{}{out}{}", pic.prefix, pic.suffix))
}
