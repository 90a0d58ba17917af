# Test helper: builds a Dockerfile document in the shape of README "Input models for
# policies → Dockerfiles" from one string per instruction, so that the rule tests read like
# Dockerfiles. Also tests the shared helpers in policies/lib/dockerfile.rego.
package plumbline.dockerfile.input_test

import rego.v1

import data.plumbline.lib.dockerfile as df

shell_form := {"run", "cmd", "entrypoint", "shell"}

# doc(["FROM golang:1.22 AS build", "RUN go build"]) → the loader's document.
doc(lines) := {
	"source": "dockerfile",
	"type": "Dockerfile",
	"address": "Dockerfile",
	"stages": [stage(ins) | some ins in instructions(lines); ins.cmd == "from"],
	"instructions": instructions(lines),
}

instructions(lines) := [instruction(lines, i) | some i, _ in lines]

instruction(lines, i) := {
	"cmd": cmd,
	"value": value(cmd, rest_args),
	"flags": flags,
	"original": lines[i],
	"stage": count([l | some j, l in lines; j <= i; first_word(l) == "from"]) - 1,
	"line": i + 1,
	"json": startswith(rest_args, "["),
} if {
	line := trim_space(lines[i])
	cmd := first_word(line)
	rest := trim_space(substring(line, count(cmd), -1))
	flags := [w | some w in leading_flags(rest)]
	rest_args := trim_space(substring(rest, count(concat(" ", flags)), -1))
}

first_word(line) := lower(regex.split(`\s+`, trim_space(line))[0])

# Flags (--x=y) at the start of the arguments.
leading_flags(rest) := [w | some i, w in ws; i < n] if {
	ws := regex.split(`\s+`, rest)
	not_flag := {i | some i, w in ws; not startswith(w, "--")}
	n := min(not_flag | {count(ws)})
}

value(cmd, rest) := json.unmarshal(rest) if {
	cmd in shell_form
	startswith(rest, "[")
} else := [rest] if {
	cmd in shell_form
} else := env_items(rest) if {
	cmd in {"env", "arg", "label"}
} else := [w | some w in regex.split(`\s+`, rest); w != ""]

# ENV K=V K2=V2, or the legacy ENV K V form.
env_items(rest) := [w | some w in regex.split(`\s+`, rest); w != ""] if contains(regex.split(`\s+`, rest)[0], "=")

else := [concat("=", [k, trim_space(substring(rest, count(k), -1))])] if {
	k := regex.split(`\s+`, rest)[0]
	count(regex.split(`\s+`, rest)) > 1
} else := [rest]

stage(ins) := {"name": name, "base": ins.value[0]} if {
	count(ins.value) >= 3
	name := ins.value[2]
} else := {"name": "", "base": ins.value[0]}

# --- the helper itself ------------------------------------------------------------------

test_doc_shape if {
	d := doc(["FROM --platform=linux/amd64 golang:1.22 AS build", "RUN go build ./...", "FROM scratch", "ENV A=1 B=2", "ENV LEGACY some value", `CMD ["/app", "-v"]`])
	d.instructions[0].flags == ["--platform=linux/amd64"]
	d.instructions[0].value == ["golang:1.22", "AS", "build"]
	d.instructions[1].value == ["go build ./..."]
	d.instructions[2].stage == 1
	d.instructions[3].value == ["A=1", "B=2"]
	d.instructions[4].value == ["LEGACY=some value"]
	d.instructions[5].value == ["/app", "-v"]
	d.instructions[5].json == true
	d.stages[0].name == "build"
}

# --- policies/lib/dockerfile.rego ----------------------------------------------------------

test_final_stage_and_from_index if {
	d := doc(["FROM a:1 AS build", "RUN make", "FROM b:2", "COPY --from=build /x /x"])
	df.final_stage == 1 with input as d
	df.from_index(1) == 2 with input as d
	{e.index | some e in df.final} == {2, 3} with input as d
	df.stage_names == {"build"} with input as d
}

test_commands_split_on_operators if {
	df.commands("apt-get update && apt-get install -y curl; echo done | tee x || true") == [
		"apt-get update", "apt-get install -y curl", "echo done", "tee x", "true",
	]
	df.words("  a   b\tc ") == ["a", "b", "c"]
}

test_program_skips_prefixes if {
	df.program(["sudo", "-E", "DEBIAN_FRONTEND=noninteractive", "apt-get", "install"]) == "apt-get"
	df.program(["apk", "add"]) == "apk"
	not df.program(["sudo"])
}

test_pairs if {
	df.pairs({"value": ["A=1", "B=x=y", "C", `D="q"`]}) == [
		{"key": "A", "value": "1", "has_value": true},
		{"key": "B", "value": "x=y", "has_value": true},
		{"key": "C", "value": "", "has_value": false},
		{"key": "D", "value": "q", "has_value": true},
	]
}

test_malformed_documents_give_nothing if {
	every d in ["x", null, {"instructions": "x"}, {"instructions": [null, 1, {"cmd": 3}]}] {
		count(df.instructions) == 0 with input as d
		count(df.run_commands) == 0 with input as d
	}
}
