//! No module of any crate imports, directly or through others, a module that imports it: the
//! engine's families, the CRS engines and the job's run and writer each depend one way.
//! Dependencies are read from `crate::module` paths in the code (comments and test modules
//! left out).

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Item → module, from the crate root's `pub use module::{A, B};` lines: `crate::Crs` is a
/// dependency on the module that defines `Crs`.
fn reexports(src: &Path) -> BTreeMap<String, String> {
    let root = ["lib.rs", "main.rs"]
        .iter()
        .find_map(|f| std::fs::read_to_string(src.join(f)).ok())
        .unwrap_or_default();
    let mut items = BTreeMap::new();
    for line in root.lines() {
        let Some(rest) = line.trim().strip_prefix("pub use ") else {
            continue;
        };
        let Some((module, names)) = rest.split_once("::") else {
            continue;
        };
        for name in names.trim_matches(|c| "{};".contains(c)).split(',') {
            let name = name.trim().trim_end_matches(['}', ';']);
            let name = name.rsplit(" as ").next().unwrap_or(name).trim();
            if !name.is_empty() {
                items.insert(name.to_string(), module.to_string());
            }
        }
    }
    items
}

/// Module → the modules of the same crate its code names.
fn graph(src: &Path) -> BTreeMap<String, BTreeSet<String>> {
    let items = reexports(src);
    let modules: BTreeSet<String> = std::fs::read_dir(src)
        .unwrap()
        .filter_map(|e| {
            let name = e.unwrap().file_name().to_string_lossy().into_owned();
            name.strip_suffix(".rs").map(str::to_string)
        })
        .filter(|m| m != "lib" && m != "main")
        .collect();
    let word = |s: &str| -> String {
        let w: String = s
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        // A re-exported item stands for its module.
        items.get(&w).cloned().unwrap_or(w)
    };
    modules
        .iter()
        .map(|m| {
            let text = std::fs::read_to_string(src.join(format!("{m}.rs"))).unwrap();
            let code = text.split("#[cfg(test)]").next().unwrap_or("");
            let mut deps = BTreeSet::new();
            for line in code.lines().filter(|l| !l.trim_start().starts_with("//")) {
                for (k, _) in line.match_indices("crate::") {
                    let rest = &line[k + "crate::".len()..];
                    let names: Vec<String> = match rest.strip_prefix('{') {
                        Some(group) => group.split(',').map(|p| word(p.trim())).collect(),
                        None => vec![word(rest)],
                    };
                    deps.extend(names.into_iter().filter(|n| modules.contains(n) && n != m));
                }
            }
            (m.clone(), deps)
        })
        .collect()
}

/// A cycle through `start`, if any (depth-first).
fn cycle(g: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        g: &BTreeMap<String, BTreeSet<String>>,
        m: &str,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(k) = path.iter().position(|p| p == m) {
            let mut c = path[k..].to_vec();
            c.push(m.to_string());
            return Some(c);
        }
        if done.contains(m) {
            return None;
        }
        path.push(m.to_string());
        for d in &g[m] {
            if let Some(c) = visit(g, d, path, done) {
                return Some(c);
            }
        }
        path.pop();
        done.insert(m.to_string());
        None
    }
    let mut done = BTreeSet::new();
    g.keys()
        .find_map(|m| visit(g, m, &mut Vec::new(), &mut done))
}

#[test]
fn no_crate_has_a_module_cycle() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut sources = vec![root.join("src")];
    for entry in std::fs::read_dir(root.join("crates")).unwrap() {
        sources.push(entry.unwrap().path().join("src"));
    }
    for src in sources {
        let g = graph(&src);
        assert!(
            g.len() > 1 || src.ends_with("testkit/src"),
            "{}",
            src.display()
        );
        assert_eq!(cycle(&g), None, "{}", src.display());
    }
    // The checker finds a cycle where there is one.
    let mut g = BTreeMap::new();
    g.insert("a".to_string(), BTreeSet::from(["b".to_string()]));
    g.insert("b".to_string(), BTreeSet::from(["a".to_string()]));
    assert_eq!(cycle(&g), Some(vec!["a".into(), "b".into(), "a".into()]));
}
