#!/usr/bin/env bash
# Runs Plumbline with the Action's inputs, and says what its exit code means.
#
#   run.sh           run `plumbline ARGS…`; write the step outputs exit-code, sarif-file and
#                    category; exit with plumbline's code
#   run.sh verdict   exit with EXIT_CODE (the run's), explaining it; fail when it is empty
#                    (plumbline did not run)
#
# Environment:
#   INPUT_ARGS            arguments, split like a shell does (quotes, backslashes), never
#                         expanded (no variables, globs or commands); default
#                         `scan . --format sarif --output plumbline.sarif`
#   INPUT_FAIL_ON         adds `--fail-on VALUE` (scan, merge)
#   INPUT_SARIF_CATEGORY  adds `--category VALUE` (scan, merge); also the upload's category
#   INPUT_BASE            adds `--base VALUE` (scan); empty: PULL_REQUEST_BASE_SHA when set
#                         (pull-request events), unless ARGS already compare with something or
#                         read live state; `none`: never
#   INPUT_UPLOAD_SARIF    `true` or `false` (checked here; the upload is the Action's step)
#   PULL_REQUEST_BASE_SHA the pull request's base commit (empty on other events)
#   PLUMBLINE             the program to run (default: `plumbline` on PATH)
#   GITHUB_OUTPUT         set by GitHub Actions; without it, outputs go to stdout
set -uo pipefail

DEFAULT_ARGS='scan . --format sarif --output plumbline.sarif'

annotate() { # LEVEL MESSAGE: an annotation in GitHub Actions, a plain line elsewhere
  if [ -n "${GITHUB_ACTIONS:-}" ]; then
    echo "::$1 title=plumbline::$2" >&2
  else
    echo "plumbline action: $1: $2" >&2
  fi
}

die() {
  annotate error "$*"
  exit 2
}

output() {
  case $2 in
    *$'\n'* | *$'\r'*) die "the $1 output would span lines: ${2@Q}" ;;
  esac
  if [ -n "${GITHUB_OUTPUT:-}" ]; then
    printf '%s=%s\n' "$1" "$2" >>"$GITHUB_OUTPUT"
  else
    printf '%s=%s\n' "$1" "$2"
  fi
}

explain() { # CODE: what plumbline's exit code means
  case $1 in
    0) echo "plumbline: no finding at or above the fail-on severity" >&2 ;;
    1) annotate error "plumbline found problems at or above the fail-on severity (exit 1); see the report" ;;
    2) annotate error "plumbline: usage or configuration error (exit 2); see its message above" ;;
    3) annotate error "plumbline: the scan is incomplete (exit 3): some file or policy could not be processed; see the notifications" ;;
    *) annotate error "plumbline ended with exit code $1" ;;
  esac
}

if [ "${1:-}" = verdict ]; then
  code=${EXIT_CODE:-}
  case $code in
    '' | *[!0-9]*)
      annotate error "plumbline did not run (no exit code): see the steps above"
      exit 1
      ;;
  esac
  [ "$code" -eq 0 ] || explain "$code"
  exit "$code"
fi
[ $# -eq 0 ] || die "unknown argument '$1' (expected nothing or 'verdict')"

case ${INPUT_UPLOAD_SARIF:-true} in
  true | false) ;;
  *) die "upload-sarif must be 'true' or 'false', not '${INPUT_UPLOAD_SARIF}'" ;;
esac

# Split the arguments like a shell, without expanding anything: xargs handles quotes and
# backslashes and runs no shell.
raw=${INPUT_ARGS-$DEFAULT_ARGS}
if [ -z "${raw//[[:space:]]/}" ]; then
  die "args is empty: give the plumbline command, e.g. '$DEFAULT_ARGS'"
fi
args=()
split_out=$(mktemp)
trap 'rm -f "$split_out"' EXIT
if ! printf '%s\n' "$raw" | xargs printf '%s\0' >"$split_out" 2>"$split_out.err"; then
  msg=$(cat "$split_out.err")
  rm -f "$split_out.err"
  die "cannot split args ($msg): $raw"
fi
rm -f "$split_out.err"
while IFS= read -r -d '' word; do
  args+=("$word")
done <"$split_out"
[ "${#args[@]}" -gt 0 ] || die "args is empty"

subcommand=${args[0]}

# The value of an option in args (`--opt V`, `--opt=V`, and `-xV`/`-x V` for a short form),
# and whether it is there at all.
option_value() { # LONG [SHORT]
  local long=$1 short=${2:-} i=0 n=${#args[@]} w
  while [ "$i" -lt "$n" ]; do
    w=${args[$i]}
    case $w in
      --) return 1 ;;
      "$long") [ $((i + 1)) -lt "$n" ] && printf '%s' "${args[$((i + 1))]}"; return 0 ;;
      "$long"=*) printf '%s' "${w#"$long"=}"; return 0 ;;
    esac
    if [ -n "$short" ]; then
      case $w in
        "$short") [ $((i + 1)) -lt "$n" ] && printf '%s' "${args[$((i + 1))]}"; return 0 ;;
        "$short"*) printf '%s' "${w#"$short"}" | sed 's/^=//'; return 0 ;;
      esac
    fi
    i=$((i + 1))
  done
  return 1
}
has_option() { option_value "$@" >/dev/null; }

# An input that adds an option: never together with the same option in args (plumbline
# would refuse it, less clearly), and only for subcommands that take it.
add_option() { # INPUT-NAME VALUE LONG SUBCOMMANDS…
  local input=$1 value=$2 long=$3
  shift 3
  [ -n "$value" ] || return 0
  case " $* " in
    *" $subcommand "*) ;;
    *) die "input $input adds $long, which 'plumbline $subcommand' does not take (only: $*)" ;;
  esac
  if has_option "$long"; then
    die "input $input and $long in args both set it: give one"
  fi
  args+=("$long" "$value")
}

add_option fail-on "${INPUT_FAIL_ON:-}" --fail-on scan merge
add_option sarif-category "${INPUT_SARIF_CATEGORY:-}" --category scan merge

# The merge-request gate: an explicit base, or the pull request's base commit.
base=${INPUT_BASE:-}
if [ "$base" = none ]; then
  base=
elif [ -n "$base" ]; then
  add_option base "$base" --base scan
elif [ -n "${PULL_REQUEST_BASE_SHA:-}" ] && [ "$subcommand" = scan ]; then
  # Not when args already compare with something, or read live state (not with --base).
  skip=
  for opt in --base --baseline --cluster --live-snapshot --tfstate; do
    if has_option "$opt"; then skip=$opt; fi
  done
  if [ -z "$skip" ]; then
    base=$PULL_REQUEST_BASE_SHA
    args+=(--base "$base")
    echo "plumbline: pull request: reporting only what it introduces (--base $base)" >&2
  fi
fi
if [ -n "$base" ] && [ "$(git rev-parse --is-shallow-repository 2>/dev/null)" = true ]; then
  annotate warning "--base needs the merge base in the clone, and this clone is shallow: use actions/checkout with fetch-depth: 0"
fi

# The SARIF report the upload step sends: --output, when the format is SARIF (given, or
# inferred from the extension; `merge` writes SARIF unless told otherwise).
sarif_file=
if out=$(option_value --output -o) && [ -n "$out" ]; then
  if format=$(option_value --format -f); then
    [ "$format" = sarif ] && sarif_file=$out
  else
    case $subcommand:$out in
      *:*.sarif) sarif_file=$out ;;
      merge:*.json | merge:*.md | merge:*.html) ;;
      merge:*) sarif_file=$out ;;
    esac
  fi
fi
category=$(option_value --category || true)

program=${PLUMBLINE:-plumbline}
printf 'plumbline:' >&2
printf ' %q' "${args[@]}" >&2
printf '\n' >&2
"$program" "${args[@]}"
code=$?

output exit-code "$code"
output category "$category"
if [ -n "$sarif_file" ] && [ -f "$sarif_file" ]; then
  output sarif-file "$sarif_file"
elif [ -n "$sarif_file" ] && [ "${INPUT_UPLOAD_SARIF:-true}" = true ]; then
  annotate warning "$sarif_file was not written: nothing to upload"
fi
explain "$code"
exit "$code"
