#!/usr/bin/env bash
# Installs a released Plumbline binary, verified against the release's SHA256SUMS.
#
#   install.sh resolve   find the version (`latest` → a number), the target and the cache
#                        directory; write them as step outputs (version, target, dir)
#   install.sh           download (or reuse) the archive, verify its checksum, extract the
#                        binary into DIR/bin and put that directory on PATH
#
# Environment (all optional):
#   PLUMBLINE_VERSION      `latest` (default), `0.2.0` or `v0.2.0`
#   PLUMBLINE_DOWNLOAD_URL releases of the project (default: the GitHub releases of
#                          plumbline-dev/plumbline); a release's files are at
#                          URL/download/vVERSION/FILE, the newest release's at
#                          URL/latest/download/FILE
#   PLUMBLINE_TARGET       Rust target triple of the archive (default: from uname:
#                          x86_64 or aarch64, -unknown-linux-musl or -apple-darwin)
#   PLUMBLINE_INSTALL_DIR  where the archive is kept and the binary extracted (default:
#                          $RUNNER_TOOL_CACHE/plumbline/VERSION/TARGET, else under
#                          ~/.cache); the Action caches this directory
#   GITHUB_OUTPUT, GITHUB_PATH  set by GitHub Actions; without them, outputs go to stdout
#                          and the PATH entry is only printed
#
# A release holds plumbline-VERSION-TARGET.tar.gz (with `plumbline` at its root) and
# SHA256SUMS (`sha256sum` lines for every archive). A cached archive is verified again on
# every run; one that no longer matches is downloaded again, a download that does not match
# is an error.
set -euo pipefail

REPOSITORY=plumbline-dev/plumbline
RELEASES_URL=${PLUMBLINE_DOWNLOAD_URL:-https://github.com/$REPOSITORY/releases}
RELEASES_URL=${RELEASES_URL%/}

die() {
  # An error annotation in GitHub Actions, a plain line elsewhere.
  if [ -n "${GITHUB_ACTIONS:-}" ]; then
    echo "::error title=plumbline install::$*" >&2
  else
    echo "plumbline install: error: $*" >&2
  fi
  exit 1
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

command -v curl >/dev/null || die "curl is needed to download Plumbline"

# curl for the release files: fail on HTTP errors, retry transient ones, and never follow a
# redirect from HTTPS to anything else.
fetch() {
  local url=$1 dest=$2
  local proto=()
  case $url in
    https://*) proto=(--proto '=https' --proto-redir '=https') ;;
  esac
  curl --fail --silent --show-error --location --retry 3 --retry-delay 2 \
    --connect-timeout 20 "${proto[@]}" --output "$dest" "$url"
}

sha256_of() {
  if command -v sha256sum >/dev/null; then
    sha256sum "$1" | cut -d' ' -f1
  elif command -v shasum >/dev/null; then
    shasum -a 256 "$1" | cut -d' ' -f1
  else
    die "neither sha256sum nor shasum is available to verify the download"
  fi
}

detect_target() {
  local os arch
  os=$(uname -s)
  arch=$(uname -m)
  case $arch in
    x86_64 | amd64) arch=x86_64 ;;
    aarch64 | arm64) arch=aarch64 ;;
    *) die "no Plumbline release for the $arch architecture; build it from source (cargo install)" ;;
  esac
  case $os in
    Linux) echo "$arch-unknown-linux-musl" ;;
    Darwin) echo "$arch-apple-darwin" ;;
    MINGW* | MSYS* | CYGWIN*) die "the Action installs on Linux and macOS runners; on Windows, download plumbline-VERSION-x86_64-pc-windows-msvc.zip from the release" ;;
    *) die "no Plumbline release for $os; build it from source (cargo install)" ;;
  esac
}

TARGET=${PLUMBLINE_TARGET:-$(detect_target)}
case $TARGET in
  *[!A-Za-z0-9_.-]* | "") die "PLUMBLINE_TARGET '$TARGET' is not a target triple" ;;
esac

WORK=$(mktemp -d "${RUNNER_TEMP:-${TMPDIR:-/tmp}}/plumbline-install.XXXXXX")
trap 'rm -rf "$WORK"' EXIT

# The expected SHA-256 of FILE in a SHA256SUMS file (`HASH  FILE` or `HASH *FILE`).
expected_sum() {
  local sums=$1 file=$2
  awk -v f="$file" '{ name = $2; sub(/^\*/, "", name) } name == f { print tolower($1); exit }' "$sums"
}

VERSION=${PLUMBLINE_VERSION:-latest}
if [ "$VERSION" = latest ]; then
  # The newest release's SHA256SUMS names its archives, and so its version: no API call,
  # no token, and the same layout on any static mirror.
  fetch "$RELEASES_URL/latest/download/SHA256SUMS" "$WORK/latest-SHA256SUMS" ||
    die "cannot download $RELEASES_URL/latest/download/SHA256SUMS to find the latest release"
  VERSION=$(awk -v t="$TARGET" '
    { name = $2; sub(/^\*/, "", name) }
    name ~ ("^plumbline-.+-" t "\\.tar\\.gz$") {
      v = name; sub(/^plumbline-/, "", v); sub("-" t "\\.tar\\.gz$", "", v); print v; exit
    }' "$WORK/latest-SHA256SUMS")
  [ -n "$VERSION" ] || die "the latest release has no archive for $TARGET (its SHA256SUMS names none)"
fi
VERSION=${VERSION#v}
case $VERSION in
  [0-9]*) ;;
  *) die "version '$VERSION' is not a release version (like 0.2.0) or 'latest'" ;;
esac
case $VERSION in
  *[!A-Za-z0-9_.+-]*) die "version '$VERSION' is not a release version (like 0.2.0) or 'latest'" ;;
esac

DIR=${PLUMBLINE_INSTALL_DIR:-${RUNNER_TOOL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}}/plumbline/$VERSION/$TARGET}

if [ "${1:-}" = resolve ]; then
  output version "$VERSION"
  output target "$TARGET"
  output dir "$DIR"
  exit 0
fi
[ $# -eq 0 ] || die "unknown argument '$1' (expected nothing or 'resolve')"

ARCHIVE=plumbline-$VERSION-$TARGET.tar.gz
BASE=$RELEASES_URL/download/v$VERSION
fetch "$BASE/SHA256SUMS" "$WORK/SHA256SUMS" ||
  die "cannot download $BASE/SHA256SUMS: is $VERSION a Plumbline release?"
EXPECTED=$(expected_sum "$WORK/SHA256SUMS" "$ARCHIVE")
[ -n "$EXPECTED" ] || die "SHA256SUMS of release $VERSION has no line for $ARCHIVE (no build for $TARGET?)"
case $EXPECTED in
  *[!0-9a-f]* ) die "SHA256SUMS of release $VERSION gives '$EXPECTED' for $ARCHIVE, not a SHA-256" ;;
esac
[ ${#EXPECTED} -eq 64 ] || die "SHA256SUMS of release $VERSION gives '$EXPECTED' for $ARCHIVE, not a SHA-256"

mkdir -p "$DIR"
if [ -f "$DIR/$ARCHIVE" ] && [ "$(sha256_of "$DIR/$ARCHIVE")" = "$EXPECTED" ]; then
  echo "plumbline $VERSION: using the cached $ARCHIVE (checksum verified)"
else
  if [ -f "$DIR/$ARCHIVE" ]; then
    echo "plumbline $VERSION: the cached $ARCHIVE does not match SHA256SUMS; downloading it again" >&2
    rm -f "$DIR/$ARCHIVE"
  fi
  fetch "$BASE/$ARCHIVE" "$WORK/$ARCHIVE" || die "cannot download $BASE/$ARCHIVE"
  ACTUAL=$(sha256_of "$WORK/$ARCHIVE")
  if [ "$ACTUAL" != "$EXPECTED" ]; then
    die "checksum mismatch for $ARCHIVE: SHA256SUMS says $EXPECTED, the download is $ACTUAL; not installing it"
  fi
  mv "$WORK/$ARCHIVE" "$DIR/$ARCHIVE"
  echo "plumbline $VERSION: downloaded $ARCHIVE (checksum verified)"
fi

# The binary always comes from the verified archive, never from what a cache restored.
rm -rf "${DIR:?}/bin"
mkdir -p "$DIR/bin"
tar -xzf "$DIR/$ARCHIVE" -C "$DIR/bin" plumbline 2>/dev/null ||
  tar -xzf "$DIR/$ARCHIVE" -C "$DIR/bin" ./plumbline 2>/dev/null ||
  die "$ARCHIVE has no 'plumbline' at its root"
if [ -L "$DIR/bin/plumbline" ] || [ ! -f "$DIR/bin/plumbline" ]; then
  die "'plumbline' in $ARCHIVE is not a regular file"
fi
chmod 0755 "$DIR/bin/plumbline"
"$DIR/bin/plumbline" --version >/dev/null 2>&1 ||
  die "the installed $DIR/bin/plumbline does not run on this machine ($TARGET)"

if [ -n "${GITHUB_PATH:-}" ]; then
  echo "$DIR/bin" >>"$GITHUB_PATH"
fi
output path "$DIR/bin/plumbline"
output version "$VERSION"
echo "plumbline $VERSION installed in $DIR/bin"
