#!/usr/bin/env python3
"""Validate a SARIF log two ways, failing on any error:

1. the OASIS SARIF 2.1.0 JSON schema (errata01, draft-04) from ../shared/corpus/sarif;
2. Microsoft's SARIF Multitool, rule kinds "Sarif;Ghas", with GitHub's validation policy
   (made offline: SARIF2006 would otherwise try to reach every URI in the log).

usage: validate_sarif.py LOG.sarif MULTITOOL_BINARY CORPUS_SARIF_DIR
"""
import json
import pathlib
import subprocess
import sys
import tempfile

import jsonschema


def main() -> int:
    log_path, multitool, corpus = map(pathlib.Path, sys.argv[1:4])
    log = json.loads(log_path.read_text())
    schema_path = corpus / "oasis-tcs-sarif-spec/sarif-2.1/schema/sarif-schema-2.1.0.json"
    schema = json.loads(schema_path.read_text())
    errors = sorted(jsonschema.Draft4Validator(schema).iter_errors(log), key=str)
    for e in errors:
        print(f"schema error at {'/'.join(map(str, e.absolute_path))}: {e.message}")
    print(f"JSON schema (draft-04, errata01): {len(errors)} error(s)")

    config = (corpus / "microsoft-sarif-sdk/policies/github.config.xml").read_text(
        encoding="utf-8-sig"
    )
    offline = (
        "<Properties Key='SARIF2006.UrisShouldBeReachable.Options'>"
        "<Property Key='RuleEnabled' Value='Disabled' /></Properties>\n</Properties>"
    )
    config = config[: config.rstrip().rfind("</Properties>")] + offline
    with tempfile.TemporaryDirectory() as tmp:
        cfg = pathlib.Path(tmp, "github-offline.config.xml")
        cfg.write_text(config, encoding="utf-8")
        out = pathlib.Path(tmp, "validation.sarif")
        subprocess.run(
            [str(multitool), "validate", str(log_path), "--config", str(cfg),
             "--rule-kind", "Sarif;Ghas", "--level", "Error;Warning",
             "--output", str(out), "--log", "ForceOverwrite"],
            check=True, stdout=subprocess.DEVNULL,
        )
        report = json.loads(out.read_text(encoding="utf-8-sig"))
    results = [r for run in report.get("runs", []) for r in run.get("results", [])]
    failing = [r for r in results if r.get("level", "warning") == "error"]
    for r in results:
        print(f"multitool {r.get('level', 'warning')}: {r.get('ruleId')}: "
              f"{r.get('message', {}).get('text', r.get('message'))}")
    print(f"SARIF Multitool (Sarif;Ghas): {len(failing)} error(s), "
          f"{len(results) - len(failing)} warning(s)")
    return 1 if errors or failing else 0


if __name__ == "__main__":
    sys.exit(main())
