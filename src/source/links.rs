//! Where a symbolic link of the scanned tree leads, worked out inside the tree only.
//!
//! The tree is untrusted: a link may leave it (`../../etc`, `/etc/passwd`), loop (`a → b`,
//! `b → a`, `a → .`), dangle, or name a FIFO that would block whoever opens it. Links are
//! resolved one path component at a time against the tree itself (a revision's entries, or
//! `lstat` below the root on disk), the way the kernel would, without ever looking outside
//! the root: a step above it, an absolute target, or a step into a `.git` directory ends
//! the walk as [`End::Outside`]. Each link is resolved once (memoized), so the work is
//! bounded by the size of the link targets, however the links are chained.

use std::collections::HashMap;

/// What a path of the tree is, without following it when it is a link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Node {
    Dir,
    File,
    /// A FIFO, socket or device node (never opened); the kind names it for the user.
    Special(&'static str),
    /// A symbolic link and its target, as written.
    Link(String),
    /// A Git submodule: another repository's commit, whose files are not in this tree.
    Submodule,
    /// The link's own target could not be read (a corrupt or missing Git object).
    Unreadable(String),
    Missing,
}

/// Where a link leads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum End {
    /// A regular file of the tree, by its path from the root.
    File(String),
    /// A directory of the tree (`""` is the root).
    Dir(String),
    Special(String, &'static str),
    /// Into a submodule (the submodule's path).
    Submodule(String),
    /// Above the root, an absolute path, or into `.git`.
    Outside,
    /// The link leads back to itself.
    Loop,
    /// More than [`MAX_FOLLOWS`] links in a row (the kernel's limit), or a target longer
    /// than [`MAX_TARGET`].
    TooDeep,
    /// Nothing there: the first path that does not exist (or is not a directory).
    Dangling(String),
    Unreadable(String),
}

/// Links followed in a row before giving up, as Linux does (`ELOOP`).
pub(crate) const MAX_FOLLOWS: usize = 40;
/// The longest link target followed (`PATH_MAX`).
pub(crate) const MAX_TARGET: usize = 4096;

/// Looks paths of the tree up, for [`Resolver`].
pub(crate) trait Tree {
    /// What `path` (relative to the root, `/`-separated, no `.` or `..`) is.
    fn node(&mut self, path: &str) -> Node;
}

/// Resolves the links of one tree, remembering each link's end.
pub(crate) struct Resolver<T> {
    tree: T,
    /// A link's end; `None` while it is being resolved (meeting it again is a loop).
    ends: HashMap<String, Option<End>>,
}

impl<T: Tree> Resolver<T> {
    pub(crate) fn new(tree: T) -> Self {
        Self {
            tree,
            ends: HashMap::new(),
        }
    }

    pub(crate) fn tree(&mut self) -> &mut T {
        &mut self.tree
    }

    /// Where the link at `link` leads (`link` must be a link of the tree).
    pub(crate) fn resolve(&mut self, link: &str) -> End {
        self.follow(link, 0)
    }

    fn follow(&mut self, link: &str, depth: usize) -> End {
        match self.ends.get(link) {
            Some(Some(end)) => return end.clone(),
            Some(None) => return End::Loop,
            None => {}
        }
        if depth >= MAX_FOLLOWS {
            // Not remembered: the same link reached from nearer may well resolve.
            return End::TooDeep;
        }
        let target = match self.tree.node(link) {
            Node::Link(t) => t,
            Node::Unreadable(e) => return End::Unreadable(e),
            _ => return End::Dangling(link.to_string()),
        };
        self.ends.insert(link.to_string(), None);
        let base = link.rsplit_once('/').map_or("", |(dir, _)| dir);
        let end = self.walk(base, &target, depth);
        if end == End::TooDeep {
            self.ends.remove(link);
        } else {
            self.ends.insert(link.to_string(), Some(end.clone()));
        }
        end
    }

    /// Walks `target` from the directory `base`, following the links met on the way.
    fn walk(&mut self, base: &str, target: &str, depth: usize) -> End {
        if target.len() > MAX_TARGET {
            return End::TooDeep;
        }
        if leaves_by_form(target) {
            return End::Outside;
        }
        let mut parts: Vec<String> = base
            .split('/')
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect();
        let steps: Vec<&str> = target.split('/').collect();
        for (i, step) in steps.iter().enumerate() {
            match *step {
                "" | "." => continue,
                ".." => {
                    if parts.pop().is_none() {
                        return End::Outside;
                    }
                    continue;
                }
                name if name.eq_ignore_ascii_case(".git") => return End::Outside,
                name => parts.push(name.to_string()),
            }
            let here = parts.join("/");
            // `file/…` (even `file/` or `file/.`) is not a directory: nothing is there.
            let last = i + 1 == steps.len();
            let end = match self.tree.node(&here) {
                Node::Dir => continue,
                Node::Link(_) => match self.follow(&here, depth + 1) {
                    End::Dir(d) => {
                        parts = d
                            .split('/')
                            .filter(|s| !s.is_empty())
                            .map(str::to_string)
                            .collect();
                        continue;
                    }
                    other => other,
                },
                Node::File => End::File(here.clone()),
                Node::Special(kind) => End::Special(here.clone(), kind),
                Node::Submodule => return End::Submodule(here),
                Node::Unreadable(e) => return End::Unreadable(e),
                Node::Missing => return End::Dangling(here),
            };
            return match end {
                End::File(_) | End::Special(..) if !last => End::Dangling(format!("{here}/")),
                end => end,
            };
        }
        End::Dir(parts.join("/"))
    }
}

/// A target that leaves any tree by its form alone: absolute, a drive or a Windows path
/// (`C:\x`, `..\..\x`), which a checkout on Windows would follow out of the tree.
fn leaves_by_form(target: &str) -> bool {
    target.starts_with('/') || target.contains('\\') || target.contains(':')
}

/// Whether the directory `dir` is `of` or one of its ancestors (a link to it is a loop for
/// anyone who follows links while walking).
pub(crate) fn is_ancestor(dir: &str, of: &str) -> bool {
    dir.is_empty() || of == dir || of.starts_with(&format!("{dir}/"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    struct Map(BTreeMap<&'static str, Node>);

    impl Tree for Map {
        fn node(&mut self, path: &str) -> Node {
            self.0.get(path).cloned().unwrap_or(Node::Missing)
        }
    }

    fn tree(entries: &[(&'static str, Node)]) -> Resolver<Map> {
        Resolver::new(Map(entries.iter().cloned().collect()))
    }

    fn link(t: &str) -> Node {
        Node::Link(t.to_string())
    }

    #[test]
    fn files_dirs_and_chains_inside() {
        let mut r = tree(&[
            ("k8s", Node::Dir),
            ("k8s/web.yaml", Node::File),
            ("k8s/alias.yaml", link("web.yaml")),
            ("k8s/chain.yaml", link("../up/alias.yaml")),
            ("up", link("k8s")),
            ("current", link("k8s/")),
            ("via.yaml", link("current/../k8s/web.yaml")),
        ]);
        assert_eq!(
            r.resolve("k8s/alias.yaml"),
            End::File("k8s/web.yaml".into())
        );
        assert_eq!(
            r.resolve("k8s/chain.yaml"),
            End::File("k8s/web.yaml".into())
        );
        assert_eq!(r.resolve("current"), End::Dir("k8s".into()));
        // `..` after a link is taken from where the link leads, as the kernel does.
        assert_eq!(r.resolve("via.yaml"), End::File("k8s/web.yaml".into()));
    }

    #[test]
    fn escapes_loops_and_dangling() {
        let mut r = tree(&[
            ("d", Node::Dir),
            ("d/up", link("../../etc")),
            ("abs", link("/etc/passwd")),
            ("win", link("..\\..\\x")),
            ("git.yaml", link("d/../.git/config")),
            ("a.yaml", link("b.yaml")),
            ("b.yaml", link("a.yaml")),
            ("self", link(".")),
            ("d/file", Node::File),
            ("d/under-file", link("file/x")),
            ("d/gone.yaml", link("nope.yaml")),
            ("deep", link(&"x/".repeat(3000))),
        ]);
        assert_eq!(r.resolve("d/up"), End::Outside);
        assert_eq!(r.resolve("abs"), End::Outside);
        assert_eq!(r.resolve("win"), End::Outside);
        assert_eq!(r.resolve("git.yaml"), End::Outside);
        assert_eq!(r.resolve("a.yaml"), End::Loop);
        assert_eq!(r.resolve("b.yaml"), End::Loop);
        assert_eq!(r.resolve("self"), End::Dir(String::new()));
        assert!(is_ancestor("", "self"));
        assert_eq!(r.resolve("d/under-file"), End::Dangling("d/file/".into()));
        assert_eq!(
            r.resolve("d/gone.yaml"),
            End::Dangling("d/nope.yaml".into())
        );
        assert_eq!(r.resolve("deep"), End::TooDeep);
    }

    #[test]
    fn long_chains_stop_without_blaming_shorter_ones() {
        let names: Vec<&'static str> = (0..50)
            .map(|i| &*Box::leak(format!("l{i}").into_boxed_str()))
            .collect();
        let mut entries: Vec<(&'static str, Node)> =
            names.windows(2).map(|w| (w[0], link(w[1]))).collect();
        entries.push((names[49], link("f")));
        entries.push(("f", Node::File));
        let mut r = tree(&entries);
        assert_eq!(r.resolve("l0"), End::TooDeep);
        assert_eq!(r.resolve("l20"), End::File("f".into()));
    }
}
