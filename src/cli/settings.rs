//! The configuration file's settings under the command line: the flags given on the command
//! line win, the file's typed settings ([`config::ScanSettings`]) fill the others.

use crate::cli::ScanArgs;
use crate::config::{self, Config, ConfigError};
use clap::parser::ValueSource;
use clap::ArgMatches;

/// Fills `args` from `config` wherever the flag was not given on the command line.
pub fn apply(
    config: &Config,
    matches: &ArgMatches,
    args: &mut ScanArgs,
) -> Result<(), ConfigError> {
    let given = |id: &str| matches.value_source(id) == Some(ValueSource::CommandLine);
    let s: config::ScanSettings = config.scan_settings(given)?;
    macro_rules! take {
        ($($field:ident => $($target:ident).+),* $(,)?) => {
            $(if let Some(v) = s.$field {
                args.$($target).+ = v;
            })*
        };
    }
    take!(
        rev => source.rev,
        worktree => source.worktree,
        include => source.include,
        exclude => source.exclude,
        policy => policies.policy,
        no_builtin => policies.no_builtin,
        rego_v0 => policies.rego_v0,
        policy_timeout => policy_timeout,
        max_file_size => max_file_size,
        var_files => var_files,
        helm_values => helm_values,
        helm_set => helm_set,
        helm_charts => helm_charts,
        fail_on => fail_on,
        category => category,
        color => color,
        timings => timings,
        download_modules => modules.download_modules,
        module_timeout => modules.module_timeout,
        show_preexisting => show_preexisting,
        quiet => quiet,
        unmanaged => unmanaged,
        unmanaged_namespace => unmanaged_namespace,
        clusters => cluster.clusters,
        tfstates => aws.tfstates,
        aws_regions => aws.aws_regions,
        aws_max_calls => aws.aws_max_calls,
        aws_unmanaged => aws.aws_unmanaged,
        aws_unmanaged_type => aws.aws_unmanaged_type,
    );
    macro_rules! take_some {
        ($($field:ident => $($target:ident).+),* $(,)?) => {
            $(if let Some(v) = s.$field {
                args.$($target).+ = Some(v);
            })*
        };
    }
    take_some!(
        format => format,
        output => output,
        waivers => waivers,
        module_cache => modules.module_cache,
        base => base,
        baseline => baseline,
        link_base => link_base,
        shard => shard,
        live_snapshot => live_snapshot,
        unmanaged_selector => unmanaged_selector,
        kubeconfig => cluster.kubeconfig,
        default_namespace => cluster.default_namespace,
        aws_profile => aws.aws_profile,
        aws_endpoint_url => aws.aws_endpoint_url,
        aws_unmanaged_tag => aws.aws_unmanaged_tag,
        pss_version => pss_version,
        pss_level => pss_level,
        pss_admission_config => pss_admission_config,
    );
    // The file's variables come first, so a `--var` on the command line wins.
    let mut vars = s.vars;
    vars.append(&mut args.vars);
    args.vars = vars;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::{Cli, Command};
    use crate::config::{load, Config, ConfigError, Trust, FILE_NAME};
    use std::path::Path;

    /// The configuration file of a scan, as the command line finds it.
    fn for_scan(args: &ScanArgs) -> Result<Option<Config>, ConfigError> {
        crate::config::for_scan(&args.path, args.config.as_deref(), args.no_config)
    }
    use crate::findings::FailOn;
    use crate::model::Severity;
    use clap::{CommandFactory, FromArgMatches};

    fn scan_args(argv: &[&str]) -> (ScanArgs, ArgMatches) {
        let matches = Cli::command()
            .try_get_matches_from(argv)
            .expect("valid arguments");
        let cli = Cli::from_arg_matches(&matches).unwrap();
        let Command::Scan(args) = cli.command else {
            panic!("not scan")
        };
        let sub = matches.subcommand_matches("scan").unwrap().clone();
        (*args, sub)
    }

    fn config(text: &str) -> Result<Config, ConfigError> {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join(FILE_NAME);
        std::fs::write(&p, text).unwrap();
        load(&p)
    }

    #[test]
    fn every_key_has_a_flag() {
        let (_, m) = scan_args(&["plumbline", "scan"]);
        for id in [
            "rev",
            "worktree",
            "include",
            "exclude",
            "policy",
            "no_builtin",
            "rego_v0",
            "policy_timeout",
            "max_file_size",
            "var_files",
            "helm_values",
            "helm_set",
            "download_modules",
            "module_cache",
            "module_timeout",
            "pss_version",
            "pss_level",
            "pss_admission_config",
            "vars",
            "format",
            "output",
            "fail_on",
            "category",
            "color",
            "timings",
            "waivers",
            "base",
            "show_preexisting",
            "baseline",
            "link_base",
            "shard",
            "quiet",
            "live_snapshot",
            "unmanaged",
            "unmanaged_namespace",
            "unmanaged_selector",
            "clusters",
            "kubeconfig",
            "default_namespace",
            "tfstates",
            "aws_profile",
            "aws_regions",
            "aws_endpoint_url",
            "aws_max_calls",
            "aws_unmanaged",
            "aws_unmanaged_type",
            "aws_unmanaged_tag",
        ] {
            assert!(
                m.try_contains_id(id).is_ok(),
                "config key mapped to unknown flag id {id}"
            );
        }
    }

    #[test]
    fn the_command_line_wins() {
        let c =
            config("fail_on: never\ncategory: k8s\nmax_file_size: 1K\nbuiltin: false\n").unwrap();
        let tf =
            config("var_files: [env/prod.tfvars]\nvars:\n  region: eu-west-1\n  replicas: 3\n")
                .unwrap();
        let (mut tf_args, tf_m) = scan_args(&["plumbline", "scan", "--var", "region=us-east-1"]);
        apply(&tf, &tf_m, &mut tf_args).unwrap();
        assert!(
            tf_args.var_files[0].ends_with("env/prod.tfvars"),
            "{:?}",
            tf_args.var_files
        );
        assert_eq!(
            tf_args.vars,
            [
                ("region".to_string(), "eu-west-1".to_string()),
                ("replicas".to_string(), "3".to_string()),
                ("region".to_string(), "us-east-1".to_string()),
            ],
            "the file's variables first, the command line's last (it wins)"
        );
        let (mut args, m) = scan_args(&["plumbline", "scan", "--fail-on", "low"]);
        apply(&c, &m, &mut args).unwrap();
        assert_eq!(args.fail_on, FailOn::Severity(Severity::Low));
        assert_eq!(args.category, "k8s");
        assert_eq!(args.max_file_size, 1024);
        assert!(args.policies.no_builtin);
    }

    #[test]
    fn bad_values_name_their_line() {
        let c = config("category: x\nfail_on: sometimes\n").unwrap();
        let (mut args, m) = scan_args(&["plumbline", "scan"]);
        let e = apply(&c, &m, &mut args).unwrap_err();
        assert_eq!(e.line, Some(2), "{e}");
        assert!(e.message.starts_with("fail_on:"), "{e}");
        let e = config("severity:\n  PL-1: SEVERE\n").unwrap_err();
        assert_eq!(e.line, Some(2), "{e}");
        let e = config("category: x\nfail-on: high\n").unwrap_err();
        assert_eq!(e.line, Some(2), "{e}");
        assert!(e.message.contains("fail_on"), "lists the valid keys: {e}");
        let e = config("rules:\n  disabled: [X]\n").unwrap_err();
        assert_eq!(e.line, Some(2), "{e}");
    }

    #[test]
    fn shard_and_quiet_keys() {
        let c = config("shard: 2/4\nquiet: true\n").unwrap();
        let (mut args, m) = scan_args(&["plumbline", "scan"]);
        apply(&c, &m, &mut args).unwrap();
        assert_eq!(args.shard.map(|s| s.to_string()).as_deref(), Some("2/4"));
        assert!(args.quiet);
        // The command line wins.
        let (mut args, m) = scan_args(&["plumbline", "scan", "--shard", "1/4"]);
        apply(&c, &m, &mut args).unwrap();
        assert_eq!(args.shard.map(|s| s.to_string()).as_deref(), Some("1/4"));
        // A bad shard names its line.
        let c = config("category: x\nshard: 5/4\n").unwrap();
        let (mut args, m) = scan_args(&["plumbline", "scan"]);
        let e = apply(&c, &m, &mut args).unwrap_err();
        assert_eq!(e.line, Some(2), "{e}");
        assert!(e.message.starts_with("shard:"), "{e}");
    }

    #[test]
    fn drift_keys() {
        let c = config(
            "live_snapshot: snaps/prod.json\nunmanaged: true\nunmanaged_namespace: [shop]\n\
             unmanaged_selector: team=web\ndefault_namespace: shop\ndrift:\n  ignore:\n  - \
             {kind: Deployment, path: spec.replicas}\n",
        )
        .unwrap();
        let (mut args, m) = scan_args(&["plumbline", "scan"]);
        apply(&c, &m, &mut args).unwrap();
        let snap = args.live_snapshot.unwrap();
        assert!(snap.is_absolute() && snap.ends_with("snaps/prod.json"));
        assert!(args.unmanaged);
        assert_eq!(args.unmanaged_namespace, ["shop"]);
        assert_eq!(args.unmanaged_selector.as_deref(), Some("team=web"));
        assert_eq!(args.cluster.default_namespace.as_deref(), Some("shop"));
        let (text, origin) = c.drift_rules().unwrap();
        let back: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(back["ignore"][0]["path"], "spec.replicas");
        assert!(
            origin.ends_with(".plumbline.yaml:7"),
            "where the section starts: {origin}"
        );
        let (mut args, m) = scan_args(&["plumbline", "scan", "--default-namespace", "cli"]);
        apply(&c, &m, &mut args).unwrap();
        assert_eq!(
            args.cluster.default_namespace.as_deref(),
            Some("cli"),
            "the command line wins"
        );
        let c = config("category: x\nunmanaged_selector: team\n").unwrap();
        let (mut args, m) = scan_args(&["plumbline", "scan"]);
        let e = apply(&c, &m, &mut args).unwrap_err();
        assert_eq!(e.line, Some(2), "{e}");
    }

    #[test]
    fn gate_keys_apply_and_yield_to_the_command_line() {
        let c = config(
            "base: origin/main\nshow_preexisting: true\nlink_base: https://example.test/b\n",
        )
        .unwrap();
        let (mut args, m) = scan_args(&["plumbline", "scan"]);
        apply(&c, &m, &mut args).unwrap();
        assert_eq!(args.base.as_deref(), Some("origin/main"));
        assert!(args.show_preexisting);
        assert_eq!(args.link_base.as_deref(), Some("https://example.test/b"));

        // --baseline on the command line silences the file's base (they exclude each other).
        let (mut args, m) = scan_args(&["plumbline", "scan", "--baseline", "old.json"]);
        let c = config("base: origin/main\n").unwrap();
        apply(&c, &m, &mut args).unwrap();
        assert_eq!(args.base, None);
        assert_eq!(args.baseline.as_deref(), Some(Path::new("old.json")));

        // The file may not give both.
        let c = config("base: main\nbaseline: old.sarif\n").unwrap();
        let (mut args, m) = scan_args(&["plumbline", "scan"]);
        let e = apply(&c, &m, &mut args).unwrap_err();
        assert_eq!(e.line, Some(1), "{e}");
        // A baseline from the file is relative to the file.
        let c = config("baseline: reports/old.sarif\n").unwrap();
        let (mut args, m) = scan_args(&["plumbline", "scan"]);
        apply(&c, &m, &mut args).unwrap();
        let b = args.baseline.unwrap();
        assert!(
            b.ends_with("reports/old.sarif") && b.is_absolute(),
            "{}",
            b.display()
        );
    }

    /// A repository's `.plumbline.yaml`, found as a scan finds it.
    fn repository_config(text: &str) -> (tempfile::TempDir, Result<Option<Config>, ConfigError>) {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(FILE_NAME), text).unwrap();
        let path = dir.path().to_str().unwrap();
        let (args, _) = scan_args(&["plumbline", "scan", path]);
        let c = for_scan(&args);
        (dir, c)
    }

    #[test]
    fn a_repository_may_not_set_operator_keys() {
        let (_d, c) = repository_config(
            "include: ['k8s/**']\nclusters: [prod]\nkubeconfig: kc.yaml\noutput: ../../x\n",
        );
        let c = c.unwrap().unwrap();
        assert!(matches!(c.trust, Trust::Repository { .. }));
        let (mut args, m) = scan_args(&["plumbline", "scan"]);
        let e = apply(&c, &m, &mut args).unwrap_err();
        assert_eq!(e.line, Some(2), "{e}");
        for key in [
            "clusters (line 2, --cluster)",
            "kubeconfig (line 3, --kubeconfig)",
            "output (line 4, --output)",
        ] {
            assert!(e.message.contains(key), "{key} named: {e}");
        }
        assert!(args.cluster.clusters.is_empty() && args.output.is_none());
        // The same keys from an operator's file (--config) apply.
        let op = config("clusters: [prod]\noutput: out.sarif\n").unwrap();
        let (mut args, m) = scan_args(&["plumbline", "scan"]);
        apply(&op, &m, &mut args).unwrap();
        assert_eq!(args.cluster.clusters, ["prod"]);
    }

    #[test]
    fn module_downloads_come_from_an_operator_file() {
        let op =
            config("download_modules: true\nmodule_cache: cache\nmodule_timeout: 5\n").unwrap();
        let (mut args, m) = scan_args(&["plumbline", "scan"]);
        apply(&op, &m, &mut args).unwrap();
        assert!(args.modules.download_modules);
        assert!(args.modules.module_cache.unwrap().ends_with("cache"));
        assert_eq!(args.modules.module_timeout, 5.0);
    }

    #[test]
    fn pod_security_keys_apply_under_the_flags() {
        let op =
            config("pss_version: v1.25\npss_level: baseline\npss_admission_config: psa.yaml\n")
                .unwrap();
        let (mut args, m) = scan_args(&["plumbline", "scan"]);
        apply(&op, &m, &mut args).unwrap();
        assert_eq!(
            args.pss_version,
            Some(crate::policy::pss::Version::Minor(25))
        );
        assert_eq!(args.pss_level, Some(crate::policy::pss::Level::Baseline));
        assert!(args.pss_admission_config.unwrap().ends_with("psa.yaml"));
        // The flag wins.
        let (mut args, m) = scan_args(&["plumbline", "scan", "--pss-version", "latest"]);
        apply(&op, &m, &mut args).unwrap();
        assert_eq!(args.pss_version, Some(crate::policy::pss::Version::Latest));
        // A bad value names the key and its line.
        for (text, want) in [
            (
                "rev: x\npss_version: 1.25\n",
                ":2: pss_version: \"1.25\" is not a Pod Security version",
            ),
            (
                "pss_level: privileged\n",
                ":1: pss_level: privileged checks nothing",
            ),
        ] {
            let bad = config(text).unwrap();
            let (mut args, m) = scan_args(&["plumbline", "scan"]);
            let e = apply(&bad, &m, &mut args).unwrap_err();
            assert!(e.to_string().contains(want), "{e}");
        }
    }

    #[test]
    fn every_operator_key_is_refused_from_a_repository() {
        for (key, value) in [
            ("rev", "HEAD~1"),
            ("base", "HEAD"),
            ("baseline", "old.json"),
            ("policy_timeout", "100000"),
            ("max_file_size", "10G"),
            ("live_snapshot", "s.json"),
            ("tfstate", "[s3://b/k]"),
            ("aws_endpoint_url", "http://127.0.0.1:1"),
            ("aws_profile", "admin"),
            ("quiet", "true"),
            ("shard", "1/2"),
            ("download_modules", "true"),
            ("module_cache", "/tmp/m"),
            ("module_timeout", "3600"),
            ("pss_admission_config", "psa.yaml"),
        ] {
            let (_d, c) = repository_config(&format!("{key}: {value}\n"));
            let c = c.unwrap().unwrap();
            let (mut args, m) = scan_args(&["plumbline", "scan"]);
            let e = apply(&c, &m, &mut args).unwrap_err();
            assert!(e.message.starts_with(&format!("{key} (line 1, --")), "{e}");
        }
    }

    #[test]
    fn repository_paths_stay_inside_the_repository() {
        for (key, value) in [
            ("policy", "[/proc/self/environ]"),
            ("policy", "[../outside]"),
            ("var_files", "[/dev/zero]"),
            ("var_files", "[a/../../x.tfvars]"),
            ("waivers", "/etc/passwd"),
        ] {
            let (_d, c) = repository_config(&format!("{key}: {value}\n"));
            let c = c.unwrap().unwrap();
            let (mut args, m) = scan_args(&["plumbline", "scan"]);
            let e = apply(&c, &m, &mut args).unwrap_err();
            assert!(
                e.message.contains("outside the scanned repository"),
                "{key}: {e}"
            );
            assert_eq!(e.line, Some(1));
        }
        // Inside is fine.
        let (d, c) = repository_config("policy: [policies]\nvar_files: [env/prod.tfvars]\n");
        std::fs::create_dir(d.path().join("policies")).unwrap();
        let c = c.unwrap().unwrap();
        let (mut args, m) = scan_args(&["plumbline", "scan"]);
        apply(&c, &m, &mut args).unwrap();
        assert!(args.policies.policy[0].ends_with("policies"));
    }

    #[cfg(unix)]
    #[test]
    fn a_link_leading_out_of_the_repository_is_not_followed() {
        let dir = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("policies")).unwrap();
        std::os::unix::fs::symlink(outside.path(), dir.path().join("policies/ext")).unwrap();
        std::fs::write(dir.path().join(FILE_NAME), "policy: [policies/ext]\n").unwrap();
        let (args0, _) = scan_args(&["plumbline", "scan", dir.path().to_str().unwrap()]);
        let c = for_scan(&args0).unwrap().unwrap();
        let (mut args, m) = scan_args(&["plumbline", "scan"]);
        let e = apply(&c, &m, &mut args).unwrap_err();
        assert!(e.message.contains("outside the scanned repository"), "{e}");
        // A directory inside whose links lead out.
        std::fs::write(dir.path().join(FILE_NAME), "policy: [policies]\n").unwrap();
        let c = for_scan(&args0).unwrap().unwrap();
        let (mut args, m) = scan_args(&["plumbline", "scan"]);
        let e = apply(&c, &m, &mut args).unwrap_err();
        assert!(e.message.contains("holds a symbolic link"), "{e}");

        // The configuration file itself: a link out of the tree, and a dangling link.
        let other = outside.path().join("c.yaml");
        std::fs::write(&other, "include: [x]\n").unwrap();
        std::fs::remove_file(dir.path().join(FILE_NAME)).unwrap();
        std::os::unix::fs::symlink(&other, dir.path().join(FILE_NAME)).unwrap();
        let e = for_scan(&args0).unwrap_err();
        assert!(e.message.contains("outside the scanned repository"), "{e}");
        std::fs::remove_file(dir.path().join(FILE_NAME)).unwrap();
        std::os::unix::fs::symlink(dir.path().join("nowhere"), dir.path().join(FILE_NAME)).unwrap();
        let e = for_scan(&args0).unwrap_err();
        assert!(e.message.contains("dangling"), "{e}");
    }
}
