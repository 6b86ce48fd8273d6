//! The environment's limits: an unwritable data dir, tiny budgets, a full disk, a jumping clock.

use super::*;

#[test]
fn an_unwritable_data_dir_is_a_clear_error() {
    use std::os::unix::fs::PermissionsExt;
    let Some(mut cmd) = unprivileged_command() else {
        eprintln!("skipped: root without setpriv");
        return;
    };
    let root = tempdir();
    std::fs::set_permissions(root.path(), std::fs::Permissions::from_mode(0o777))
        .unwrap_or_else(|e| panic!("{e}"));
    let data = root.path().join("data");
    std::fs::create_dir_all(&data).unwrap_or_else(|e| panic!("{e}"));
    std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o555))
        .unwrap_or_else(|e| panic!("{e}"));
    let o = cmd
        .arg("--data-dir")
        .arg(&data)
        .args(["run", "--source"])
        .arg(fixtures())
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(
        err.contains(data.to_str().unwrap_or_default()),
        "names the data dir: {err}"
    );
    assert!(!err.contains("panicked"), "{err}");
    torture_report("read-only-data-dir", 1, 0, 1, 0, 0.0, None);
}

#[test]
fn tiny_budgets_exit_in_time() {
    let data = tempdir();
    let mut worst = Duration::ZERO;
    // Budgets below the model's load time, then a few just above it: those must make progress on a fresh data
    // dir, where neither the load time nor the embedding speed is known yet.
    for budget in ["0s", "100ms", "1s", "2s", "2s", "2s"] {
        let wanted = humantime::parse_duration(budget).unwrap_or_default();
        let start = Instant::now();
        let o = sync(data.path(), &fixtures(), &["--budget", budget]);
        let took = start.elapsed();
        assert!(matches!(code(&o), 0 | 75), "{budget}: {}", stderr(&o));
        worst = worst.max(took.saturating_sub(wanted));
        assert!(
            took < wanted + Duration::from_millis(700),
            "{budget} budget took {took:?}"
        );
    }
    let stored = stats_json(data.path(), &fixtures())["store"]["points"]
        .as_u64()
        .unwrap_or(0);
    assert!(stored > 0, "2-second budgets stored nothing");
    // Overshoot is measured from outside: process start and exit included.
    torture_report(
        "tiny-budgets",
        6,
        0,
        0,
        0,
        worst.as_secs_f64() * 1000.0,
        None,
    );
}

/// A data dir on a tiny tmpfs fills up mid-run: a clear error, no panic, and once there is room again the next run
/// ends equal to a clean one (nothing committed was lost or duplicated). Needs root for `mount`; skipped otherwise.
#[test]
fn a_full_disk_fails_cleanly_and_the_next_run_recovers() {
    let src = tempdir();
    let mnt = tempdir();
    std::fs::create_dir_all(src.path().join("-p")).unwrap_or_else(|e| panic!("{e}"));
    for f in ["python-to-rust-port.jsonl", "coverage-test-fix.jsonl"] {
        std::fs::copy(
            fixtures().join("-tmp-claude-reliability").join(f),
            src.path().join("-p").join(f),
        )
        .unwrap_or_else(|e| panic!("{e}"));
    }
    let mount = |opts: &str| {
        std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", opts, "tmpfs"])
            .arg(mnt.path())
            .status()
            .is_ok_and(|s| s.success())
    };
    if !mount("size=1m") {
        eprintln!("skipped: cannot mount a tmpfs here (needs root)");
        return;
    }
    struct Unmount<'a>(&'a Path);
    impl Drop for Unmount<'_> {
        fn drop(&mut self) {
            let _ = std::process::Command::new("umount").arg(self.0).status();
        }
    }
    let _guard = Unmount(mnt.path());
    let data = mnt.path().join("data");
    let o = run(
        &data,
        &["run", "--source", src.path().to_str().unwrap_or_default()],
    );
    let err = stderr(&o);
    assert_eq!(code(&o), 1, "{err}");
    assert!(err.contains("No space left on device"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    let remounted = std::process::Command::new("mount")
        .args(["-o", "remount,size=64m"])
        .arg(mnt.path())
        .status()
        .is_ok_and(|s| s.success());
    assert!(remounted);
    sync_ok(&data, src.path(), &[]);
    let clean = tempdir();
    sync_ok(clean.path(), src.path(), &[]);
    assert_same_export(&export(&data), &export(clean.path()), "after a full disk");
    let leftovers: Vec<_> = std::fs::read_dir(&data)
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
        .collect();
    assert!(
        leftovers.is_empty(),
        "no half-written snapshot is left behind"
    );
    torture_report("full-disk", 1, 0, 1, export(&data).len() as u64, 0.0, None);
}

/// libfaketime, if installed (Debian's `libfaketime`; `.ci/run` installs it): it makes the wall clock of a process
/// read from a file, so a test can make it jump while the process runs.
fn libfaketime() -> Option<std::path::PathBuf> {
    [
        "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1",
        "/usr/lib/aarch64-linux-gnu/faketime/libfaketime.so.1",
    ]
    .iter()
    .map(std::path::PathBuf::from)
    .find(|p| p.exists())
}

/// The wall clock jumps back and forth by hours and days while budgeted runs go on (as with an NTP step or a
/// manual clock change): every run still ends within its budget plus a small slack, as the budget is measured on
/// the monotonic clock, and the runs end equal to one clean run.
#[test]
fn a_jumping_wall_clock_changes_neither_the_budget_nor_the_result() {
    let Some(faketime) = libfaketime() else {
        eprintln!("skipped: libfaketime is not installed (apt-get install libfaketime)");
        return;
    };
    let src = tempdir();
    std::fs::create_dir_all(src.path().join("-p")).unwrap_or_else(|e| panic!("{e}"));
    for f in [
        "hello-world-script.jsonl",
        "coverage-test-fix.jsonl",
        "python-to-rust-port.jsonl",
    ] {
        std::fs::copy(
            fixtures().join("-tmp-claude-reliability").join(f),
            src.path().join("-p").join(f),
        )
        .unwrap_or_else(|e| panic!("{e}"));
    }
    let clock = tempdir();
    let offset_file = clock.path().join("offset");
    let set_offset = |offset: &str| {
        std::fs::write(&offset_file, offset).unwrap_or_else(|e| panic!("{e}"));
    };
    let faked = |mut c: std::process::Command| {
        c.env("LD_PRELOAD", &faketime)
            .env("FAKETIME_TIMESTAMP_FILE", &offset_file)
            .env("FAKETIME_NO_CACHE", "1")
            .env("DONT_FAKE_MONOTONIC", "1");
        c
    };
    // The harness itself must work: a faked `date` is three days ahead.
    set_offset("+3d");
    let date = |c: &mut std::process::Command| -> i64 {
        c.arg("+%s")
            .output()
            .ok()
            .and_then(|o| String::from_utf8_lossy(&o.stdout).trim().parse().ok())
            .unwrap_or(0)
    };
    let ahead = date(&mut faked(std::process::Command::new("date")))
        - date(&mut std::process::Command::new("date"));
    assert!(
        ahead > 2 * 86_400,
        "libfaketime does not move the clock ({ahead} s)"
    );

    let data = tempdir();
    let budget = Duration::from_secs(3);
    let offsets = ["-2h", "+3d", "+0", "-40d", "+1h"];
    let (mut runs, mut jumps, mut worst) = (0u64, 0u64, Duration::ZERO);
    let source = src.path().to_str().unwrap_or_default();
    loop {
        set_offset("+0");
        let mut child = faked(command(
            data.path(),
            &["run", "--source", source, "--budget", "3s"],
        ))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("spawn: {e}"));
        let start = Instant::now();
        let status = loop {
            if let Ok(Some(s)) = child.try_wait() {
                break s;
            }
            assert!(
                start.elapsed() < budget * 4,
                "a run under a jumping clock does not stop"
            );
            std::thread::sleep(Duration::from_millis(200));
            set_offset(offsets[(jumps % offsets.len() as u64) as usize]);
            jumps += 1;
        };
        let took = start.elapsed();
        worst = worst.max(took.saturating_sub(budget));
        runs += 1;
        assert!(
            took < budget + Duration::from_millis(700),
            "run {runs} took {took:?} for a {budget:?} budget"
        );
        match status.code() {
            Some(0) => break,
            Some(75) => assert!(runs < 30, "no progress under a jumping clock"),
            other => panic!("run {runs} failed with {other:?}"),
        }
    }
    let clean = tempdir();
    sync_ok(clean.path(), src.path(), &[]);
    let expected = export(clean.path());
    assert_same_export(
        &export(data.path()),
        &expected,
        "runs under a jumping clock",
    );
    torture_report(
        "clock-jumps",
        runs,
        0,
        jumps,
        expected.len() as u64,
        worst.as_secs_f64() * 1000.0,
        None,
    );
}
