//! Per-stage counters, exported as Prometheus text at `/metrics`.
//!
//! Counters are plain atomics handed out once at build time; labels are low-cardinality
//! (stage, sensor, reason). Rendering walks a sorted map, so output order is stable.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// A monotonically increasing counter.
#[derive(Clone, Debug, Default)]
pub struct Counter(Arc<AtomicU64>);

impl Counter {
    /// Add `n`.
    pub fn add(&self, n: u64) {
        self.0.fetch_add(n, Ordering::Relaxed);
    }
    /// Add one.
    pub fn inc(&self) {
        self.add(1);
    }
    /// Current value.
    pub fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

/// A value that goes up and down.
#[derive(Clone, Debug, Default)]
pub struct Gauge(Arc<AtomicU64>);

impl Gauge {
    /// Set the value.
    pub fn set(&self, v: u64) {
        self.0.store(v, Ordering::Relaxed);
    }
    /// Current value.
    pub fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

type Key = (String, Vec<(String, String)>);

/// The registry of every counter and gauge of one pipeline.
#[derive(Debug, Default)]
pub struct Metrics {
    counters: Mutex<BTreeMap<Key, (String, Counter)>>,
    gauges: Mutex<BTreeMap<Key, (String, Gauge)>>,
}

fn key(name: &str, labels: &[(&str, &str)]) -> Key {
    (
        name.to_string(),
        labels
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
    )
}

impl Metrics {
    /// The counter `name{labels}`, created on first use. Call at build time or on rare events,
    /// not per message in a hot loop: keep the handle.
    pub fn counter(&self, name: &str, help: &str, labels: &[(&str, &str)]) -> Counter {
        let mut m = self.counters.lock().unwrap_or_else(|p| p.into_inner());
        m.entry(key(name, labels))
            .or_insert_with(|| (help.to_string(), Counter::default()))
            .1
            .clone()
    }
    /// The gauge `name{labels}`, created on first use.
    pub fn gauge(&self, name: &str, help: &str, labels: &[(&str, &str)]) -> Gauge {
        let mut m = self.gauges.lock().unwrap_or_else(|p| p.into_inner());
        m.entry(key(name, labels))
            .or_insert_with(|| (help.to_string(), Gauge::default()))
            .1
            .clone()
    }
    /// Value of a counter, if it exists (for tests and summaries).
    pub fn counter_value(&self, name: &str, labels: &[(&str, &str)]) -> Option<u64> {
        let m = self.counters.lock().unwrap_or_else(|p| p.into_inner());
        m.get(&key(name, labels)).map(|(_, c)| c.get())
    }
    /// Sum of a counter over all label sets.
    pub fn counter_sum(&self, name: &str) -> u64 {
        let m = self.counters.lock().unwrap_or_else(|p| p.into_inner());
        m.iter()
            .filter(|((n, _), _)| n == name)
            .map(|(_, (_, c))| c.get())
            .sum()
    }
    /// Prometheus text exposition format (version 0.0.4).
    pub fn render(&self) -> String {
        let mut out = String::new();
        let mut render = |kind: &str, rows: Vec<(Key, String, u64)>| {
            let mut last = String::new();
            for ((name, labels), help, v) in rows {
                if name != last {
                    let _ = writeln!(out, "# HELP {name} {help}");
                    let _ = writeln!(out, "# TYPE {name} {kind}");
                    last = name.clone();
                }
                if labels.is_empty() {
                    let _ = writeln!(out, "{name} {v}");
                } else {
                    let l: Vec<String> = labels
                        .iter()
                        .map(|(k, v)| {
                            format!("{k}=\"{}\"", v.replace('\\', "\\\\").replace('"', "\\\""))
                        })
                        .collect();
                    let _ = writeln!(out, "{name}{{{}}} {v}", l.join(","));
                }
            }
        };
        let counters: Vec<_> = {
            let m = self.counters.lock().unwrap_or_else(|p| p.into_inner());
            m.iter()
                .map(|(k, (h, c))| (k.clone(), h.clone(), c.get()))
                .collect()
        };
        render("counter", counters);
        let gauges: Vec<_> = {
            let m = self.gauges.lock().unwrap_or_else(|p| p.into_inner());
            m.iter()
                .map(|(k, (h, g))| (k.clone(), h.clone(), g.get()))
                .collect()
        };
        render("gauge", gauges);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_prometheus_text_with_help_type_and_labels() {
        let m = Metrics::default();
        m.counter(
            "picket_input_lines_total",
            "Lines received.",
            &[("sensor", "radar-1")],
        )
        .add(3);
        m.counter(
            "picket_input_lines_total",
            "Lines received.",
            &[("sensor", "rid-west")],
        )
        .inc();
        m.gauge("picket_queue_depth", "Queued.", &[("stage", "fusion")])
            .set(7);
        let text = m.render();
        assert!(text.contains("# TYPE picket_input_lines_total counter\n"));
        assert!(text.contains("picket_input_lines_total{sensor=\"radar-1\"} 3\n"));
        assert!(text.contains("picket_input_lines_total{sensor=\"rid-west\"} 1\n"));
        assert!(text.contains("picket_queue_depth{stage=\"fusion\"} 7\n"));
        assert_eq!(text.matches("# HELP picket_input_lines_total").count(), 1);
        assert_eq!(m.counter_sum("picket_input_lines_total"), 4);
    }
}
