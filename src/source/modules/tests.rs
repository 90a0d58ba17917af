use super::*;

fn registry(
    host: Option<&str>,
    ns: &str,
    name: &str,
    provider: &str,
    sub: Option<&str>,
) -> SourceAddr {
    SourceAddr::Registry {
        host: host.map(str::to_string),
        namespace: ns.into(),
        name: name.into(),
        provider: provider.into(),
        subdir: sub.map(str::to_string),
    }
}

#[test]
fn sources_are_read_as_terraform_reads_them() {
    assert_eq!(
        SourceAddr::parse("terraform-aws-modules/vpc/aws"),
        registry(None, "terraform-aws-modules", "vpc", "aws", None)
    );
    assert_eq!(
        SourceAddr::parse("app.terraform.io/acme/vpc/aws//modules/endpoints"),
        registry(
            Some("app.terraform.io"),
            "acme",
            "vpc",
            "aws",
            Some("modules/endpoints")
        )
    );
    assert_eq!(
        SourceAddr::parse("127.0.0.1:8080/acme/vpc/aws"),
        registry(Some("127.0.0.1:8080"), "acme", "vpc", "aws", None)
    );
    // GitHub shorthand is Git, never a registry host; extra parts are a subdirectory.
    assert_eq!(
        SourceAddr::parse("github.com/org/repo/modules/x?ref=v1"),
        SourceAddr::Git {
            url: "https://github.com/org/repo.git?ref=v1".into(),
            subdir: Some("modules/x".into())
        }
    );
    assert_eq!(
        SourceAddr::parse("git::https://example.com/vpc.git//modules/vpc?ref=v1.2.0"),
        SourceAddr::Git {
            url: "https://example.com/vpc.git?ref=v1.2.0".into(),
            subdir: Some("modules/vpc".into())
        }
    );
    assert_eq!(
        SourceAddr::parse("git@github.com:org/repo.git"),
        SourceAddr::Git {
            url: "ssh://git@github.com/org/repo.git".into(),
            subdir: None
        }
    );
    assert_eq!(
        SourceAddr::parse("https://example.com/m.tgz//sub"),
        SourceAddr::Http {
            url: "https://example.com/m.tgz".into(),
            subdir: Some("sub".into())
        }
    );
    assert_eq!(SourceAddr::parse("./x"), SourceAddr::Local("./x".into()));
    assert!(matches!(
        SourceAddr::parse("s3::https://s3.amazonaws.com/b/m.zip"),
        SourceAddr::Other { .. }
    ));
    // A provider name holds only lowercase letters and digits: not a registry address.
    assert!(!matches!(
        SourceAddr::parse("acme/vpc/AWS"),
        SourceAddr::Registry { .. }
    ));
    assert_eq!(
        SourceAddr::parse("hashicorp/consul/aws").normalized(),
        "registry.terraform.io/hashicorp/consul/aws"
    );
}

#[test]
fn messages_show_no_credentials_or_tokens() {
    let shown = display_source("git::https://user:s3cret@example.com/r.git?ref=v1&token=abc");
    assert!(!shown.contains("s3cret") && !shown.contains("abc") && !shown.contains("user"));
    assert!(shown.contains("ref=v1"), "{shown}");
    let shown = display_source("https://example.com/m.tgz?X-Amz-Signature=zzz");
    assert!(!shown.contains("zzz"), "{shown}");
}

#[test]
fn github_locations_map_to_repository_and_ref() {
    assert_eq!(
        github_repo("https://github.com/terraform-aws-modules/terraform-aws-vpc?ref=abc123"),
        Some((
            "terraform-aws-modules".into(),
            "terraform-aws-vpc".into(),
            Some("abc123".into())
        ))
    );
    assert_eq!(github_repo("https://gitlab.com/a/b.git"), None);
    assert_eq!(github_repo("ssh://git@github.com/a/b.git"), None);
    let (u, sub) = split_url_subdir(&Url::parse("https://h/a/m.tgz//x/y?archive=tgz").unwrap());
    assert_eq!(u.as_str(), "https://h/a/m.tgz?archive=tgz");
    assert_eq!(sub.as_deref(), Some("x/y"));
    assert_eq!(
        token_var_suffix("my-registry.example.com"),
        "my__registry_example_com"
    );
}

#[test]
fn git_locations_from_a_registry_keep_their_form() {
    let base = Url::parse("https://registry.example.com/v1/modules/o/n/p/1.0.0/download").unwrap();
    let loc = resolve_location(&base, "git::https://github.com/o/r//modules/x?ref=v1").unwrap();
    let text = loc.as_str().strip_prefix("git::").unwrap();
    let (url, sub) = split_subdir(text);
    assert_eq!(url, "https://github.com/o/r?ref=v1");
    assert_eq!(sub.as_deref(), Some("modules/x"));
    assert_eq!(
        github_repo(&url),
        Some(("o".into(), "r".into(), Some("v1".into())))
    );
    let rel = resolve_location(&base, "../../archive.tgz").unwrap();
    assert_eq!(
        rel.as_str(),
        "https://registry.example.com/v1/modules/o/n/archive.tgz"
    );
}

#[test]
fn loopback_hosts_with_and_without_ports() {
    for h in [
        "127.0.0.1",
        "127.0.0.1:8080",
        "localhost:1",
        "[::1]",
        "[::1]:443",
        "::1",
    ] {
        assert!(is_loopback_host(h), "{h}");
    }
    for h in ["example.com", "10.0.0.1:80", "[2001:db8::1]"] {
        assert!(!is_loopback_host(h), "{h}");
    }
}

#[test]
fn a_run_downloads_within_its_budget() {
    let dir = tempfile::tempdir().unwrap();
    let mut opts = FetchOptions::new(dir.path().to_path_buf(), Duration::from_secs(5));
    opts.max_downloads = 2;
    let f = Fetcher::new(opts.clone());
    let first = f.start_download().unwrap();
    assert!(first <= Instant::now() + Duration::from_secs(5));
    f.start_download().unwrap();
    let e = f.start_download().unwrap_err();
    assert!(
        !e.unsupported && e.message.contains("already downloaded 2 modules"),
        "{e}"
    );

    opts.max_downloads = 10;
    opts.max_total_bytes = 100;
    let f = Fetcher::new(opts.clone());
    f.start_download().unwrap();
    f.count_bytes(100);
    assert!(f
        .start_download()
        .unwrap_err()
        .message
        .contains("100 bytes"));

    opts.max_total_bytes = 1 << 30;
    opts.total_timeout = Duration::ZERO;
    let f = Fetcher::new(opts);
    assert!(f
        .start_download()
        .unwrap_err()
        .message
        .contains("took 0 seconds"));
}
