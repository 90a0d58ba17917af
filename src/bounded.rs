//! Reading a file the operator named (on the command line or in a configuration file) with a
//! size limit, so that `/dev/zero`, a FIFO fed forever or a giant file cannot make the scan
//! grow without bound. The scanned tree's own files have their limit in the loader
//! (`--max-file-size`); these are the files around it: configuration, waivers, variable
//! files, baselines, snapshots, states, kubeconfigs and standard input. The files the
//! operator asks for (reports, snapshots, manual pages) are written atomically here too.

use std::io::{Read, Write};
use std::path::Path;

/// `.plumbline.yaml` or `--config`: a configuration file is a few kilobytes.
pub const CONFIG_BYTES: u64 = 1 << 20;
/// A kubeconfig (`--kubeconfig`, `KUBECONFIG`, `~/.kube/config`): a few kilobytes per cluster.
pub const KUBECONFIG_BYTES: u64 = 16 << 20;
/// A waiver file (`--waivers`, `.plumbline/waivers.yaml` in a working tree).
pub const WAIVERS_BYTES: u64 = 16 << 20;
/// Reports (`--baseline`, `plumbline report`, `plumbline merge`), snapshots
/// (`--live-snapshot`) and Terraform states (`--tfstate`): large, but not unbounded.
pub const DATA_BYTES: u64 = 1 << 30;

/// Why a bounded read failed.
#[derive(Debug)]
pub enum ReadError {
    Io(std::io::Error),
    /// The file (or stream) holds more than the limit.
    TooLarge(u64),
}

impl std::fmt::Display for ReadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ReadError::Io(e) => write!(f, "{e}"),
            ReadError::TooLarge(limit) => write!(
                f,
                "it holds more than {} (the limit for this kind of file); check that the path \
                 names the right file",
                human(*limit)
            ),
        }
    }
}

impl std::error::Error for ReadError {}

impl From<std::io::Error> for ReadError {
    fn from(e: std::io::Error) -> Self {
        ReadError::Io(e)
    }
}

/// Reads at most `limit` bytes of `path`; more is an error, not a truncation.
pub fn read(path: &Path, limit: u64) -> Result<Vec<u8>, ReadError> {
    let file = std::fs::File::open(path)?;
    // A regular file says its size: refuse a large one before reading any of it.
    if let Ok(meta) = file.metadata() {
        if meta.is_file() && meta.len() > limit {
            return Err(ReadError::TooLarge(limit));
        }
    }
    read_stream(file, limit)
}

/// Reads at most `limit` bytes of `path` as UTF-8 text.
pub fn read_to_string(path: &Path, limit: u64) -> Result<String, ReadError> {
    let bytes = read(path, limit)?;
    String::from_utf8(bytes).map_err(|_| {
        ReadError::Io(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            "the file is not UTF-8 text",
        ))
    })
}

/// Reads at most `limit` bytes from a stream (standard input, a FIFO, a device).
pub fn read_stream(reader: impl Read, limit: u64) -> Result<Vec<u8>, ReadError> {
    let mut buf = Vec::new();
    reader.take(limit.saturating_add(1)).read_to_end(&mut buf)?;
    if buf.len() as u64 > limit {
        return Err(ReadError::TooLarge(limit));
    }
    Ok(buf)
}

/// A short piece of untrusted text for a message: at most 80 characters, the rest cut with
/// `…`. Show it with `{:?}` so that control characters come out escaped.
pub fn excerpt(text: &str) -> String {
    const MAX: usize = 80;
    match text.char_indices().nth(MAX) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_string(),
    }
}

/// `1048576` → `1 MiB`.
pub fn human(bytes: u64) -> String {
    const UNITS: [(u64, &str); 3] = [(1 << 30, "GiB"), (1 << 20, "MiB"), (1 << 10, "KiB")];
    for (size, unit) in UNITS {
        if bytes >= size && bytes.is_multiple_of(size) {
            return format!("{} {unit}", bytes / size);
        }
    }
    format!("{bytes} bytes")
}

/// Writes `bytes` to `path` atomically: a temporary file beside it, then a rename, so a
/// reader never sees half a report.
///
/// A path that is a symbolic link, or exists and is not a regular file (`/dev/null`,
/// `/dev/stdout`, a named pipe), is written through instead: renaming over it would replace
/// the link, device or pipe with a plain file (a root process would turn `/dev/null` into a
/// file that every later reader of `/dev/null` gets this report from, and
/// `-o /dev/stdout > out.txt` would lose the report and replace `/dev/stdout`).
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    if let Ok(meta) = std::fs::symlink_metadata(path) {
        if meta.file_type().is_symlink() || (!meta.is_file() && !meta.is_dir()) {
            // A link to a regular file: the file is rewritten whole.
            let regular = std::fs::metadata(path).is_ok_and(|m| m.is_file());
            let mut file = std::fs::OpenOptions::new()
                .write(true)
                .truncate(regular)
                .open(path)?;
            file.write_all(bytes)?;
            return file.flush();
        }
    }
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
    tmp.write_all(bytes)?;
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

/// A size in bytes: a number, or a number with K, M or G (`50M`, `2KiB`, `1GB`; powers of
/// 1024), as `--max-file-size` and `max_file_size` take it.
pub fn parse_size(s: &str) -> Result<u64, String> {
    let s = s.trim();
    let (num, mult) = match s.char_indices().find(|(_, c)| c.is_ascii_alphabetic()) {
        Some((i, _)) => {
            let unit = s[i..].to_ascii_uppercase();
            let mult = match unit.trim_end_matches("IB").trim_end_matches('B') {
                "" => 1,
                "K" => 1 << 10,
                "M" => 1 << 20,
                "G" => 1 << 30,
                _ => return Err(format!("unknown size unit in {s:?}: use K, M or G")),
            };
            (&s[..i], mult)
        }
        None => (s, 1),
    };
    num.trim()
        .parse::<u64>()
        .map(|n| n * mult)
        .map_err(|_| format!("{s:?} is not a size: give bytes, or a number with K, M or G"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(parse_size("10").unwrap(), 10);
        assert_eq!(parse_size("2K").unwrap(), 2048);
        assert_eq!(parse_size("50MB").unwrap(), 50 << 20);
        assert_eq!(parse_size("1GiB").unwrap(), 1 << 30);
        assert!(parse_size("5X").is_err());
    }

    #[test]
    fn a_stream_longer_than_the_limit_is_refused_not_truncated() {
        let zeros = std::io::repeat(0);
        match read_stream(zeros, 1024) {
            Err(ReadError::TooLarge(1024)) => {}
            other => panic!("{other:?}"),
        }
        assert_eq!(read_stream(&b"abc"[..], 3).unwrap(), b"abc");
    }

    #[test]
    fn a_large_regular_file_is_refused_before_reading() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("big");
        std::fs::write(&p, vec![b'x'; 2048]).unwrap();
        assert!(matches!(read(&p, 1024), Err(ReadError::TooLarge(1024))));
        assert_eq!(read(&p, 2048).unwrap().len(), 2048);
        let e = read(&p, 1024).unwrap_err().to_string();
        assert!(e.contains("1 KiB"), "{e}");
    }

    #[cfg(unix)]
    #[test]
    fn dev_zero_stops_at_the_limit() {
        let p = Path::new("/dev/zero");
        if p.exists() {
            assert!(matches!(read(p, 4096), Err(ReadError::TooLarge(4096))));
        }
    }

    #[test]
    fn atomic_write_replaces_file() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("out.json");
        write_atomic(&p, b"one").unwrap();
        write_atomic(&p, b"two").unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"two");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[cfg(unix)]
    #[test]
    fn a_symlink_is_written_through_not_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("real.sarif");
        std::fs::write(&target, b"old report, longer than the new one").unwrap();
        let link = dir.path().join("link.sarif");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        write_atomic(&link, b"new").unwrap();
        assert!(std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink());
        assert_eq!(std::fs::read(&target).unwrap(), b"new");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 2);
    }

    #[cfg(unix)]
    #[test]
    fn a_named_pipe_is_written_into_not_replaced() {
        use std::io::Read;
        use std::os::unix::fs::FileTypeExt;
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("report.pipe");
        let made = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .expect("mkfifo (coreutils) runs");
        assert!(made.success());
        let reader = {
            let fifo = fifo.clone();
            std::thread::spawn(move || {
                let mut got = Vec::new();
                std::fs::File::open(&fifo)
                    .unwrap()
                    .read_to_end(&mut got)
                    .unwrap();
                got
            })
        };
        write_atomic(&fifo, b"{\"runs\":[]}").unwrap();
        // Checked before joining: had the pipe been replaced, the reader would wait forever.
        let kind = std::fs::symlink_metadata(&fifo).unwrap().file_type();
        assert!(kind.is_fifo(), "the pipe was replaced by a {kind:?}");
        assert_eq!(reader.join().unwrap(), b"{\"runs\":[]}");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }
}
