# The version and level of the Pod Security Standards the PSS controls
# (policies/kubernetes/pss/) evaluate.
#
# Pod Security admission keeps one check per control with per-version
# behaviour: a namespace labelled `pod-security.kubernetes.io/enforce-version:
# v1.25` is held to the standard as the v1.25 API server defined it. The
# controls here do the same: each one asks `at_least(minor)` where the
# standard changed, so evaluating `baseline` at `v1.25` gives exactly what
# that version enforces.
#
# The version and level come as data (`data.plumbline_settings.pss`), set by
# the scan from `--pss-version`/`--pss-level`, `.plumbline.yaml` or a
# namespace's labels, and by tests with
# `with data.plumbline_settings.pss as {"version": 25, "level": "baseline"}`:
#   version: the minor version of Kubernetes 1.x (an integer); absent: latest
#   level:   "privileged", "baseline" or "restricted"; absent: "restricted"
#            (the restricted level includes every baseline control)
package plumbline.lib.pss

import rego.v1

import data.plumbline.lib.kubernetes as k8s

# The newest version of the standard this library implements (Kubernetes v1.37).
latest := 37

_settings := s if {
	s := data.plumbline_settings.pss
	is_object(s)
} else := {}

# The minor version evaluated: a version newer than the library knows is
# evaluated as the latest one (as an API server treats a label newer than
# itself).
version := v if {
	v := _settings.version
	is_number(v)
	v >= 0
	v <= latest
} else := latest if {
	is_number(_settings.version)
	_settings.version > latest
} else := latest

level := l if {
	l := _settings.level
	l in {"privileged", "baseline", "restricted"}
} else := "restricted"

# Whether the controls of the baseline level are evaluated (they are part of
# the restricted level too).
baseline if level in {"baseline", "restricted"}

# Whether the controls of the restricted level are evaluated.
restricted if level == "restricted"

# Whether the standard of the evaluated version includes the behaviour that
# version 1.`minor` introduced.
at_least(minor) if version >= minor

# Whether the pod runs in its own user namespace (spec.hostUsers: false),
# for which the standard relaxes some controls since v1.35.
user_namespace_pod(spec) if spec.hostUsers == false

# Since v1.25 the restricted controls that only make sense on Linux
# (allowPrivilegeEscalation, capabilities, seccomp) leave Windows pods
# (spec.os.name: windows) alone.
windows_exempt if {
	at_least(25)
	k8s.is_windows_pod
}

# At the restricted level, Pod Security admission replaces the baseline
# capabilities and seccomp controls by their restricted counterparts (its check
# overrides), and since v1.25 those leave Windows pods alone: at the restricted
# level such a pod is then checked by neither, while the baseline level still
# checks it.
linux_controls_overridden if {
	restricted
	windows_exempt
}

# What a baseline finding says when the restricted level is evaluated as well
# and its restricted counterpart would flag the same field: the field is
# reported once, at the lowest level it violates.
also_restricted := "; this also fails the restricted level" if restricted

else := ""

# Whether `path` is among the paths of `findings` (to leave out a restricted
# finding whose field a baseline control already reports).
reported(findings, path) if {
	some f in findings
	f.path == path
}
