//! How often redaction changes what it should not: every string of every fixture transcript (real sessions from
//! public repositories, where no live secret is expected) run through the built-in rules, each match listed with
//! its context for review, and the share of stored points whose text holds a marker.

use pipeline::redact::Redactor;
use serde::Serialize;
use std::path::{Path, PathBuf};

/// Characters of context shown on each side of a match.
const CONTEXT: usize = 40;

/// One match, for review.
#[derive(Debug, Serialize)]
pub struct Match {
    pub file: String,
    pub line: usize,
    pub rule: String,
    /// The match between `«` and `»`, with its context.
    pub context: String,
}

#[derive(Debug, Serialize)]
pub struct Report {
    pub files: usize,
    pub strings: u64,
    pub strings_changed: u64,
    pub points: usize,
    pub points_changed: usize,
    pub matches: Vec<Match>,
}

/// Scans every `*.jsonl` and `*.json` file under `fixtures`; `payloads` are the stored points.
pub fn measure(fixtures: &Path, payloads: &[pipeline::payload::Payload]) -> anyhow::Result<Report> {
    let redactor = Redactor::builtin()?;
    let mut report = Report {
        files: 0,
        strings: 0,
        strings_changed: 0,
        points: payloads.len(),
        // From the text, so that points stored before `redacted` existed count too.
        points_changed: payloads
            .iter()
            .filter(|p| !pipeline::redact::marker_kinds(&p.text).is_empty())
            .count(),
        matches: Vec::new(),
    };
    for file in transcripts(fixtures) {
        report.files += 1;
        let text = std::fs::read_to_string(&file)?;
        let name = file
            .strip_prefix(fixtures)
            .unwrap_or(&file)
            .display()
            .to_string();
        // JSONL line by line; a whole-file JSON document (Gemini CLI) as line 1.
        let documents: Vec<&str> = if file.extension().is_some_and(|e| e == "jsonl") {
            text.lines().collect()
        } else {
            vec![text.as_str()]
        };
        for (i, doc) in documents.iter().enumerate() {
            let Ok(value) = serde_json::from_str::<serde_json::Value>(doc) else {
                continue;
            };
            let mut strings = Vec::new();
            collect_strings(&value, &mut strings);
            for s in strings {
                report.strings += 1;
                let found = redactor.findings(s);
                report.strings_changed += u64::from(!found.is_empty());
                for f in found {
                    report.matches.push(Match {
                        file: name.clone(),
                        line: i + 1,
                        rule: f.rule.to_string(),
                        context: around(s, f.span),
                    });
                }
            }
        }
    }
    Ok(report)
}

pub fn print(r: &Report) {
    println!(
        "\nredaction on the fixtures: {} of {} points changed ({:.2}%; goal <= 1%), {} of {} strings in {} files",
        r.points_changed,
        r.points,
        100.0 * r.points_changed as f64 / r.points.max(1) as f64,
        r.strings_changed,
        r.strings,
        r.files
    );
    for m in &r.matches {
        println!("  {}:{} {}: {}", m.file, m.line, m.rule, m.context);
    }
}

fn transcripts(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(transcripts(&p));
        } else if p.extension().is_some_and(|x| x == "jsonl" || x == "json") {
            out.push(p);
        }
    }
    out.sort();
    out
}

fn collect_strings<'a>(v: &'a serde_json::Value, out: &mut Vec<&'a str>) {
    match v {
        serde_json::Value::String(s) => out.push(s),
        serde_json::Value::Array(items) => items.iter().for_each(|i| collect_strings(i, out)),
        serde_json::Value::Object(map) => map.values().for_each(|i| collect_strings(i, out)),
        _ => {}
    }
}

/// The match in `text` at `span` between `«` and `»`, with up to [`CONTEXT`] characters each side, on one line.
fn around(text: &str, span: std::ops::Range<usize>) -> String {
    let before: String = text[..span.start]
        .chars()
        .rev()
        .take(CONTEXT)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    let after: String = text[span.end..].chars().take(CONTEXT).collect();
    format!("{before}«{}»{after}", &text[span]).replace('\n', "⏎")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_match_is_listed_with_its_rule_place_and_context() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let github = pipeline::synth::secrets::planted_of_kind(4, "github_token")
            .unwrap_or_else(|| panic!("planted"));
        let lines = [
            serde_json::json!({"message": {"content": "nothing secret here"}}),
            serde_json::json!({"message": {"content": [{"text": github.context}]}}),
        ];
        let text: String = lines.iter().map(|l| format!("{l}\n")).collect();
        std::fs::write(dir.path().join("s.jsonl"), text).unwrap_or_else(|e| panic!("{e}"));
        let r = measure(dir.path(), &[]).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((r.files, r.strings, r.strings_changed), (1, 2, 1));
        assert_eq!(r.matches.len(), 1, "{:?}", r.matches);
        let m = &r.matches[0];
        assert_eq!(
            (m.file.as_str(), m.line, m.rule.as_str()),
            ("s.jsonl", 2, "github-pat")
        );
        assert!(
            m.context.contains(&format!("«{}»", github.value)),
            "{}",
            m.context
        );
    }
}
