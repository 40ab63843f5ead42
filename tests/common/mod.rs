//! Helpers shared by the end-to-end tests of the `redline` binary.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)] // not every test file uses every helper

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub fn redline(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_redline"))
        .args(args)
        .output()
        .expect("run redline")
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn fixture(dir: &str) -> String {
    root()
        .join("crates/ingest/tests/fixtures")
        .join(dir)
        .display()
        .to_string()
}

/// `../shared/data`, when this checkout has it beside it.
pub fn shared_data(rel: &str) -> Option<PathBuf> {
    let path = root().join("../shared/data").join(rel);
    if path.exists() {
        Some(path)
    } else {
        eprintln!(
            "skipped: {} is absent (the shared data folder is not beside this checkout)",
            path.display()
        );
        None
    }
}

pub fn copy_demo(to: &Path, reverse_landuse: bool) {
    let demo = root().join("data/demo");
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(&demo).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_owned();
        if reverse_landuse && name == "landuse.geojson" {
            // The same features in the opposite order.
            let text = std::fs::read_to_string(&path).unwrap();
            let (head, rest) = text.split_once("\n").unwrap();
            let body = rest.trim_end().trim_end_matches("]}").trim_end();
            let mut lines: Vec<&str> = body.split(",\n").collect();
            lines.reverse();
            std::fs::write(
                to.join(&name),
                format!("{head}\n{}\n]}}\n", lines.join(",\n")),
            )
            .unwrap();
        } else {
            std::fs::copy(&path, to.join(&name)).unwrap();
        }
    }
}

/// Rewrites a GeoJSON layer file as if drawn in another CRS: its `crs` member names
/// `crs_name`, and every position `[x, y]` (at any nesting: Polygon or MultiPolygon) becomes
/// `[move_to(x, y)]`.
pub fn redraw_layer(path: &Path, crs_name: &str, move_to: &mut dyn FnMut(f64, f64) -> (f64, f64)) {
    fn each_position(v: &mut serde_json::Value, f: &mut dyn FnMut(f64, f64) -> (f64, f64)) {
        let serde_json::Value::Array(items) = v else {
            return;
        };
        if items.first().is_some_and(|x| x.is_number()) {
            let (x, y) = f(items[0].as_f64().unwrap(), items[1].as_f64().unwrap());
            *v = serde_json::json!([x, y]);
        } else {
            items.iter_mut().for_each(|x| each_position(x, f));
        }
    }
    let mut doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    doc["crs"]["properties"]["name"] = crs_name.into();
    for feature in doc["features"].as_array_mut().unwrap() {
        each_position(&mut feature["geometry"]["coordinates"], move_to);
    }
    std::fs::write(path, doc.to_string()).unwrap();
}

/// `redline run job.toml --quiet -o out EXTRA…` in `dir`, whatever its outcome.
pub fn run_job(dir: &Path, extra: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_redline"))
        .current_dir(dir)
        .args(["run", "job.toml", "--quiet", "-o", "out"])
        .args(extra)
        .output()
        .unwrap()
}

/// [`run_job`], which must succeed; report.json's text.
pub fn run_in(dir: &Path, extra: &[&str]) -> String {
    let out = run_job(dir, extra);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::read_to_string(dir.join("out/report.json")).unwrap()
}

/// Every output but timings.json, concatenated (for the determinism test).
pub fn all_outputs(dir: &Path) -> String {
    [
        "report.json",
        "townships.csv",
        "balance.csv",
        "townships.geojson",
        "violations.geojson",
        "pbf_loss.geojson",
        "uncovered_construction.geojson",
        "汇总表.xlsx",
    ]
    .iter()
    .map(|n| String::from_utf8_lossy(&std::fs::read(dir.join("out").join(n)).unwrap()).into_owned())
    .collect::<Vec<_>>()
    .join("\n")
}

/// Equal texts, or a panic that shows the first line that differs.
pub fn same(a: &str, b: &str, what: &str) {
    if let Some((n, (x, y))) = a
        .lines()
        .zip(b.lines())
        .enumerate()
        .find(|(_, (x, y))| x != y)
    {
        panic!("{what}: line {} differs:\n{x}\n{y}", n + 1);
    }
    assert_eq!(a.len(), b.len(), "{what}");
}

/// A validator for report.json (`None`) or for one definition of schema/report.schema.json
/// (`Some("province")`: `#/$defs/province`).
pub fn schema_validator(definition: Option<&str>) -> jsonschema::Validator {
    let text = std::fs::read_to_string(root().join("schema/report.schema.json")).unwrap();
    let schema: serde_json::Value = serde_json::from_str(&text).unwrap();
    let root = match definition {
        None => schema,
        Some(name) => {
            serde_json::json!({"$defs": schema["$defs"], "$ref": format!("#/$defs/{name}")})
        }
    };
    jsonschema::draft202012::new(&root).unwrap()
}

/// No schema error in `value` (the first five shown).
pub fn assert_schema_valid(
    validator: &jsonschema::Validator,
    value: &serde_json::Value,
    what: &str,
) {
    let errors: Vec<String> = validator
        .iter_errors(value)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .take(5)
        .collect();
    assert!(errors.is_empty(), "{what}: {errors:#?}");
}
