//! Resources of the Terraform kubernetes provider checked by the Kubernetes library: the
//! module-shaped fixture `fixtures/terraform-kubernetes` (a `kubernetes_deployment_v1` in a
//! local module with a privileged container and a hostPath volume, a
//! `kubernetes_cluster_role_binding` to cluster-admin, a `kubernetes_manifest` Pod, a pod
//! whose `privileged` is known only after apply, a `helm_release` of a local chart), scanned
//! through the binary; the findings must be the Kubernetes rule ids at the `.tf` lines that
//! set the fields. And `fixtures/terraform-kubernetes-shapes`, rendered: the objects must be
//! the API's.

use serde_json::Value;
use std::path::Path;
use std::process::{Command, Stdio};

fn scan() -> Value {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/terraform-kubernetes");
    let out = Command::new(env!("CARGO_BIN_EXE_plumbline"))
        .args([
            "scan",
            ".",
            "--worktree",
            "-f",
            "json",
            "--fail-on",
            "never",
        ])
        .current_dir(&dir)
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// (rule, file, line, field path, Terraform address) of every finding.
fn findings(v: &Value) -> Vec<(String, String, u64, String, String)> {
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["ruleId"].as_str().unwrap().to_string(),
                f["file"].as_str().unwrap().to_string(),
                f["startLine"].as_u64().unwrap(),
                f["fieldPath"].as_str().unwrap_or("").to_string(),
                f["subject"]["address"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect()
}

fn has(
    all: &[(String, String, u64, String, String)],
    rule: &str,
    file: &str,
    line: u64,
    path: &str,
    address: &str,
) {
    assert!(
        all.iter().any(|f| f.0 == rule
            && f.1 == file
            && f.2 == line
            && f.3 == path
            && f.4 == address),
        "no {rule} at {file}:{line} ({path}, {address}) among:\n{all:#?}"
    );
}

#[test]
fn kubernetes_resources_are_checked_at_their_hcl_lines() {
    let v = scan();
    let all = findings(&v);
    let module = "fixtures/terraform-kubernetes/modules/app/main.tf";
    let root = "fixtures/terraform-kubernetes/main.tf";
    let deploy = "module.app.kubernetes_deployment_v1.agent";
    // The privileged container and the hostPath volume of the Deployment in the module.
    has(
        &all,
        "PL-K8S-0003",
        module,
        29,
        "spec.template.spec.containers[0].securityContext.privileged",
        deploy,
    );
    has(
        &all,
        "PL-K8S-0005",
        module,
        38,
        "spec.template.spec.volumes[0].hostPath",
        deploy,
    );
    // The binding of a group to cluster-admin.
    has(
        &all,
        "PL-K8S-0029",
        root,
        13,
        "roleRef.name",
        "kubernetes_cluster_role_binding.ops",
    );
    // The manifest's Pod shares the host's process namespace.
    has(
        &all,
        "PL-K8S-0002",
        root,
        31,
        "spec.hostPID",
        "kubernetes_manifest.debug",
    );
    // The provider puts an object without a namespace in `default`: reported at its metadata.
    has(
        &all,
        "PL-K8S-0026",
        module,
        49,
        "metadata.namespace",
        "module.app.kubernetes_pod_v1.maybe",
    );
    // A value known only after apply never matches: neither a rule that forbids a value
    // (privileged) nor one that requires one (runAsNonRoot, the dropped capabilities).
    for rule in ["PL-K8S-0003", "PL-K8S-0014", "PL-K8S-0017"] {
        assert!(
            !all.iter()
                .any(|f| f.0 == rule && f.4.ends_with("kubernetes_pod_v1.maybe")),
            "{rule}: {all:#?}"
        );
    }
    // The same object's known fields are still checked (its seccomp profile).
    has(
        &all,
        "PL-K8S-0016",
        module,
        56,
        "spec.containers[0].securityContext.seccompProfile.type",
        "module.app.kubernetes_pod_v1.maybe",
    );
    // The namespace the module is given is the Deployment's (no default-namespace finding).
    assert!(
        !all.iter().any(|f| f.0 == "PL-K8S-0026" && f.4 == deploy),
        "{all:#?}"
    );
    // The finding in the module names the call it came through.
    let f = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["ruleId"] == "PL-K8S-0003")
        .unwrap();
    assert_eq!(
        f["subject"]["via"][0],
        "fixtures/terraform-kubernetes/main.tf:1 module.app"
    );
    assert_eq!(f["resource"]["kind"], "Deployment", "{f}");
    assert_eq!(f["resource"]["namespace"], "shop", "{f}");
    // Six resources, four of which also describe an object: ten documents, six resources.
    assert_eq!(v["summary"]["documents"], 10, "{}", v["summary"]);
    assert_eq!(v["summary"]["resources"], 6, "{}", v["summary"]);
    let notes = v["notifications"].as_array().unwrap();
    // A manifest known only after apply is not checked, and says so.
    assert!(
        notes
            .iter()
            .any(|n| n["code"] == "terraform-kubernetes-manifest-unknown"
                && n["file"] == "fixtures/terraform-kubernetes/main.tf"
                && n["position"]["line"] == 45),
        "{notes:#?}"
    );
    // A helm_release of a local chart is not rendered, and says so.
    assert!(
        notes
            .iter()
            .any(|n| n["code"] == "terraform-helm-release-not-rendered"
                && n["file"] == "fixtures/terraform-kubernetes/main.tf"
                && n["position"]["line"] == 40),
        "{notes:#?}"
    );
}

/// The objects `render` prints for `fixtures/terraform-kubernetes-shapes`, as the API has them.
const SHAPES: &str = r#"---
# Source: fixtures/terraform-kubernetes-shapes/main.tf
apiVersion: v1
kind: Service
metadata:
  name: web
  namespace: shop
spec:
  externalIPs:
  - 10.0.0.1
  ports:
  - port: 80
    targetPort: "8080"
  selector:
    app: web
  type: NodePort
---
# Source: fixtures/terraform-kubernetes-shapes/main.tf
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: web
  namespace: shop
spec:
  rules:
  - host: shop.example.com
    http:
      paths:
      - backend:
          service:
            name: web
            port:
              number: 80
        path: /
        pathType: Prefix
---
# Source: fixtures/terraform-kubernetes-shapes/main.tf
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: deny
  namespace: shop
spec:
  podSelector: {}
  policyTypes:
  - Ingress
---
# Source: fixtures/terraform-kubernetes-shapes/main.tf
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata:
  name: reader
  namespace: shop
rules:
- apiGroups:
  - ""
  resourceNames:
  - db
  resources:
  - secrets
  verbs:
  - get
  - list
---
# Source: fixtures/terraform-kubernetes-shapes/main.tf
apiVersion: batch/v1
kind: CronJob
metadata:
  name: backup
  namespace: default
spec:
  jobTemplate:
    metadata: {}
    spec:
      template:
        metadata: {}
        spec:
          containers:
          - env:
            - name: MODE
              valueFrom:
                configMapKeyRef:
                  key: mode
                  name: backup
            image: backup:1.0
            name: backup
            resources:
              limits:
                cpu: 500m
                nvidia.com/gpu: 1
            securityContext:
              capabilities:
                drop:
                - ALL
          hostIPC: true
          securityContext:
            runAsNonRoot: true
            seccompProfile:
              type: RuntimeDefault
  schedule: 0 3 * * *
---
# Source: fixtures/terraform-kubernetes-shapes/main.tf
apiVersion: v1
automountServiceAccountToken: false
kind: ServiceAccount
metadata:
  name: default
  namespace: shop
---
# Source: fixtures/terraform-kubernetes-shapes/main.tf
apiVersion: v1
kind: Namespace
metadata:
  name: billing
---
# Source: fixtures/terraform-kubernetes-shapes/main.tf
apiVersion: v1
data:
  log_level: info
kind: ConfigMap
metadata:
  name: settings
  namespace: billing
"#;

/// The provider's block schema read as the API's objects: a Service's `selector` map and
/// `external_ips`, an Ingress's `rule`/`path` lists and its backend's `port` object, an empty
/// `pod_selector`, a Role's `rule` blocks, a CronJob's job template with pod and container
/// security contexts (one written as an attribute), a `limits` map whose keys are kept, `env`
/// with `value_from`, the provider's default namespace, the `default` ServiceAccount of
/// `kubernetes_default_service_account_v1`, a namespace given by reference to a
/// `kubernetes_namespace_v1` of the module (its configured name), data keys kept, and no
/// provider-only argument.
#[test]
fn provider_blocks_become_the_api_objects() {
    let out = Command::new(env!("CARGO_BIN_EXE_plumbline"))
        .args([
            "render",
            "fixtures/terraform-kubernetes-shapes",
            "--worktree",
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let objects: String = text
        .split("---\n")
        .filter(|d| {
            d.lines()
                .nth(1)
                .is_some_and(|l| l.starts_with("apiVersion"))
        })
        .map(|d| format!("---\n{d}"))
        .collect();
    assert_eq!(objects, SHAPES);
}

/// Pod Security admission with the labels of a `kubernetes_namespace_v1`: a pod placed in it
/// by reference is checked at the namespace's enforced level, at the `.tf` line of the field.
#[test]
fn admission_reads_terraform_namespaces() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("main.tf"),
        r#"resource "kubernetes_namespace_v1" "shop" {
  metadata {
    name = "shop"
    labels = {
      "pod-security.kubernetes.io/enforce" = "baseline"
    }
  }
}

resource "kubernetes_pod_v1" "p" {
  metadata {
    name      = "p"
    namespace = kubernetes_namespace_v1.shop.metadata[0].name
  }
  spec {
    container {
      name  = "c"
      image = "nginx:1.25.3"
      security_context {
        privileged = true
      }
    }
  }
}
"#,
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_plumbline"))
        .args([
            "scan",
            ".",
            "--worktree",
            "-f",
            "json",
            "--fail-on",
            "never",
        ])
        .current_dir(dir.path())
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let admission: Vec<(u64, &str)> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["ruleId"] == "PL-K8S-0042")
        .map(|f| {
            (
                f["startLine"].as_u64().unwrap(),
                f["fieldPath"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        admission,
        [(20, "spec.containers[0].securityContext.privileged")],
        "{v}"
    );
}
