# Shared helpers for the plumbline Dockerfile policies.
#
# `input` is one Dockerfile in the shape of README "Input models for policies → Dockerfiles":
# `stages` (one per FROM) and `instructions` in file order, each with `cmd` (lower case),
# `value` (arguments; the shell form of RUN/CMD/ENTRYPOINT/SHELL as one string; ENV/LABEL/ARG
# as "K=V" items), `flags`, `original`, `stage` (index of its stage), `line` and `json`.
# Every helper is total: on a malformed input it is undefined or empty, never an error.
package plumbline.lib.dockerfile

import rego.v1

# Every instruction object with its index: {"index": i, "ins": <instruction>}.
instructions contains {"index": i, "ins": ins} if {
	some i, ins in as_array(input.instructions)
	is_object(ins)
	is_string(ins.cmd)
}

# Instructions of one command (lower case), e.g. of("run").
of(cmd) := {e | some e in instructions; lower(e.ins.cmd) == cmd}

# The index of the last stage: the one that becomes the image.
final_stage := max({s | some e in instructions; s := e.ins.stage; is_number(s)})

# Instructions of the final stage.
final := {e | some e in instructions; e.ins.stage == final_stage}

# The index of the FROM instruction that starts stage `s`.
from_index(s) := min({e.index | some e in of("from"); e.ins.stage == s})

# The path of an instruction, for results.
path(e) := ["instructions", e.index]

# Arguments of an instruction as a list of strings.
args(ins) := [x | some x in as_array(ins.value); is_string(x)]

# The shell text of a RUN (shell form: the one string; exec form: the items joined).
script(ins) := concat(" ", args(ins))

# The commands of a shell script: split on &&, ||, ;, | and newlines, trimmed, non-empty.
commands(text) := [c |
	some part in regex.split(`&&|\|\||;|\||\n`, text)
	c := trim_space(part)
	c != ""
]

# The words of one command (split on white space).
words(command) := [w | some w in regex.split(`\s+`, trim_space(command)); w != ""]

# The commands of every RUN instruction: {"index": i, "ins": ..., "command": "...", "words": [...]}.
run_commands contains {"index": e.index, "ins": e.ins, "command": c, "words": words(c)} if {
	some e in of("run")
	some c in commands(script(e.ins))
}

# The program a command runs, past `sudo`, `env`, option and `VAR=value` prefixes.
program(ws) := ws[i] if {
	idx := {k | some k, w in ws; not prefix_word(w)}
	count(idx) > 0
	i := min(idx)
}

prefix_word(w) if w in {"sudo", "env", "exec", "nohup", "time"}

prefix_word(w) if regex.match(`^[A-Za-z_][A-Za-z0-9_]*=`, w)

prefix_word(w) if startswith(w, "-")

# Lower-case names of the stages (FROM … AS name), in order.
stage_names contains lower(name) if {
	some e in of("from")
	a := args(e.ins)
	count(a) >= 3
	upper(a[1]) == "AS"
	name := a[2]
}

stage_names contains lower(s.name) if {
	some s in as_array(input.stages)
	is_string(s.name)
	s.name != ""
}

# ENV, ARG and LABEL items as {"key": K, "value": V, "has_value": bool}.
pairs(ins) := [p |
	some item in args(ins)
	p := pair(item)
]

pair(item) := {"key": k, "value": v, "has_value": true} if {
	contains(item, "=")
	parts := split(item, "=")
	k := parts[0]
	v := trim(concat("=", array.slice(parts, 1, count(parts))), `"'`)
} else := {"key": item, "value": "", "has_value": false}

as_array(x) := x if is_array(x)

else := []
