#!/bin/sh
# Builds (or takes) one Plumbline binary and packages it as a release archive.
#
#   release/build.sh TARGET VERSION OUTDIR
#
# TARGET   a Rust target triple of a release build (see SUPPORTED below)
# VERSION  the release version, `0.2.0` or `v0.2.0`; it must be the version in Cargo.toml.
#          An empty VERSION ("") means the version in Cargo.toml (the container build uses it).
# OUTDIR   where the archive and its checksum line are written (created if missing)
#
# Writes OUTDIR/plumbline-VERSION-TARGET.tar.gz (.zip for Windows), holding `plumbline`
# (`plumbline.exe`) at its root with README.md and LICENSE* when the repository has them, and
# OUTDIR/plumbline-VERSION-TARGET.tar.gz.sha256, one `sha256sum` line for the archive
# (release/sums.sh joins these lines into the release's SHA256SUMS).
#
# Environment:
#   PLUMBLINE_PREBUILT  path of an already built binary to package instead of compiling
#                       (packaged as it is: not stripped, not checked for static linking)
#   PLUMBLINE_FEATURES  cargo features of the build (default: aws)
#   CARGO_TARGET_DIR    as for cargo
#   SOURCE_DATE_EPOCH   time stamp of the archive's files (default: the last commit's, else now)
#
# The release workflow (.github/workflows/release.yml) and the container build (Dockerfile)
# both run this script; tests/packaging_release.rs runs it with PLUMBLINE_PREBUILT.
set -eu

SUPPORTED="x86_64-unknown-linux-musl aarch64-unknown-linux-musl x86_64-apple-darwin aarch64-apple-darwin x86_64-pc-windows-msvc"

die() {
  echo "release/build.sh: error: $*" >&2
  exit 1
}

usage() {
  echo "usage: release/build.sh TARGET VERSION OUTDIR" >&2
  echo "  TARGET is one of: $SUPPORTED" >&2
  exit 2
}

[ $# -eq 3 ] || usage
TARGET=$1
VERSION=${2#v}
OUTDIR=$3
[ -n "$OUTDIR" ] || usage

case " $SUPPORTED " in
  *" $TARGET "*) ;;
  *) die "unsupported target '$TARGET' (supported: $SUPPORTED)" ;;
esac

ROOT=$(cd "$(dirname "$0")/.." && pwd)

# The version of the package: the first `version = "..."` of Cargo.toml's [package] table.
CRATE_VERSION=$(sed -n '/^\[package\]/,/^\[/s/^version *= *"\([^"]*\)".*/\1/p' "$ROOT/Cargo.toml" | head -n 1)
[ -n "$CRATE_VERSION" ] || die "cannot read the package version from $ROOT/Cargo.toml"
[ -n "$VERSION" ] || VERSION=$CRATE_VERSION
case $VERSION in
  [0-9]*) ;;
  *) die "version '$VERSION' is not a release version like 1.2.3" ;;
esac
case $VERSION in
  *[!A-Za-z0-9.+-]*) die "version '$VERSION' is not a release version like 1.2.3" ;;
esac
[ "$VERSION" = "$CRATE_VERSION" ] ||
  die "version $VERSION is not the version in Cargo.toml ($CRATE_VERSION): tag the release v$CRATE_VERSION, or bump Cargo.toml first"

case $TARGET in
  *-windows-*) EXE=.exe FORMAT=zip ;;
  *) EXE='' FORMAT=tar.gz ;;
esac

if [ -n "${PLUMBLINE_PREBUILT:-}" ]; then
  BIN=$PLUMBLINE_PREBUILT
  [ -f "$BIN" ] || die "PLUMBLINE_PREBUILT names '$BIN', which is not a file"
else
  command -v cargo >/dev/null 2>&1 || die "cargo is needed to build (or set PLUMBLINE_PREBUILT)"
  # Static and stripped: musl targets link statically by default (crt-static); Windows links
  # the C runtime statically; symbols and line tables are stripped (the profile keeps line
  # tables for local release builds).
  case $TARGET in
    *-windows-msvc) RUSTFLAGS="${RUSTFLAGS:-} -C target-feature=+crt-static" && export RUSTFLAGS ;;
  esac
  echo "==> cargo build --release --locked --target $TARGET --features ${PLUMBLINE_FEATURES:-aws}" >&2
  CARGO_PROFILE_RELEASE_STRIP=symbols CARGO_PROFILE_RELEASE_DEBUG=false \
    cargo build --release --locked --manifest-path "$ROOT/Cargo.toml" \
    --target "$TARGET" --features "${PLUMBLINE_FEATURES:-aws}" --bin plumbline
  BIN=${CARGO_TARGET_DIR:-$ROOT/target}/$TARGET/release/plumbline$EXE
  [ -f "$BIN" ] || die "cargo finished but $BIN does not exist"
  case $TARGET in
    *-linux-musl)
      # A dynamically linked binary would not run on the distroless/static image or on a
      # system without musl: refuse to package it.
      if command -v file >/dev/null 2>&1; then
        file -L "$BIN" | grep -Eq 'statically linked|static-pie linked' ||
          die "$BIN is not statically linked: $(file -L "$BIN")"
      else
        echo "release/build.sh: warning: 'file' is not installed; static linking not checked" >&2
      fi
      ;;
  esac
fi

mkdir -p "$OUTDIR"
OUTDIR=$(cd "$OUTDIR" && pwd)
NAME=plumbline-$VERSION-$TARGET
ARCHIVE=$NAME.$FORMAT

STAGE=$(mktemp -d "${TMPDIR:-/tmp}/plumbline-package.XXXXXX")
trap 'rm -rf "$STAGE"' EXIT INT TERM
cp "$BIN" "$STAGE/plumbline$EXE"
chmod 0755 "$STAGE/plumbline$EXE"
FILES="plumbline$EXE"
for doc in README.md LICENSE LICENSE-APACHE LICENSE-MIT LICENSE.md LICENSE.txt NOTICE; do
  if [ -f "$ROOT/$doc" ]; then
    cp "$ROOT/$doc" "$STAGE/$doc"
    chmod 0644 "$STAGE/$doc"
    FILES="$FILES $doc"
  fi
done

# One time stamp for every file, so that two packagings of the same binary are the same bytes.
if [ -z "${SOURCE_DATE_EPOCH:-}" ]; then
  SOURCE_DATE_EPOCH=$(git -C "$ROOT" log -1 --format=%ct 2>/dev/null || date +%s)
fi
STAMP=$(date -u -d "@$SOURCE_DATE_EPOCH" +%Y%m%d%H%M.%S 2>/dev/null ||
  date -u -r "$SOURCE_DATE_EPOCH" +%Y%m%d%H%M.%S)
for f in $FILES; do
  TZ=UTC touch -t "$STAMP" "$STAGE/$f"
done

rm -f "$OUTDIR/$ARCHIVE" "$OUTDIR/$ARCHIVE.sha256"
# shellcheck disable=SC2086 # FILES is a list of plain names without spaces
case $FORMAT in
  tar.gz)
    if tar --version 2>/dev/null | grep -q 'GNU tar'; then
      (cd "$STAGE" && tar --owner=0 --group=0 --numeric-owner --format=ustar -cf - $FILES) |
        gzip -9n >"$OUTDIR/$ARCHIVE"
    else
      # bsdtar (macOS); COPYFILE_DISABLE keeps AppleDouble ._ files out.
      (cd "$STAGE" && COPYFILE_DISABLE=1 tar --uid 0 --gid 0 --uname root --gname root \
        --format ustar -cf - $FILES) | gzip -9n >"$OUTDIR/$ARCHIVE"
    fi
    ;;
  zip)
    if command -v zip >/dev/null 2>&1; then
      (cd "$STAGE" && zip -q -X "$OUTDIR/$ARCHIVE" $FILES)
    elif command -v 7z >/dev/null 2>&1; then
      (cd "$STAGE" && 7z a -tzip -bd "$OUTDIR/$ARCHIVE" $FILES >/dev/null)
    else
      die "zip or 7z is needed to make $ARCHIVE"
    fi
    ;;
esac

if command -v sha256sum >/dev/null 2>&1; then
  SUM=$(sha256sum "$OUTDIR/$ARCHIVE" | cut -d ' ' -f 1)
elif command -v shasum >/dev/null 2>&1; then
  SUM=$(shasum -a 256 "$OUTDIR/$ARCHIVE" | cut -d ' ' -f 1)
else
  die "sha256sum or shasum is needed to checksum $ARCHIVE"
fi
printf '%s  %s\n' "$SUM" "$ARCHIVE" >"$OUTDIR/$ARCHIVE.sha256"
echo "$OUTDIR/$ARCHIVE"
