//! `iam:role`, `iam:policy`, `iam:user`, `iam:group`: one paged
//! `GetAccountAuthorizationDetails` for the whole account (filtered to the kinds asked for),
//! not one call per entity. Policy documents arrive URL-encoded; bodies hold them decoded.

use super::ctx::Ctx;
use super::json::{json_enum, json_struct, Json};
use super::model::LiveResource;
use super::read::{Job, GLOBAL};
use aws_config::Region;
use aws_sdk_iam::types::*;
use serde_json::Value;
use std::sync::Arc;

json_struct!(RoleDetail {
    "Path" => path,
    "RoleName" => role_name,
    "RoleId" => role_id,
    "Arn" => arn,
    "CreateDate" => create_date,
    "AssumeRolePolicyDocument" => assume_role_policy_document,
    "RolePolicyList" => role_policy_list,
    "AttachedManagedPolicies" => attached_managed_policies,
    "PermissionsBoundary" => permissions_boundary,
    "Tags" => tags,
});
json_struct!(ManagedPolicyDetail {
    "PolicyName" => policy_name,
    "PolicyId" => policy_id,
    "Arn" => arn,
    "Path" => path,
    "DefaultVersionId" => default_version_id,
    "AttachmentCount" => attachment_count,
    "PermissionsBoundaryUsageCount" => permissions_boundary_usage_count,
    "IsAttachable" => is_attachable,
    "Description" => description,
    "CreateDate" => create_date,
    "UpdateDate" => update_date,
});
json_struct!(UserDetail {
    "Path" => path,
    "UserName" => user_name,
    "UserId" => user_id,
    "Arn" => arn,
    "CreateDate" => create_date,
    "UserPolicyList" => user_policy_list,
    "GroupList" => group_list,
    "AttachedManagedPolicies" => attached_managed_policies,
    "PermissionsBoundary" => permissions_boundary,
    "Tags" => tags,
});
json_struct!(GroupDetail {
    "Path" => path,
    "GroupName" => group_name,
    "GroupId" => group_id,
    "Arn" => arn,
    "CreateDate" => create_date,
    "GroupPolicyList" => group_policy_list,
    "AttachedManagedPolicies" => attached_managed_policies,
});
json_struct!(PolicyDetail { "PolicyName" => policy_name, "PolicyDocument" => policy_document });
json_struct!(AttachedPolicy { "PolicyName" => policy_name, "PolicyArn" => policy_arn });
json_struct!(AttachedPermissionsBoundary {
    "PermissionsBoundaryType" => permissions_boundary_type,
    "PermissionsBoundaryArn" => permissions_boundary_arn,
});
json_struct!(Tag { "Key" => key, "Value" => value });
json_enum!(PermissionsBoundaryAttachmentType);

/// Members that hold policy documents (URL-encoded by IAM).
const DOCUMENTS: &[&str] = &["AssumeRolePolicyDocument", "PolicyDocument", "Document"];

pub(crate) async fn authorization_details(ctx: Arc<Ctx>, job: Job) -> Vec<LiveResource> {
    let scope = &job.scope;
    // IAM is global; its endpoint is reached through the first configured region.
    let conf = aws_sdk_iam::config::Builder::from(&ctx.sdk)
        .retry_partition(ctx.retry_partition("iam"))
        .region(Region::new(ctx.home_region.clone()))
        .build();
    let client = aws_sdk_iam::Client::from_conf(conf);
    let filter: Vec<EntityType> = scope
        .kinds
        .iter()
        .map(|k| match *k {
            "iam:role" => EntityType::Role,
            "iam:user" => EntityType::User,
            "iam:group" => EntityType::Group,
            _ => EntityType::LocalManagedPolicy,
        })
        .collect();
    // Each page holds four lists: the pages themselves are the items.
    let Some(pages) = ctx
        .pages(
            scope,
            "iam",
            "GetAccountAuthorizationDetails",
            |m| {
                client
                    .get_account_authorization_details()
                    .set_filter(Some(filter.clone()))
                    .max_items(1000)
                    .set_marker(m)
                    .send()
            },
            |p| {
                let next = p.marker.clone().filter(|_| p.is_truncated);
                (vec![p], next)
            },
        )
        .await
    else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for page in pages {
        for r in page.role_detail_list.unwrap_or_default() {
            out.extend(entity("iam:role", r.role_name.clone(), r.arn.clone(), &r));
        }
        for u in page.user_detail_list.unwrap_or_default() {
            out.extend(entity("iam:user", u.user_name.clone(), u.arn.clone(), &u));
        }
        for g in page.group_detail_list.unwrap_or_default() {
            out.extend(entity("iam:group", g.group_name.clone(), g.arn.clone(), &g));
        }
        for p in page.policies.unwrap_or_default() {
            let Some(mut res) = entity("iam:policy", p.arn.clone(), p.arn.clone(), &p) else {
                continue;
            };
            if res.body.get("PolicyName").is_none() {
                if let Some(name) = p.arn.as_deref().and_then(name_of) {
                    res.body["PolicyName"] = Value::String(name);
                }
            }
            // The default version's document, the one in force.
            let document = p
                .policy_version_list
                .unwrap_or_default()
                .into_iter()
                .find(|v| v.is_default_version)
                .and_then(|v| v.document);
            if let Some(d) = document {
                res.body["Document"] = Value::String(url_decode(&d));
            }
            out.push(res);
        }
    }
    out.retain(|r| scope.kinds.contains(&r.kind.as_str()));
    if scope.kinds.contains(&"iam:role") {
        role_settings(&ctx, scope, &client, &mut out).await;
    }
    out
}

/// `GetAccountAuthorizationDetails` leaves a role's `Description` and `MaxSessionDuration`
/// out; `ListRoles` (paged, up to 1000 a page) has them. Without them every role with a
/// declared session duration would look changed, so when `ListRoles` fails the roles are
/// reported as not read rather than compared without them.
async fn role_settings(
    ctx: &Ctx,
    scope: &super::ctx::Scope,
    client: &aws_sdk_iam::Client,
    out: &mut Vec<LiveResource>,
) {
    // A failure makes only the roles incomplete, not the users, groups and policies.
    let roles_scope = super::ctx::Scope {
        kinds: vec!["iam:role"],
        region: scope.region.clone(),
    };
    let Some(roles) = ctx
        .pages(
            &roles_scope,
            "iam",
            "ListRoles",
            |m| client.list_roles().max_items(1000).set_marker(m).send(),
            |p| {
                let next = p.marker.clone().filter(|_| p.is_truncated);
                (p.roles, next)
            },
        )
        .await
    else {
        out.retain(|r| r.kind != "iam:role");
        return;
    };
    let mut settings: std::collections::HashMap<String, (Option<String>, Option<i32>)> = roles
        .into_iter()
        .map(|r| (r.role_name, (r.description, r.max_session_duration)))
        .collect();
    for r in out.iter_mut().filter(|r| r.kind == "iam:role") {
        let Some((description, duration)) = settings.remove(&r.id) else {
            continue;
        };
        if let Some(d) = description {
            r.body["Description"] = Value::String(d);
        }
        if let Some(d) = duration {
            r.body["MaxSessionDuration"] = Value::from(d);
        }
    }
}

fn entity(
    kind: &str,
    id: Option<String>,
    arn: Option<String>,
    shape: &impl Json,
) -> Option<LiveResource> {
    let mut body = shape.json()?;
    decode_documents(&mut body);
    Some(LiveResource {
        kind: kind.to_string(),
        id: id?,
        arn,
        region: GLOBAL.to_string(),
        body,
    })
}

/// The name at the end of an IAM ARN (`arn:aws:iam::1:policy/path/name` → `name`).
fn name_of(arn: &str) -> Option<String> {
    arn.rsplit('/')
        .next()
        .filter(|n| !n.is_empty() && !n.contains(':'))
        .map(str::to_string)
}

/// URL-decodes every policy document member, wherever it is nested, and names attached
/// policies that arrive with only their ARN (emulators leave `PolicyName` out).
fn decode_documents(v: &mut Value) {
    match v {
        Value::Object(m) => {
            if !m.contains_key("PolicyName") {
                if let Some(name) = m.get("PolicyArn").and_then(Value::as_str).and_then(name_of) {
                    m.insert("PolicyName".to_string(), Value::String(name));
                }
            }
            for (k, v) in m.iter_mut() {
                match v {
                    Value::String(s) if DOCUMENTS.contains(&k.as_str()) => *s = url_decode(s),
                    _ => decode_documents(v),
                }
            }
        }
        Value::Array(a) => a.iter_mut().for_each(decode_documents),
        _ => {}
    }
}

/// RFC 3986 percent-decoding (IAM encodes documents so). Malformed escapes stay as they are.
pub(crate) fn url_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = |c: u8| (c as char).to_digit(16);
        if b[i] == b'%' && i + 2 < b.len() {
            if let (Some(h), Some(l)) = (hex(b[i + 1]), hex(b[i + 2])) {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8(out).unwrap_or_else(|_| s.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_are_url_decoded_wherever_they_are() {
        assert_eq!(
            url_decode("%7B%22Version%22%3A%222012-10-17%22%7D"),
            r#"{"Version":"2012-10-17"}"#
        );
        assert_eq!(url_decode("100%"), "100%");
        assert_eq!(url_decode("%zz%4"), "%zz%4");
        let mut v = serde_json::json!({
            "RoleName": "a%20b",
            "AssumeRolePolicyDocument": "%7B%7D",
            "RolePolicyList": [{"PolicyName": "p", "PolicyDocument": "%5B%5D"}]
        });
        decode_documents(&mut v);
        assert_eq!(v["RoleName"], "a%20b");
        assert_eq!(v["AssumeRolePolicyDocument"], "{}");
        assert_eq!(v["RolePolicyList"][0]["PolicyDocument"], "[]");
        let mut attached = serde_json::json!({"AttachedManagedPolicies": [
            {"PolicyArn": "arn:aws:iam::1:policy/team/read"},
            {"PolicyArn": "arn:aws:iam::1:policy/other", "PolicyName": "kept"}
        ]});
        decode_documents(&mut attached);
        assert_eq!(attached["AttachedManagedPolicies"][0]["PolicyName"], "read");
        assert_eq!(attached["AttachedManagedPolicies"][1]["PolicyName"], "kept");
    }
}
