//! The benchmark's output: one table (measure, value, goal) on stdout and the same figures as JSON.

use serde_json::{Map, Value};

/// One row of the table.
pub struct Row {
    pub measure: String,
    pub value: String,
    /// The goal, if the issue sets one, and whether this run met it.
    pub goal: Option<(String, bool)>,
}

/// The benchmark's table rows and JSON figures, printed and written at the end.
#[derive(Default)]
pub struct Report {
    rows: Vec<Row>,
    json: Map<String, Value>,
}

impl Report {
    /// A row without a goal.
    pub fn row(&mut self, measure: impl Into<String>, value: impl Into<String>) {
        self.rows.push(Row {
            measure: measure.into(),
            value: value.into(),
            goal: None,
        });
    }

    /// A row with a goal and whether it was met.
    pub fn goal(
        &mut self,
        measure: impl Into<String>,
        value: impl Into<String>,
        goal: impl Into<String>,
        met: bool,
    ) {
        self.rows.push(Row {
            measure: measure.into(),
            value: value.into(),
            goal: Some((goal.into(), met)),
        });
    }

    /// A section's figures in the JSON output.
    pub fn json(&mut self, section: &str, value: Value) {
        self.json.insert(section.to_string(), value);
    }

    pub fn print_table(&self) {
        println!("| measure | value | goal |");
        println!("|---|---|---|");
        for r in &self.rows {
            let goal = match &r.goal {
                Some((g, true)) => format!("{g} (met)"),
                Some((g, false)) => format!("{g} (**not met**)"),
                None => String::new(),
            };
            println!("| {} | {} | {} |", r.measure, r.value, goal);
        }
    }

    pub fn to_json(&self) -> Value {
        let goals: Vec<Value> = self
            .rows
            .iter()
            .filter_map(|r| {
                r.goal.as_ref().map(|(g, met)| {
                    serde_json::json!({"measure": r.measure, "value": r.value, "goal": g, "met": met})
                })
            })
            .collect();
        let mut all = self.json.clone();
        all.insert("goals".into(), Value::Array(goals));
        Value::Object(all)
    }
}

/// The `q` quantile of ascending `sorted` (nearest rank).
pub fn percentile(sorted: &[f64], q: f64) -> f64 {
    sorted[((sorted.len() - 1) as f64 * q).round() as usize]
}
