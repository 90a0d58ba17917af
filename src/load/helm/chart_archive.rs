//! A packaged chart (`charts/<name>-<version>.tgz`) read in memory, as Helm's
//! `LoadArchiveFiles` reads it (helm v4.2.3, `pkg/chart/v2/loader/archive.go`), with the
//! archive never written to disk:
//!
//! - the bytes are a gzip stream (several members are read as one, as Go's reader does)
//!   holding a tar archive;
//! - directory entries and PAX headers are skipped; every other entry is a file whose path is
//!   the entry's name without its first element (the chart's directory, whatever its name);
//!   a name with `\` is split on `\` (an archive made on Windows);
//! - refused, as Helm refuses them: an absolute path, a path that is nothing once the first
//!   element is stripped (a file beside the chart's directory), a path that leads out through
//!   `..`, a Windows drive path, a `Chart.yaml` at the top of the archive;
//! - a UTF-8 byte order mark is stripped from each file; an archive with no file is refused;
//! - `.helmignore` is not applied (Helm applies it when it packages the chart, not when it
//!   reads the archive): it is a file like any other.
//!
//! Links and special files: Helm reads the data a tar entry carries, which is nothing for a
//! symbolic link, a hard link or a device, so such an entry is an empty file of that name;
//! here the same, without reading what the entry might carry, and with a warning: a link is
//! never followed.
//!
//! Limits: Helm stops at 100 MiB decompressed per archive and 5 MiB per file. Here the
//! 100 MiB are shared by every archive of one chart (nested archives included), which bounds
//! the memory a repository can make a scan use; the tar stream itself (headers included) is
//! bounded too, and so are the number of entries (Helm has no such limit; real charts have a
//! few hundred) and how deep archives nest inside archives.

use std::io::Read;
use std::sync::Arc;

/// Decompressed bytes of the files of every archive of one chart (Helm's
/// `MaxDecompressedChartSize`, 100 MiB, per archive there).
pub const MAX_TOTAL_BYTES: u64 = 100 * 1024 * 1024;
/// The largest file of an archive (Helm's `MaxDecompressedFileSize`, 5 MiB).
pub const MAX_FILE_BYTES: u64 = super::MAX_FILE_BYTES as u64;
/// Entries (files, directories, headers) of every archive of one chart.
pub const MAX_ENTRIES: u64 = 20_000;
/// How many archives may nest inside each other (`a.tgz` holding `charts/b.tgz` is 2).
pub const MAX_DEPTH: usize = 8;
/// Tar headers and padding allowed on top of the files' bytes, per entry.
const OVERHEAD_PER_ENTRY: u64 = 4 * 1024;

/// What is left to read for one chart's archives; shared by nested archives.
#[derive(Debug, Clone)]
pub struct Budget {
    pub bytes: u64,
    pub entries: u64,
}

impl Default for Budget {
    fn default() -> Self {
        Self {
            bytes: MAX_TOTAL_BYTES,
            entries: MAX_ENTRIES,
        }
    }
}

/// Why an archive was refused: the message, and what to do about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArchiveError {
    pub message: String,
    pub fix: &'static str,
}

const FIX_REPACKAGE: &str = "replace it with the archive `helm package` or `helm dependency \
                             build` writes, or vendor the subchart as a directory";
const FIX_LIMIT: &str = "vendor the subchart as a directory (untar it under charts/) or make it \
                         smaller";
const FIX_PATHS: &str = "repackage it with `helm package`: every entry must be inside the \
                         chart's directory, with a relative path that stays there";

fn refuse(message: impl Into<String>, fix: &'static str) -> ArchiveError {
    ArchiveError {
        message: message.into(),
        fix,
    }
}

/// The files of an archive, paths relative to the chart, in archive order.
#[derive(Debug, Default)]
pub struct Unpacked {
    pub files: Vec<(String, Arc<[u8]>)>,
    /// Entries read as empty files because they are links or special files.
    pub warnings: Vec<String>,
}

/// Counts the bytes read from the decompressor and stops at a limit (a gzip bomb ends here).
struct Bounded<R> {
    inner: R,
    left: u64,
}

impl<R: Read> Read for Bounded<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.left == 0 {
            // One byte more tells a stream that ends exactly at the limit from a longer one.
            let mut probe = [0u8; 1];
            return match self.inner.read(&mut probe)? {
                0 => Ok(0),
                _ => Err(std::io::Error::other(BOMB)),
            };
        }
        let max = buf.len().min(self.left.min(usize::MAX as u64) as usize);
        let n = self.inner.read(&mut buf[..max])?;
        self.left -= n as u64;
        Ok(n)
    }
}

const BOMB: &str = "decompressed archive is larger than the limit";

/// Reads the files of a chart archive, taking what it uses from `budget`.
pub fn unpack(bytes: &[u8], budget: &mut Budget) -> Result<Unpacked, ArchiveError> {
    if !bytes.starts_with(&[0x1f, 0x8b]) {
        let what = if bytes.is_empty() {
            "it is empty".to_string()
        } else if bytes.starts_with(b"PK") {
            "it looks like a zip archive".to_string()
        } else if bytes.starts_with(b"ustar") || bytes.get(257..262) == Some(b"ustar") {
            "it looks like a tar archive that is not compressed".to_string()
        } else {
            "it does not start with the gzip signature".to_string()
        };
        return Err(refuse(
            format!("not a gzip-compressed chart archive ({what})"),
            FIX_REPACKAGE,
        ));
    }
    let stream_limit = budget
        .bytes
        .saturating_add(budget.entries.saturating_mul(OVERHEAD_PER_ENTRY))
        .saturating_add(1024);
    let decoder = Bounded {
        inner: flate2::read::MultiGzDecoder::new(bytes),
        left: stream_limit,
    };
    let mut archive = tar::Archive::new(decoder);
    let entries = archive.entries().map_err(|e| read_error(&e, budget))?;
    let mut out = Unpacked::default();
    for entry in entries {
        let mut entry = entry.map_err(|e| read_error(&e, budget))?;
        if budget.entries == 0 {
            return Err(refuse(
                format!("the chart's archives have more than {MAX_ENTRIES} entries"),
                FIX_LIMIT,
            ));
        }
        budget.entries -= 1;
        let kind = entry.header().entry_type();
        let raw_name = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
        if kind.is_dir() || (kind.is_file() && raw_name.ends_with('/')) {
            continue;
        }
        if kind.is_pax_global_extensions()
            || kind.is_pax_local_extensions()
            || kind.is_gnu_longname()
            || kind.is_gnu_longlink()
        {
            continue;
        }
        let name = chart_path(&raw_name)?;
        let link = kind.is_symlink()
            || kind.is_hard_link()
            || kind.is_character_special()
            || kind.is_block_special()
            || kind.is_fifo();
        if link {
            let what = if kind.is_symlink() {
                "a symbolic link"
            } else if kind.is_hard_link() {
                "a hard link"
            } else {
                "a device or FIFO"
            };
            out.warnings.push(format!(
                "{name} is {what} in the archive: it is not followed, and the file is empty (as \
                 Helm reads it)"
            ));
            out.files.push((name, Arc::from(&b""[..])));
            continue;
        }
        let size = entry.size();
        if size > budget.bytes {
            return Err(too_big());
        }
        if size > MAX_FILE_BYTES {
            return Err(refuse(
                format!(
                    "file {name:?} in it is larger than the maximum file size {MAX_FILE_BYTES} \
                     bytes that Helm loads"
                ),
                FIX_LIMIT,
            ));
        }
        let mut data = Vec::with_capacity(size as usize);
        (&mut entry)
            .take(size)
            .read_to_end(&mut data)
            .map_err(|e| read_error(&e, budget))?;
        if (data.len() as u64) < size {
            return Err(refuse(
                format!("it is truncated (file {name:?} ends early)"),
                FIX_REPACKAGE,
            ));
        }
        budget.bytes -= data.len() as u64;
        // As Helm: reaching the limit exactly is over it.
        if budget.bytes == 0 {
            return Err(too_big());
        }
        let data = match data.strip_prefix(b"\xEF\xBB\xBF") {
            Some(rest) => rest.to_vec(),
            None => data,
        };
        out.files.push((name, Arc::from(data)));
    }
    if out.files.is_empty() {
        return Err(refuse("no files in chart archive", FIX_REPACKAGE));
    }
    Ok(out)
}

fn too_big() -> ArchiveError {
    refuse(
        format!(
            "decompressed, the chart's archives are larger than the maximum size \
             {MAX_TOTAL_BYTES} bytes"
        ),
        FIX_LIMIT,
    )
}

fn read_error(e: &std::io::Error, _budget: &Budget) -> ArchiveError {
    let text = e.to_string();
    if text.contains(BOMB) {
        return too_big();
    }
    if e.kind() == std::io::ErrorKind::UnexpectedEof || text.contains("unexpected EOF") {
        return refuse(
            "it is truncated (the gzip or tar stream ends early)",
            FIX_REPACKAGE,
        );
    }
    refuse(
        format!(
            "it cannot be read as a gzip-compressed tar archive ({})",
            crate::textsafe::escape(&text)
        ),
        FIX_REPACKAGE,
    )
}

/// The path of an archive entry inside the chart, as Helm computes it, or why it is refused.
fn chart_path(raw: &str) -> Result<String, ArchiveError> {
    let delimiter = if raw.contains('\\') { '\\' } else { '/' };
    let parts: Vec<&str> = raw.split(delimiter).collect();
    let rest = parts[1..].join("/");
    let shown = crate::textsafe::escape(raw);
    if rest.starts_with('/') {
        return Err(refuse(
            format!("entry {shown:?} has an absolute path"),
            FIX_PATHS,
        ));
    }
    let cleaned = clean(&rest);
    if cleaned == "." {
        return Err(refuse(
            format!("entry {shown:?} is outside the chart's directory (an archive holds one directory, the chart)"),
            FIX_PATHS,
        ));
    }
    if cleaned.starts_with("..") {
        return Err(refuse(
            format!("entry {shown:?} refers to a parent directory (`..`)"),
            FIX_PATHS,
        ));
    }
    let b = cleaned.as_bytes();
    if b.len() >= 3 && b[0].is_ascii_alphabetic() && b[1] == b':' && b[2] == b'/' {
        return Err(refuse(
            format!("entry {shown:?} is a Windows drive path"),
            FIX_PATHS,
        ));
    }
    if parts[0] == "Chart.yaml" {
        return Err(refuse(
            "its Chart.yaml is not in the chart's directory (the archive must hold one \
             directory with the chart in it)",
            FIX_PATHS,
        ));
    }
    Ok(cleaned)
}

/// Go's `path.Clean` for a relative path: `.` and empty elements dropped, `x/..` removed,
/// leading `..` kept; `.` for nothing.
fn clean(path: &str) -> String {
    let mut out: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                if matches!(out.last(), Some(last) if *last != "..") {
                    out.pop();
                } else {
                    out.push("..");
                }
            }
            p => out.push(p),
        }
    }
    if out.is_empty() {
        ".".to_string()
    } else {
        out.join("/")
    }
}

#[cfg(test)]
#[path = "chart_archive_tests.rs"]
mod tests;
