//! Kubernetes resource quantities (`500m`, `1Gi`, `1e3`, `0.5`) as exact numbers, so that the
//! canonical form the API server writes compares equal to what was declared.

/// An exact quantity: `num / den`, reduced, `den > 0`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Quantity {
    num: i128,
    den: i128,
}

fn gcd(mut a: i128, mut b: i128) -> i128 {
    a = a.abs();
    b = b.abs();
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a.max(1)
}

/// Parses a quantity; `None` when the text is not one (or too large to be exact).
pub(crate) fn parse(s: &str) -> Option<Quantity> {
    let s = s.trim();
    let (negative, rest) = match s.as_bytes().first()? {
        b'-' => (true, &s[1..]),
        b'+' => (false, &s[1..]),
        _ => (false, s),
    };
    let end = rest
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(rest.len());
    let (number, suffix) = rest.split_at(end);
    let (int, frac) = number.split_once('.').unwrap_or((number, ""));
    if int.is_empty() && frac.is_empty() || frac.contains('.') || frac.len() > 18 {
        return None;
    }
    let digits = format!("{int}{frac}");
    let mut num: i128 = digits.trim_start_matches('0').parse().unwrap_or(0);
    if digits.len() > 30 {
        return None;
    }
    let mut den: i128 = 10i128.checked_pow(frac.len() as u32)?;
    let pow10 = |e: u32| 10i128.checked_pow(e);
    match suffix {
        "" => {}
        "n" => den = den.checked_mul(pow10(9)?)?,
        "u" => den = den.checked_mul(pow10(6)?)?,
        "m" => den = den.checked_mul(pow10(3)?)?,
        "k" => num = num.checked_mul(pow10(3)?)?,
        "M" => num = num.checked_mul(pow10(6)?)?,
        "G" => num = num.checked_mul(pow10(9)?)?,
        "T" => num = num.checked_mul(pow10(12)?)?,
        "P" => num = num.checked_mul(pow10(15)?)?,
        "E" => num = num.checked_mul(pow10(18)?)?,
        "Ki" => num = num.checked_mul(1 << 10)?,
        "Mi" => num = num.checked_mul(1 << 20)?,
        "Gi" => num = num.checked_mul(1 << 30)?,
        "Ti" => num = num.checked_mul(1 << 40)?,
        "Pi" => num = num.checked_mul(1 << 50)?,
        "Ei" => num = num.checked_mul(1 << 60)?,
        _ => {
            let exp = suffix.strip_prefix(['e', 'E'])?;
            let exp: i32 = exp.parse().ok()?;
            if exp.unsigned_abs() > 36 {
                return None;
            }
            if exp >= 0 {
                num = num.checked_mul(pow10(exp as u32)?)?;
            } else {
                den = den.checked_mul(pow10(exp.unsigned_abs())?)?;
            }
        }
    }
    let g = gcd(num, den);
    let (num, den) = (num / g, den / g);
    Some(Quantity {
        num: if negative { -num } else { num },
        den,
    })
}

#[cfg(test)]
mod tests {
    use super::parse;

    #[test]
    fn equal_quantities_in_different_forms() {
        let same = |a: &str, b: &str| {
            assert_eq!(parse(a), parse(b), "{a} vs {b}");
            assert!(parse(a).is_some(), "{a}");
        };
        same("1000m", "1");
        same("1Gi", "1024Mi");
        same("0.5", "500m");
        same("1e3", "1k");
        same("1E3", "1000");
        same("1.5Gi", "1536Mi");
        same("100M", "100000k");
        same("0.1", "100m");
        same("1Ei", "1024Pi");
        same("+2", "2");
        same("250000u", "250m");
        same("1e-3", "1m");
        same(".5", "500m");
    }

    #[test]
    fn different_or_invalid_quantities() {
        assert_ne!(parse("1Gi"), parse("1G"));
        assert_ne!(parse("1"), parse("-1"));
        assert_ne!(parse("100m"), parse("101m"));
        for bad in ["", "abc", "1X", "1..2", ".", "1e", "Gi"] {
            assert!(parse(bad).is_none(), "{bad}");
        }
    }
}
