//! The figures `/metrics` shows, kept with atomics and rendered in
//! Prometheus' text format ([`Metrics::render`]).
//!
//! One [`Metrics`] per store (so per server: tests run several in one
//! process), reached through `Store::metrics`. Requests are counted by the
//! HTTP layer once they are answered (`http::metrics`), SQL statements by
//! the store as they run, rule violations and journaled events by the
//! service, subscriptions by the WebSocket handler. Label values a client
//! chooses (GraphQL operation names) are bounded: past
//! [`MAX_OPERATIONS`] distinct names, further ones are counted as `other`.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

/// Most distinct operation names kept as label values.
pub const MAX_OPERATIONS: usize = 200;

/// The upper bounds of the latency buckets, in seconds.
const BUCKETS: [f64; 14] = [
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// A latency histogram: counts per bucket, the count and the sum.
#[derive(Default)]
pub struct Histogram {
    buckets: [AtomicU64; BUCKETS.len()],
    count: AtomicU64,
    sum_nanos: AtomicU64,
}

impl Histogram {
    /// Counts one observation of `took`.
    pub fn observe(&self, took: Duration) {
        let secs = took.as_secs_f64();
        if let Some(i) = BUCKETS.iter().position(|b| secs <= *b) {
            self.buckets[i].fetch_add(1, Ordering::Relaxed);
        }
        self.count.fetch_add(1, Ordering::Relaxed);
        let nanos = u64::try_from(took.as_nanos()).unwrap_or(u64::MAX);
        self.sum_nanos.fetch_add(nanos, Ordering::Relaxed);
    }

    /// Observations so far.
    pub fn count(&self) -> u64 {
        self.count.load(Ordering::Relaxed)
    }

    fn render(&self, out: &mut String, name: &str, labels: &str) {
        let sep = if labels.is_empty() { "" } else { "," };
        let mut cumulative = 0;
        for (bound, n) in BUCKETS.iter().zip(&self.buckets) {
            cumulative += n.load(Ordering::Relaxed);
            let _ = writeln!(
                out,
                "{name}_bucket{{{labels}{sep}le=\"{bound}\"}} {cumulative}"
            );
        }
        let count = self.count();
        let _ = writeln!(out, "{name}_bucket{{{labels}{sep}le=\"+Inf\"}} {count}");
        let sum = self.sum_nanos.load(Ordering::Relaxed) as f64 / 1e9;
        let braces = |s: &str| {
            if s.is_empty() {
                String::new()
            } else {
                format!("{{{s}}}")
            }
        };
        let _ = writeln!(out, "{name}_sum{} {sum}", braces(labels));
        let _ = writeln!(out, "{name}_count{} {count}", braces(labels));
    }
}

/// What a request is counted under.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct RequestLabels {
    /// `graphql`, `copper`, `umbraco`, `kanka`, or `other` (the playground,
    /// health checks, a URL that serves nothing).
    pub api: &'static str,
    /// The GraphQL operation's name (`anonymous` without one), or the
    /// route's path pattern.
    pub operation: String,
    /// `query`, `mutation`, `subscription`, or the HTTP method.
    pub kind: String,
    /// The first error's code (`OK` without one); the HTTP status for
    /// answers without a code.
    pub code: String,
}

/// The figures of one server.
#[derive(Default)]
pub struct Metrics {
    requests: Mutex<BTreeMap<RequestLabels, Arc<Histogram>>>,
    operations: Mutex<std::collections::HashSet<String>>,
    sql: Histogram,
    sql_failed: AtomicU64,
    violations: Mutex<BTreeMap<&'static str, u64>>,
    events: AtomicU64,
    subscriptions: AtomicI64,
    subscribers_dropped: AtomicU64,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A label value with `\`, `"` and newlines escaped.
fn escape(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// Writes the `# HELP` and `# TYPE` lines of the metric `name`.
pub fn head(out: &mut String, name: &str, ty: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {ty}");
}

/// Writes a metric of one series without labels: its head and its value.
pub fn single(out: &mut String, name: &str, ty: &str, help: &str, value: impl std::fmt::Display) {
    head(out, name, ty, help);
    let _ = writeln!(out, "{name} {value}");
}

impl Metrics {
    /// Counts an answered request that took `took`.
    pub fn request(&self, mut labels: RequestLabels, took: Duration) {
        if labels.api == "graphql" {
            let mut known = lock(&self.operations);
            if !known.contains(&labels.operation) {
                if known.len() < MAX_OPERATIONS {
                    known.insert(labels.operation.clone());
                } else {
                    labels.operation = "other".to_owned();
                }
            }
        }
        let histogram = lock(&self.requests).entry(labels).or_default().clone();
        histogram.observe(took);
    }

    /// Counts an SQL statement.
    pub fn statement(&self, took: Duration, failed: bool) {
        self.sql.observe(took);
        if failed {
            self.sql_failed.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Counts a write refused for breaking `rule`.
    pub fn violation(&self, rule: &'static str) {
        *lock(&self.violations).entry(rule).or_default() += 1;
    }

    /// Counts `n` events journaled.
    pub fn journaled(&self, n: usize) {
        self.events.fetch_add(n as u64, Ordering::Relaxed);
    }

    /// A subscription started (`+1`) or ended (`-1`).
    pub fn subscriptions(&self, delta: i64) {
        self.subscriptions.fetch_add(delta, Ordering::Relaxed);
    }

    /// A subscriber closed for reading too slowly.
    pub fn subscriber_dropped(&self) {
        self.subscribers_dropped.fetch_add(1, Ordering::Relaxed);
    }

    /// The figures, in Prometheus' text format.
    pub fn render(&self, out: &mut String) {
        head(
            out,
            "relgate_requests_seconds",
            "histogram",
            "Requests answered, by API, operation, kind and code, and how long they took.",
        );
        for (l, h) in lock(&self.requests).iter() {
            let labels = format!(
                "api=\"{}\",operation=\"{}\",kind=\"{}\",code=\"{}\"",
                l.api,
                escape(&l.operation),
                escape(&l.kind),
                escape(&l.code)
            );
            h.render(out, "relgate_requests_seconds", &labels);
        }
        head(
            out,
            "relgate_sql_seconds",
            "histogram",
            "SQL statements run, and how long they took.",
        );
        self.sql.render(out, "relgate_sql_seconds", "");
        single(
            out,
            "relgate_sql_failed_total",
            "counter",
            "SQL statements that failed.",
            self.sql_failed.load(Ordering::Relaxed),
        );
        head(
            out,
            "relgate_rule_violations_total",
            "counter",
            "Writes refused, by the first rule they broke.",
        );
        for (rule, n) in lock(&self.violations).iter() {
            let _ = writeln!(out, "relgate_rule_violations_total{{rule=\"{rule}\"}} {n}");
        }
        single(
            out,
            "relgate_events_journaled_total",
            "counter",
            "Events appended to the journal.",
            self.events.load(Ordering::Relaxed),
        );
        single(
            out,
            "relgate_subscriptions",
            "gauge",
            "Live subscriptions open now.",
            self.subscriptions.load(Ordering::Relaxed),
        );
        single(
            out,
            "relgate_subscribers_dropped_total",
            "counter",
            "Subscription connections closed for reading too slowly (4008).",
            self.subscribers_dropped.load(Ordering::Relaxed),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_histogram_renders_cumulative_buckets_and_operation_names_are_bounded() {
        let m = Metrics::default();
        let labels = |op: String| RequestLabels {
            api: "graphql",
            operation: op,
            kind: "query".to_owned(),
            code: "OK".to_owned(),
        };
        m.request(labels("A\"b".to_owned()), Duration::from_millis(3));
        m.request(labels("A\"b".to_owned()), Duration::from_millis(30));
        for i in 0..MAX_OPERATIONS + 5 {
            m.request(labels(format!("op{i}")), Duration::from_millis(1));
        }
        let mut out = String::new();
        m.render(&mut out);
        assert!(out.contains(
            "relgate_requests_seconds_bucket{api=\"graphql\",operation=\"A\\\"b\",kind=\"query\",code=\"OK\",le=\"0.005\"} 1"
        ), "{out}");
        assert!(out.contains(
            "relgate_requests_seconds_bucket{api=\"graphql\",operation=\"A\\\"b\",kind=\"query\",code=\"OK\",le=\"0.05\"} 2"
        ));
        assert!(out.contains(
            "relgate_requests_seconds_count{api=\"graphql\",operation=\"other\",kind=\"query\",code=\"OK\"} 6"
        ), "past the bound, names are `other`");
    }
}
