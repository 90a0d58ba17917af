//! `--shard I/N`: one of N disjoint parts of a scan's files, so that a CI matrix or an indexed
//! Kubernetes Job can scan a large repository in parallel and `plumbline merge` can put the
//! parts back together.
//!
//! A file belongs to shard `1 + h mod N`, where `h` is the first eight bytes (big-endian) of
//! the SHA-256 of its repository-relative path. The assignment depends on nothing but the
//! path — not on the file's position in the listing, the platform or the plumbline build — so
//! adding or removing one file never moves the others, and every shard of every job agrees.

use super::Listing;

pub use crate::model::Shard;

impl Listing {
    /// Keeps the candidates of `shard`, and the notifications about its files (or about no
    /// file in particular). Returns the paths of the candidates left to other shards.
    /// Keeps the candidates in `keep` (the files of this shard's units: its single files and
    /// the members of its groups); returns the paths left to other shards.
    pub fn keep_paths(
        &mut self,
        keep: &std::collections::BTreeSet<String>,
        shard: Shard,
    ) -> Vec<String> {
        let (kept, others): (Vec<_>, Vec<_>) = std::mem::take(&mut self.candidates)
            .into_iter()
            .partition(|c| keep.contains(&c.path));
        self.candidates = kept;
        self.narrowed = true;
        self.notifications.retain(|n| {
            n.file
                .as_deref()
                .is_none_or(|f| keep.contains(f) || shard.contains(f))
        });
        others.into_iter().map(|c| c.path).collect()
    }

    pub fn keep_shard(&mut self, shard: Shard) -> Vec<String> {
        let (kept, others): (Vec<_>, Vec<_>) = std::mem::take(&mut self.candidates)
            .into_iter()
            .partition(|c| shard.contains(&c.path));
        self.candidates = kept;
        self.narrowed = true;
        self.notifications
            .retain(|n| n.file.as_deref().is_none_or(|f| shard.contains(f)));
        others.into_iter().map(|c| c.path).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_rejects() {
        assert_eq!(
            "2/4".parse::<Shard>().unwrap(),
            Shard { index: 2, count: 4 }
        );
        assert_eq!("1/1".parse::<Shard>().unwrap().to_string(), "1/1");
        for bad in ["0/3", "4/3", "x", "1/0", "1/", "/3", "-1/3", "1/3/4", ""] {
            let e = bad.parse::<Shard>().unwrap_err();
            assert!(e.contains("1 ≤ I ≤ N"), "{bad}: {e}");
        }
    }

    #[test]
    fn assignment_is_a_stable_partition() {
        let paths: Vec<String> = (0..200).map(|i| format!("deploy/app-{i}.yaml")).collect();
        for count in [1, 2, 3, 7] {
            let mut seen = vec![0; count as usize];
            for p in &paths {
                let owners: Vec<u32> = (1..=count)
                    .filter(|&index| Shard { index, count }.contains(p))
                    .collect();
                assert_eq!(owners.len(), 1, "{p} in exactly one of {count} shards");
                seen[owners[0] as usize - 1] += 1;
            }
            assert!(seen.iter().all(|&n| n > 0), "{count}: {seen:?}");
        }
        // Pinned: the assignment is part of the interface (CI jobs of two plumbline versions
        // must agree), so a change here is a breaking change.
        let pinned: Vec<u32> = ["a.yaml", "b.yaml", "k8s/web.yaml"]
            .iter()
            .map(|p| Shard::of(p, 4))
            .collect();
        assert_eq!(pinned, PINNED);
    }

    /// Computed independently: `sha256(path)[..8]` big-endian, mod 4, plus 1.
    const PINNED: [u32; 3] = [4, 1, 2];
}
