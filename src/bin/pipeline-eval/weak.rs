//! Calibrates the weak-match cut-off (`embed.model.weak_cosine`) of the model under test. A hit holding none of
//! the query's words whose cosine is below the cut-off is hidden; each model's cosines run on their own scale, so
//! the cut-off is measured per model, from two sides:
//! - the labelled questions, which must keep their answers: for each cut-off, how many questions would lose every
//!   right answer in the hybrid top 50, and how many of the top-10 hits would be hidden;
//! - questions the history never answers (`eval/off-topic.txt`), which should get nothing: how many get no hit
//!   at all at that cut-off.
//!
//! With a second model for questions in plain words, a plain question's cut-off is that model's (for the mean
//! cosine) and any other's the first model's, so each form is calibrated on its own ([`Form`]).

use crate::metrics::MRR_DEPTH;
use crate::questions::Question;
use pipeline::embedder::Embedder;
use pipeline::search::plain_question::is_plain_question;
use pipeline::search::query::{self, SearchOptions};
use pipeline::search::{Corpus, Hit, SearchMode};
use serde::Serialize;
use std::path::Path;

/// The cut-offs measured besides the model's own.
const GRID: [f32; 8] = [0.05, 0.10, 0.15, 0.20, 0.25, 0.30, 0.35, 0.40];
/// Hits an off-topic question is searched to: every candidate that could be shown.
const OFF_TOPIC_DEPTH: usize = 200;

/// Which questions a calibration covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Form {
    /// Every question: one model.
    All,
    /// Questions in plain words (`search::plain_question`), asked of both of two models.
    Plain,
    /// The other questions, asked of the first of two models alone.
    Other,
}

impl Form {
    /// The forms to calibrate: each on its own when there is a second model for plain questions.
    pub fn of(embedder: &Embedder) -> &'static [Form] {
        if embedder.has_plain_questions_model() {
            &[Form::Plain, Form::Other]
        } else {
            &[Form::All]
        }
    }

    fn covers(self, question: &str) -> bool {
        let plain = is_plain_question(question);
        match self {
            Form::All => true,
            Form::Plain => plain,
            Form::Other => !plain,
        }
    }
}

#[derive(Debug, Serialize)]
pub struct Calibration {
    pub form: Form,
    /// The cut-off in force for these questions, on the shown cosines' scale (None: it hides nothing).
    pub in_force: Option<f32>,
    pub questions: usize,
    pub top10_hits: usize,
    pub off_topic_questions: usize,
    pub rows: Vec<Row>,
    /// The highest cut-off measured at which no question loses its answer.
    pub highest_safe: Option<f32>,
    /// The questions that lose every right answer at the cut-off in force (judged in the top 50 with weak matches
    /// shown: an answer ranked lower may move up once weak ones are hidden, so this can over-count).
    pub lost_in_force: Vec<String>,
}

#[derive(Debug, Serialize)]
pub struct Row {
    pub cut_off: f32,
    /// Questions whose every right answer in the hybrid top 50 would be hidden.
    pub answers_lost: usize,
    /// Hybrid top-10 hits (of every question) that would be hidden.
    pub top10_hidden: usize,
    /// Off-topic questions left with no hit at all.
    pub off_topic_empty: usize,
}

/// Reads `eval/off-topic.txt`: one question a line, `#` comments and blank lines skipped.
pub fn load_off_topic(path: &Path) -> anyhow::Result<Vec<String>> {
    let text =
        std::fs::read_to_string(path).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    Ok(text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_string)
        .collect())
}

/// Hybrid hits with nothing hidden.
fn all_hits(
    corpus: &dyn Corpus,
    embedder: &mut Embedder,
    query: &str,
    limit: usize,
) -> anyhow::Result<Vec<Hit>> {
    let opts = SearchOptions {
        query: query.to_string(),
        mode: SearchMode::Hybrid,
        limit,
        include_weak: true,
        ..SearchOptions::default()
    };
    Ok(query::run(corpus, embedder, &opts)?.hits)
}

pub fn measure(
    corpus: &dyn Corpus,
    embedder: &mut Embedder,
    questions: &[Question],
    off_topic: &[String],
    form: Form,
) -> anyhow::Result<Calibration> {
    let plain = form == Form::Plain;
    // Rounded: scaled to the stored vectors' cosines and back, 0.25 comes back as 0.24999999.
    let in_force = embedder
        .weak_cosine_for(plain)
        .map(|c| (c * embedder.cosine_scale(plain) * 1e4).round() / 1e4);
    let questions: Vec<&Question> = questions
        .iter()
        .filter(|q| form.covers(&q.question))
        .collect();
    let off_topic: Vec<&String> = off_topic.iter().filter(|q| form.covers(q)).collect();
    let mut cut_offs: Vec<f32> = GRID.iter().copied().chain(in_force).collect();
    cut_offs.sort_by(f32::total_cmp);
    cut_offs.dedup();
    let mut rows: Vec<Row> = cut_offs
        .iter()
        .map(|&cut_off| Row {
            cut_off,
            answers_lost: 0,
            top10_hidden: 0,
            off_topic_empty: 0,
        })
        .collect();
    let mut top10_hits = 0;
    let mut lost_in_force = Vec::new();
    for q in &questions {
        let hits = all_hits(corpus, embedder, &q.question, MRR_DEPTH)?;
        let right: Vec<&Hit> = hits
            .iter()
            .take(MRR_DEPTH)
            .filter(|h| q.is_answer(&h.payload))
            .collect();
        let top10 = &hits[..hits.len().min(10)];
        top10_hits += top10.len();
        for row in &mut rows {
            let lost = !right.is_empty() && right.iter().all(|h| h.is_weak(row.cut_off));
            row.answers_lost += usize::from(lost);
            if lost && Some(row.cut_off) == in_force {
                lost_in_force.push(q.id.clone());
            }
            row.top10_hidden += top10.iter().filter(|h| h.is_weak(row.cut_off)).count();
        }
    }
    for question in &off_topic {
        let hits = all_hits(corpus, embedder, question, OFF_TOPIC_DEPTH)?;
        for row in &mut rows {
            row.off_topic_empty += usize::from(hits.iter().all(|h| h.is_weak(row.cut_off)));
        }
    }
    let highest_safe = rows
        .iter()
        .filter(|r| r.answers_lost == 0)
        .map(|r| r.cut_off)
        .reduce(f32::max);
    Ok(Calibration {
        form,
        in_force,
        questions: questions.len(),
        top10_hits,
        off_topic_questions: off_topic.len(),
        rows,
        highest_safe,
        lost_in_force,
    })
}

pub fn print(c: &Calibration) {
    let in_force = c
        .in_force
        .map_or("none: nothing is hidden".to_string(), |v| format!("{v:.2}"));
    let of = match c.form {
        Form::All => " (embed.model.weak_cosine)",
        Form::Plain => {
            " of questions in plain words (embed.model.plain_questions.weak_cosine, mean cosine)"
        }
        Form::Other => " of the other questions (embed.model.weak_cosine)",
    };
    println!("\nweak-match cut-off{of} (in force: {in_force})");
    println!(
        "{:>8} {:>14} {:>14} {:>16}",
        "cut-off", "answers lost", "top-10 hidden", "off-topic empty"
    );
    for r in &c.rows {
        let mark = if Some(r.cut_off) == c.in_force {
            " <- in force"
        } else {
            ""
        };
        println!(
            "{:>8.2} {:>9} of {:<3} {:>7} of {:<4} {:>9} of {:<3}{mark}",
            r.cut_off,
            r.answers_lost,
            c.questions,
            r.top10_hidden,
            c.top10_hits,
            r.off_topic_empty,
            c.off_topic_questions
        );
    }
    if !c.lost_in_force.is_empty() {
        println!(
            "questions losing their answer at the cut-off in force: {}",
            c.lost_in_force.join(", ")
        );
    }
    match c.highest_safe {
        Some(v) => println!("highest cut-off measured that loses no answer: {v:.2}"),
        None => println!("every cut-off measured loses an answer"),
    }
}
