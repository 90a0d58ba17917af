//! Unpacking a downloaded module archive (`.tar.gz`, `.tgz`, `.tar`) into a directory, safely:
//! only regular files and directories are written, every path stays below the directory
//! (no absolute path, no `..`, no link), and the number of entries, the size of each file
//! and the total unpacked size are bounded, so a crafted archive can neither escape nor
//! fill the disk.

use std::io::Read;
use std::path::{Component, Path};

/// Limits of one unpacking.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub max_entries: usize,
    pub max_file_bytes: u64,
    pub max_total_bytes: u64,
}

/// What an archive's bytes are, from their first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    TarGz,
    Tar,
    Zip,
    Unknown,
}

pub fn kind_of(bytes: &[u8]) -> Kind {
    if bytes.starts_with(&[0x1f, 0x8b]) {
        Kind::TarGz
    } else if bytes.starts_with(b"PK\x03\x04") || bytes.starts_with(b"PK\x05\x06") {
        Kind::Zip
    } else if bytes.len() > 262 && &bytes[257..262] == b"ustar" {
        Kind::Tar
    } else {
        Kind::Unknown
    }
}

/// Unpacks `bytes` into `dest` (an empty directory). `strip` leading path components are
/// dropped from every entry (an archive of a Git ref holds one top directory). Entries that
/// are links or special files are skipped and counted.
pub fn unpack(bytes: &[u8], dest: &Path, strip: usize, limits: Limits) -> Result<Unpacked, String> {
    match kind_of(bytes) {
        Kind::TarGz => {
            let gz = flate2::read::GzDecoder::new(bytes);
            unpack_tar(gz, dest, strip, limits)
        }
        Kind::Tar => unpack_tar(bytes, dest, strip, limits),
        Kind::Zip => Err(
            "it is a zip archive, which plumbline does not unpack; publish the module as a \
             .tar.gz, or run `terraform init` and scan the working tree"
                .to_string(),
        ),
        Kind::Unknown => Err(
            "the download is not a .tar.gz or .tar archive (nor a module address to follow)"
                .to_string(),
        ),
    }
}

/// What unpacking wrote.
#[derive(Debug, Default, Clone, Copy)]
pub struct Unpacked {
    pub files: usize,
    /// Links and special files, not written.
    pub skipped: usize,
}

fn unpack_tar(
    reader: impl Read,
    dest: &Path,
    strip: usize,
    limits: Limits,
) -> Result<Unpacked, String> {
    let mut archive = tar::Archive::new(reader);
    let mut out = Unpacked::default();
    let mut total: u64 = 0;
    let entries = archive
        .entries()
        .map_err(|e| format!("cannot read the archive: {e}"))?;
    for (n, entry) in entries.enumerate() {
        if n >= limits.max_entries {
            return Err(format!(
                "the archive has more than {} entries, the limit for a module",
                limits.max_entries
            ));
        }
        let mut entry = entry.map_err(|e| format!("cannot read the archive: {e}"))?;
        let kind = entry.header().entry_type();
        let raw = entry
            .path()
            .map_err(|e| format!("an entry of the archive has an unreadable name: {e}"))?
            .into_owned();
        let Some(rel) = safe_relative(&raw, strip)? else {
            continue;
        };
        let target = dest.join(&rel);
        if kind.is_dir() {
            std::fs::create_dir_all(&target)
                .map_err(|e| format!("cannot write {}: {e}", rel.display()))?;
            continue;
        }
        if !kind.is_file() {
            // Symbolic and hard links, devices, FIFOs: never written (a link could lead
            // out of the directory).
            out.skipped += 1;
            continue;
        }
        let size = entry.header().size().unwrap_or(u64::MAX);
        if size > limits.max_file_bytes {
            return Err(format!(
                "{} is {size} bytes in the archive, above the {}-byte limit for one file",
                rel.display(),
                limits.max_file_bytes
            ));
        }
        total = total.saturating_add(size);
        if total > limits.max_total_bytes {
            return Err(format!(
                "the archive unpacks to more than {} bytes, the limit for a module",
                limits.max_total_bytes
            ));
        }
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent)
                .map_err(|e| format!("cannot write {}: {e}", rel.display()))?;
        }
        let mut data = Vec::with_capacity(size.min(1 << 20) as usize);
        // Read at most one byte past the declared size: a header that lies is caught.
        (&mut entry)
            .take(limits.max_file_bytes + 1)
            .read_to_end(&mut data)
            .map_err(|e| format!("cannot read {} from the archive: {e}", rel.display()))?;
        if data.len() as u64 > limits.max_file_bytes {
            return Err(format!(
                "{} is above the {}-byte limit for one file",
                rel.display(),
                limits.max_file_bytes
            ));
        }
        std::fs::write(&target, &data)
            .map_err(|e| format!("cannot write {}: {e}", rel.display()))?;
        out.files += 1;
    }
    Ok(out)
}

/// The path an entry is written at, below the destination: `None` for an entry that is
/// wholly stripped (the top directory); an error for a path that would leave it.
fn safe_relative(raw: &Path, strip: usize) -> Result<Option<std::path::PathBuf>, String> {
    let mut parts = Vec::new();
    for c in raw.components() {
        match c {
            Component::Normal(p) => parts.push(p.to_os_string()),
            Component::CurDir => {}
            Component::ParentDir | Component::RootDir | Component::Prefix(_) => {
                return Err(format!(
                    "the archive holds {:?}, a path that leaves the module's directory; it was \
                     not unpacked",
                    raw.display().to_string()
                ));
            }
        }
    }
    if parts.len() <= strip {
        return Ok(None);
    }
    Ok(Some(parts[strip..].iter().collect()))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A `.tar.gz` of `(path, content)` files, plus raw entries for the hostile cases.
    pub fn tar_gz(files: &[(&str, &str)]) -> Vec<u8> {
        let mut b = tar::Builder::new(Vec::new());
        for (path, text) in files {
            let mut h = tar::Header::new_gnu();
            h.set_size(text.len() as u64);
            h.set_mode(0o644);
            h.set_entry_type(tar::EntryType::Regular);
            b.append_data(&mut h, path, text.as_bytes()).unwrap();
        }
        gz(&b.into_inner().unwrap())
    }

    fn gz(tar: &[u8]) -> Vec<u8> {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        std::io::Write::write_all(&mut gz, tar).unwrap();
        gz.finish().unwrap()
    }

    /// A tar whose one entry has a name written as is (the builder refuses `..`).
    fn raw_tar(name: &str, kind: tar::EntryType, data: &[u8]) -> Vec<u8> {
        let mut h = tar::Header::new_old();
        {
            let bytes = h.as_old_mut();
            bytes.name[..name.len()].copy_from_slice(name.as_bytes());
        }
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        h.set_entry_type(kind);
        h.set_cksum();
        let mut out = h.as_bytes().to_vec();
        out.extend_from_slice(data);
        out.resize(out.len().div_ceil(512) * 512 + 1024, 0);
        gz(&out)
    }

    const LIMITS: Limits = Limits {
        max_entries: 100,
        max_file_bytes: 1000,
        max_total_bytes: 1500,
    };

    #[test]
    fn unpacks_files_and_strips_the_top_directory() {
        let dir = tempfile::tempdir().unwrap();
        let gz = tar_gz(&[("top/main.tf", "a"), ("top/modules/x/x.tf", "b")]);
        let u = unpack(&gz, dir.path(), 1, LIMITS).unwrap();
        assert_eq!(u.files, 2);
        assert_eq!(
            std::fs::read_to_string(dir.path().join("main.tf")).unwrap(),
            "a"
        );
        assert_eq!(
            std::fs::read_to_string(dir.path().join("modules/x/x.tf")).unwrap(),
            "b"
        );
    }

    #[test]
    fn refuses_traversal_links_and_bombs() {
        let dir = tempfile::tempdir().unwrap();
        let evil = raw_tar("../evil.tf", tar::EntryType::Regular, b"x");
        let e = unpack(&evil, dir.path(), 0, LIMITS).unwrap_err();
        assert!(e.contains("leaves the module's directory"), "{e}");
        assert!(!dir.path().parent().unwrap().join("evil.tf").exists());
        let abs = raw_tar("/tmp/abs.tf", tar::EntryType::Regular, b"x");
        assert!(unpack(&abs, dir.path(), 0, LIMITS).is_err());
        let link = raw_tar("link.tf", tar::EntryType::Symlink, b"");
        let u = unpack(&link, dir.path(), 0, LIMITS).unwrap();
        assert_eq!((u.files, u.skipped), (0, 1));
        assert!(!dir.path().join("link.tf").exists());
        let big = "x".repeat(1001);
        let e = unpack(&tar_gz(&[("big.tf", &big)]), dir.path(), 0, LIMITS).unwrap_err();
        assert!(e.contains("limit for one file"), "{e}");
        let half = "x".repeat(800);
        let e = unpack(
            &tar_gz(&[("a.tf", &half), ("b.tf", &half)]),
            dir.path(),
            0,
            LIMITS,
        )
        .unwrap_err();
        assert!(e.contains("unpacks to more than"), "{e}");
        let many: Vec<(String, &str)> = (0..101).map(|i| (format!("f{i}.tf"), "")).collect();
        let many: Vec<(&str, &str)> = many.iter().map(|(p, t)| (p.as_str(), *t)).collect();
        let e = unpack(&tar_gz(&many), dir.path(), 0, LIMITS).unwrap_err();
        assert!(e.contains("more than 100 entries"), "{e}");
        assert!(unpack(b"PK\x03\x04rest", dir.path(), 0, LIMITS)
            .unwrap_err()
            .contains("zip"));
    }
}
