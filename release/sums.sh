#!/bin/sh
# Writes DIR/SHA256SUMS for the release archives in DIR.
#
#   release/sums.sh DIR
#
# The sums are computed from the archives themselves. Each archive's own line, written by
# release/build.sh on the machine that built it (ARCHIVE.sha256), must agree: an archive
# changed on its way from the build job to the release is refused. The .sha256 files are
# removed once checked, so DIR then holds what is published.
set -eu

die() {
  echo "release/sums.sh: error: $*" >&2
  exit 1
}

[ $# -eq 1 ] || {
  echo "usage: release/sums.sh DIR" >&2
  exit 2
}
cd "$1" || die "no directory '$1'"

if command -v sha256sum >/dev/null 2>&1; then
  sha256() { sha256sum "$1" | cut -d ' ' -f 1; }
elif command -v shasum >/dev/null 2>&1; then
  sha256() { shasum -a 256 "$1" | cut -d ' ' -f 1; }
else
  die "sha256sum or shasum is needed"
fi

: >SHA256SUMS.tmp
count=0
for archive in plumbline-*.tar.gz plumbline-*.zip; do
  [ -f "$archive" ] || continue
  sum=$(sha256 "$archive")
  if [ -f "$archive.sha256" ]; then
    built=$(cut -d ' ' -f 1 "$archive.sha256")
    [ "$built" = "$sum" ] ||
      die "$archive has SHA-256 $sum here but $built where it was built; not publishing it"
  else
    die "$archive has no $archive.sha256 from its build"
  fi
  printf '%s  %s\n' "$sum" "$archive" >>SHA256SUMS.tmp
  count=$((count + 1))
done
[ "$count" -gt 0 ] || die "no plumbline-*.tar.gz or plumbline-*.zip archive in $(pwd)"
for sidecar in *.sha256; do
  [ -f "${sidecar%.sha256}" ] || die "$sidecar has no archive beside it"
done
LC_ALL=C sort -k 2 SHA256SUMS.tmp >SHA256SUMS
rm -f SHA256SUMS.tmp
rm -f ./*.sha256
echo "SHA256SUMS: $count archives"
