#!/bin/sh
# Installs a released Plumbline binary, checked against the release's SHA256SUMS.
#
#   curl -sSfL https://raw.githubusercontent.com/plumbline-dev/plumbline/main/install.sh | sh
#   curl -sSfL .../install.sh | sh -s -- -b ~/bin 0.2.0
#
# Usage: install.sh [-b BINDIR] [VERSION]
#
#   VERSION  `latest` (the default), `0.2.0` or `v0.2.0`
#   -b DIR   where to put `plumbline`. Default: /usr/local/bin when this user may write there
#            (root, or a Homebrew-owned /usr/local/bin), otherwise ~/.local/bin.
#
# Environment (all optional):
#   PLUMBLINE_DOWNLOAD_URL  releases of the project (default: the GitHub releases of
#                           plumbline-dev/plumbline): a release's files are read from
#                           URL/download/vVERSION/FILE, the newest release's from
#                           URL/latest/download/FILE. For mirrors and tests.
#   PLUMBLINE_INSTALL_OS, PLUMBLINE_INSTALL_ARCH
#                           stand in for `uname -s` and `uname -m`
#
# Linux gets the static (musl) build, which runs on any distribution. Windows users take the
# .zip from the release page, or `cargo binstall plumbline`.
set -eu

REPOSITORY=plumbline-dev/plumbline
DOWNLOAD_URL=${PLUMBLINE_DOWNLOAD_URL:-https://github.com/$REPOSITORY/releases}
DOWNLOAD_URL=${DOWNLOAD_URL%/}

say() { echo "plumbline install: $*" >&2; }
die() {
  echo "plumbline install: error: $*" >&2
  exit 1
}

usage() {
  cat >&2 <<USAGE
usage: install.sh [-b BINDIR] [VERSION]
  VERSION  latest (default), 0.2.0 or v0.2.0
  -b DIR   install into DIR (default: /usr/local/bin if writable, else ~/.local/bin)
USAGE
}

BINDIR=
VERSION=latest
while [ $# -gt 0 ]; do
  case $1 in
    -b)
      [ $# -ge 2 ] || die "-b needs a directory"
      BINDIR=$2
      shift 2
      ;;
    -b*)
      BINDIR=${1#-b}
      shift
      ;;
    -h | --help)
      usage
      exit 0
      ;;
    -*)
      usage
      die "unknown option '$1'"
      ;;
    *)
      VERSION=$1
      shift
      [ $# -eq 0 ] || die "unexpected argument '$1' (one VERSION only)"
      ;;
  esac
done

need() {
  command -v "$1" >/dev/null 2>&1 || die "'$1' is needed to install Plumbline; install it and try again"
}

# --- platform -> target triple ---------------------------------------------------------
OS=${PLUMBLINE_INSTALL_OS:-}
ARCH=${PLUMBLINE_INSTALL_ARCH:-}
if [ -z "$OS" ]; then
  need uname
  OS=$(uname -s)
fi
if [ -z "$ARCH" ]; then
  need uname
  ARCH=$(uname -m)
  # A shell under Rosetta reports x86_64 on Apple silicon: take the native build.
  if [ "$OS" = Darwin ] && [ "$ARCH" = x86_64 ] &&
    [ "$(sysctl -n sysctl.proc_translated 2>/dev/null || echo 0)" = 1 ]; then
    ARCH=arm64
  fi
fi
case $ARCH in
  x86_64 | amd64 | x64) ARCH=x86_64 ;;
  aarch64 | arm64 | armv8*) ARCH=aarch64 ;;
  *) die "no Plumbline release for the $ARCH architecture (there are builds for x86_64 and aarch64); build it from source with 'cargo install plumbline'" ;;
esac
case $OS in
  Linux) TARGET=$ARCH-unknown-linux-musl ;;
  Darwin) TARGET=$ARCH-apple-darwin ;;
  MINGW* | MSYS* | CYGWIN* | Windows*)
    die "install.sh does not install on Windows: download plumbline-VERSION-x86_64-pc-windows-msvc.zip from $DOWNLOAD_URL, or run 'cargo binstall plumbline'"
    ;;
  *) die "no Plumbline release for $OS (there are builds for Linux, macOS and Windows); build it from source with 'cargo install plumbline'" ;;
esac

# --- tools -------------------------------------------------------------------------------
if command -v curl >/dev/null 2>&1; then
  fetch() {
    case $1 in
      https://*) curl --fail --silent --show-error --location --proto '=https' --proto-redir '=https' \
        --retry 3 --connect-timeout 20 --output "$2" "$1" ;;
      *) curl --fail --silent --show-error --location --retry 3 --connect-timeout 20 --output "$2" "$1" ;;
    esac
  }
elif command -v wget >/dev/null 2>&1; then
  fetch() { wget --quiet --tries=3 --timeout=20 --output-document="$2" "$1"; }
else
  die "'curl' or 'wget' is needed to download Plumbline; install one and try again"
fi
if command -v sha256sum >/dev/null 2>&1; then
  sha256() { sha256sum "$1" | cut -d ' ' -f 1; }
elif command -v shasum >/dev/null 2>&1; then
  sha256() { shasum -a 256 "$1" | cut -d ' ' -f 1; }
else
  die "'sha256sum' or 'shasum' is needed to verify the download; install one (coreutils or perl) and try again"
fi
need tar
need gzip
need mktemp
need awk

WORK=$(mktemp -d "${TMPDIR:-/tmp}/plumbline-install.XXXXXX") || die "cannot make a temporary directory"
trap 'rm -rf "$WORK"' EXIT
trap 'exit 1' INT TERM

# The SHA-256 that a SHA256SUMS file gives for FILE (lines `HASH  FILE` or `HASH *FILE`).
expected_sum() {
  awk -v f="$2" '{ name = $2; sub(/^\*/, "", name) } name == f { print tolower($1); exit }' "$1"
}

# --- version -----------------------------------------------------------------------------
if [ "$VERSION" = latest ]; then
  # The newest release's SHA256SUMS names its archives, and so its version: no API call.
  fetch "$DOWNLOAD_URL/latest/download/SHA256SUMS" "$WORK/SHA256SUMS" ||
    die "cannot download $DOWNLOAD_URL/latest/download/SHA256SUMS to find the latest release"
  VERSION=$(awk -v t="$TARGET" '
    { name = $2; sub(/^\*/, "", name) }
    index(name, "plumbline-") == 1 && substr(name, length(name) - length(t) - 7) == "-" t ".tar.gz" {
      print substr(name, 11, length(name) - length(t) - 18); exit
    }' "$WORK/SHA256SUMS")
  [ -n "$VERSION" ] || die "the latest release has no build for $TARGET (its SHA256SUMS names none)"
  LATEST=1
else
  LATEST=
fi
VERSION=${VERSION#v}
case $VERSION in
  [0-9]*) ;;
  *) die "'$VERSION' is not a release version (like 0.2.0) or 'latest'" ;;
esac
case $VERSION in
  *[!A-Za-z0-9.+-]*) die "'$VERSION' is not a release version (like 0.2.0) or 'latest'" ;;
esac

ARCHIVE=plumbline-$VERSION-$TARGET.tar.gz
BASE=$DOWNLOAD_URL/download/v$VERSION
if [ -z "$LATEST" ]; then
  fetch "$BASE/SHA256SUMS" "$WORK/SHA256SUMS" ||
    die "cannot download $BASE/SHA256SUMS: is $VERSION a Plumbline release?"
fi
EXPECTED=$(expected_sum "$WORK/SHA256SUMS" "$ARCHIVE")
[ -n "$EXPECTED" ] || die "release $VERSION has no build for $TARGET (its SHA256SUMS has no line for $ARCHIVE)"
case $EXPECTED in
  *[!0-9a-f]*) die "SHA256SUMS of release $VERSION gives '$EXPECTED' for $ARCHIVE, which is not a SHA-256" ;;
esac
[ ${#EXPECTED} -eq 64 ] || die "SHA256SUMS of release $VERSION gives '$EXPECTED' for $ARCHIVE, which is not a SHA-256"

say "downloading $ARCHIVE"
fetch "$BASE/$ARCHIVE" "$WORK/$ARCHIVE" || die "cannot download $BASE/$ARCHIVE"
ACTUAL=$(sha256 "$WORK/$ARCHIVE")
[ "$ACTUAL" = "$EXPECTED" ] ||
  die "checksum mismatch for $ARCHIVE: SHA256SUMS says $EXPECTED, the download is $ACTUAL; nothing was installed"

mkdir "$WORK/x"
(cd "$WORK/x" && gzip -dc "../$ARCHIVE" | tar -xf - plumbline) ||
  die "$ARCHIVE has no 'plumbline' at its root; nothing was installed"
[ -f "$WORK/x/plumbline" ] || die "$ARCHIVE has no 'plumbline' at its root; nothing was installed"

# --- install -----------------------------------------------------------------------------
if [ -z "$BINDIR" ]; then
  if [ -d /usr/local/bin ] && [ -w /usr/local/bin ]; then
    BINDIR=/usr/local/bin
  else
    [ -n "${HOME:-}" ] || die "HOME is not set: say where to install with -b DIR"
    BINDIR=$HOME/.local/bin
  fi
fi
mkdir -p "$BINDIR" || die "cannot create $BINDIR (choose another directory with -b DIR)"
# Copy beside the old binary, then rename over it: a running plumbline is not disturbed and
# no half-written binary is ever on PATH.
cp "$WORK/x/plumbline" "$BINDIR/.plumbline.install.$$" ||
  die "cannot write to $BINDIR (choose another directory with -b DIR, or run as a user who may write there)"
chmod 0755 "$BINDIR/.plumbline.install.$$"
mv -f "$BINDIR/.plumbline.install.$$" "$BINDIR/plumbline" || {
  rm -f "$BINDIR/.plumbline.install.$$"
  die "cannot install $BINDIR/plumbline"
}

say "installed plumbline $VERSION ($TARGET) as $BINDIR/plumbline"
case ":${PATH:-}:" in
  *":$BINDIR:"*) ;;
  *) say "$BINDIR is not on your PATH; add it, e.g. export PATH=\"$BINDIR:\$PATH\"" ;;
esac
