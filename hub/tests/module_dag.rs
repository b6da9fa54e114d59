//! The hub library is a DAG (ARCHITECTURE.md, "Habits"): no top-level module of `hub/src`
//! reaches, through the `crate::` paths its code names, back to itself.
//!
//! The oracle is the source text, read here without the compiler: each top-level module is its
//! file `x.rs` and its folder `x/`; an edge `a → b` is any `crate::b` path in `a`'s code (a `use`
//! line, a grouped `use crate::{b, ..}`, or an inline `crate::b::..`), comments aside. Code
//! compiled only for tests (`#[cfg(test)] mod x;` files and `#[cfg(test)] mod x { .. }` blocks)
//! is left out: unit tests may build a module together with the ones above it. The binaries
//! (`src/bin/`) are not part of the library. A second test holds lib.rs's "# Layers" section to
//! the same graph: it names every module, each after all the modules it imports.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// The top-level modules: `x.rs` and `x/` merged under `x`, without `lib.rs` and `bin/`.
fn top_level_modules(src: &Path) -> BTreeSet<String> {
    fs::read_dir(src)
        .expect("hub/src is readable")
        .filter_map(|e| {
            let e = e.ok()?;
            let name = e.file_name().into_string().ok()?;
            if e.path().is_dir() {
                (name != "bin").then_some(name)
            } else {
                let stem = name.strip_suffix(".rs")?;
                (stem != "lib").then(|| stem.to_string())
            }
        })
        .collect()
}

/// Every `.rs` file of a top-level module, except files declared `#[cfg(test)] mod x;`.
fn module_files(src: &Path, module: &str) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let file = src.join(format!("{module}.rs"));
    if file.is_file() {
        files.push(file);
    }
    let dir = src.join(module);
    if dir.is_dir() {
        walk(&dir, &mut files);
    }
    let test_only: BTreeSet<PathBuf> = files.iter().flat_map(|f| test_only_children(f)).collect();
    files.retain(|f| !test_only.contains(f));
    files
}

fn walk(dir: &Path, files: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir)
        .expect("module folder is readable")
        .flatten()
    {
        let path = entry.path();
        if path.is_dir() {
            walk(&path, files);
        } else if path.extension().is_some_and(|x| x == "rs") {
            files.push(path);
        }
    }
}

/// The files `file` declares as `#[cfg(test)] mod x;` (as `x.rs` beside a `mod.rs`, or in the
/// folder named after `file`), and, recursively, the files those declare.
fn test_only_children(file: &Path) -> Vec<PathBuf> {
    let text = strip_comments(&fs::read_to_string(file).expect("source is readable"));
    let folder = if file.file_name().is_some_and(|n| n == "mod.rs") {
        file.parent().unwrap().to_path_buf()
    } else {
        file.with_extension("")
    };
    let mut out = Vec::new();
    let mut rest = text.as_str();
    while let Some(at) = rest.find("#[cfg(test)]") {
        rest = &rest[at + "#[cfg(test)]".len()..];
        let (path_attr, item) = test_item(rest);
        let Some(name) = item.strip_prefix("mod ") else {
            continue;
        };
        let name: String = name
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        if !item["mod ".len() + name.len()..]
            .trim_start()
            .starts_with(';')
        {
            continue;
        }
        let candidates = match path_attr {
            Some(path) => vec![file.parent().unwrap().join(path)],
            None => vec![
                folder.join(format!("{name}.rs")),
                folder.join(&name).join("mod.rs"),
            ],
        };
        for child in candidates.into_iter().filter(|c| c.is_file()) {
            out.extend(test_only_children(&child));
            if child.file_name().is_some_and(|n| n == "mod.rs") {
                walk(child.parent().unwrap(), &mut out);
            } else {
                let sub = child.with_extension("");
                if sub.is_dir() {
                    walk(&sub, &mut out);
                }
                out.push(child);
            }
        }
    }
    out
}

/// The item after a `#[cfg(test)]`: its `#[path = ".."]` if it has one, and its text from the
/// keyword on (further attributes and `pub`/`pub(crate)` skipped).
fn test_item(after: &str) -> (Option<String>, &str) {
    let mut item = after.trim_start();
    let mut path = None;
    while item.starts_with("#[") {
        let end = item.find(']').map_or(item.len(), |e| e + 1);
        let attr = &item[..end];
        if let Some(value) = attr
            .strip_prefix("#[path")
            .and_then(|a| a.split('"').nth(1))
        {
            path = Some(value.to_string());
        }
        item = item[end..].trim_start();
    }
    for visibility in ["pub(crate) ", "pub(super) ", "pub "] {
        if let Some(rest) = item.strip_prefix(visibility) {
            item = rest.trim_start();
        }
    }
    (path, item)
}

/// `text` without `//` and `/* */` comments (string literals are kept whole, so a `//` inside
/// one does not start a comment).
fn strip_comments(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'/' if bytes.get(i + 1) == Some(&b'/') => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                let end = text[i + 2..]
                    .find("*/")
                    .map_or(bytes.len(), |e| i + 2 + e + 2);
                i = end;
            }
            b'"' => {
                let start = i;
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
                i = (i + 1).min(bytes.len());
                out.push_str(&text[start..i]);
            }
            _ => {
                let ch = text[i..].chars().next().unwrap();
                out.push(ch);
                i += ch.len_utf8();
            }
        }
    }
    out
}

/// `text` without the brace-balanced `#[cfg(test)] mod x { .. }` blocks.
fn strip_test_blocks(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("#[cfg(test)]") {
        out.push_str(&rest[..at]);
        let after = &rest[at + "#[cfg(test)]".len()..];
        let (_, item) = test_item(after);
        let is_block = item.starts_with("mod ")
            && item
                .find(['{', ';'])
                .is_some_and(|p| item.as_bytes()[p] == b'{');
        if !is_block {
            out.push_str("#[cfg(test)]");
            rest = after;
            continue;
        }
        let open = item.find('{').unwrap();
        let mut depth = 0usize;
        let mut end = item.len();
        for (i, b) in item.bytes().enumerate().skip(open) {
            match b {
                b'{' => depth += 1,
                b'}' => {
                    depth -= 1;
                    if depth == 0 {
                        end = i + 1;
                        break;
                    }
                }
                _ => {}
            }
        }
        rest = &item[end..];
    }
    out.push_str(rest);
    out
}

/// The first segments of every `crate::` path in `code`: `crate::a::..` gives `a`, and
/// `crate::{a::x, b, c::{..}}` gives `a`, `b` and `c`.
fn crate_references(code: &str) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    let mut rest = code;
    while let Some(at) = rest.find("crate::") {
        let before = code.len() - rest.len() + at;
        rest = &rest[at + "crate::".len()..];
        // `$crate::` and `assethub_crate::` are not this crate's root.
        if before > 0 {
            let prev = code.as_bytes()[before - 1];
            if prev == b'$' || prev.is_ascii_alphanumeric() || prev == b'_' {
                continue;
            }
        }
        if let Some(group) = rest.strip_prefix('{') {
            // Split the group's items at its own commas; each item's first segment counts.
            let mut depth = 0usize;
            let mut item = String::new();
            for ch in group.chars() {
                match ch {
                    '{' => depth += 1,
                    '}' if depth == 0 => break,
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        found.extend(first_segment(&item));
                        item.clear();
                        continue;
                    }
                    _ => {}
                }
                item.push(ch);
            }
            found.extend(first_segment(&item));
        } else {
            found.extend(first_segment(rest));
        }
    }
    found
}

/// The identifier `path` starts with, if any.
fn first_segment(path: &str) -> Option<String> {
    let ident: String = path
        .trim_start()
        .chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_')
        .collect();
    (!ident.is_empty()).then_some(ident)
}

type Graph = BTreeMap<String, BTreeMap<String, BTreeSet<String>>>;

/// module → (module it names → the files that name it).
fn module_graph() -> Graph {
    let src = src();
    let modules = top_level_modules(&src);
    let mut graph = Graph::new();
    for module in &modules {
        let edges = graph.entry(module.clone()).or_default();
        for file in module_files(&src, module) {
            let text = fs::read_to_string(&file).expect("source is readable");
            let code = strip_test_blocks(&strip_comments(&text));
            let shown = file.strip_prefix(&src).unwrap().display().to_string();
            for target in crate_references(&code) {
                if &target != module && modules.contains(&target) {
                    edges.entry(target).or_default().insert(shown.clone());
                }
            }
        }
    }
    graph
}

/// A cycle through the graph, if there is one, as the modules along it (first = last).
fn find_cycle(graph: &Graph) -> Option<Vec<String>> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        New,
        OnPath,
        Done,
    }
    fn visit(
        node: &str,
        graph: &Graph,
        marks: &mut BTreeMap<String, Mark>,
        path: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        marks.insert(node.to_string(), Mark::OnPath);
        path.push(node.to_string());
        for next in graph[node].keys() {
            match marks[next] {
                Mark::OnPath => {
                    let from = path.iter().position(|m| m == next).unwrap();
                    let mut cycle = path[from..].to_vec();
                    cycle.push(next.clone());
                    return Some(cycle);
                }
                Mark::New => {
                    if let Some(cycle) = visit(next, graph, marks, path) {
                        return Some(cycle);
                    }
                }
                Mark::Done => {}
            }
        }
        path.pop();
        marks.insert(node.to_string(), Mark::Done);
        None
    }
    let mut marks: BTreeMap<String, Mark> = graph.keys().map(|k| (k.clone(), Mark::New)).collect();
    for node in graph.keys() {
        if marks[node] == Mark::New {
            if let Some(cycle) = visit(node, graph, &mut marks, &mut Vec::new()) {
                return Some(cycle);
            }
        }
    }
    None
}

#[test]
fn the_reader_sees_paths_as_the_compiler_does() {
    let code = strip_test_blocks(&strip_comments(
        "use crate::a::X;\n// crate::commented\nlet s = \"// not a comment\"; crate::b::f();\n\
         use crate::{c, d::{e, f}, g::H};\n$crate::macro_root; other_crate::z;\n\
         #[cfg(test)]\nmod tests { use crate::tested; }\nuse crate::after;",
    ));
    let found: Vec<String> = crate_references(&code).into_iter().collect();
    assert_eq!(found, ["a", "after", "b", "c", "d", "g"]);
}

#[test]
fn a_cycle_is_found_and_shown() {
    let mut graph = Graph::new();
    for (from, to) in [("a", "b"), ("b", "c"), ("c", "a"), ("c", "d")] {
        graph
            .entry(from.to_string())
            .or_default()
            .insert(to.to_string(), BTreeSet::new());
        graph.entry(to.to_string()).or_default();
    }
    assert_eq!(find_cycle(&graph).unwrap(), ["a", "b", "c", "a"]);
    graph.get_mut("c").unwrap().remove("a");
    assert_eq!(find_cycle(&graph), None);
}

#[test]
fn the_hub_library_is_a_dag() {
    let graph = module_graph();
    assert!(graph.contains_key("clock") && graph.contains_key("orders"));
    let mut report = String::new();
    let mut remaining = graph.clone();
    // Every cycle, one at a time: show it, then cut its last edge and look again.
    while let Some(cycle) = find_cycle(&remaining) {
        report.push_str(&format!("cycle: {}\n", cycle.join(" → ")));
        for pair in cycle.windows(2) {
            let files = &graph[&pair[0]][&pair[1]];
            let files: Vec<&str> = files.iter().map(String::as_str).collect();
            report.push_str(&format!(
                "  {} → {}: {}\n",
                pair[0],
                pair[1],
                files.join(", ")
            ));
        }
        let n = cycle.len();
        remaining
            .get_mut(&cycle[n - 2])
            .unwrap()
            .remove(&cycle[n - 1]);
    }
    assert!(
        report.is_empty(),
        "the hub's top-level modules import each other in cycles:\n{report}"
    );
}

/// The modules lib.rs's "# Layers" section names, in the order it first names them.
fn documented_order() -> Vec<String> {
    let lib = fs::read_to_string(src().join("lib.rs")).expect("lib.rs is readable");
    let doc: String = lib
        .lines()
        .filter_map(|l| l.strip_prefix("//!"))
        .skip_while(|l| l.trim() != "# Layers")
        .collect::<Vec<_>>()
        .join("\n");
    let modules = top_level_modules(&src());
    let mut order: Vec<String> = Vec::new();
    for (i, quoted) in doc.split('`').enumerate() {
        if i % 2 == 1 && modules.contains(quoted) && !order.iter().any(|m| m == quoted) {
            order.push(quoted.to_string());
        }
    }
    order
}

#[test]
fn lib_rs_lists_every_module_lowest_first_as_the_imports_have_it() {
    let graph = module_graph();
    let order = documented_order();
    let missing: Vec<&String> = graph.keys().filter(|m| !order.contains(m)).collect();
    assert!(
        missing.is_empty(),
        "lib.rs's # Layers does not name {missing:?}"
    );
    let position = |m: &str| order.iter().position(|o| o == m).unwrap();
    let mut upward = Vec::new();
    for (from, edges) in &graph {
        for (to, files) in edges {
            if position(to) > position(from) {
                let files: Vec<&str> = files.iter().map(String::as_str).collect();
                upward.push(format!(
                    "{from} imports {to}, listed after it ({})",
                    files.join(", ")
                ));
            }
        }
    }
    assert!(
        upward.is_empty(),
        "lib.rs's # Layers lists modules before what they import:\n{}",
        upward.join("\n")
    );
}
