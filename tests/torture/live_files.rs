//! Files that grow, or are recreated, while runs are killed.

use super::*;

/// One growing session file of the live-file test: where it is, the bytes it will end with, how many are written.
struct LiveFile {
    path: std::path::PathBuf,
    bytes: Vec<u8>,
    written: usize,
}

impl LiveFile {
    fn append_up_to(&mut self, end: usize) {
        let end = end.min(self.bytes.len());
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.path)
            .unwrap_or_else(|e| panic!("{e}"));
        f.write_all(&self.bytes[self.written..end])
            .unwrap_or_else(|e| panic!("{e}"));
        self.written = end;
    }

    /// The file's current content, which is about to be replaced: kept for the oracle.
    fn current_version(&self) -> (std::path::PathBuf, Vec<u8>) {
        (self.path.clone(), self.bytes[..self.written].to_vec())
    }
}

/// A writer appends to two session files (whole lines and lines split across writes) while runs are killed at
/// random instants. Along the way one file shrinks (truncated, mid-line or not, then written on with other
/// content), one is renamed and keeps growing, and one is deleted and recreated under the same name (the inode
/// may be reused) with other content.
///
/// Oracle: every point of one clean run over the final files is stored, byte for byte; any other point comes from
/// a version of a file that was replaced (what was seen of it is kept, as for files Claude Code deletes), so its
/// id belongs to a clean run over that version, and it is never a second copy of a message under another id.
#[test]
fn appends_while_runs_are_killed_end_equal_to_one_clean_run() {
    let seed = seed();
    eprintln!("live-file kill test seed: {seed}");
    let mut rng = Rng::new(seed);
    let src = tempdir();
    let data = tempdir();
    let cfg = tempdir();
    let pipeline_file = fine_grained_pipeline(cfg.path());
    let pipeline_arg = pipeline_file.to_str().unwrap_or_default().to_string();
    let project = src.path().join("-home-me-live");
    std::fs::create_dir_all(&project).unwrap_or_else(|e| panic!("{e}"));
    let session =
        |i: u64, lines: usize| pipeline::synth::session_bytes(seed, i, "/home/me/live", lines);
    let (rounds, lines) = if long_mode() { (300, 600) } else { (10, 120) };
    let mut files: Vec<LiveFile> = (0..2u64)
        .map(|i| LiveFile {
            path: project.join(format!("live-{i}.jsonl")),
            bytes: session(i, lines),
            written: 0,
        })
        .collect();
    // Appends average the file's size over the rounds, so that most runs have new lines to read when killed.
    let step_max = (2 * files[0].bytes.len() / rounds).max(4096);
    let mut replaced: Vec<(std::path::PathBuf, Vec<u8>)> = Vec::new();
    let (mut kills, mut appends, mut file_events) = (0u64, 0u64, 0u64);
    let args = [
        "--pipeline",
        pipeline_arg.as_str(),
        "run",
        "--source",
        src.path().to_str().unwrap_or_default(),
    ];
    for round in 0..rounds {
        if round == rounds / 4 && files[1].written > 0 {
            // The second file shrinks: cut at a random byte, then written on with another session's lines.
            replaced.push(files[1].current_version());
            let cut = rng.below(files[1].written);
            let f = std::fs::OpenOptions::new()
                .write(true)
                .open(&files[1].path)
                .unwrap_or_else(|e| panic!("{e}"));
            f.set_len(cut as u64).unwrap_or_else(|e| panic!("{e}"));
            let mut bytes = files[1].bytes[..cut].to_vec();
            bytes.extend(session(7, lines * 2 / 3));
            files[1].bytes = bytes;
            files[1].written = cut;
            file_events += 1;
        }
        if round == rounds / 2 && files[0].written > 0 {
            // The first file is renamed and keeps growing under its new name.
            let renamed = project.join("live-0-renamed.jsonl");
            std::fs::rename(&files[0].path, &renamed).unwrap_or_else(|e| panic!("{e}"));
            files[0].path = renamed;
            file_events += 1;
        }
        if round == 3 * rounds / 4 && files[0].written > 0 {
            // ... then deleted and recreated under the same name with another session's lines.
            replaced.push(files[0].current_version());
            std::fs::remove_file(&files[0].path).unwrap_or_else(|e| panic!("{e}"));
            files[0].bytes = session(8, lines * 2 / 3);
            files[0].written = 0;
            file_events += 1;
        }
        // Append a random amount (possibly ending mid-line) to each file.
        for f in files.iter_mut() {
            let step = 1 + rng.below(step_max);
            f.append_up_to(f.written + step);
            appends += 1;
        }
        let mut child = spawn(data.path(), &args);
        // Every third run (the second one first) goes to its end, so replaced versions are partly stored.
        if round % 3 != 1 {
            std::thread::sleep(Duration::from_millis(30 + rng.below_u64(800)));
            if child.try_wait().ok().flatten().is_none() {
                let _ = child.kill();
                kills += 1;
            }
        }
        let status = child.wait().unwrap_or_else(|e| panic!("{e}"));
        assert!(
            status.code() != Some(1),
            "round {round} failed (seed {seed})"
        );
    }
    // Finish writing everything, then sync to the end.
    for f in files.iter_mut() {
        f.append_up_to(usize::MAX);
    }
    sync_ok(data.path(), src.path(), &[]);
    let clean = tempdir();
    sync_ok(clean.path(), src.path(), &[]);
    let replaced_oracle = clean_run_over_versions(src.path(), &files, &replaced);
    let checked = assert_export_within_oracle(
        &export(data.path()),
        &export(clean.path()),
        &replaced_oracle,
        &format!("live files, seed {seed}"),
    );
    eprintln!("live files: {appends} appends, {file_events} shrinks, renames and recreations");
    torture_report(
        "live-files",
        rounds as u64,
        kills,
        appends + file_events,
        checked,
        0.0,
        Some(seed),
    );
}

/// The export of one clean run over the replaced versions of files, each put back at its own path (the final
/// files are moved aside meanwhile and restored afterwards).
fn clean_run_over_versions(
    src: &Path,
    finals: &[LiveFile],
    versions: &[(std::path::PathBuf, Vec<u8>)],
) -> Vec<String> {
    let aside = tempdir();
    for (i, f) in finals.iter().enumerate() {
        std::fs::rename(&f.path, aside.path().join(i.to_string()))
            .unwrap_or_else(|e| panic!("{e}"));
    }
    for (path, bytes) in versions {
        std::fs::write(path, bytes).unwrap_or_else(|e| panic!("{e}"));
    }
    let oracle = tempdir();
    sync_ok(oracle.path(), src, &[]);
    for (path, _) in versions {
        std::fs::remove_file(path).unwrap_or_else(|e| panic!("{e}"));
    }
    for (i, f) in finals.iter().enumerate() {
        std::fs::rename(aside.path().join(i.to_string()), &f.path)
            .unwrap_or_else(|e| panic!("{e}"));
    }
    export(oracle.path())
}

/// Checks the live-file oracle (see the test above) and returns how many points it checked.
fn assert_export_within_oracle(
    actual: &[String],
    clean: &[String],
    replaced: &[String],
    what: &str,
) -> u64 {
    use std::collections::{HashMap, HashSet};
    let id_of = |line: &String| -> String {
        let v: serde_json::Value = serde_json::from_str(line).unwrap_or_default();
        v["id"].as_str().unwrap_or_default().to_string()
    };
    let stored: HashMap<String, &String> = actual.iter().map(|l| (id_of(l), l)).collect();
    assert_eq!(
        stored.len(),
        actual.len(),
        "{what}: an id is exported twice"
    );
    let missing: Vec<&String> = clean
        .iter()
        .filter(|l| stored.get(&id_of(l)) != Some(l))
        .take(2)
        .collect();
    assert!(
        missing.is_empty(),
        "{what}: lost or stale points: {missing:#?}"
    );
    let clean_ids: HashSet<String> = clean.iter().map(id_of).collect();
    let replaced_ids: HashSet<String> = replaced.iter().map(id_of).collect();
    let invented: Vec<&&String> = stored
        .iter()
        .filter(|(id, _)| !clean_ids.contains(*id) && !replaced_ids.contains(*id))
        .map(|(_, l)| l)
        .take(2)
        .collect();
    assert!(
        invented.is_empty(),
        "{what}: points from no version of any file: {invented:#?}"
    );
    let kept = actual.len() - clean.len();
    eprintln!(
        "{what}: {} points as a clean run, {kept} kept from replaced versions",
        clean.len()
    );
    actual.len() as u64
}

/// A file deleted and recreated under the same name (the inode may well be reused) with the same first line but
/// other content: the checkpoint is not trusted (the bytes before its offset changed), the file is read again and
/// its new messages are stored.
#[test]
fn a_recreated_file_with_the_same_head_is_read_again() {
    use std::os::unix::fs::MetadataExt;
    let src = tempdir();
    let data = tempdir();
    let file = src.path().join("-p/s.jsonl");
    std::fs::create_dir_all(file.parent().unwrap_or(src.path())).unwrap_or_else(|e| panic!("{e}"));
    let first = std::fs::read(fixtures().join("-tmp-claude-reliability/hello-world-script.jsonl"))
        .unwrap_or_default();
    std::fs::write(&file, &first).unwrap_or_else(|e| panic!("{e}"));
    let inode_before = std::fs::metadata(&file).map(|m| m.ino()).unwrap_or(0);
    sync_ok(data.path(), src.path(), &[]);
    let before = export(data.path()).len();

    let head_end = first
        .iter()
        .position(|b| *b == b'\n')
        .map_or(first.len(), |i| i + 1);
    let mut second = first[..head_end].to_vec();
    second.extend(
        std::fs::read(fixtures().join("-tmp-claude-reliability/coverage-test-fix.jsonl"))
            .unwrap_or_default(),
    );
    std::fs::remove_file(&file).unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(&file, &second).unwrap_or_else(|e| panic!("{e}"));
    let inode_after = std::fs::metadata(&file).map(|m| m.ino()).unwrap_or(0);
    let o = sync_ok(data.path(), src.path(), &["--json"]);
    assert!(stderr(&o).contains("rewritten"), "{}", stderr(&o));
    let texts: Vec<String> = export_json(data.path())
        .iter()
        .filter_map(|p| p["payload"]["text"].as_str().map(str::to_string))
        .collect();
    assert!(
        texts.iter().any(|t| t.contains("multiply_numbers")),
        "content of the new file is stored"
    );
    assert!(texts.len() > before);
    eprintln!(
        "recreated file: inode {}",
        if inode_before == inode_after {
            "reused"
        } else {
            "new"
        }
    );
    torture_report("recreated-file", 1, 0, 1, texts.len() as u64, 0.0, None);
}
