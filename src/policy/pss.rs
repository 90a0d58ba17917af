//! The Pod Security Standards as Pod Security admission applies them: levels, versions, the
//! namespace labels that choose them per mode (`pod-security.kubernetes.io/enforce` and its
//! `-version`, `audit`, `warn`), and the admission configuration's defaults and exemptions
//! (`PodSecurityConfiguration`). The PSS controls (`policies/kubernetes/pss/`) read a level
//! and a version as data (`data.plumbline_settings.pss`, see `policies/lib/pss.rego`).

use crate::load::tree::{Node, Value};
use std::collections::BTreeSet;

/// The newest minor version of Kubernetes 1.x whose standard the library implements.
pub const LATEST_MINOR: u32 = 37;

/// The packages of the PSS controls.
pub const PACKAGE_PREFIX: &str = "plumbline.kubernetes.pss.";

/// The prefix of the namespace labels Pod Security admission reads.
pub const LABEL_PREFIX: &str = "pod-security.kubernetes.io/";

/// A level of the standard; each includes the controls of the ones before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    Privileged,
    Baseline,
    Restricted,
}

impl Level {
    /// A level as labels and the admission configuration spell it.
    pub fn parse(text: &str) -> Result<Level, String> {
        match text {
            "privileged" => Ok(Level::Privileged),
            "baseline" => Ok(Level::Baseline),
            "restricted" => Ok(Level::Restricted),
            other => Err(format!(
                "{other:?} is not a Pod Security level: use privileged, baseline or restricted"
            )),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Level::Privileged => "privileged",
            Level::Baseline => "baseline",
            Level::Restricted => "restricted",
        }
    }
}

/// A version of the standard: `latest` or `v1.N`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Version {
    Minor(u32),
    Latest,
}

impl Version {
    /// `latest` or `v1.N`, as labels, the admission configuration and `--pss-version` spell it
    /// (the form Pod Security admission accepts).
    pub fn parse(text: &str) -> Result<Version, String> {
        if text == "latest" {
            return Ok(Version::Latest);
        }
        let minor = text
            .strip_prefix("v1.")
            .filter(|m| !m.is_empty() && m.bytes().all(|b| b.is_ascii_digit()))
            .filter(|m| *m == "0" || !m.starts_with('0'))
            .and_then(|m| m.parse::<u32>().ok());
        match minor {
            Some(m) => Ok(Version::Minor(m)),
            None => Err(format!(
                "{text:?} is not a Pod Security version: use latest or v1.N (for example v1.{LATEST_MINOR})"
            )),
        }
    }

    /// The minor version the controls evaluate when the API server is `server`: `latest` is
    /// the server's own version, and a version newer than the server is evaluated as the
    /// server's (as an API server treats a label newer than itself).
    pub fn minor_under(self, server: Version) -> u32 {
        let server = server.minor();
        match self {
            Version::Latest => server,
            Version::Minor(m) => m.min(server),
        }
    }

    fn minor(self) -> u32 {
        match self {
            Version::Latest => LATEST_MINOR,
            Version::Minor(m) => m.min(LATEST_MINOR),
        }
    }

    pub fn label(self) -> String {
        match self {
            Version::Latest => "latest".to_string(),
            Version::Minor(m) => format!("v1.{m}"),
        }
    }
}

/// A level at a version of the standard.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Profile {
    pub level: Level,
    pub version: Version,
}

impl Default for Profile {
    /// What a scan evaluates without `--pss-level`/`--pss-version`: the restricted level
    /// (which includes the baseline) of the latest version.
    fn default() -> Self {
        Profile {
            level: Level::Restricted,
            version: Version::Latest,
        }
    }
}

impl Profile {
    /// The data the PSS controls read (`data.plumbline_settings.pss`), with the version
    /// resolved under an API server of version `server`.
    pub fn data(self, server: Version) -> regorus::Value {
        let json = serde_json::json!({
            "plumbline_settings": {"pss": {
                "level": self.level.name(),
                "version": self.version.minor_under(server),
            }}
        });
        regorus::Value::from_json_str(&json.to_string()).expect("valid JSON")
    }

    /// `baseline v1.25`, `restricted latest`.
    pub fn describe(self) -> String {
        format!("{} {}", self.level.name(), self.version.label())
    }
}

/// The modes of Pod Security admission.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Mode {
    /// A violating pod is rejected.
    Enforce,
    /// A violation is recorded in the audit log.
    Audit,
    /// A violation is returned to the client as a warning.
    Warn,
}

impl Mode {
    pub const ALL: [Mode; 3] = [Mode::Enforce, Mode::Audit, Mode::Warn];

    pub fn name(self) -> &'static str {
        match self {
            Mode::Enforce => "enforce",
            Mode::Audit => "audit",
            Mode::Warn => "warn",
        }
    }
}

/// What admission applies in one namespace: a profile per mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NamespacePolicy {
    pub enforce: Profile,
    pub audit: Profile,
    pub warn: Profile,
}

impl Default for NamespacePolicy {
    /// Admission's defaults without a configuration: every mode privileged, latest.
    fn default() -> Self {
        let privileged = Profile {
            level: Level::Privileged,
            version: Version::Latest,
        };
        NamespacePolicy {
            enforce: privileged,
            audit: privileged,
            warn: privileged,
        }
    }
}

impl NamespacePolicy {
    pub fn get(&self, mode: Mode) -> Profile {
        match mode {
            Mode::Enforce => self.enforce,
            Mode::Audit => self.audit,
            Mode::Warn => self.warn,
        }
    }

    fn get_mut(&mut self, mode: Mode) -> &mut Profile {
        match mode {
            Mode::Enforce => &mut self.enforce,
            Mode::Audit => &mut self.audit,
            Mode::Warn => &mut self.warn,
        }
    }

    /// The policy of a namespace with `labels`, over `defaults` (the admission
    /// configuration's, else all privileged). A label whose value admission would reject
    /// makes its mode restricted at the latest version, as admission does (it fails closed);
    /// each such label is returned as a problem (the label, and `label: what is wrong`).
    pub fn from_labels<'a>(
        labels: impl IntoIterator<Item = (&'a str, &'a str)>,
        defaults: &NamespacePolicy,
    ) -> (NamespacePolicy, Vec<(String, String)>) {
        let mut policy = *defaults;
        let mut problems = Vec::new();
        let mut failed = BTreeSet::new();
        for (key, value) in labels {
            let Some(rest) = key.strip_prefix(LABEL_PREFIX) else {
                continue;
            };
            let (mode, is_version) = match rest.strip_suffix("-version") {
                Some(m) => (m, true),
                None => (rest, false),
            };
            let Some(mode) = Mode::ALL.into_iter().find(|m| m.name() == mode) else {
                continue;
            };
            let profile = policy.get_mut(mode);
            let parsed = if is_version {
                Version::parse(value).map(|v| profile.version = v)
            } else {
                Level::parse(value).map(|l| profile.level = l)
            };
            if let Err(e) = parsed {
                problems.push((key.to_string(), format!("{key}: {e}")));
                failed.insert(mode);
            }
        }
        for mode in failed {
            *policy.get_mut(mode) = Profile {
                level: Level::Restricted,
                version: Version::Latest,
            };
        }
        (policy, problems)
    }
}

/// Whether `labels` hold any label of Pod Security admission.
pub fn has_labels<'a>(mut labels: impl Iterator<Item = &'a str>) -> bool {
    labels.any(|k| k.starts_with(LABEL_PREFIX))
}

/// The admission configuration (`PodSecurityConfiguration`, alone or as the `PodSecurity`
/// plugin's configuration in an `AdmissionConfiguration`): cluster-wide defaults for
/// namespaces without labels, and exemptions.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AdmissionConfig {
    /// The file, as given (for messages).
    pub file: String,
    pub defaults: NamespacePolicy,
    pub exempt_usernames: BTreeSet<String>,
    pub exempt_runtime_classes: BTreeSet<String>,
    pub exempt_namespaces: BTreeSet<String>,
}

/// The `apiVersion`s of `PodSecurityConfiguration`.
const CONFIG_API_VERSIONS: &[&str] = &[
    "pod-security.admission.config.k8s.io/v1",
    "pod-security.admission.config.k8s.io/v1beta1",
    "pod-security.admission.config.k8s.io/v1alpha1",
];

impl AdmissionConfig {
    /// Parses the file `file` (named in errors) of text `text`. An error names the file and
    /// line and says what to write instead.
    pub fn parse(file: &str, text: &str) -> Result<AdmissionConfig, String> {
        let at = |node: &Node, message: String| format!("{file}:{}: {message}", node.start.line);
        let docs = crate::load::parse_documents(text, &crate::load::LoadOptions::default())
            .map_err(|e| match e.pos {
                Some(pos) => format!("{file}:{}: not YAML: {}", pos.line, e.message),
                None => format!("{file}: not YAML: {}", e.message),
            })?;
        let Some(root) = docs.into_iter().next() else {
            return Err(format!(
                "{file}: empty; write a PodSecurityConfiguration (apiVersion \
                 pod-security.admission.config.k8s.io/v1)"
            ));
        };
        let kind = root.get("kind").and_then(Node::as_str);
        let config =
            match kind {
                Some("PodSecurityConfiguration") => root.clone(),
                Some("AdmissionConfiguration") => {
                    let plugins = match root.get("plugins").map(|p| &p.value) {
                        Some(Value::Seq(items)) => items.clone(),
                        _ => Vec::new(),
                    };
                    let plugin = plugins
                        .iter()
                        .find(|p| p.get("name").and_then(Node::as_str) == Some("PodSecurity"))
                        .ok_or_else(|| {
                            at(
                            &root,
                            "this AdmissionConfiguration has no plugin named PodSecurity; give \
                             the file with the PodSecurity plugin's configuration"
                                .into(),
                        )
                        })?;
                    match plugin.get("configuration") {
                        Some(c) => c.clone(),
                        None => return Err(at(
                            plugin,
                            "the PodSecurity plugin has no inline configuration (a path is not \
                             followed); give that PodSecurityConfiguration file instead"
                                .into(),
                        )),
                    }
                }
                _ => return Err(at(
                    &root,
                    "not a PodSecurityConfiguration (kind must be PodSecurityConfiguration, or \
                     AdmissionConfiguration with a PodSecurity plugin)"
                        .into(),
                )),
            };
        if config.get("kind").and_then(Node::as_str) != Some("PodSecurityConfiguration") {
            return Err(at(&config, "kind must be PodSecurityConfiguration".into()));
        }
        match config.get("apiVersion") {
            Some(v) if v.as_str().is_some_and(|v| CONFIG_API_VERSIONS.contains(&v)) => {}
            other => {
                return Err(at(
                    other.unwrap_or(&config),
                    format!(
                        "apiVersion must be one of {}",
                        CONFIG_API_VERSIONS.join(", ")
                    ),
                ))
            }
        }
        let mut out = AdmissionConfig {
            file: file.to_string(),
            ..AdmissionConfig::default()
        };
        if let Some(defaults) = config.get("defaults") {
            for mode in Mode::ALL {
                let profile = out.defaults.get_mut(mode);
                if let Some(node) = defaults.get(mode.name()) {
                    let text = node.as_str().ok_or_else(|| {
                        at(node, format!("defaults.{} must be a string", mode.name()))
                    })?;
                    profile.level = Level::parse(text)
                        .map_err(|e| at(node, format!("defaults.{}: {e}", mode.name())))?;
                }
                let key = format!("{}-version", mode.name());
                if let Some(node) = defaults.get(&key) {
                    let text = node
                        .as_str()
                        .ok_or_else(|| at(node, format!("defaults.{key} must be a string")))?;
                    profile.version = Version::parse(text)
                        .map_err(|e| at(node, format!("defaults.{key}: {e}")))?;
                }
            }
        }
        if let Some(exemptions) = config.get("exemptions") {
            for (key, set) in [
                ("usernames", &mut out.exempt_usernames),
                ("runtimeClasses", &mut out.exempt_runtime_classes),
                ("namespaces", &mut out.exempt_namespaces),
            ] {
                let Some(node) = exemptions.get(key) else {
                    continue;
                };
                let items = match &node.value {
                    Value::Seq(items) => items,
                    Value::Null => continue,
                    _ => {
                        return Err(at(
                            node,
                            format!("exemptions.{key} must be a list of names"),
                        ))
                    }
                };
                for item in items {
                    let name = item.as_str().ok_or_else(|| {
                        at(item, format!("exemptions.{key} must be a list of names"))
                    })?;
                    set.insert(name.to_string());
                }
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_parse_as_admission_accepts_them() {
        assert_eq!(Version::parse("latest"), Ok(Version::Latest));
        assert_eq!(Version::parse("v1.25"), Ok(Version::Minor(25)));
        assert_eq!(Version::parse("v1.0"), Ok(Version::Minor(0)));
        for bad in ["1.25", "v1.", "v2.3", "v1.025", "v1.x", "", "Latest"] {
            assert!(Version::parse(bad).is_err(), "{bad}");
        }
        // latest is the server's version; a newer label is evaluated as the server's.
        assert_eq!(Version::Latest.minor_under(Version::Minor(30)), 30);
        assert_eq!(Version::Minor(33).minor_under(Version::Minor(30)), 30);
        assert_eq!(Version::Minor(25).minor_under(Version::Latest), 25);
        assert_eq!(
            Version::Minor(99).minor_under(Version::Latest),
            LATEST_MINOR
        );
    }

    #[test]
    fn labels_choose_each_mode_over_the_defaults() {
        let labels = [
            ("pod-security.kubernetes.io/enforce", "baseline"),
            ("pod-security.kubernetes.io/enforce-version", "v1.25"),
            ("pod-security.kubernetes.io/warn", "restricted"),
            ("app", "x"),
        ];
        let (p, problems) = NamespacePolicy::from_labels(labels, &NamespacePolicy::default());
        assert!(problems.is_empty());
        assert_eq!(p.enforce.level, Level::Baseline);
        assert_eq!(p.enforce.version, Version::Minor(25));
        assert_eq!(p.warn.level, Level::Restricted);
        assert_eq!(p.warn.version, Version::Latest);
        assert_eq!(p.audit.level, Level::Privileged);
    }

    #[test]
    fn an_invalid_label_fails_closed() {
        let labels = [
            ("pod-security.kubernetes.io/enforce", "strict"),
            ("pod-security.kubernetes.io/audit-version", "1.25"),
        ];
        let (p, problems) = NamespacePolicy::from_labels(labels, &NamespacePolicy::default());
        assert_eq!(problems.len(), 2, "{problems:?}");
        assert_eq!(problems[0].0, "pod-security.kubernetes.io/enforce");
        assert!(problems[0]
            .1
            .contains("\"strict\" is not a Pod Security level"));
        assert_eq!(p.enforce, Profile::default());
        assert_eq!(p.audit, Profile::default());
        assert_eq!(p.warn.level, Level::Privileged);
    }

    #[test]
    fn the_admission_configuration_alone_or_as_a_plugin() {
        let alone = "apiVersion: pod-security.admission.config.k8s.io/v1\nkind: PodSecurityConfiguration\ndefaults:\n  enforce: baseline\n  enforce-version: v1.28\n  warn: restricted\nexemptions:\n  usernames: [system:serviceaccount:kube-system:job-controller]\n  runtimeClasses: [kata]\n  namespaces: [kube-system]\n";
        let c = AdmissionConfig::parse("psa.yaml", alone).unwrap();
        assert_eq!(c.defaults.enforce.level, Level::Baseline);
        assert_eq!(c.defaults.enforce.version, Version::Minor(28));
        assert_eq!(c.defaults.warn.level, Level::Restricted);
        assert_eq!(c.defaults.audit.level, Level::Privileged);
        assert!(c.exempt_namespaces.contains("kube-system"));
        assert!(c.exempt_runtime_classes.contains("kata"));
        assert_eq!(c.exempt_usernames.len(), 1);
        let plugin = format!(
            "apiVersion: apiserver.config.k8s.io/v1\nkind: AdmissionConfiguration\nplugins:\n- name: PodSecurity\n  configuration:\n{}",
            alone.lines().map(|l| format!("    {l}\n")).collect::<String>()
        );
        assert_eq!(
            AdmissionConfig::parse("psa.yaml", &plugin)
                .unwrap()
                .defaults,
            c.defaults
        );
    }

    #[test]
    fn a_bad_admission_configuration_names_file_and_line() {
        let bad = "apiVersion: pod-security.admission.config.k8s.io/v1\nkind: PodSecurityConfiguration\ndefaults:\n  enforce: strict\n";
        let e = AdmissionConfig::parse("psa.yaml", bad).unwrap_err();
        assert!(e.starts_with("psa.yaml:4: defaults.enforce:"), "{e}");
        let e = AdmissionConfig::parse("psa.yaml", "kind: Pod\n").unwrap_err();
        assert!(
            e.starts_with("psa.yaml:1: not a PodSecurityConfiguration"),
            "{e}"
        );
        let e = AdmissionConfig::parse(
            "psa.yaml",
            "apiVersion: pod-security.admission.config.k8s.io/v1\nkind: PodSecurityConfiguration\nexemptions:\n  namespaces: kube-system\n",
        )
        .unwrap_err();
        assert!(e.starts_with("psa.yaml:4: exemptions.namespaces"), "{e}");
    }
}
