//! The notifications of an AWS drift check about what it could not compare, and why.

use super::declared::Skipped;
use crate::live::aws::model::{reader, AwsAccount};
use crate::load::Files;
use crate::model::{NoteLevel, Notification};
use std::collections::{BTreeMap, BTreeSet};

/// `aws-not-read`: per (account, kind, scope) not read completely, with the number of state
/// resources not compared there (0: unmanaged resources could not be looked for), what was
/// not compared and what to do.
pub(super) fn not_read(
    scopes: BTreeMap<(String, String, String), usize>,
    accounts: &[AwsAccount],
) -> Vec<Notification> {
    let mut out = Vec::new();
    for ((account, kind, region), n) in scopes {
        let what = if n > 0 {
            format!("{n} resource(s) of the Terraform states there were not compared")
        } else {
            "resources there that no state manages could not be looked for".to_string()
        };
        let actions = reader(&kind)
            .map(|r| r.actions.join(", "))
            .unwrap_or_default();
        let read_there = region == "global"
            || accounts
                .iter()
                .any(|a| a.name == account && a.regions.contains(&region));
        let todo = if read_there {
            format!(
                "Scan again with permission for {actions} (`plumbline aws-policy` prints the \
                 policy); the reader's own notifications say why it could not"
            )
        } else {
            format!("{region} is not among the regions read: add --aws-region {region}")
        };
        out.push(Notification::new(
            NoteLevel::Error,
            "aws-not-read",
            format!(
                "AWS account {account}: {kind} was not read completely in {region}, so {what}: \
                 drift there is unknown, not absent. {todo}"
            ),
        ));
    }
    out
}

/// The state resources that could not be compared at all: of types with no rule
/// (`aws-type-not-checked`), without a live key (`aws-no-live-key`), in no account read
/// (`aws-no-account`).
pub(super) fn skipped(s: &Skipped) -> Vec<Notification> {
    let mut out = Vec::new();
    if !s.not_checked.is_empty() {
        let list: Vec<String> = s
            .not_checked
            .iter()
            .map(|(t, n)| format!("{t} ({n})"))
            .collect();
        out.push(Notification::new(
            NoteLevel::Note,
            "aws-type-not-checked",
            format!(
                "{} state resource(s) of types with no AWS drift rule were not compared with \
                 AWS: {}. A rule in rules/aws/ adds a type",
                s.not_checked.values().sum::<usize>(),
                list.join(", ")
            ),
        ));
    }
    if !s.keyless.is_empty() {
        let list: Vec<String> = s
            .keyless
            .iter()
            .map(|(t, n)| format!("{t} ({n})"))
            .collect();
        out.push(Notification::new(
            NoteLevel::Warning,
            "aws-no-live-key",
            format!(
                "state resource(s) without the attribute that identifies them in AWS were not \
                 compared: {}. Refresh the state (`terraform apply -refresh-only`)",
                list.join(", ")
            ),
        ));
    }
    if !s.no_account.is_empty() {
        let list: Vec<String> = s
            .no_account
            .iter()
            .map(|(t, n)| format!("{t} ({n})"))
            .collect();
        out.push(Notification::new(
            NoteLevel::Error,
            "aws-no-account",
            format!(
                "state resource(s) whose AWS account is none of the accounts read were not \
                 compared: {}. Read the account that holds them (--aws-profile)",
                list.join(", ")
            ),
        ));
    }
    out
}

/// `aws-not-mapped`: per state (its origin), the number of findings with no `resource` block
/// to point at in the scanned `.tf` files.
pub(super) fn unmapped(unmapped: &BTreeMap<String, usize>, files: &dyn Files) -> Vec<Notification> {
    let mut out = Vec::new();
    for (origin, n) in unmapped {
        let inside = files.read(origin).is_some();
        let to = if inside {
            format!("point at {origin} instead")
        } else {
            "carry only the resource's address and ARN".to_string()
        };
        out.push(
            Notification::new(
                NoteLevel::Note,
                "aws-not-mapped",
                format!(
                    "{origin}: {n} finding(s) about resources with no matching `resource` block \
                     in the scanned .tf files {to}; scan the Terraform root module the state \
                     belongs to"
                ),
            )
            .at(origin.clone(), None),
        );
    }
    out
}

/// `aws-not-read`: the compared attributes whose live settings the reading (a snapshot) did
/// not read.
pub(super) fn settings_unread(settings: BTreeSet<String>) -> Option<Notification> {
    if settings.is_empty() {
        return None;
    }
    Some(Notification::new(
        NoteLevel::Error,
        "aws-not-read",
        format!(
            "attributes not compared, because the live reading (a snapshot taken for other \
             states) did not read their settings: {}. Drift there is unknown, not absent: \
             take the snapshot again with these states",
            settings.into_iter().collect::<Vec<_>>().join(", ")
        ),
    ))
}
