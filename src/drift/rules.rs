//! TEMPORARY: replaced by the feat/drift engine at merge.
//!
//! Drift rules as data: which paths are sensitive, which are ignored. This stand-in knows
//! only Secret `data`/`stringData` (and the Secret's last-applied annotation, which repeats
//! them) and a flat `ignore` list of `{kind, path}` entries.

use crate::model::{render_path, PathSeg};

const LAST_APPLIED: &str = "kubectl.kubernetes.io/last-applied-configuration";

/// One `ignore` entry: a kind (or any) and a rendered path prefix.
#[derive(Debug, Clone)]
struct Ignore {
    kind: Option<String>,
    path: String,
}

#[derive(Debug, Clone, Default)]
pub struct Rules {
    ignores: Vec<Ignore>,
}

impl Rules {
    pub fn builtin() -> Rules {
        Rules::default()
    }

    /// `yaml` is the `drift:` section of the configuration file (`ignore: [{kind, path}]`).
    pub fn with_user_yaml(mut self, yaml: &str, origin: &str) -> Result<Rules, String> {
        let v: serde_json::Value = serde_saphyr::from_str(yaml)
            .map_err(|e| format!("{origin}: drift rules are not valid YAML: {e}"))?;
        let Some(list) = v.get("ignore") else {
            return Ok(self);
        };
        let list = list
            .as_array()
            .ok_or_else(|| format!("{origin}: drift.ignore must be a list"))?;
        for item in list {
            let path = item
                .get("path")
                .and_then(|p| p.as_str())
                .ok_or_else(|| format!("{origin}: each drift.ignore entry needs a path"))?;
            self.ignores.push(Ignore {
                kind: item
                    .get("kind")
                    .and_then(|k| k.as_str())
                    .map(str::to_string),
                path: path.to_string(),
            });
        }
        Ok(self)
    }

    pub fn is_sensitive(&self, _api_version: &str, kind: &str, path: &[PathSeg]) -> bool {
        if kind != "Secret" {
            return false;
        }
        match path {
            [PathSeg::Key(k), ..] if k == "data" || k == "stringData" => true,
            [PathSeg::Key(m), PathSeg::Key(a), PathSeg::Key(l), ..] => {
                m == "metadata" && a == "annotations" && l == LAST_APPLIED
            }
            _ => false,
        }
    }

    /// Whether a difference at `path` is ignored (stand-in helper, not part of the API).
    pub(crate) fn is_ignored(&self, kind: &str, path: &[PathSeg]) -> bool {
        let rendered = render_path(path);
        self.ignores.iter().any(|i| {
            i.kind.as_deref().is_none_or(|k| k == kind)
                && (rendered == i.path || rendered.starts_with(&format!("{}.", i.path)))
        })
    }
}
