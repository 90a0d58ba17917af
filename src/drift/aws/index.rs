//! One account's live resources, indexed for the comparison.

use super::is_global;
use crate::live::aws::model::{AwsAccount, LiveResource};
use serde_json::Value as J;
use std::collections::{BTreeSet, HashMap, HashSet};

/// One account's live resources, by kind and key.
pub(super) struct Index<'a> {
    pub account: &'a AwsAccount,
    by_key: HashMap<(&'a str, &'a str), Vec<&'a LiveResource>>,
    /// The (kind, scope) pairs read completely.
    pub complete: HashSet<(&'a str, &'a str)>,
    /// The ids of the default VPCs.
    pub default_vpcs: BTreeSet<String>,
}

impl<'a> Index<'a> {
    /// Indexes `account`'s resources.
    pub fn new(account: &'a AwsAccount) -> Self {
        let mut by_key: HashMap<(&str, &str), Vec<&LiveResource>> = HashMap::new();
        let mut default_vpcs = BTreeSet::new();
        for r in &account.resources {
            by_key
                .entry((r.kind.as_str(), r.id.as_str()))
                .or_default()
                .push(r);
            if r.kind == "ec2:vpc" && r.body.get("IsDefault") == Some(&J::Bool(true)) {
                default_vpcs.insert(r.id.clone());
            }
        }
        Self {
            account,
            by_key,
            complete: account
                .complete
                .iter()
                .map(|s| (s.kind.as_str(), s.region.as_str()))
                .collect(),
            default_vpcs,
        }
    }

    /// The live resource of `kind` with key `id` (in `region`, for a regional kind).
    pub fn find(&self, kind: &str, id: &str, region: Option<&str>) -> Option<&'a LiveResource> {
        let found = self.by_key.get(&(kind, id))?;
        match region {
            Some(region) if !is_global(kind) => found.iter().find(|r| r.region == region).copied(),
            _ => found.first().copied(),
        }
    }

    /// The scopes a resource of `kind` in `region` (unknown: every region read) lives in.
    pub fn scopes(&self, kind: &str, region: Option<&str>) -> Vec<String> {
        if is_global(kind) {
            vec!["global".to_string()]
        } else {
            match region {
                Some(r) => vec![r.to_string()],
                None => self.account.regions.clone(),
            }
        }
    }

    /// Was `kind` read completely wherever a resource in `region` may be?
    pub fn is_complete(&self, kind: &str, region: Option<&str>) -> bool {
        let scopes = self.scopes(kind, region);
        !scopes.is_empty()
            && scopes
                .iter()
                .all(|s| self.complete.contains(&(kind, s.as_str())))
    }
}
