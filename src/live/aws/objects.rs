//! [`fetch_objects`]: Terraform states kept in S3 (`--tfstate s3://bucket/key`, globs allowed).

use super::ctx::{Ctx, Fault};
use super::read::{block_on, check_credentials, endpoint_overridden, sdk_config};
use super::{s3, AwsOptions};
use std::sync::Arc;

/// Characters that make an S3 key a glob.
const GLOB: &[char] = &['*', '?', '[', '{'];

/// The objects `url` names, as `(s3://bucket/key, bytes)` sorted by URL.
///
/// `url` is `s3://bucket/key`, or a glob in the key (`*` and `?` within one path segment,
/// `**` across segments): the keys under the prefix before the first glob character are
/// listed (ListObjectsV2) and each match is fetched (GetObject). Blocking, like [`super::read`].
pub fn fetch_objects(opts: &AwsOptions, url: &str) -> Result<Vec<(String, Vec<u8>)>, String> {
    let (bucket, key) = parse_url(url)?;
    block_on(fetch(opts.clone(), url.to_string(), bucket, key))?
}

/// `s3://bucket/key` → (bucket, key).
fn parse_url(url: &str) -> Result<(String, String), String> {
    let rest = url.strip_prefix("s3://").ok_or_else(|| {
        format!("`{url}` is not an S3 URL: write it as s3://bucket/key (globs allowed in the key)")
    })?;
    match rest.split_once('/') {
        Some((b, k)) if !b.is_empty() && !k.is_empty() => Ok((b.to_string(), k.to_string())),
        _ => Err(format!(
            "`{url}` names no object: write it as s3://bucket/key (globs allowed in the key)"
        )),
    }
}

async fn fetch(
    opts: AwsOptions,
    url: String,
    bucket: String,
    key: String,
) -> Result<Vec<(String, Vec<u8>)>, String> {
    let sdk = sdk_config(&opts).await;
    check_credentials(&sdk).await?;
    let region = opts
        .regions
        .first()
        .cloned()
        .or_else(|| sdk.region().map(|r| r.to_string()))
        .unwrap_or_else(|| "us-east-1".to_string());
    let path_style = endpoint_overridden(&opts, &sdk);
    let mut ctx = Ctx::new(sdk, opts, path_style);
    ctx.home_region = region.clone();
    let ctx = Arc::new(ctx);
    let mut client = s3::client(&ctx, &region);
    let why = |f: Fault, what: &str| format!("{url}: {what} failed: {}", f.message);
    let keys = match key.find(GLOB) {
        None => vec![key.clone()],
        Some(at) => {
            let matcher = globset::GlobBuilder::new(&key)
                .literal_separator(true)
                .build()
                .map_err(|e| format!("{url}: the key is not a valid glob: {e}"))?
                .compile_matcher();
            let prefix = &key[..at];
            let listed = match list(&ctx, &client, &bucket, prefix).await {
                Err(f) if f.is(&["PermanentRedirect", "AuthorizationHeaderMalformed"]) => {
                    // The bucket lives in another region: ask where, then list there.
                    client = s3::client(&ctx, &bucket_region(&ctx, &client, &bucket).await?);
                    list(&ctx, &client, &bucket, prefix).await
                }
                r => r,
            }
            .map_err(|f| why(f, "listing the objects (s3:ListBucket)"))?;
            let keys: Vec<String> = listed.into_iter().filter(|k| matcher.is_match(k)).collect();
            if keys.is_empty() {
                return Err(format!("{url}: no object matches the glob"));
            }
            keys
        }
    };
    let mut set = tokio::task::JoinSet::new();
    for k in keys {
        let (ctx, client, bucket) = (ctx.clone(), client.clone(), bucket.clone());
        set.spawn(async move {
            let got = get(&ctx, &client, &bucket, &k).await;
            (k, got)
        });
    }
    let mut out = Vec::new();
    while let Some(r) = set.join_next().await {
        let (k, got) = r.map_err(|_| format!("{url}: a download stopped unexpectedly"))?;
        let object = format!("s3://{bucket}/{k}");
        let bytes = got.map_err(|f| {
            if f.is(&["NoSuchKey"]) {
                format!("{object}: no such object; check the bucket and key")
            } else if f.is(&["NoSuchBucket"]) {
                format!("{object}: no such bucket; check the bucket name")
            } else {
                format!("{object}: s3:GetObject failed: {}", f.message)
            }
        })?;
        out.push((object, bytes));
    }
    out.sort();
    Ok(out)
}

async fn list(
    ctx: &Ctx,
    client: &aws_sdk_s3::Client,
    bucket: &str,
    prefix: &str,
) -> Result<Vec<String>, Fault> {
    let mut keys = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let page = ctx
            .call(
                "s3",
                "ListObjectsV2",
                client
                    .list_objects_v2()
                    .bucket(bucket)
                    .prefix(prefix)
                    .max_keys(1000)
                    .set_continuation_token(token.clone())
                    .send(),
            )
            .await?;
        keys.extend(
            page.contents
                .unwrap_or_default()
                .into_iter()
                .filter_map(|o| o.key),
        );
        match page.next_continuation_token {
            Some(t) if page.is_truncated == Some(true) && Some(&t) != token.as_ref() => {
                token = Some(t)
            }
            _ => return Ok(keys),
        }
    }
}

async fn bucket_region(
    ctx: &Ctx,
    client: &aws_sdk_s3::Client,
    bucket: &str,
) -> Result<String, String> {
    let l = ctx
        .call(
            "s3",
            "GetBucketLocation",
            client.get_bucket_location().bucket(bucket).send(),
        )
        .await
        .map_err(|f| format!("s3://{bucket}: finding its region failed: {}", f.message))?;
    Ok(s3::location_region(l.location_constraint()))
}

async fn get(
    ctx: &Ctx,
    client: &aws_sdk_s3::Client,
    bucket: &str,
    key: &str,
) -> Result<Vec<u8>, Fault> {
    let out = ctx
        .call(
            "s3",
            "GetObject",
            client.get_object().bucket(bucket).key(key).send(),
        )
        .await?;
    let bytes = out.body.collect().await.map_err(|e| Fault {
        kind: super::ctx::FaultKind::Failed,
        code: None,
        unparsed: None,
        message: format!("reading the object failed: {e}"),
    })?;
    Ok(bytes.into_bytes().to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_name_a_bucket_and_a_key() {
        assert_eq!(
            parse_url("s3://b/env/prod/terraform.tfstate").unwrap(),
            ("b".to_string(), "env/prod/terraform.tfstate".to_string())
        );
        assert!(parse_url("s3://b/")
            .unwrap_err()
            .contains("s3://bucket/key"));
        assert!(parse_url("s3://b").is_err());
        assert!(parse_url("b/k").unwrap_err().contains("not an S3 URL"));
    }
}
