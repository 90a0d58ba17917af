# Shared helpers for the plumbline Kubernetes policies.
#
# `input` is one Kubernetes object exactly as written in the manifest. The
# helpers below locate the pod spec and pod metadata inside every kind that
# carries a pod template, and enumerate containers and volumes together with
# the path of each one from the object root. Every helper is total: on a
# malformed or unrelated input it is simply undefined (or empty), it never
# raises an error.
#
# Paths are arrays of object keys (strings) and array indexes (numbers), e.g.
# ["spec", "template", "spec", "containers", 0, "securityContext"].
package plumbline.lib.kubernetes

import rego.v1

# Kinds whose pod template lives at spec.template.
template_kinds := {
	"Deployment",
	"StatefulSet",
	"DaemonSet",
	"ReplicaSet",
	"ReplicationController",
	"Job",
}

# Every kind that carries a pod spec.
pod_spec_kinds := template_kinds | {"Pod", "PodTemplate", "CronJob"}

is_pod_spec_kind if input.kind in pod_spec_kinds

# Path from the object root to the pod's parent object (the one holding
# `metadata` and `spec`).
pod_root_path := [] if input.kind == "Pod"

pod_root_path := ["template"] if input.kind == "PodTemplate"

pod_root_path := ["spec", "jobTemplate", "spec", "template"] if input.kind == "CronJob"

pod_root_path := ["spec", "template"] if input.kind in template_kinds

# Path from the object root to the pod spec.
pod_spec_path := array.concat(pod_root_path, ["spec"])

# Path from the object root to the pod metadata.
pod_meta_path := array.concat(pod_root_path, ["metadata"])

# The pod spec object; undefined when absent or not an object.
pod_spec := spec if {
	spec := get(input, pod_spec_path)
	is_object(spec)
}

# The pod metadata object; undefined when absent or not an object.
pod_meta := meta if {
	meta := get(input, pod_meta_path)
	is_object(meta)
}

# The pod's annotations object ({} when absent or malformed).
pod_annotations := annotations if {
	annotations := pod_meta.annotations
	is_object(annotations)
} else := {}

# The pod-level securityContext ({} when absent or malformed); undefined when
# the input carries no pod spec.
pod_security_context := object_or_empty(object.get(pod_spec, "securityContext", null))

pod_security_context_path := array.concat(pod_spec_path, ["securityContext"])

# True when the pod declares that it runs on Windows (spec.os.name).
is_windows_pod if pod_spec.os.name == "windows"

# Container list fields of a pod spec, and how to name them in messages.
container_fields := ["containers", "initContainers", "ephemeralContainers"]

container_labels := {
	"containers": "Container",
	"initContainers": "Init container",
	"ephemeralContainers": "Ephemeral container",
}

# Every container of the pod, init and ephemeral containers included:
#   {"container": <object>, "path": [..., <field>, <index>], "kind": <field>}
containers contains entry if {
	spec := pod_spec
	some field in container_fields
	some i, c in as_array(spec[field])
	is_object(c)
	entry := {
		"container": c,
		"path": array.concat(pod_spec_path, [field, i]),
		"kind": field,
	}
}

# Every volume of the pod: {"volume": <object>, "path": [..., "volumes", <index>]}
volumes contains entry if {
	some i, v in as_array(pod_spec.volumes)
	is_object(v)
	entry := {
		"volume": v,
		"path": array.concat(pod_spec_path, ["volumes", i]),
	}
}

# The container's name, or a placeholder when it has none.
container_name(c) := c.name if is_string(c.name)

else := "<unnamed>"

# Volume name, or a placeholder.
volume_name(v) := v.name if is_string(v.name)

else := "<unnamed>"

# Human-readable designation of a `containers` entry, e.g. `Init container "setup"`,
# or `Container #2 (unnamed)` when the container has no name.
describe_container(entry) := sprintf("%s %q", [container_labels[entry.kind], entry.container.name]) if {
	is_string(entry.container.name)
} else := sprintf("%s #%v (unnamed)", [container_labels[entry.kind], _last(entry.path)])

# Human-readable designation of a `volumes` entry, e.g. `Volume "data"`.
describe_volume(entry) := sprintf("Volume %q", [entry.volume.name]) if {
	is_string(entry.volume.name)
} else := sprintf("Volume #%v (unnamed)", [_last(entry.path)])

_last(path) := path[count(path) - 1]

# A container's securityContext ({} when absent or malformed).
security_context(c) := object_or_empty(object.get(c, "securityContext", null)) if is_object(c)

else := {}

# Path of a `containers` entry's securityContext, optionally extended.
security_context_path(entry) := array.concat(entry.path, ["securityContext"])

container_field_path(entry, rest) := array.concat(security_context_path(entry), rest)

# Value at `path` (array of keys/indexes) inside `obj`; undefined when a step
# is missing, when the value is null, or when `obj` is not an object.
get(obj, path) := value if {
	is_object(obj)
	is_array(path)
	value := object.get(obj, path, null)
	value != null
}

# True when the value at `path` inside `obj` is present and not null.
has(obj, path) if {
	is_object(obj)
	is_array(path)
	object.get(obj, path, null) != null
}

# `x` when it is an array, [] otherwise (for safe iteration).
as_array(x) := x if is_array(x)

else := []

# `x` when it is an object, {} otherwise (for safe iteration).
object_or_empty(x) := x if is_object(x)

else := {}

# Render a value for a message: strings quoted, everything else as JSON-ish.
format_value(v) := sprintf("%q", [v]) if is_string(v)

else := sprintf("%v", [v])

# The finding every `deny` rule emits.
result(msg, path) := {"msg": msg, "path": path}

# The path from an object's root to the metadata of its pods, for any object
# (not only `input`); undefined for a kind that carries no pod template.
pod_meta_path_of(obj) := ["metadata"] if obj.kind == "Pod"

pod_meta_path_of(obj) := ["template", "metadata"] if obj.kind == "PodTemplate"

pod_meta_path_of(obj) := ["spec", "jobTemplate", "spec", "template", "metadata"] if obj.kind == "CronJob"

pod_meta_path_of(obj) := ["spec", "template", "metadata"] if obj.kind in template_kinds

# The labels an object's pods carry ({} when none are written); undefined for a
# kind that makes no pods.
pod_labels_of(obj) := object_or_empty(object.get(obj, array.concat(pod_meta_path_of(obj), ["labels"]), {}))

# Whether a label selector (`matchLabels` and `matchExpressions`, as in a
# NetworkPolicy's `podSelector`) selects pods with `labels`. The empty
# selector selects every pod; a null or absent one is treated as empty.
selector_matches(selector, labels) if {
	sel := object_or_empty(selector)
	every k, v in object_or_empty(object.get(sel, "matchLabels", {})) {
		labels[k] == v
	}
	every e in as_array(object.get(sel, "matchExpressions", [])) {
		expression_matches(e, labels)
	}
}

expression_matches(e, labels) if {
	e.operator == "In"
	labels[e.key] in as_array(e.values)
}

expression_matches(e, labels) if {
	e.operator == "NotIn"
	not _label_in(labels, e.key, as_array(e.values))
}

expression_matches(e, labels) if {
	e.operator == "Exists"
	_ = labels[e.key]
}

expression_matches(e, labels) if {
	e.operator == "DoesNotExist"
	not _has_label(labels, e.key)
}

_label_in(labels, key, values) if labels[key] in values

_has_label(labels, key) if _ = labels[key]
