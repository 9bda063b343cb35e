//! XPath F&O picture strings, as the reference implementation reads them: integer
//! pictures (`$formatInteger`/`$parseInteger`: decimal digit patterns with grouping,
//! ordinals, roman numerals, letters, words) and date/time pictures (`$fromMillis`/
//! `$toMillis`: `[Y0001]-[M01]-[D01]`, names, ISO weeks, timezones).

use crate::error::{JsonataError, Result};
use crate::value::{Value, js_number};

fn err(code: &str, pos: usize, msg: impl Into<String>) -> JsonataError {
    JsonataError::new(code, pos, msg)
}

const FEW: [&str; 20] = [
    "Zero",
    "One",
    "Two",
    "Three",
    "Four",
    "Five",
    "Six",
    "Seven",
    "Eight",
    "Nine",
    "Ten",
    "Eleven",
    "Twelve",
    "Thirteen",
    "Fourteen",
    "Fifteen",
    "Sixteen",
    "Seventeen",
    "Eighteen",
    "Nineteen",
];
const ORDINALS: [&str; 20] = [
    "Zeroth",
    "First",
    "Second",
    "Third",
    "Fourth",
    "Fifth",
    "Sixth",
    "Seventh",
    "Eighth",
    "Ninth",
    "Tenth",
    "Eleventh",
    "Twelfth",
    "Thirteenth",
    "Fourteenth",
    "Fifteenth",
    "Sixteenth",
    "Seventeenth",
    "Eighteenth",
    "Nineteenth",
];
const DECADES: [&str; 9] = [
    "Twenty", "Thirty", "Forty", "Fifty", "Sixty", "Seventy", "Eighty", "Ninety", "Hundred",
];
const MAGNITUDES: [&str; 4] = ["Thousand", "Million", "Billion", "Trillion"];
const DAYS: [&str; 8] = [
    "",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];
const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
const DECIMAL_GROUPS: [u32; 37] = [
    0x30, 0x0660, 0x06F0, 0x07C0, 0x0966, 0x09E6, 0x0A66, 0x0AE6, 0x0B66, 0x0BE6, 0x0C66, 0x0CE6,
    0x0D66, 0x0DE6, 0x0E50, 0x0ED0, 0x0F20, 0x1040, 0x1090, 0x17E0, 0x1810, 0x1946, 0x19D0, 0x1A80,
    0x1A90, 0x1B50, 0x1BB0, 0x1C40, 0x1C50, 0xA620, 0xA8D0, 0xA900, 0xA9D0, 0xA9F0, 0xAA50, 0xABF0,
    0xFF10,
];

fn words(num: f64, prev: bool, ord: bool) -> String {
    if num <= 19.0 {
        let n = num as usize;
        return format!(
            "{}{}",
            if prev { " and " } else { "" },
            if ord { ORDINALS[n] } else { FEW[n] }
        );
    }
    if num < 100.0 {
        let tens = (num / 10.0).floor() as usize;
        let rem = num % 10.0;
        let mut w = format!("{}{}", if prev { " and " } else { "" }, DECADES[tens - 2]);
        if rem > 0.0 {
            w.push('-');
            w.push_str(&words(rem, false, ord));
        } else if ord {
            w.pop();
            w.push_str("ieth");
        }
        return w;
    }
    if num < 1000.0 {
        let hundreds = (num / 100.0).floor() as usize;
        let rem = num % 100.0;
        let mut w = format!("{}{} Hundred", if prev { ", " } else { "" }, FEW[hundreds]);
        if rem > 0.0 {
            w.push_str(&words(rem, true, ord));
        } else if ord {
            w.push_str("th");
        }
        return w;
    }
    let mut mag = (num.log10() / 3.0).floor() as usize;
    if mag > MAGNITUDES.len() {
        mag = MAGNITUDES.len();
    }
    let factor = 10f64.powi(mag as i32 * 3);
    let mant = (num / factor).floor();
    let rem = num - mant * factor;
    let mut w = format!(
        "{}{} {}",
        if prev { ", " } else { "" },
        words(mant, false, false),
        MAGNITUDES[mag - 1]
    );
    if rem > 0.0 {
        w.push_str(&words(rem, true, ord));
    } else if ord {
        w.push_str("th");
    }
    w
}

fn word_value(w: &str) -> Option<f64> {
    let lw = w.to_lowercase();
    if let Some(i) = FEW.iter().position(|x| x.to_lowercase() == lw) {
        return Some(i as f64);
    }
    if let Some(i) = ORDINALS.iter().position(|x| x.to_lowercase() == lw) {
        return Some(i as f64);
    }
    for (i, d) in DECADES.iter().enumerate() {
        let ld = d.to_lowercase();
        let ieth = format!("{}ieth", &ld[..ld.len() - 1]);
        if lw == ld || lw == ieth {
            return Some(((i + 2) * 10) as f64);
        }
    }
    if lw == "hundredth" {
        return Some(100.0);
    }
    for (i, m) in MAGNITUDES.iter().enumerate() {
        let lm = m.to_lowercase();
        if lw == lm || lw == format!("{lm}th") {
            return Some(10f64.powi((i as i32 + 1) * 3));
        }
    }
    None
}

fn words_to_number(text: &str) -> f64 {
    let normalized = text
        .replace(", ", " ")
        .replace(" and ", " ")
        .replace('-', " ");
    let mut segs: Vec<f64> = vec![0.0];
    for part in normalized.split_whitespace() {
        let Some(v) = word_value(part) else { continue };
        if v < 100.0 {
            let mut top = segs.pop().unwrap_or(0.0);
            if top >= 1000.0 {
                segs.push(top);
                top = 0.0;
            }
            segs.push(top + v);
        } else {
            let top = segs.pop().unwrap_or(0.0);
            segs.push(top * v);
        }
    }
    segs.iter().sum()
}

const ROMAN: [(u64, &str); 13] = [
    (1000, "m"),
    (900, "cm"),
    (500, "d"),
    (400, "cd"),
    (100, "c"),
    (90, "xc"),
    (50, "l"),
    (40, "xl"),
    (10, "x"),
    (9, "ix"),
    (5, "v"),
    (4, "iv"),
    (1, "i"),
];

fn to_roman(mut v: u64) -> String {
    let mut out = String::new();
    'outer: while v > 0 {
        for (n, s) in ROMAN {
            if v >= n {
                out.push_str(s);
                v -= n;
                continue 'outer;
            }
        }
    }
    out
}

fn from_roman(s: &str) -> f64 {
    let val = |c: char| match c.to_ascii_uppercase() {
        'M' => 1000.0,
        'D' => 500.0,
        'C' => 100.0,
        'L' => 50.0,
        'X' => 10.0,
        'V' => 5.0,
        'I' => 1.0,
        _ => 0.0,
    };
    let mut dec = 0.0;
    let mut max = 1.0;
    for c in s.chars().rev() {
        let v = val(c);
        if v < max {
            dec -= v;
        } else {
            max = v;
            dec += v;
        }
    }
    dec
}

fn to_letters(mut v: u64, a: char) -> String {
    let mut letters = Vec::new();
    while v > 0 {
        letters.push(char::from_u32(((v - 1) % 26) as u32 + a as u32).unwrap_or('?'));
        v = (v - 1) / 26;
    }
    letters.iter().rev().collect()
}

fn from_letters(s: &str, a: char) -> f64 {
    let cs: Vec<char> = s.chars().collect();
    let mut dec = 0.0;
    for (i, c) in cs.iter().rev().enumerate() {
        dec += (*c as u32 as f64 - a as u32 as f64 + 1.0) * 26f64.powi(i as i32);
    }
    dec
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Case {
    Upper,
    Lower,
    Title,
}

#[derive(Debug, Clone, PartialEq)]
enum Primary {
    Decimal,
    Letters,
    Roman,
    Words,
    Sequence(String),
}

/// An analysed integer picture.
#[derive(Debug, Clone)]
struct IntFormat {
    primary: Primary,
    case: Case,
    ordinal: bool,
    zero_code: u32,
    mandatory: usize,
    optional: usize,
    regular: Option<(usize, char)>,
    separators: Vec<(usize, char)>,
}

fn gcd(a: usize, b: usize) -> usize {
    if b == 0 { a } else { gcd(b, a % b) }
}

fn analyse_integer(picture: &str, pos: usize) -> Result<IntFormat> {
    let mut f = IntFormat {
        primary: Primary::Decimal,
        case: Case::Lower,
        ordinal: false,
        zero_code: 0x30,
        mandatory: 0,
        optional: 0,
        regular: None,
        separators: Vec::new(),
    };
    let primary = match picture.rfind(';') {
        None => picture,
        Some(i) => {
            if picture[i + 1..].starts_with('o') {
                f.ordinal = true;
            }
            &picture[..i]
        }
    };
    match primary {
        "A" => {
            f.case = Case::Upper;
            f.primary = Primary::Letters;
        }
        "a" => f.primary = Primary::Letters,
        "I" => {
            f.case = Case::Upper;
            f.primary = Primary::Roman;
        }
        "i" => f.primary = Primary::Roman,
        "W" => {
            f.case = Case::Upper;
            f.primary = Primary::Words;
        }
        "Ww" => {
            f.case = Case::Title;
            f.primary = Primary::Words;
        }
        "w" => f.primary = Primary::Words,
        _ => {
            let mut zero: Option<u32> = None;
            let mut sep_pos = 0;
            let mut seps = Vec::new();
            for c in primary.chars().rev() {
                let cp = c as u32;
                if let Some(g) = DECIMAL_GROUPS.iter().find(|g| cp >= **g && cp <= **g + 9) {
                    f.mandatory += 1;
                    sep_pos += 1;
                    match zero {
                        None => zero = Some(*g),
                        Some(z) if z != *g => {
                            return Err(err(
                                "D3131",
                                pos,
                                "In a decimal digit pattern, all digits must be from the same decimal group",
                            ));
                        }
                        _ => {}
                    }
                } else if c == '#' {
                    sep_pos += 1;
                    f.optional += 1;
                } else {
                    seps.push((sep_pos, c));
                }
            }
            if f.mandatory > 0 {
                f.zero_code = zero.unwrap_or(0x30);
                let regular = if seps.is_empty() || seps.iter().any(|s| s.1 != seps[0].1) {
                    0
                } else {
                    let idx: Vec<usize> = seps.iter().map(|s| s.0).collect();
                    let factor = idx.iter().copied().reduce(gcd).unwrap_or(0);
                    if factor > 0 && (1..=idx.len()).all(|i| idx.contains(&(i * factor))) {
                        factor
                    } else {
                        0
                    }
                };
                if regular > 0 {
                    f.regular = Some((regular, seps[0].1));
                } else {
                    f.separators = seps;
                }
            } else {
                f.primary = Primary::Sequence(primary.to_string());
            }
        }
    }
    Ok(f)
}

fn format_int(value: f64, f: &IntFormat, pos: usize) -> Result<String> {
    let negative = value < 0.0;
    let value = value.abs();
    let mut s = match &f.primary {
        Primary::Letters => to_letters(value as u64, if f.case == Case::Upper { 'A' } else { 'a' }),
        Primary::Roman => {
            let r = to_roman(value as u64);
            if f.case == Case::Upper {
                r.to_uppercase()
            } else {
                r
            }
        }
        Primary::Words => {
            let w = words(value, false, f.ordinal);
            match f.case {
                Case::Upper => w.to_uppercase(),
                Case::Lower => w.to_lowercase(),
                Case::Title => w,
            }
        }
        Primary::Decimal => {
            let mut s = js_number(value);
            let len = s.chars().count();
            if f.mandatory > len {
                s = format!("{}{s}", "0".repeat(f.mandatory - len));
            }
            if f.zero_code != 0x30 {
                s = s
                    .chars()
                    .map(|c| char::from_u32(c as u32 + f.zero_code - 0x30).unwrap_or(c))
                    .collect();
            }
            let mut cs: Vec<char> = s.chars().collect();
            if let Some((every, ch)) = f.regular {
                let n = (cs.len().saturating_sub(1)) / every;
                for ii in (1..=n).rev() {
                    let p = cs.len() - ii * every;
                    cs.insert(p, ch);
                }
            } else {
                for (p, ch) in f.separators.iter().rev() {
                    let at = cs.len().saturating_sub(*p);
                    cs.insert(at, *ch);
                }
            }
            let mut s: String = cs.iter().collect();
            if f.ordinal {
                let last = cs.last().copied();
                let before = if cs.len() > 1 {
                    cs.get(cs.len() - 2).copied()
                } else {
                    None
                };
                let suffix = match last {
                    Some('1') => "st",
                    Some('2') => "nd",
                    Some('3') => "rd",
                    _ => "th",
                };
                s.push_str(if before == Some('1') { "th" } else { suffix });
            }
            s
        }
        Primary::Sequence(t) => {
            return Err(err(
                "D3130",
                pos,
                format!(
                    "Formatting or parsing an integer as a sequence starting with {t} is not supported by this implementation"
                ),
            ));
        }
    };
    if negative {
        s.insert(0, '-');
    }
    Ok(s)
}

/// `$formatInteger(number, picture)`.
pub fn format_integer(value: f64, picture: &str, pos: usize) -> Result<String> {
    let f = analyse_integer(picture, pos)?;
    format_int(value.floor(), &f, pos)
}

fn parse_int_with(text: &str, f: &IntFormat, pos: usize) -> Result<Option<f64>> {
    Ok(match &f.primary {
        Primary::Letters => Some(from_letters(
            text,
            if f.case == Case::Upper { 'A' } else { 'a' },
        )),
        Primary::Roman => Some(from_roman(text)),
        Primary::Words => Some(words_to_number(&text.to_lowercase())),
        Primary::Decimal => {
            let mut digits: String = text.to_string();
            if f.ordinal {
                let n = digits.chars().count();
                digits = digits.chars().take(n.saturating_sub(2)).collect();
            }
            if let Some((_, ch)) = f.regular {
                digits = digits.replace(ch, "");
            } else {
                for (_, ch) in &f.separators {
                    digits = digits.replace(*ch, "");
                }
            }
            if f.zero_code != 0x30 {
                digits = digits
                    .chars()
                    .map(|c| {
                        char::from_u32((c as u32).wrapping_sub(f.zero_code) + 0x30).unwrap_or(c)
                    })
                    .collect();
            }
            let lead: String = digits
                .chars()
                .take_while(|c| c.is_ascii_digit() || *c == '-')
                .collect();
            lead.parse::<f64>().ok()
        }
        Primary::Sequence(t) => {
            return Err(err(
                "D3130",
                pos,
                format!(
                    "Formatting or parsing an integer as a sequence starting with {t} is not supported by this implementation"
                ),
            ));
        }
    })
}

/// `$parseInteger(string, picture)`.
pub fn parse_integer(text: &str, picture: &str, pos: usize) -> Result<Value> {
    let f = analyse_integer(picture, pos)?;
    Ok(match parse_int_with(text, &f, pos)? {
        Some(n) => Value::Number(n),
        None => Value::Undefined,
    })
}

#[derive(Debug, Clone)]
struct Marker {
    component: char,
    width: Option<(Option<usize>, Option<usize>)>,
    presentation2: Option<char>,
    names: Option<Case>,
    int_format: Option<IntFormat>,
    year_digits: i64,
}

#[derive(Debug, Clone)]
enum Part {
    Literal(String),
    Marker(Box<Marker>),
}

fn default_presentation(c: char) -> Option<&'static str> {
    Some(match c {
        'Y' | 'M' | 'D' | 'd' | 'W' | 'w' | 'X' | 'x' | 'H' | 'h' | 'f' => "1",
        'F' | 'P' | 'C' | 'E' => "n",
        'm' | 's' => "01",
        'Z' | 'z' => "01:01",
        _ => return None,
    })
}

fn analyse_datetime(picture: &str, pos: usize) -> Result<Vec<Part>> {
    let cs: Vec<char> = picture.chars().collect();
    let mut parts = Vec::new();
    let add_literal = |parts: &mut Vec<Part>, s: usize, e: usize| {
        if e > s {
            let lit: String = cs[s..e].iter().collect();
            parts.push(Part::Literal(lit.replace("]]", "]")));
        }
    };
    let (mut start, mut i) = (0, 0);
    while i < cs.len() {
        if cs[i] == '[' {
            if cs.get(i + 1) == Some(&'[') {
                add_literal(&mut parts, start, i);
                parts.push(Part::Literal("[".into()));
                i += 2;
                start = i;
                continue;
            }
            add_literal(&mut parts, start, i);
            start = i;
            let Some(close) = cs[start..]
                .iter()
                .position(|c| *c == ']')
                .map(|p| p + start)
            else {
                return Err(err(
                    "D3135",
                    pos,
                    "No matching closing bracket ']' in date/time picture string",
                ));
            };
            i = close;
            let marker: String = cs[start + 1..close]
                .iter()
                .filter(|c| !c.is_whitespace())
                .collect();
            let mcs: Vec<char> = marker.chars().collect();
            let component = mcs.first().copied().unwrap_or(' ');
            let mut m = Marker {
                component,
                width: None,
                presentation2: None,
                names: None,
                int_format: None,
                year_digits: -1,
            };
            let pres_mod: String = match marker.rfind(',') {
                Some(comma) => {
                    let wm = &marker[comma + 1..];
                    let parse_w = |s: &str| {
                        if s.is_empty() || s == "*" {
                            None
                        } else {
                            s.parse::<usize>().ok()
                        }
                    };
                    m.width = Some(match wm.find('-') {
                        None => (parse_w(wm), None),
                        Some(d) => (parse_w(&wm[..d]), parse_w(&wm[d + 1..])),
                    });
                    marker[component.len_utf8()..comma].to_string()
                }
                None => marker.chars().skip(1).collect(),
            };
            let pcs: Vec<char> = pres_mod.chars().collect();
            let presentation1: String = if pcs.len() == 1 {
                pres_mod.clone()
            } else if pcs.len() > 1 {
                let last = pcs[pcs.len() - 1];
                if "atco".contains(last) {
                    m.presentation2 = Some(last);
                    pcs[..pcs.len() - 1].iter().collect()
                } else {
                    pres_mod.clone()
                }
            } else {
                match default_presentation(component) {
                    Some(p) => p.to_string(),
                    None => {
                        return Err(err(
                            "D3132",
                            pos,
                            format!(
                                "Unknown component specifier {component} in date/time picture string"
                            ),
                        ));
                    }
                }
            };
            let p1: Vec<char> = presentation1.chars().collect();
            if p1.first() == Some(&'n') {
                m.names = Some(Case::Lower);
            } else if p1.first() == Some(&'N') {
                m.names = Some(if p1.get(1) == Some(&'n') {
                    Case::Title
                } else {
                    Case::Upper
                });
            } else if "YMDdFWwXxHhmsf".contains(component) {
                let mut pattern = presentation1.clone();
                if let Some(p2) = m.presentation2 {
                    pattern.push(';');
                    pattern.push(p2);
                }
                let mut f = analyse_integer(&pattern, pos)?;
                if let Some((Some(min), _)) = m.width
                    && f.mandatory < min
                {
                    f.mandatory = min;
                }
                if component == 'Y' {
                    if let Some((_, Some(max))) = m.width {
                        m.year_digits = max as i64;
                        f.mandatory = max;
                    } else {
                        let w = f.mandatory + f.optional;
                        if w >= 2 {
                            m.year_digits = w as i64;
                        }
                    }
                }
                m.int_format = Some(f);
            }
            if component == 'Z' || component == 'z' {
                m.int_format = Some(analyse_integer(&presentation1, pos)?);
            }
            parts.push(Part::Marker(Box::new(m)));
            start = i + 1;
        }
        i += 1;
    }
    add_literal(&mut parts, start, cs.len());
    Ok(parts)
}

const DAY_MS: f64 = 86_400_000.0;

/// Days since the epoch of a proleptic Gregorian date (month 0-based, may overflow).
fn days_from_civil(y: i64, m0: i64, d: i64) -> i64 {
    let y = y + m0.div_euclid(12);
    let m = m0.rem_euclid(12) + 1;
    let y2 = if m <= 2 { y - 1 } else { y };
    let era = y2.div_euclid(400);
    let yoe = y2 - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468 + (d - 1)
}

/// JavaScript's `Date.UTC`.
fn date_utc(y: i64, m0: i64, d: i64, h: i64, mi: i64, s: i64, ms: i64) -> f64 {
    days_from_civil(y, m0, d) as f64 * DAY_MS + (h * 3_600_000 + mi * 60_000 + s * 1000 + ms) as f64
}

struct Civil {
    year: i64,
    month0: i64,
    day: i64,
    hour: i64,
    minute: i64,
    second: i64,
    milli: i64,
    weekday: i64,
    millis: f64,
}

fn civil(ms: f64) -> Civil {
    let days = (ms / DAY_MS).floor() as i64;
    let rem = (ms - days as f64 * DAY_MS) as i64;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + if m <= 2 { 1 } else { 0 };
    Civil {
        year: y,
        month0: m - 1,
        day: d,
        hour: rem / 3_600_000,
        minute: rem / 60_000 % 60,
        second: rem / 1000 % 60,
        milli: rem % 1000,
        weekday: (days + 4).rem_euclid(7),
        millis: ms,
    }
}

fn start_of_first_week(year: i64, month0: i64) -> f64 {
    let jan1 = date_utc(year, month0, 1, 0, 0, 0, 0);
    let mut dow = civil(jan1).weekday;
    if dow == 0 {
        dow = 7;
    }
    if dow > 4 {
        jan1 + (8 - dow) as f64 * DAY_MS
    } else {
        jan1 - (dow - 1) as f64 * DAY_MS
    }
}

enum Fragment {
    Num(f64),
    Text(&'static str),
}

fn fragment(d: &Civil, c: char) -> Fragment {
    let delta_weeks = |start: f64, end: f64| (end - start) / (DAY_MS * 7.0) + 1.0;
    Fragment::Num(match c {
        'Y' => d.year as f64,
        'M' => (d.month0 + 1) as f64,
        'D' => d.day as f64,
        'd' => {
            (date_utc(d.year, d.month0, d.day, 0, 0, 0, 0) - date_utc(d.year, 0, 1, 0, 0, 0, 0))
                / DAY_MS
                + 1.0
        }
        'F' => {
            if d.weekday == 0 {
                7.0
            } else {
                d.weekday as f64
            }
        }
        'W' => {
            let start = start_of_first_week(d.year, 0);
            let today = date_utc(d.year, d.month0, d.day, 0, 0, 0, 0);
            let mut week = delta_weeks(start, today);
            if week > 52.0 {
                if today >= start_of_first_week(d.year + 1, 0) {
                    week = 1.0;
                }
            } else if week < 1.0 {
                week = delta_weeks(start_of_first_week(d.year - 1, 0), today);
            }
            week.floor()
        }
        'w' => {
            let start = start_of_first_week(d.year, d.month0);
            let today = date_utc(d.year, d.month0, d.day, 0, 0, 0, 0);
            let mut week = delta_weeks(start, today);
            if week > 4.0 {
                if today >= start_of_first_week(d.year, d.month0 + 1) {
                    week = 1.0;
                }
            } else if week < 1.0 {
                week = delta_weeks(start_of_first_week(d.year, d.month0 - 1), today);
            }
            week.floor()
        }
        'X' => {
            let start = start_of_first_week(d.year, 0);
            let end = start_of_first_week(d.year + 1, 0);
            if d.millis < start {
                (d.year - 1) as f64
            } else if d.millis >= end {
                (d.year + 1) as f64
            } else {
                d.year as f64
            }
        }
        'x' => {
            let start = start_of_first_week(d.year, d.month0);
            let end = start_of_first_week(d.year, d.month0 + 1);
            if d.millis < start {
                ((d.month0 - 1).rem_euclid(12) + 1) as f64
            } else if d.millis >= end {
                ((d.month0 + 1).rem_euclid(12) + 1) as f64
            } else {
                (d.month0 + 1) as f64
            }
        }
        'H' => d.hour as f64,
        'h' => {
            let h = d.hour % 12;
            if h == 0 { 12.0 } else { h as f64 }
        }
        'P' => return Fragment::Text(if d.hour >= 12 { "pm" } else { "am" }),
        'm' => d.minute as f64,
        's' => d.second as f64,
        'f' => d.milli as f64,
        'C' | 'E' => return Fragment::Text("ISO"),
        _ => return Fragment::Text(""),
    })
}

fn apply_case(s: &str, c: Option<Case>) -> String {
    match c {
        Some(Case::Upper) => s.to_uppercase(),
        Some(Case::Lower) => s.to_lowercase(),
        _ => s.to_string(),
    }
}

/// `$fromMillis(ms, picture, timezone)` (ISO 8601 when there is no picture).
pub fn format_datetime(
    ms: f64,
    picture: Option<&str>,
    tz: Option<&str>,
    pos: usize,
) -> Result<Value> {
    let (mut off_h, mut off_m) = (0i64, 0i64);
    if let Some(tz) = tz {
        let digits: String = tz
            .chars()
            .enumerate()
            .take_while(|(i, c)| c.is_ascii_digit() || (*i == 0 && (*c == '+' || *c == '-')))
            .map(|(_, c)| c)
            .collect();
        let offset: i64 = digits.parse().unwrap_or(0);
        off_h = offset.div_euclid(100);
        off_m = offset % 100;
    }
    let spec = analyse_datetime(
        picture.unwrap_or("[Y0001]-[M01]-[D01]T[H01]:[m01]:[s01].[f001][Z01:01t]"),
        pos,
    )?;
    let date = civil(ms + ((60 * off_h + off_m) * 60 * 1000) as f64);
    let mut out = String::new();
    for part in &spec {
        let m = match part {
            Part::Literal(l) => {
                out.push_str(l);
                continue;
            }
            Part::Marker(m) => m,
        };
        let c = m.component;
        let s = if "YMDdFWwXxHhms".contains(c) {
            let Fragment::Num(mut v) = fragment(&date, c) else {
                continue;
            };
            if c == 'Y' && m.year_digits != -1 {
                v %= 10f64.powi(m.year_digits as i32);
            }
            if m.names.is_some() {
                let name = match c {
                    'M' | 'x' => MONTHS
                        .get((v as usize).wrapping_sub(1))
                        .copied()
                        .unwrap_or(""),
                    'F' => DAYS.get(v as usize).copied().unwrap_or(""),
                    _ => {
                        return Err(err(
                            "D3133",
                            pos,
                            format!(
                                "The 'name' modifier can only be applied to months and days in the date/time picture string, not {c}"
                            ),
                        ));
                    }
                };
                let mut name = apply_case(name, m.names);
                if let Some((_, Some(max))) = m.width
                    && name.chars().count() > max
                {
                    name = name.chars().take(max).collect();
                }
                name
            } else {
                match &m.int_format {
                    Some(f) => format_int(v, f, pos)?,
                    None => js_number(v),
                }
            }
        } else if c == 'f' {
            let Fragment::Num(v) = fragment(&date, c) else {
                continue;
            };
            match &m.int_format {
                Some(f) => format_int(v, f, pos)?,
                None => js_number(v),
            }
        } else if c == 'Z' || c == 'z' {
            let offset = off_h * 100 + off_m;
            let f = m
                .int_format
                .clone()
                .unwrap_or_else(|| analyse_integer("01:01", pos).expect("a valid picture"));
            let mut s = if f.regular.is_some() {
                format_int(offset as f64, &f, pos)?
            } else {
                match f.mandatory {
                    1 | 2 => {
                        let mut s = format_int(off_h as f64, &f, pos)?;
                        if off_m != 0 {
                            s.push(':');
                            s.push_str(&format_integer(off_m as f64, "00", pos)?);
                        }
                        s
                    }
                    3 | 4 => format_int(offset as f64, &f, pos)?,
                    n => {
                        return Err(err(
                            "D3134",
                            pos,
                            format!(
                                "The timezone integer format specifier cannot have more than four digits ({n})"
                            ),
                        ));
                    }
                }
            };
            if offset >= 0 {
                s.insert(0, '+');
            }
            if c == 'z' {
                s.insert_str(0, "GMT");
            }
            if offset == 0 && m.presentation2 == Some('t') {
                s = "Z".into();
            }
            s
        } else {
            match fragment(&date, c) {
                Fragment::Text(t) if c == 'P' => apply_case(t, m.names),
                Fragment::Text(t) => t.to_string(),
                Fragment::Num(n) => js_number(n),
            }
        };
        out.push_str(&s);
    }
    Ok(Value::str(out))
}

fn int_regex(f: &IntFormat, n: i64) -> String {
    match &f.primary {
        Primary::Letters => if f.case == Case::Upper {
            "[A-Z]+"
        } else {
            "[a-z]+"
        }
        .into(),
        Primary::Roman => if f.case == Case::Upper {
            "[MDCLXVI]+"
        } else {
            "[mdclxvi]+"
        }
        .into(),
        Primary::Words => {
            let mut words: Vec<String> = Vec::new();
            for w in FEW
                .iter()
                .chain(ORDINALS.iter())
                .chain(DECADES.iter())
                .chain(MAGNITUDES.iter())
            {
                words.push(w.to_lowercase());
            }
            for d in DECADES {
                let l = d.to_lowercase();
                words.push(format!("{}ieth", &l[..l.len() - 1]));
            }
            for m in MAGNITUDES {
                words.push(format!("{}th", m.to_lowercase()));
            }
            words.push("hundredth".into());
            words.sort_by_key(|w| std::cmp::Reverse(w.len()));
            format!("(?:{}|and|[\\-, ])+", words.join("|"))
        }
        Primary::Decimal => {
            let occ = if n > 0 {
                format!("{{{n}}}")
            } else {
                "+".into()
            };
            let mut r = format!("[0-9]{occ}");
            if f.ordinal {
                r.push_str("(?:th|st|nd|rd)");
            }
            r
        }
        Primary::Sequence(_) => "[^\\s]+".into(),
    }
}

/// `$toMillis(timestamp, picture)`.
pub fn parse_datetime(text: &str, picture: &str, now_ms: f64, pos: usize) -> Result<Value> {
    let spec = analyse_datetime(picture, pos)?;
    let mut regex = String::from("(?i)^");
    for (pi, part) in spec.iter().enumerate() {
        let next_is_marker = matches!(spec.get(pi + 1), Some(Part::Marker(_)));
        regex.push('(');
        match part {
            Part::Literal(l) => regex.push_str(&regex::escape(l)),
            Part::Marker(m) => {
                let c = m.component;
                if c == 'Z' || c == 'z' {
                    if c == 'z' {
                        regex.push_str("GMT");
                    }
                    regex.push_str("[-+][0-9]+");
                    if let Some(IntFormat {
                        regular: Some((_, ch)),
                        ..
                    }) = &m.int_format
                    {
                        regex.push_str(&regex::escape(&ch.to_string()));
                        regex.push_str("[0-9]+");
                    }
                } else if let Some(f) = &m.int_format {
                    // Adjacent numeric markers with no separator ([Y0001][M01][D01]) take their
                    // declared width, or the first would swallow the others' digits.
                    let n = if m.year_digits > 0 {
                        m.year_digits
                    } else if next_is_marker
                        && f.primary == Primary::Decimal
                        && f.mandatory >= 2
                        && f.optional == 0
                    {
                        f.mandatory as i64
                    } else {
                        -1
                    };
                    regex.push_str(&int_regex(f, n));
                } else {
                    if !matches!(c, 'M' | 'x' | 'F' | 'P') {
                        return Err(err(
                            "D3133",
                            pos,
                            format!(
                                "The 'name' modifier can only be applied to months and days in the date/time picture string, not {c}"
                            ),
                        ));
                    }
                    regex.push_str("[a-zA-Z]+");
                }
            }
        }
        regex.push(')');
    }
    regex.push('$');
    let re = regex::Regex::new(&regex).map_err(|e| {
        err(
            "D3136",
            pos,
            format!("Unable to use the date/time picture: {e}"),
        )
    })?;
    let Some(caps) = re.captures(text) else {
        return Ok(Value::Undefined);
    };
    let mut comps: std::collections::HashMap<char, f64> = std::collections::HashMap::new();
    for (i, part) in spec.iter().enumerate() {
        let Part::Marker(m) = part else { continue };
        let v = caps.get(i + 1).map(|g| g.as_str()).unwrap_or("");
        let c = m.component;
        let parsed = if c == 'Z' || c == 'z' {
            let v = if c == 'z' { &v[3.min(v.len())..] } else { v };
            let sep = match &m.int_format {
                Some(IntFormat {
                    regular: Some((_, ch)),
                    ..
                }) => Some(*ch),
                _ => None,
            };
            let p = |s: &str| s.parse::<i64>().unwrap_or(0);
            let (h, mi) = match sep.and_then(|ch| v.find(ch)) {
                Some(at) => (p(&v[..at]), p(&v[at + 1..])),
                None => {
                    if v.len() - 1 <= 2 {
                        (p(v), 0)
                    } else {
                        (p(&v[..3]), p(&v[3..]))
                    }
                }
            };
            Some((h * 60 + mi) as f64)
        } else if c == 'f' {
            // Fractional seconds: the digits are a fraction of a second, truncated to millis.
            let digits: String = v.chars().filter(|c| c.is_ascii_digit()).take(3).collect();
            if digits.is_empty() {
                None
            } else {
                Some(format!("{digits:0<3}").parse::<f64>().unwrap_or(0.0))
            }
        } else if let Some(f) = &m.int_format {
            parse_int_with(v, f, pos)?
        } else {
            let names: Vec<(String, f64)> = match c {
                'M' | 'x' => MONTHS
                    .iter()
                    .enumerate()
                    .map(|(i, n)| (n.to_string(), (i + 1) as f64))
                    .collect(),
                'F' => DAYS
                    .iter()
                    .enumerate()
                    .skip(1)
                    .map(|(i, n)| (n.to_string(), i as f64))
                    .collect(),
                _ => vec![("am".into(), 0.0), ("pm".into(), 1.0)],
            };
            let max = m.width.and_then(|w| w.1);
            names
                .into_iter()
                .find(|(n, _)| {
                    let n: String = match max {
                        Some(mx) if c != 'P' => n.chars().take(mx).collect(),
                        _ => n.clone(),
                    };
                    n.eq_ignore_ascii_case(v)
                })
                .map(|(_, x)| x)
        };
        if let Some(p) = parsed {
            comps.insert(c, p);
        }
    }
    if comps.is_empty() {
        return Ok(Value::Undefined);
    }
    let mask_of = |letters: &str, comps: &std::collections::HashMap<char, f64>| {
        letters
            .chars()
            .fold(0u32, |m, c| (m << 1) | comps.contains_key(&c) as u32)
    };
    let is_type = |t: u32, mask: u32| (!t & mask) == 0 && (t & mask) != 0;
    let dmask = mask_of("YXMxWwdD", &comps);
    let date_a = is_type(161, dmask);
    let date_b = !date_a && is_type(130, dmask);
    let date_c = is_type(84, dmask);
    let date_d = !date_c && is_type(72, dmask);
    let tmask = mask_of("PHhmsf", &comps);
    let time_a = is_type(23, tmask);
    let time_b = !time_a && is_type(47, tmask);
    let date_comps = if date_b {
        "YD"
    } else if date_c {
        "XxwF"
    } else if date_d {
        "XWF"
    } else {
        "YMD"
    };
    let time_comps = if time_b { "Phmsf" } else { "Hmsf" };
    let now = civil(now_ms);
    let mut start_specified = false;
    let mut end_specified = false;
    for c in format!("{date_comps}{time_comps}").chars() {
        if let std::collections::hash_map::Entry::Vacant(e) = comps.entry(c) {
            if start_specified {
                e.insert(if "MDd".contains(c) { 1.0 } else { 0.0 });
                end_specified = true;
            } else {
                let v = match fragment(&now, c) {
                    Fragment::Num(n) => n,
                    Fragment::Text(t) => {
                        if t == "pm" {
                            1.0
                        } else {
                            0.0
                        }
                    }
                };
                e.insert(v);
            }
        } else {
            start_specified = true;
            if end_specified {
                return Err(err(
                    "D3136",
                    pos,
                    "The date/time picture string is missing specifiers required to parse the timestamp",
                ));
            }
        }
    }
    let g = |c: char| comps.get(&c).copied().unwrap_or(0.0) as i64;
    let mut month0 = if g('M') > 0 { g('M') - 1 } else { 0 };
    let mut day = g('D');
    if date_b {
        let first = date_utc(g('Y'), 0, 1, 0, 0, 0, 0);
        let derived = civil(first + (g('d') - 1) as f64 * DAY_MS);
        month0 = derived.month0;
        day = derived.day;
    }
    if date_c || date_d {
        return Err(err(
            "D3136",
            pos,
            "The date/time picture string is missing specifiers required to parse the timestamp",
        ));
    }
    let mut hour = g('H');
    if time_b {
        hour = if g('h') == 12 { 0 } else { g('h') };
        if g('P') == 1 {
            hour += 12;
        }
    }
    let mut millis = date_utc(g('Y'), month0, day, hour, g('m'), g('s'), g('f'));
    let z = comps.get(&'Z').or(comps.get(&'z')).copied().unwrap_or(0.0);
    millis -= z * 60_000.0;
    Ok(Value::Number(millis))
}
