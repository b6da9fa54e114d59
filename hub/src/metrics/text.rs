//! A small, strict reader of the OpenMetrics text exposition, enough to check what the hub
//! serves (its tests and the end-to-end tests scrape with it): every line well formed, every
//! sample of a declared family with a suffix its type allows, histogram buckets cumulative and
//! ending at `+Inf` = `_count`, and `# EOF` last.

use std::collections::HashMap;

/// One sample line.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    pub name: String,
    pub labels: Vec<(String, String)>,
    pub value: f64,
}

impl Sample {
    pub fn label(&self, key: &str) -> Option<&str> {
        self.labels
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// Whether every `(key, value)` of `wanted` is among the sample's labels.
    pub fn has(&self, wanted: &[(&str, &str)]) -> bool {
        wanted.iter().all(|(k, v)| self.label(k) == Some(*v))
    }
}

/// The value of the one sample named `name` carrying `labels` (others may be present).
pub fn value(samples: &[Sample], name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    let mut found = samples.iter().filter(|s| s.name == name && s.has(labels));
    let first = found.next()?;
    found.next().is_none().then_some(first.value)
}

/// Parses and checks an exposition; the error names the first offending line.
pub fn parse(text: &str) -> Result<Vec<Sample>, String> {
    let mut types: HashMap<String, String> = HashMap::new();
    let mut samples = Vec::new();
    let mut lines = text.lines().enumerate().peekable();
    let mut eof = false;
    while let Some((n, line)) = lines.next() {
        let at = |why: &str| format!("line {}: {why}: {line:?}", n + 1);
        if line == "# EOF" {
            if lines.peek().is_some() {
                return Err(at("text after # EOF"));
            }
            eof = true;
        } else if let Some(rest) = line.strip_prefix("# TYPE ") {
            let (name, kind) = rest.split_once(' ').ok_or_else(|| at("bad TYPE"))?;
            let known = [
                "counter",
                "gauge",
                "histogram",
                "summary",
                "info",
                "stateset",
                "unknown",
            ];
            if !is_name(name) || !known.contains(&kind) {
                return Err(at("bad TYPE"));
            }
            if types.insert(name.to_string(), kind.to_string()).is_some() {
                return Err(at("family declared twice"));
            }
        } else if let Some(rest) = line
            .strip_prefix("# HELP ")
            .or(line.strip_prefix("# UNIT "))
        {
            let name = rest.split(' ').next().unwrap_or_default();
            if !is_name(name) {
                return Err(at("bad metadata"));
            }
        } else {
            let sample = sample(line).ok_or_else(|| at("bad sample"))?;
            if !declared(&types, &sample.name) {
                return Err(at("sample of an undeclared family or with a wrong suffix"));
            }
            samples.push(sample);
        }
    }
    if !eof {
        return Err("no # EOF".into());
    }
    check_histograms(&types, &samples)?;
    Ok(samples)
}

fn is_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == ':')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
}

fn declared(types: &HashMap<String, String>, name: &str) -> bool {
    let suffixes: &[&str] = &["", "_total", "_created", "_bucket", "_count", "_sum"];
    suffixes.iter().any(|suffix| {
        let Some(family) = name.strip_suffix(suffix) else {
            return false;
        };
        match types.get(family).map(String::as_str) {
            Some("counter") => matches!(*suffix, "_total" | "_created"),
            Some("histogram") => matches!(*suffix, "_bucket" | "_count" | "_sum" | "_created"),
            Some(_) => suffix.is_empty(),
            None => false,
        }
    })
}

/// `name{k="v",...} value`, labels optional.
fn sample(line: &str) -> Option<Sample> {
    let name_end = line.find(['{', ' '])?;
    let name = &line[..name_end];
    if !is_name(name) {
        return None;
    }
    let mut rest = &line[name_end..];
    let mut labels = Vec::new();
    if let Some(body) = rest.strip_prefix('{') {
        let (parsed, after) = label_set(body)?;
        labels = parsed;
        rest = after;
    }
    let value = rest.strip_prefix(' ')?.split(' ').next()?;
    let value = match value {
        "+Inf" => f64::INFINITY,
        "-Inf" => f64::NEG_INFINITY,
        v => v.parse().ok()?,
    };
    Some(Sample {
        name: name.to_string(),
        labels,
        value,
    })
}

/// Labels up to the closing brace, and the text after it.
fn label_set(mut body: &str) -> Option<(Vec<(String, String)>, &str)> {
    let mut labels = Vec::new();
    loop {
        if let Some(after) = body.strip_prefix('}') {
            return Some((labels, after));
        }
        if !labels.is_empty() {
            body = body.strip_prefix(',')?;
        }
        let (key, after) = body.split_once("=\"")?;
        if !is_name(key) || labels.iter().any(|(k, _)| k == key) {
            return None;
        }
        let mut value = String::new();
        let mut chars = after.char_indices();
        let end = loop {
            match chars.next()? {
                (i, '"') => break i,
                (_, '\\') => match chars.next()?.1 {
                    '\\' => value.push('\\'),
                    '"' => value.push('"'),
                    'n' => value.push('\n'),
                    _ => return None,
                },
                (_, '\n') => return None,
                (_, c) => value.push(c),
            }
        };
        labels.push((key.to_string(), value));
        body = &after[end + 1..];
    }
}

/// Each histogram series: buckets cumulative, the last `+Inf`, equal to `_count`.
fn check_histograms(types: &HashMap<String, String>, samples: &[Sample]) -> Result<(), String> {
    for (family, _) in types.iter().filter(|(_, kind)| *kind == "histogram") {
        let bucket_name = format!("{family}_bucket");
        for count in samples
            .iter()
            .filter(|s| s.name == format!("{family}_count"))
        {
            let same_series = |s: &&Sample| {
                s.name == bucket_name
                    && s.labels.len() == count.labels.len() + 1
                    && count.labels.iter().all(|l| s.labels.contains(l))
            };
            let buckets: Vec<&Sample> = samples.iter().filter(same_series).collect();
            let cumulative = buckets.windows(2).all(|w| w[0].value <= w[1].value);
            let last = buckets.last().and_then(|b| b.label("le"));
            let total = buckets.last().map(|b| b.value);
            if !cumulative || last != Some("+Inf") || total != Some(count.value) {
                return Err(format!(
                    "histogram {family} {:?}: bad buckets",
                    count.labels
                ));
            }
        }
    }
    Ok(())
}
