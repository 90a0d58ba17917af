//! The scanned tree is untrusted: nothing in it is silently skipped or misreported, and
//! nothing outside it is read. Submodules, symlink loops, links out of the tree, FIFOs and
//! sockets, dangling links and corrupt Git objects each give a notification that names the
//! path, and a revision scan and a working-tree scan report them alike.

mod common;
use common::*;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// A repository with one privileged Deployment (`good/deploy.yaml`) and the policy.
fn repo() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    git(d, &["init", "-q"]);
    write(d, "good/deploy.yaml", PRIV_DEPLOYMENT);
    write(d, "pol/priv.rego", PRIV_POLICY);
    commit_all(d, "good");
    dir
}

const SCAN: [&str; 7] = ["scan", ".", "--no-builtin", "--policy", "pol", "-f", "json"];

/// Scans `d` as a revision (`HEAD`) and as a working tree.
fn both(d: &Path, extra: &[&str]) -> [(&'static str, Run); 2] {
    let mut rev = SCAN.to_vec();
    rev.extend_from_slice(extra);
    let mut wt = rev.clone();
    wt.push("--worktree");
    [
        ("revision", plumbline(d, &rev)),
        ("worktree", plumbline(d, &wt)),
    ]
}

/// The notifications of a report as (code, level, file).
fn notes(r: &serde_json::Value) -> Vec<(String, String, String)> {
    r["notifications"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| {
            (
                n["code"].as_str().unwrap().to_string(),
                n["level"].as_str().unwrap().to_string(),
                n["file"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect()
}

fn message<'a>(r: &'a serde_json::Value, file: &str) -> &'a str {
    r["notifications"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["file"] == file)
        .unwrap_or_else(|| panic!("no notification about {file}: {r}"))["message"]
        .as_str()
        .unwrap()
}

fn note(code: &str, level: &str, file: &str) -> (String, String, String) {
    (code.into(), level.into(), file.into())
}

fn assert_good_found(what: &str, r: &serde_json::Value) {
    let locs = locations(r);
    assert_eq!(
        locs,
        [(
            "good/deploy.yaml".to_string(),
            13,
            13,
            "TEST-PRIV".to_string()
        )],
        "{what}: only the good file's finding"
    );
}

#[test]
fn a_submodule_is_reported_not_skipped_by_both_scans() {
    let dir = repo();
    let d = dir.path();
    let head = git(d, &["rev-parse", "HEAD"]);
    // A gitlink, as `git submodule add` records it (its content is another repository's).
    git(
        d,
        &[
            "update-index",
            "--add",
            "--cacheinfo",
            &format!("160000,{head},vendor/sub"),
        ],
    );
    git(d, &["commit", "-q", "-m", "submodule"]);
    // Checked out, the submodule holds files on disk: the working-tree scan must not read
    // them either, so that both scans report the same thing.
    write(d, "vendor/sub/.git", "gitdir: ../../.git/modules/sub\n");
    write(d, "vendor/sub/deploy.yaml", PRIV_DEPLOYMENT);
    for (what, run) in both(d, &[]) {
        assert_eq!(
            run.code, 3,
            "{what}: a submodule makes the scan incomplete: {}",
            run.stdout
        );
        let r = run.json();
        assert_good_found(what, &r);
        assert_eq!(
            notes(&r),
            [note("submodule-not-scanned", "error", "vendor/sub")],
            "{what}"
        );
        let m = message(&r, "vendor/sub");
        assert!(m.contains(&head), "{what}: names the commit: {m}");
        assert!(m.contains("separately"), "{what}: says what to do: {m}");
        assert_eq!(r["summary"]["incomplete"], true);
    }
    // Leaving it out deliberately is the operator's choice: complete, and quiet.
    for (what, run) in both(d, &["--exclude", "vendor/sub"]) {
        assert_eq!(run.code, 1, "{what}: {}", run.stdout);
        assert!(notes(&run.json()).is_empty(), "{what}");
    }
}

#[cfg(unix)]
#[test]
fn symlink_loops_are_called_loops() {
    use std::os::unix::fs::symlink;
    let dir = repo();
    let d = dir.path();
    symlink("b.yaml", d.join("a.yaml")).unwrap();
    symlink("a.yaml", d.join("b.yaml")).unwrap();
    symlink(".", d.join("self.yaml")).unwrap();
    symlink("..", d.join("good/up")).unwrap();
    commit_all(d, "loops");
    for (what, run) in both(d, &[]) {
        assert_eq!(
            run.code, 1,
            "{what}: loops hold nothing to read: {}",
            run.stdout
        );
        let r = run.json();
        assert_good_found(what, &r);
        assert_eq!(
            notes(&r),
            [
                note("symlink-loop", "warning", "a.yaml"),
                note("symlink-loop", "warning", "b.yaml"),
                note("symlink-loop", "warning", "good/up"),
                note("symlink-loop", "warning", "self.yaml"),
            ],
            "{what}"
        );
        assert!(message(&r, "a.yaml").contains("symlink loop"), "{what}");
        assert!(!message(&r, "self.yaml").contains("outside"), "{what}");
    }
}

#[cfg(unix)]
#[test]
fn links_out_of_the_tree_are_reported_as_outside_and_never_followed() {
    use std::os::unix::fs::symlink;
    let top = tempfile::tempdir().unwrap();
    let outside = top.path().join("outside");
    write(&outside, "secret.yaml", PRIV_DEPLOYMENT);
    write(&outside, "etc/app.yaml", PRIV_DEPLOYMENT);
    let d = &top.path().join("repo");
    std::fs::create_dir(d).unwrap();
    git(d, &["init", "-q"]);
    write(d, "good/deploy.yaml", PRIV_DEPLOYMENT);
    write(d, "pol/priv.rego", PRIV_POLICY);
    // Directory links (no extension), relative and absolute, and a file link.
    symlink("../../outside/etc", d.join("good/etc")).unwrap();
    symlink(outside.join("etc"), d.join("abs-etc")).unwrap();
    symlink("../outside/secret.yaml", d.join("secret.yaml")).unwrap();
    // `.git` is not part of the scanned tree either (it may hold credentials).
    symlink(".git/config", d.join("config.yaml")).unwrap();
    commit_all(d, "links");
    for (what, run) in both(d, &[]) {
        assert_eq!(run.code, 1, "{what}: {}", run.stdout);
        let r = run.json();
        assert_good_found(what, &r);
        assert_eq!(
            notes(&r),
            [
                note("symlink-outside", "warning", "abs-etc"),
                note("symlink-outside", "warning", "config.yaml"),
                note("symlink-outside", "warning", "good/etc"),
                note("symlink-outside", "warning", "secret.yaml"),
            ],
            "{what}"
        );
        for file in ["abs-etc", "good/etc"] {
            let m = message(&r, file);
            assert!(m.contains("outside the scanned tree"), "{what}: {m}");
            assert!(!m.contains("does not exist"), "{what}: {m}");
        }
    }
}

#[cfg(unix)]
#[test]
fn dangling_links_are_reported_and_links_to_unscanned_files_are_scanned() {
    use std::os::unix::fs::symlink;
    let dir = repo();
    let d = dir.path();
    symlink("nope.yaml", d.join("gone.yaml")).unwrap();
    // The content is a manifest, under a name the scan does not read: scanned at the link.
    write(
        d,
        "other/app.txt",
        &PRIV_DEPLOYMENT.replace("name: web", "name: txt"),
    );
    symlink("../other/app.txt", d.join("good/app.yaml")).unwrap();
    // A link to a scanned file: scanned once, at the target.
    symlink("deploy.yaml", d.join("good/alias.yaml")).unwrap();
    commit_all(d, "links");
    for (what, run) in both(d, &[]) {
        assert_eq!(run.code, 1, "{what}: {}", run.stdout);
        let r = run.json();
        let files: Vec<String> = locations(&r).into_iter().map(|l| l.0).collect();
        assert_eq!(files, ["good/app.yaml", "good/deploy.yaml"], "{what}");
        assert_eq!(
            notes(&r),
            [note("symlink-dangling", "warning", "gone.yaml")],
            "{what}"
        );
        assert!(message(&r, "gone.yaml").contains("nope.yaml"), "{what}");
    }
}

/// Runs plumbline, killing it if it has not finished within a minute (a FIFO that is
/// opened blocks forever).
fn run_bounded(dir: &Path, args: &[&str]) -> Run {
    let mut child = Command::new(env!("CARGO_BIN_EXE_plumbline"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            child.kill().unwrap();
            panic!("plumbline {args:?} blocked (it opened a FIFO?)");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let out = child.wait_with_output().unwrap();
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

#[cfg(unix)]
#[test]
fn fifos_and_sockets_are_named_and_never_opened() {
    let dir = repo();
    let d = dir.path();
    let made = Command::new("mkfifo")
        .arg(d.join("pipe.yaml"))
        .status()
        .expect("mkfifo (coreutils) runs");
    assert!(made.success());
    let _socket = std::os::unix::net::UnixListener::bind(d.join("sock.yaml")).unwrap();
    std::os::unix::fs::symlink("pipe.yaml", d.join("to-pipe.yaml")).unwrap();
    let mut args = SCAN.to_vec();
    args.push("--worktree");
    let run = run_bounded(d, &args);
    assert_eq!(
        run.code, 3,
        "what could not be read makes it incomplete: {}",
        run.stdout
    );
    let r = run.json();
    assert_good_found("worktree", &r);
    assert_eq!(
        notes(&r),
        [
            note("special-file", "error", "pipe.yaml"),
            note("special-file", "error", "sock.yaml"),
            note("special-file", "error", "to-pipe.yaml"),
        ]
    );
    assert!(message(&r, "pipe.yaml").contains("FIFO"));
    assert!(message(&r, "sock.yaml").contains("socket"));
    assert!(message(&r, "to-pipe.yaml").contains("FIFO"));

    // A FIFO given as the scan target is refused by its own name: neither the waiver file
    // nor the configuration file is blamed.
    let run = run_bounded(d, &["scan", "pipe.yaml", "--no-builtin", "--policy", "pol"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(run.stderr.contains("pipe.yaml is a FIFO"), "{}", run.stderr);
    assert!(!run.stderr.contains("waivers.yaml"), "{}", run.stderr);
    assert!(!run.stderr.contains(".plumbline.yaml"), "{}", run.stderr);
}

/// Overwrites a loose object of the repository with `bytes` (`None`: deletes it).
fn damage(d: &Path, rev: &str, bytes: Option<&[u8]>) -> String {
    let id = git(d, &["rev-parse", rev]);
    let file = d.join(".git/objects").join(&id[..2]).join(&id[2..]);
    match bytes {
        Some(b) => {
            let mut perms = std::fs::metadata(&file).unwrap().permissions();
            #[allow(clippy::permissions_set_readonly_false)]
            perms.set_readonly(false);
            std::fs::set_permissions(&file, perms).unwrap();
            std::fs::write(&file, b).unwrap();
        }
        None => std::fs::remove_file(&file).unwrap(),
    }
    id
}

#[test]
fn corrupt_objects_are_called_corrupt_and_missing_ones_missing() {
    let dir = repo();
    let d = dir.path();
    write(d, "bad.yaml", "a: 1\n");
    write(d, "sub/x.yaml", "b: 2\n");
    commit_all(d, "more");
    let blob = damage(d, "HEAD:bad.yaml", Some(b"not zlib at all"));
    let tree = damage(d, "HEAD:sub", Some(b"not zlib either"));
    let run = plumbline(d, &SCAN);
    assert_eq!(run.code, 3, "{}", run.stderr);
    let r = run.json();
    assert_good_found("revision", &r);
    assert_eq!(
        notes(&r),
        [
            note("git-object-corrupt", "error", "sub"),
            note("read-error", "error", "bad.yaml"),
        ]
    );
    for (file, id) in [("bad.yaml", &blob), ("sub", &tree)] {
        let m = message(&r, file);
        assert!(m.contains("corrupt") && m.contains(id.as_str()), "{m}");
        assert!(!m.contains("missing"), "{m}");
    }
    damage(d, "HEAD:sub", None);
    let r = plumbline(d, &SCAN).json();
    assert!(notes(&r).contains(&note("git-object-missing", "error", "sub")));
    assert!(message(&r, "sub").contains("missing"));
}

#[test]
fn a_directory_not_in_the_revision_is_an_error_not_an_empty_scan() {
    let dir = repo();
    let d = dir.path();
    write(d, "new/deploy.yaml", PRIV_DEPLOYMENT);
    let run = plumbline(d, &["scan", "new", "--no-builtin", "--policy", "pol"]);
    assert_eq!(run.code, 2, "{}", run.stdout);
    assert!(
        run.stderr.contains("new is not in revision HEAD"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("--worktree"), "{}", run.stderr);
}

#[cfg(unix)]
#[test]
fn a_dangling_configuration_link_is_an_error_naming_it() {
    let dir = repo();
    let d = dir.path();
    std::os::unix::fs::symlink("nowhere.yaml", d.join(".plumbline.yaml")).unwrap();
    for (what, run) in both(d, &[]) {
        assert_eq!(run.code, 2, "{what}: {}", run.stdout);
        assert!(
            run.stderr.contains(".plumbline.yaml"),
            "{what}: {}",
            run.stderr
        );
    }
}

/// Files a generator reads (Kustomize `configMapGenerator` sources) are read only when they
/// are regular files inside the tree, and each refusal says what the file is: a link out of
/// the tree is not "missing", and a FIFO is never opened.
#[cfg(unix)]
#[test]
fn generator_sources_that_are_not_regular_files_inside_the_tree_are_named_for_what_they_are() {
    let dir = repo();
    let d = dir.path();
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("secret.txt"), "CANARY-GENERATOR-7731").unwrap();
    write(
        d,
        "gen/kustomization.yaml",
        "configMapGenerator:\n\
         - name: out\n  files: [out.txt]\n\
         - name: pipe\n  files: [pipe.txt]\n\
         - name: gone\n  files: [gone.txt]\n\
         - name: up\n  files: [../../etc/hostname]\n\
         - name: fine\n  files: [fine.txt]\n",
    );
    write(d, "gen/fine.txt", "hello");
    std::os::unix::fs::symlink(outside.path().join("secret.txt"), d.join("gen/out.txt")).unwrap();
    std::os::unix::fs::symlink("nothing-here.txt", d.join("gen/gone.txt")).unwrap();
    let made = Command::new("mkfifo")
        .arg(d.join("gen/pipe.txt"))
        .status()
        .expect("mkfifo (coreutils) runs");
    assert!(made.success());
    let mut args = SCAN.to_vec();
    args.push("--worktree");
    let run = run_bounded(d, &args);
    assert_eq!(run.code, 3, "{}\n{}", run.stdout, run.stderr);
    assert!(!run.stdout.contains("CANARY-GENERATOR"), "{}", run.stdout);
    let r = run.json();
    assert_good_found("worktree", &r);
    let about = |needle: &str| -> String {
        r["notifications"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|n| n["file"] == "gen/kustomization.yaml")
            .map(|n| n["message"].as_str().unwrap().to_string())
            .find(|m| m.contains(needle))
            .unwrap_or_else(|| panic!("no kustomization notification about {needle}: {r}"))
    };
    let out = about("out.txt");
    assert!(out.contains("outside the repository"), "{out}");
    assert!(!out.contains("does not exist"), "{out}");
    assert!(about("pipe.txt").contains("FIFO"));
    assert!(about("gone.txt").contains("leads nowhere"));
    let up = about("etc/hostname");
    assert!(
        up.contains("outside this kustomization's directory"),
        "{up}"
    );
    assert!(
        !r["notifications"].to_string().contains("fine.txt"),
        "the regular file is read without a word: {r}"
    );
}
