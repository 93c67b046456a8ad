//! The house's walls: no module of `train`, `data`, `models` or `app` reaches, through the
//! modules it uses, back to itself. A cycle is read off the code: every `crate::NAME` outside
//! comments and test modules is an edge from the file's top-level module to `NAME`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The top-level modules of the crate whose sources are in `src`, each with the top-level
/// modules its code names.
fn uses(src: &Path) -> BTreeMap<String, BTreeSet<String>> {
    let mut texts: BTreeMap<String, String> = BTreeMap::new();
    let mut stack = vec![src.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            if path.extension().is_none_or(|e| e != "rs") {
                continue;
            }
            let rel = path.strip_prefix(src).unwrap();
            let first = rel
                .components()
                .next()
                .unwrap()
                .as_os_str()
                .to_string_lossy();
            let module = first.trim_end_matches(".rs").to_string();
            if module == "lib" || module == "main" {
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap();
            let code = text.split("#[cfg(test)]").next().unwrap_or_default();
            let code: String = code
                .lines()
                .filter(|l| !l.trim_start().starts_with("//"))
                .collect::<Vec<_>>()
                .join("\n");
            texts.entry(module).or_default().push_str(&code);
        }
    }
    let names: BTreeSet<String> = texts.keys().cloned().collect();
    texts
        .iter()
        .map(|(module, code)| {
            let used = code
                .match_indices("crate::")
                .map(|(at, _)| {
                    code[at + 7..]
                        .chars()
                        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                        .collect::<String>()
                })
                .filter(|name| names.contains(name) && name != module)
                .collect();
            (module.clone(), used)
        })
        .collect()
}

/// A cycle among `edges`, as the modules along it, if there is one.
fn a_cycle(edges: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        at: &str,
        edges: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(start) = path.iter().position(|m| m == at) {
            let mut cycle = path[start..].to_vec();
            cycle.push(at.to_string());
            return Some(cycle);
        }
        if done.contains(at) {
            return None;
        }
        path.push(at.to_string());
        for next in edges.get(at).into_iter().flatten() {
            if let Some(cycle) = visit(next, edges, path, done) {
                return Some(cycle);
            }
        }
        path.pop();
        done.insert(at.to_string());
        None
    }
    let mut done = BTreeSet::new();
    edges
        .keys()
        .find_map(|m| visit(m, edges, &mut Vec::new(), &mut done))
}

#[test]
fn no_crate_has_a_module_cycle() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    for crate_name in ["train", "data", "models", "app", "report"] {
        let edges = uses(&root.join("crates").join(crate_name).join("src"));
        assert!(edges.len() > 3, "{crate_name}: no modules read");
        if let Some(cycle) = a_cycle(&edges) {
            panic!("{crate_name}: modules in a cycle: {}", cycle.join(" -> "));
        }
    }
}

#[test]
fn the_check_finds_a_cycle_when_there_is_one() {
    let edges: BTreeMap<String, BTreeSet<String>> = [
        ("a", vec!["b"]),
        ("b", vec!["c"]),
        ("c", vec!["a"]),
        ("d", vec!["a"]),
    ]
    .into_iter()
    .map(|(m, to)| (m.to_string(), to.into_iter().map(String::from).collect()))
    .collect();
    let cycle = a_cycle(&edges).unwrap();
    assert_eq!(cycle.first(), cycle.last());
    assert_eq!(cycle.len(), 4, "{cycle:?}");
    let mut acyclic = edges.clone();
    acyclic.get_mut("c").unwrap().clear();
    assert!(a_cycle(&acyclic).is_none());
}
