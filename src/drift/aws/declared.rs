//! The declared side: the state resources a rule compares, what cannot be compared at all,
//! and what the declared resources say about each other.

use super::index::Index;
use super::{live_key, normalise, AwsDriftOptions, TypeRule};
use crate::live::aws::model::AwsAccount;
use crate::load::terraform::state::StateResource;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

/// A state resource with a rule, ready to compare.
pub(super) struct Decl<'a> {
    /// Its state, in `AwsDriftOptions::states`.
    pub state: usize,
    pub r: &'a StateResource,
    pub rule: &'a TypeRule,
    /// Its live key.
    pub key: String,
    /// Its account, in the accounts read; `None` when none of them holds it.
    pub account: Option<usize>,
}

/// State resources that cannot be compared at all, counted by type.
#[derive(Default)]
pub(super) struct Skipped {
    /// Of types with no AWS drift rule.
    pub not_checked: BTreeMap<String, usize>,
    /// Without the attribute that identifies them in AWS.
    pub keyless: BTreeMap<String, usize>,
    /// In none of the accounts read.
    pub no_account: BTreeMap<String, usize>,
}

/// The resources of every state of `opts` that can be compared, each with its account among
/// `accounts` (indexed by `indexes`), and those that cannot.
pub(super) fn collect<'a>(
    opts: &'a AwsDriftOptions,
    accounts: &[AwsAccount],
    indexes: &[Index],
) -> (Vec<Decl<'a>>, Skipped) {
    let mut skipped = Skipped::default();
    let mut decls: Vec<Decl> = Vec::new();
    for (si, s) in opts.states.iter().enumerate() {
        for r in &s.resources {
            let Some(rule) = opts.rules.get(&r.ty) else {
                *skipped.not_checked.entry(r.ty.clone()).or_default() += 1;
                continue;
            };
            let Some(key) = live_key(r, rule) else {
                *skipped.keyless.entry(r.ty.clone()).or_default() += 1;
                continue;
            };
            let account = r
                .account
                .as_deref()
                .and_then(|a| accounts.iter().position(|x| x.account_id == a))
                .or_else(|| (accounts.len() == 1).then_some(0))
                .or_else(|| {
                    indexes
                        .iter()
                        .position(|i| i.find(&rule.kind, &key, r.region.as_deref()).is_some())
                });
            if account.is_none() {
                *skipped.no_account.entry(r.ty.clone()).or_default() += 1;
            }
            decls.push(Decl {
                state: si,
                r,
                rule,
                key,
                account,
            });
        }
    }
    (decls, skipped)
}

/// What the declared resources say about each other.
pub(super) struct Identities<'a> {
    /// The live identities (kind, key) the states declare, account aside.
    pub declared: HashSet<(&'a str, &'a str)>,
    /// The (type, live key) pairs the states hold.
    pub present: HashSet<(&'a str, &'a str)>,
    /// Rules declared outside a security group, as atomic rules per (group, egress).
    pub extra_rules: HashMap<(String, bool), BTreeSet<String>>,
}

impl<'a> Identities<'a> {
    /// The identities of `decls`.
    pub fn of(decls: &'a [Decl]) -> Self {
        let declared = decls
            .iter()
            .filter(|d| d.rule.member.is_none())
            .map(|d| (d.rule.kind.as_str(), d.key.as_str()))
            .collect();
        let present = decls
            .iter()
            .map(|d| (d.rule.ty.as_str(), d.key.as_str()))
            .collect();
        let mut extra_rules: HashMap<(String, bool), BTreeSet<String>> = HashMap::new();
        for d in decls {
            let (group, egress) = match d.r.ty.as_str() {
                "aws_security_group_rule" => (
                    d.key.clone(),
                    d.r.attr_str("type").as_deref() == Some("egress"),
                ),
                "aws_vpc_security_group_ingress_rule" | "aws_vpc_security_group_egress_rule" => {
                    match d.r.attr_str("security_group_id") {
                        Some(g) => (g, d.r.ty.ends_with("egress_rule")),
                        None => continue,
                    }
                }
                _ => continue,
            };
            let atoms = normalise::sg_atoms(&d.r.attributes, Some(&group));
            extra_rules
                .entry((group, egress))
                .or_default()
                .extend(atoms);
        }
        Self {
            declared,
            present,
            extra_rules,
        }
    }
}
