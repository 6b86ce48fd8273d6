//! Search results as a script or a model reads them: one small, stable field set (`pipeline search --json` and the
//! MCP tool's `format: "json"`), and a compact text form (the MCP tool's default). Both can be held to a byte
//! budget: hits that do not fit are left for the next page, and the result says where it continues.

use super::rank::{snippet, Boost, Hit, Ranked};
use crate::message::MessageKind;
use serde::Serialize;

/// Default byte budget of a result meant for a model (about 1,000 tokens).
pub const DEFAULT_MAX_BYTES: usize = 4096;
/// Smallest byte budget accepted: one hit with its snippet always fits.
pub const MIN_MAX_BYTES: usize = 1024;
/// Largest byte budget accepted: about 5,000 tokens, far below the 25,000 at which Claude Code cuts a tool's
/// output to a preview.
pub const MAX_MAX_BYTES: usize = 20_000;
/// Length of a neighbouring message's snippet, in characters.
const NEIGHBOUR_SNIPPET_CHARS: usize = 120;

/// One page of search results.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SearchReport {
    /// How many better hits came before this page (the `offset` asked for).
    pub offset: usize,
    pub hits: Vec<HitSummary>,
    /// More hits follow: ask again with `offset` set to this.
    pub next_offset: Option<usize>,
    /// Messages the search matched in all and would show (what paging can reach: the candidates of both lists,
    /// repeats and hidden weak matches left out).
    pub matched: usize,
    /// The search read the snapshot a running sync published (committed data only).
    pub from_snapshot: bool,
    /// Technical terms the query's everyday words stand for, which it was also searched by (by meaning).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub expanded_with: Vec<String>,
    /// Weak matches left out (none of the query's words, little similarity); asking with weak matches included
    /// shows them.
    #[serde(skip_serializing_if = "is_zero")]
    pub weak_hidden: usize,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

/// One hit: enough to judge it and to read the message it names.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HitSummary {
    /// 1 for the best hit of the whole search (not of the page).
    pub rank: usize,
    /// The stored message: pass it to `get_conversation_context` (MCP) or `--session`/`export` to read more.
    pub message_id: String,
    pub session_id: String,
    /// The project's name (the last component of its directory).
    pub project: Option<String>,
    /// Whose history: `claude-code`, `codex`, ...
    pub agent: crate::message::Agent,
    /// When the message was written (RFC 3339, as its agent wrote it).
    pub timestamp: Option<String>,
    pub kind: MessageKind,
    /// The ranking score, to 4 decimals (higher is better; comparable within one search only).
    pub score: f64,
    /// Up to 240 characters of the best-matching chunk, around the first query word found.
    pub snippet: String,
    /// Which chunk of a long message matched, as "2/5"; absent for a message of one chunk.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub part: Option<String>,
    /// Neighbours in the conversation tree before the hit (oldest first), when asked for.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub before: Vec<Neighbour>,
    /// Neighbours after the hit, when asked for.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub after: Vec<Neighbour>,
    /// How the score was made, when asked for (`--explain`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub explain: Option<Explain>,
}

/// A message next to a hit, in short.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Neighbour {
    pub message_id: String,
    pub kind: MessageKind,
    /// The start of its text, at most 120 characters.
    pub snippet: String,
}

/// The evidence behind a hit's score.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Explain {
    pub semantic_rank: Option<usize>,
    pub cosine: f64,
    /// The cosine is the similarity to the query with its expansion (`expanded_with`), which was the higher.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub cosine_from_expansion: bool,
    /// Not embedded yet: ranked by its words alone, its semantic evidence neutral.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub awaiting_vector: bool,
    pub lexical_rank: Option<usize>,
    pub bm25: f64,
    /// The fused score before boosts.
    pub fused: f64,
    pub boosts: Vec<Boost>,
    /// The scores are those of this message, a write's acknowledgement, which the hit (its call) stands for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub found_by_acknowledgement: Option<String>,
}

impl SearchReport {
    /// The page of `limit` hits after the first `offset` of `ranked` (every hit of the search, best first; ask the
    /// search for `offset + limit + 1` so that a following page is known to exist).
    pub fn page(
        ranked: Ranked,
        offset: usize,
        limit: usize,
        from_snapshot: bool,
        explain: bool,
    ) -> Self {
        let more = ranked.hits.len() > offset + limit;
        let matched = ranked.matched;
        let expanded_with = ranked.expanded_with;
        let weak_hidden = ranked.weak_hidden;
        let hits: Vec<HitSummary> = ranked
            .hits
            .into_iter()
            .enumerate()
            .skip(offset)
            .take(limit)
            .map(|(i, h)| HitSummary::of(h, i + 1, explain))
            .collect();
        SearchReport {
            offset,
            next_offset: more.then_some(offset + hits.len()),
            matched,
            hits,
            from_snapshot,
            expanded_with,
            weak_hidden,
        }
    }

    /// Keeps the hits whose rendering fits `max_bytes` with the closing lines (always at least one hit); the rest
    /// are left to the next page.
    pub fn fit(mut self, max_bytes: usize, format: ReportFormat) -> Self {
        let expansion_room: usize = match self.expanded_with.len() {
            0 => 0,
            n => {
                40 + self
                    .expanded_with
                    .iter()
                    .map(|t| t.len() + 3)
                    .sum::<usize>()
                    + n
            }
        };
        let mut used = expansion_room
            + match format {
                ReportFormat::Text => FOOTER_ROOM,
                ReportFormat::Json => JSON_ROOM,
            };
        let mut keep = 0;
        for h in &self.hits {
            let size = match format {
                ReportFormat::Text => text_block(h).len(),
                ReportFormat::Json => serde_json::to_string(h).map_or(usize::MAX, |s| s.len() + 1),
            };
            if keep > 0 && used.saturating_add(size) > max_bytes {
                break;
            }
            used = used.saturating_add(size);
            keep += 1;
        }
        if keep < self.hits.len() {
            self.hits.truncate(keep);
            self.next_offset = Some(self.offset + keep);
        }
        self
    }

    /// The compact text form: one short block per hit, then how to get more.
    pub fn to_text(&self) -> String {
        if self.hits.is_empty() && self.weak_hidden > 0 && self.offset == 0 {
            return format!(
                "No close match: the {} messages found hold none of the query's words and are little alike in meaning. Try other words, or include_weak=true to see them.\n",
                self.weak_hidden
            );
        }
        if self.hits.is_empty() {
            return if self.offset > 0 {
                format!("No hits after the first {}.\n", self.offset)
            } else {
                "No past message matches. Try other words, fewer filters, or mode \"lexical\" for an exact string.\n"
                    .to_string()
            };
        }
        let mut out: String = self.hits.iter().map(text_block).collect();
        let first = self.offset + 1;
        let last = self.offset + self.hits.len();
        match self.next_offset {
            Some(next) => out.push_str(&format!(
                "Hits {first}-{last} of {}; more with offset={next}. Read around a hit: get_conversation_context with its id.\n",
                self.matched
            )),
            None => out.push_str(&format!(
                "Hits {first}-{last}, all there are. Read around a hit: get_conversation_context with its id.\n"
            )),
        }
        if !self.expanded_with.is_empty() {
            out.push_str(&format!(
                "Also searched by meaning with: {}.\n",
                self.expanded_with.join(" ")
            ));
        }
        if self.weak_hidden > 0 {
            out.push_str(&format!(
                "{} weak matches hidden (none of the query's words, little alike; include_weak=true shows them).\n",
                self.weak_hidden
            ));
        }
        if self.from_snapshot {
            out.push_str("(A sync is running: searched the last published snapshot.)\n");
        }
        out
    }
}

/// Bytes kept for the text form's closing lines.
const FOOTER_ROOM: usize = 300;
/// Bytes kept for the JSON form's fields around the hits.
const JSON_ROOM: usize = 100;

/// How a result is written.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ReportFormat {
    /// Compact text for a model (the MCP default).
    #[default]
    Text,
    /// The [`SearchReport`] schema as JSON.
    Json,
}

impl ReportFormat {
    /// Parses `text` or `json`; the error names both.
    pub fn parse(name: &str) -> Result<Self, String> {
        match name.trim().to_ascii_lowercase().as_str() {
            "text" => Ok(ReportFormat::Text),
            "json" => Ok(ReportFormat::Json),
            other => Err(format!(
                "unknown format {other:?}; valid formats: text, json"
            )),
        }
    }
}

impl HitSummary {
    /// ` (codex)` after the project for another agent's hit; nothing for Claude Code's, the common case.
    pub fn agent_label(&self) -> String {
        match self.agent {
            crate::message::Agent::ClaudeCode => String::new(),
            other => format!(" ({other})"),
        }
    }

    fn of(h: Hit, rank: usize, explain: bool) -> Self {
        let neighbour = |p: crate::payload::Payload| Neighbour {
            snippet: text_start(&p.text, NEIGHBOUR_SNIPPET_CHARS),
            message_id: p.message_id,
            kind: p.kind,
        };
        let p = h.payload;
        HitSummary {
            rank,
            part: (p.chunk_count > 1).then(|| format!("{}/{}", p.chunk_index + 1, p.chunk_count)),
            message_id: p.message_id,
            session_id: p.session_id,
            project: p.project_name,
            agent: p.agent,
            timestamp: p.timestamp,
            kind: p.kind,
            score: four_decimals(h.score),
            snippet: h.snippet,
            before: h.context_before.into_iter().map(neighbour).collect(),
            after: h.context_after.into_iter().map(neighbour).collect(),
            explain: explain.then(|| Explain {
                semantic_rank: h.semantic_rank,
                cosine: four_decimals(h.cosine),
                cosine_from_expansion: h.cosine_from_expansion,
                awaiting_vector: h.awaiting_vector,
                lexical_rank: h.lexical_rank,
                bm25: four_decimals(h.bm25),
                fused: four_decimals(h.fused),
                boosts: h.boosts,
                found_by_acknowledgement: h.found_by_acknowledgement,
            }),
        }
    }
}

/// A score as written: 4 decimals, the same whichever serializer writes it (an `f32` widened to `f64` would
/// print as 1.7766239643096924 in one and 1.776624 in another).
fn four_decimals(x: f32) -> f64 {
    (f64::from(x) * 1e4).round() / 1e4
}

/// The start of a text on one line, at most `chars` characters (then `...`).
pub(super) fn text_start(text: &str, chars: usize) -> String {
    let s = snippet(text, "");
    match s.char_indices().nth(chars) {
        Some((at, _)) => format!("{}...", s.get(..at).unwrap_or(&s)),
        None => s,
    }
}

/// A timestamp to the minute, `2026-02-12 20:30`, or `?`.
pub(super) fn short_time(timestamp: Option<&str>) -> String {
    timestamp
        .and_then(|t| t.get(..16))
        .map(|t| t.replace('T', " "))
        .unwrap_or_else(|| "?".into())
}

/// One hit in the compact text form.
fn text_block(h: &HitSummary) -> String {
    let when = short_time(h.timestamp.as_deref());
    let agent = h.agent_label();
    let mut out = format!(
        "{}. [{}] {}{} · {} · session {} · id {}{}\n   {}\n",
        h.rank,
        h.kind.as_str(),
        h.project.as_deref().unwrap_or("?"),
        agent,
        when,
        h.session_id.get(..8).unwrap_or(&h.session_id),
        h.message_id,
        h.part
            .as_ref()
            .map(|p| format!(" · part {p}"))
            .unwrap_or_default(),
        h.snippet,
    );
    for (arrow, n) in h
        .before
        .iter()
        .map(|n| ("↑", n))
        .chain(h.after.iter().map(|n| ("↓", n)))
    {
        out.push_str(&format!("   {arrow} [{}] {}\n", n.kind.as_str(), n.snippet));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::embedded::tests::payload;

    fn hits(n: usize, snippet_chars: usize) -> Ranked {
        let hits: Vec<Hit> = (0..n)
            .map(|i| Hit {
                id: format!("p{i}"),
                score: 10.0 - i as f32,
                payload: payload("s", &format!("u{i}"), 0, 1),
                snippet: "x".repeat(snippet_chars),
                cosine: 0.5,
                bm25: 1.0,
                semantic_rank: Some(i + 1),
                lexical_rank: None,
                cosine_from_expansion: false,
                awaiting_vector: false,
                fused: 1.0,
                boosts: Vec::new(),
                found_by_acknowledgement: None,
                context_before: Vec::new(),
                context_after: Vec::new(),
            })
            .collect();
        Ranked {
            matched: n + 5,
            hits,
            expanded_with: Vec::new(),
            weak_hidden: 0,
        }
    }

    #[test]
    fn a_page_knows_its_ranks_and_whether_another_follows() {
        let page = SearchReport::page(hits(8, 10), 3, 4, false, false);
        let ranks: Vec<usize> = page.hits.iter().map(|h| h.rank).collect();
        assert_eq!(ranks, [4, 5, 6, 7]);
        assert_eq!(page.next_offset, Some(7));
        assert_eq!(page.matched, 13);
        assert!(page
            .to_text()
            .contains("Hits 4-7 of 13; more with offset=7"));
        let last = SearchReport::page(hits(8, 10), 4, 4, false, false);
        assert_eq!(
            last.next_offset, None,
            "8 hits, 4 skipped, 4 shown: nothing follows"
        );
        assert!(last.to_text().contains("Hits 5-8, all there are"));
    }

    #[test]
    fn the_budget_keeps_what_fits_and_says_where_to_continue() {
        for format in [ReportFormat::Text, ReportFormat::Json] {
            let page = SearchReport::page(hits(10, 240), 0, 10, false, false).fit(2048, format);
            assert!(page.hits.len() >= 2 && page.hits.len() < 10, "{format:?}");
            assert_eq!(page.next_offset, Some(page.hits.len()));
            let written = match format {
                ReportFormat::Text => page.to_text(),
                ReportFormat::Json => serde_json::to_string(&page).unwrap_or_default(),
            };
            assert!(written.len() <= 2048, "{format:?}: {} bytes", written.len());
        }
        let text = SearchReport::page(hits(10, 240), 0, 10, false, false)
            .fit(2048, ReportFormat::Text)
            .to_text();
        assert!(text.contains("more with offset="), "{text}");
        // One hit always fits, whatever the budget.
        let tiny = SearchReport::page(hits(3, 240), 0, 3, false, false).fit(10, ReportFormat::Text);
        assert_eq!(tiny.hits.len(), 1);
        assert_eq!(tiny.next_offset, Some(1));
    }

    #[test]
    fn a_hit_names_its_message_and_scores_serialize_alike() {
        let page = SearchReport::page(hits(1, 20), 0, 1, true, true);
        let text = page.to_text();
        assert!(
            text.contains(&format!(" · id {}", page.hits[0].message_id)),
            "{text}"
        );
        assert!(text.contains("snapshot"), "{text}");
        let json = serde_json::to_string(&page).unwrap_or_default();
        let value = serde_json::to_value(&page)
            .map(|v| v.to_string())
            .unwrap_or_default();
        assert_eq!(json, value);
        assert!(json.contains("\"explain\""), "{json}");
        assert!(
            !json.contains("\"before\""),
            "empty context is left out: {json}"
        );
    }

    #[test]
    fn formats_parse_and_unknown_ones_are_named() {
        assert_eq!(ReportFormat::parse(" JSON "), Ok(ReportFormat::Json));
        assert!(ReportFormat::parse("xml").is_err_and(|e| e.contains("text, json")));
    }
}
