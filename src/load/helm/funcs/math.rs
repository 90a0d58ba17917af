//! sprig's arithmetic (numeric.go): the integer functions convert with spf13/cast and return
//! Go `int64` ([`Value::Int`]); the `...f` functions go through shopspring/decimal (exact
//! decimal arithmetic on each float's shortest decimal form, division rounded to 16 places)
//! and return `float64`.

use gotmpl::{FuncMap, Value};

use super::collections::until_step;
use super::convert::{arg_float, arg_int, arity, arity_min, call_err, to_float64, to_int64};
use super::reg;

/// A decimal `mantissa * 10^exp`.
#[derive(Debug, Clone, Copy)]
struct Decimal {
    m: i128,
    e: i32,
}

impl Decimal {
    /// shopspring's `NewFromFloat`: the float's shortest decimal form, exactly.
    fn from_f64(f: f64) -> Option<Decimal> {
        if !f.is_finite() {
            return None;
        }
        if f == 0.0 {
            return Some(Decimal { m: 0, e: 0 });
        }
        let s = format!("{:e}", f);
        let (mant, exp) = s.split_once('e')?;
        let exp: i32 = exp.parse().ok()?;
        let neg = mant.starts_with('-');
        let mant = mant.trim_start_matches('-');
        let (int, frac) = mant.split_once('.').unwrap_or((mant, ""));
        let digits = format!("{int}{frac}");
        let m: i128 = digits.parse().ok()?;
        Some(Decimal {
            m: if neg { -m } else { m },
            e: exp - frac.len() as i32,
        })
    }

    fn to_f64(self) -> f64 {
        format!("{}e{}", self.m, self.e).parse().unwrap_or(0.0)
    }

    fn pow10(n: u32) -> Option<i128> {
        10i128.checked_pow(n)
    }

    /// Both at the smaller exponent.
    fn align(a: Decimal, b: Decimal) -> Option<(i128, i128, i32)> {
        let e = a.e.min(b.e);
        let am = a.m.checked_mul(Self::pow10((a.e - e) as u32)?)?;
        let bm = b.m.checked_mul(Self::pow10((b.e - e) as u32)?)?;
        Some((am, bm, e))
    }

    fn add(a: Decimal, b: Decimal) -> Option<Decimal> {
        let (am, bm, e) = Self::align(a, b)?;
        Some(Decimal {
            m: am.checked_add(bm)?,
            e,
        })
    }

    fn sub(a: Decimal, b: Decimal) -> Option<Decimal> {
        let (am, bm, e) = Self::align(a, b)?;
        Some(Decimal {
            m: am.checked_sub(bm)?,
            e,
        })
    }

    fn mul(a: Decimal, b: Decimal) -> Option<Decimal> {
        Some(Decimal {
            m: a.m.checked_mul(b.m)?,
            e: a.e.checked_add(b.e)?,
        })
    }

    /// shopspring's `Div`: `DivRound(d2, 16)`, rounding half away from zero.
    fn div(a: Decimal, b: Decimal) -> Option<Decimal> {
        const PREC: i32 = 16;
        if b.m == 0 {
            return None;
        }
        // a/b = (a.m / b.m) * 10^(a.e - b.e); scale the numerator to get PREC decimals.
        let shift = a.e - b.e + PREC;
        let (num, den) = if shift >= 0 {
            (a.m.checked_mul(Self::pow10(shift as u32)?)?, b.m)
        } else {
            (a.m, b.m.checked_mul(Self::pow10((-shift) as u32)?)?)
        };
        let q = num / den;
        let r = num % den;
        let q = if r.checked_mul(2)?.abs() >= den.abs() {
            if (num < 0) != (den < 0) {
                q - 1
            } else {
                q + 1
            }
        } else {
            q
        };
        Some(Decimal { m: q, e: -PREC })
    }
}

/// The operation of a `...f` function.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Op {
    Add,
    Sub,
    Mul,
    Div,
}

impl Op {
    fn decimal(self, a: Decimal, b: Decimal) -> Option<Decimal> {
        match self {
            Op::Add => Decimal::add(a, b),
            Op::Sub => Decimal::sub(a, b),
            Op::Mul => Decimal::mul(a, b),
            Op::Div => Decimal::div(a, b),
        }
    }

    fn float(self, a: f64, b: f64) -> f64 {
        match self {
            Op::Add => a + b,
            Op::Sub => a - b,
            Op::Mul => a * b,
            Op::Div => a / b,
        }
    }
}

/// sprig's `execDecimalOp`, falling back to float arithmetic where a decimal overflows.
fn decimal_op(first: &Value, rest: &[Value], op: Op) -> std::result::Result<f64, &'static str> {
    let mut acc_f = to_float64(first);
    let mut acc = Decimal::from_f64(acc_f);
    for v in rest {
        let f = to_float64(v);
        if op == Op::Div && f == 0.0 {
            return Err("decimal division by zero");
        }
        acc = match (acc, Decimal::from_f64(f)) {
            (Some(a), Some(b)) => op.decimal(a, b),
            _ => None,
        };
        acc_f = match acc {
            Some(a) => a.to_f64(),
            None => op.float(acc_f, f),
        };
    }
    Ok(acc_f)
}

/// sprig's `seq`.
pub(crate) fn seq(params: &[i64]) -> String {
    let nums = match params.len() {
        1 => {
            let (start, end) = (1, params[0]);
            let inc = if end < start { -1 } else { 1 };
            until_step(start, end + inc, inc)
        }
        2 => {
            let (start, end) = (params[0], params[1]);
            let step = if end < start { -1 } else { 1 };
            until_step(start, end + step, step)
        }
        3 => {
            let (start, step, end) = (params[0], params[1], params[2]);
            let mut inc = 1;
            if end < start {
                inc = -1;
                if step > 0 {
                    return String::new();
                }
            }
            until_step(start, end + inc, step)
        }
        _ => return String::new(),
    };
    nums.iter()
        .map(i64::to_string)
        .collect::<Vec<_>>()
        .join(" ")
}

/// sprig's `round`.
fn round(a: f64, places: i64, round_on: f64) -> f64 {
    let pow = 10f64.powf(places as f64);
    let digit = pow * a;
    let div = digit.fract();
    let r = if div >= round_on {
        digit.ceil()
    } else {
        digit.floor()
    };
    r / pow
}

pub(crate) fn register(m: &mut FuncMap) {
    reg(m, "add1", |n, a| {
        arity(n, a, 1)?;
        Ok(Value::Int(to_int64(&a[0]).wrapping_add(1)))
    });
    reg(m, "add", |_, a| {
        Ok(Value::Int(
            a.iter().fold(0i64, |acc, v| acc.wrapping_add(to_int64(v))),
        ))
    });
    reg(m, "sub", |n, a| {
        arity(n, a, 2)?;
        Ok(Value::Int(to_int64(&a[0]).wrapping_sub(to_int64(&a[1]))))
    });
    reg(m, "div", |n, a| {
        arity(n, a, 2)?;
        let d = to_int64(&a[1]);
        if d == 0 {
            return Err(call_err(n, "runtime error: integer divide by zero"));
        }
        Ok(Value::Int(to_int64(&a[0]).wrapping_div(d)))
    });
    reg(m, "mod", |n, a| {
        arity(n, a, 2)?;
        let d = to_int64(&a[1]);
        if d == 0 {
            return Err(call_err(n, "runtime error: integer divide by zero"));
        }
        Ok(Value::Int(to_int64(&a[0]).wrapping_rem(d)))
    });
    reg(m, "mul", |n, a| {
        arity_min(n, a, 1)?;
        Ok(Value::Int(a[1..].iter().fold(to_int64(&a[0]), |acc, v| {
            acc.wrapping_mul(to_int64(v))
        })))
    });
    for name in ["max", "biggest"] {
        reg(m, name, |n, a| {
            arity_min(n, a, 1)?;
            Ok(Value::Int(
                a[1..]
                    .iter()
                    .fold(to_int64(&a[0]), |acc, v| acc.max(to_int64(v))),
            ))
        });
    }
    reg(m, "min", |n, a| {
        arity_min(n, a, 1)?;
        Ok(Value::Int(
            a[1..]
                .iter()
                .fold(to_int64(&a[0]), |acc, v| acc.min(to_int64(v))),
        ))
    });
    reg(m, "maxf", |n, a| {
        arity_min(n, a, 1)?;
        Ok(Value::Float(
            a[1..]
                .iter()
                .fold(to_float64(&a[0]), |acc, v| go_max(acc, to_float64(v))),
        ))
    });
    reg(m, "minf", |n, a| {
        arity_min(n, a, 1)?;
        Ok(Value::Float(
            a[1..]
                .iter()
                .fold(to_float64(&a[0]), |acc, v| go_min(acc, to_float64(v))),
        ))
    });
    reg(m, "floor", |n, a| {
        arity(n, a, 1)?;
        Ok(Value::Float(to_float64(&a[0]).floor()))
    });
    reg(m, "ceil", |n, a| {
        arity(n, a, 1)?;
        Ok(Value::Float(to_float64(&a[0]).ceil()))
    });
    reg(m, "round", |n, a| {
        arity_min(n, a, 2)?;
        let places = arg_int(a, 1)?;
        let round_on = if a.len() > 2 { arg_float(a, 2)? } else { 0.5 };
        Ok(Value::Float(round(to_float64(&a[0]), places, round_on)))
    });
    reg(m, "int", |n, a| {
        arity(n, a, 1)?;
        Ok(Value::Int(to_int64(&a[0])))
    });
    reg(m, "int64", |n, a| {
        arity(n, a, 1)?;
        Ok(Value::Int(to_int64(&a[0])))
    });
    reg(m, "float64", |n, a| {
        arity(n, a, 1)?;
        Ok(Value::Float(to_float64(&a[0])))
    });
    reg(m, "toDecimal", |n, a| {
        arity(n, a, 1)?;
        let s = super::convert::go_sprint(&a[0]);
        let digits = s.strip_prefix(['+', '-']).unwrap_or(&s);
        let ok = !digits.is_empty() && digits.bytes().all(|c| (b'0'..=b'7').contains(&c));
        Ok(Value::Int(if ok {
            i64::from_str_radix(&s, 8).unwrap_or(0)
        } else {
            0
        }))
    });
    reg(m, "add1f", |n, a| {
        arity(n, a, 1)?;
        decimal_op(&a[0], &[Value::Int(1)], Op::Add)
            .map(Value::Float)
            .map_err(|e| call_err(n, e))
    });
    reg(m, "addf", |n, a| {
        decimal_op(&Value::Float(0.0), a, Op::Add)
            .map(Value::Float)
            .map_err(|e| call_err(n, e))
    });
    reg(m, "subf", |n, a| {
        arity_min(n, a, 1)?;
        decimal_op(&a[0], &a[1..], Op::Sub)
            .map(Value::Float)
            .map_err(|e| call_err(n, e))
    });
    reg(m, "mulf", |n, a| {
        arity_min(n, a, 1)?;
        decimal_op(&a[0], &a[1..], Op::Mul)
            .map(Value::Float)
            .map_err(|e| call_err(n, e))
    });
    reg(m, "divf", |n, a| {
        arity_min(n, a, 1)?;
        decimal_op(&a[0], &a[1..], Op::Div)
            .map(Value::Float)
            .map_err(|e| call_err(n, e))
    });
}

/// Go's `math.Max` (NaN wins).
fn go_max(a: f64, b: f64) -> f64 {
    if a.is_nan() || b.is_nan() {
        f64::NAN
    } else {
        a.max(b)
    }
}

fn go_min(a: f64, b: f64) -> f64 {
    if a.is_nan() || b.is_nan() {
        f64::NAN
    } else {
        a.min(b)
    }
}

/// For the tests: run one of the decimal functions.
#[cfg(test)]
fn dec(op: Op, a: f64, b: f64) -> f64 {
    decimal_op(&Value::Float(a), &[Value::Float(b)], op).unwrap_or(f64::NAN)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimal_ops_are_exact() {
        assert_eq!(dec(Op::Mul, 0.1, 3.0), 0.3);
        assert_eq!(dec(Op::Add, 0.1, 0.2), 0.3);
        assert_eq!(dec(Op::Sub, 1.0, 0.9), 0.1);
        assert_eq!(dec(Op::Div, 1.0, 3.0), 0.3333333333333333);
        assert_eq!(dec(Op::Div, 2.0, 3.0), 0.6666666666666667);
        assert_eq!(dec(Op::Mul, 1.5, 1024.0), 1536.0);
        assert!(decimal_op(&Value::Float(1.0), &[Value::Int(0)], Op::Div).is_err());
    }

    #[test]
    fn round_like_sprig() {
        assert_eq!(round(1.23456, 2, 0.5), 1.23);
        assert_eq!(round(2.5, 0, 0.5), 3.0);
        assert_eq!(round(1.2345, 3, 0.5), 1.235);
    }

    #[test]
    fn seq_like_sprig() {
        assert_eq!(seq(&[5]), "1 2 3 4 5");
        assert_eq!(seq(&[-3]), "1 0 -1 -2 -3");
        assert_eq!(seq(&[2, 5]), "2 3 4 5");
        assert_eq!(seq(&[0, 2, 10]), "0 2 4 6 8 10");
        assert_eq!(seq(&[10, -2, 0]), "10 8 6 4 2 0");
        assert_eq!(seq(&[10, 2, 0]), "");
    }
}
