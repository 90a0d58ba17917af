//! Builtins OPA has and regorus lacks, added as engine extensions.

use ipnet::IpNet;
use regorus::Value;
use std::net::IpAddr;

/// Registers every extension on `engine`.
pub fn register(engine: &mut regorus::Engine) -> anyhow::Result<()> {
    engine.add_extension(
        "net.cidr_intersects".to_string(),
        2,
        Box::new(|args: Vec<Value>| {
            let a = cidr(&args[0])?;
            let b = cidr(&args[1])?;
            Ok(Value::from(intersects(&a, &b)))
        }),
    )?;
    engine.add_extension(
        "net.cidr_merge".to_string(),
        1,
        Box::new(|args: Vec<Value>| {
            let items: Vec<&Value> = match &args[0] {
                Value::Array(a) => a.iter().collect(),
                Value::Set(s) => s.iter().collect(),
                other => anyhow::bail!("net.cidr_merge: expected an array or set, got {other}"),
            };
            let nets = items
                .into_iter()
                .map(cidr)
                .collect::<anyhow::Result<Vec<_>>>()?;
            let merged: std::collections::BTreeSet<Value> = IpNet::aggregate(&nets)
                .into_iter()
                .map(|n| Value::from(n.to_string()))
                .collect();
            Ok(Value::from(merged))
        }),
    )?;
    Ok(())
}

/// A CIDR, or a bare address taken as a single-host network (as OPA does).
fn cidr(v: &Value) -> anyhow::Result<IpNet> {
    let s = v
        .as_string()
        .map_err(|_| anyhow::anyhow!("expected a CIDR string, got {v}"))?;
    if let Ok(net) = s.parse::<IpNet>() {
        return Ok(net.trunc());
    }
    let addr: IpAddr = s
        .parse()
        .map_err(|_| anyhow::anyhow!("{s:?} is neither a CIDR nor an IP address"))?;
    Ok(IpNet::from(addr))
}

fn intersects(a: &IpNet, b: &IpNet) -> bool {
    match (a, b) {
        (IpNet::V4(_), IpNet::V4(_)) | (IpNet::V6(_), IpNet::V6(_)) => {
            a.contains(&b.network()) || b.contains(&a.network())
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eval(q: &str) -> Value {
        let mut e = regorus::Engine::new();
        register(&mut e).unwrap();
        e.add_policy("t.rego".into(), format!("package t\nx := {q}\n"))
            .unwrap();
        e.eval_rule("data.t.x".into()).unwrap()
    }

    #[test]
    fn cidr_intersects() {
        assert_eq!(
            eval(r#"net.cidr_intersects("10.0.0.0/8", "10.1.0.0/16")"#),
            Value::from(true)
        );
        assert_eq!(
            eval(r#"net.cidr_intersects("10.0.0.0/16", "10.1.0.0/16")"#),
            Value::from(false)
        );
        assert_eq!(
            eval(r#"net.cidr_intersects("0.0.0.0/0", "192.168.1.1")"#),
            Value::from(true)
        );
        assert_eq!(
            eval(r#"net.cidr_intersects("::/0", "10.0.0.0/8")"#),
            Value::from(false)
        );
    }

    #[test]
    fn cidr_merge() {
        let v = eval(r#"net.cidr_merge(["10.0.0.0/24", "10.0.1.0/24", "192.168.0.1"])"#);
        let expected: std::collections::BTreeSet<Value> = ["10.0.0.0/23", "192.168.0.1/32"]
            .iter()
            .map(|s| Value::from(*s))
            .collect();
        assert_eq!(v, Value::from(expected));
    }
}
