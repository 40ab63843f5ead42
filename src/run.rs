//! `redline run` and `redline demo`.

use crate::cli::{DemoArgs, RunArgs};
use crate::job::{sort_issues, Job};
use crate::Outcome;
use anyhow::{Context, Result};
use redline_geom::units::m2_to_ha;
use redline_overlay::Metrics;
use redline_report::{
    balance_csv, pbf_loss_geojson, report_html, report_json, townships_csv, townships_geojson,
    violations_geojson, write_atomic, JobEcho, Lang, MapRatio, OutputSet,
};
use std::path::Path;
use std::time::Instant;

fn threads(n: Option<usize>) -> Result<()> {
    if let Some(n) = n {
        rayon::ThreadPoolBuilder::new()
            .num_threads(n.max(1))
            .build_global()
            .context("--threads")?;
    }
    Ok(())
}

pub(crate) fn run(args: &RunArgs) -> Result<Outcome> {
    threads(args.threads)?;
    let job = Job::load(&args.job)?;
    let output = args.output.clone().unwrap_or_else(|| job.output.clone());
    let lang = if args.lang == "en" {
        Lang::En
    } else {
        Lang::Zh
    };
    let ratio = args
        .map_ratio
        .parse::<MapRatio>()
        .map_err(|e| anyhow::anyhow!(e))?;
    let gpkg = args.format == "gpkg";
    if gpkg && !cfg!(feature = "gdal") {
        anyhow::bail!(GPKG_NEEDS_GDAL);
    }
    // Checked and locked before any work: a run that cannot write says so at once.
    let set = OutputSet::begin(&output, &job.inputs(), args.force)?;
    execute(&job, set, args.quiet, Style { lang, ratio, gpkg })
}

pub(crate) fn demo(args: &DemoArgs) -> Result<Outcome> {
    threads(args.threads)?;
    let data = args.output.join("data");
    let config = redline_synth::Config {
        parcels: 20_000,
        townships: 11,
        seed: 1,
        format: redline_synth::Format::GeoJson,
    };
    redline_synth::generate(&config, &data)
        .with_context(|| format!("writing the demo county to {}", data.display()))?;
    let job = Job::load(&data.join("job.toml"))?;
    let set = OutputSet::begin(&args.output.join("out"), &job.inputs(), false)?;
    eprintln!(
        "demo county (data/demo, rebuilt by the embedded generator) in {}",
        data.display()
    );
    execute(
        &job,
        set,
        false,
        Style {
            lang: Lang::Zh,
            ratio: MapRatio::Illegal,
            gpkg: false,
        },
    )
}

/// A progress bar on stderr for one stage: drawn only when stderr is a terminal and not
/// `--quiet`; plain text (no colour codes), so `NO_COLOR` terminals see no colour either.
fn bar(quiet: bool, what: &'static str, steps: usize) -> indicatif::ProgressBar {
    if quiet {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::with_draw_target(
        Some(steps as u64),
        indicatif::ProgressDrawTarget::stderr(),
    );
    let style =
        indicatif::ProgressStyle::with_template("{msg:<28} [{bar:30}] {pos}/{len} [{elapsed}]")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
            .progress_chars("=> ");
    bar.set_style(style);
    bar.set_message(what);
    bar.enable_steady_tick(std::time::Duration::from_millis(200));
    bar
}

/// How the outputs are written.
#[derive(Clone, Copy)]
struct Style {
    /// Headers of the CSV tables.
    lang: Lang,
    /// The ratio that colours report.html's map.
    ratio: MapRatio,
    /// One GeoPackage instead of three GeoJSON files.
    gpkg: bool,
}

/// Reads, overlays and writes every output into the set's staging folder, then commits the
/// set: a failure anywhere leaves the output folder as it was.
fn execute(job: &Job, set: OutputSet, quiet: bool, style: Style) -> Result<Outcome> {
    let output = set.dir().to_path_buf();
    let output = output.as_path();
    let started = Instant::now();
    let reading = bar(quiet, "reading layers", job.layer_count());
    let (county, settings, mut issues) = job.read_with_progress(&|| reading.inc(1))?;
    reading.finish_and_clear();
    if !style.gpkg {
        // Fail before the overlay, not after it, when the lon/lat outputs cannot be made.
        redline_report::to_wgs84(&settings.crs).with_context(|| {
            "the GeoJSON outputs are WGS 84 lon/lat (RFC 7946): give the working CRS its \
             datum shift (`towgs84` beside `crs` in the job), or write --format gpkg (working CRS)"
        })?;
    }
    let read = started.elapsed();
    let overlaying = bar(
        quiet,
        "overlay, township by township",
        county.townships.len(),
    );
    let mut outcome =
        redline_overlay::run_with_progress(&county, &settings, &job.name, &|| overlaying.inc(1))?;
    overlaying.finish_and_clear();
    let overlay = started.elapsed() - read;
    // One list: what the readers, the preflight and the overlay found. Its length is the
    // count printed, the exit code's reason and report.json's `data_issues`.
    issues.append(&mut job.locate(std::mem::take(&mut outcome.issues)));
    sort_issues(&mut issues);
    let echo = JobEcho {
        name: &job.name,
        file: &job.path.display().to_string(),
        text: &job.text,
        settings: &settings,
    };
    let report = output.join("report.json");
    write_atomic(&report, report_json(&echo, &outcome, &issues).as_bytes())
        .with_context(|| format!("writing {}", report.display()))?;
    write_tables(output, &county, &outcome, &settings, style)?;
    write_layers(output, &county, &outcome, &settings, style.gpkg)?;
    // Timings change from run to run: they live beside report.json, not in it, so that the
    // report stays byte-identical for the same inputs.
    let stages: Vec<String> = outcome
        .stage_seconds
        .iter()
        .map(|(k, v)| format!("\"{k}\": {v:.3}"))
        .collect();
    let timings = format!(
        "{{\"read_s\": {:.3}, \"overlay_s\": {:.3}, \"total_s\": {:.3}, \"parcels\": {}, \"pieces\": {}, \"clipped_pieces\": {}, \"overlay_stage_s\": {{{}}}}}\n",
        read.as_secs_f64(),
        overlay.as_secs_f64(),
        started.elapsed().as_secs_f64(),
        county.landuse.len(),
        outcome.county.pieces,
        outcome.county.clipped,
        stages.join(", ")
    );
    write_atomic(&output.join("timings.json"), timings.as_bytes())?;
    let target = set.commit()?;
    if !quiet {
        print_summary(&outcome.townships, &outcome.county)?;
        eprintln!(
            "{} parcels, {} pieces ({} clipped), {} data issues; read {:.2} s, overlay {:.2} s; wrote {}",
            county.landuse.len(),
            outcome.county.pieces,
            outcome.county.clipped,
            issues.len(),
            read.as_secs_f64(),
            overlay.as_secs_f64(),
            target.join("report.json").display()
        );
    }
    // A million parcels take a noticeable moment to free; the process is about to exit and
    // the OS takes the memory back at once.
    std::mem::forget(county);
    std::mem::forget(outcome);
    Ok(if issues.is_empty() {
        Outcome::Clean
    } else {
        Outcome::Issues
    })
}

/// The CSV tables and GeoJSON layers beside report.json.
fn write_tables(
    output: &Path,
    county: &redline_overlay::County,
    outcome: &redline_overlay::Outcome,
    settings: &redline_overlay::Settings,
    style: Style,
) -> Result<()> {
    let files = [
        ("townships.csv", townships_csv(outcome, style.lang)),
        ("balance.csv", balance_csv(outcome, style.lang)),
        (
            "report.html",
            report_html(
                &outcome.county.name,
                county,
                outcome,
                settings.thresholds.interview_ratio,
                settings.thresholds.accountability_ratio,
                style.ratio,
            ),
        ),
    ];
    for (name, text) in files {
        let path = output.join(name);
        write_atomic(&path, text.as_bytes())
            .with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(())
}

/// The output layers: three GeoJSON files, or one GeoPackage (`layers.gpkg`).
fn write_layers(
    output: &Path,
    county: &redline_overlay::County,
    outcome: &redline_overlay::Outcome,
    settings: &redline_overlay::Settings,
    gpkg: bool,
) -> Result<()> {
    let crs = &settings.crs;
    if gpkg {
        return write_gpkg(output, county, outcome, crs);
    }
    let files = [
        (
            "townships.geojson",
            townships_geojson(county, outcome, crs)?,
        ),
        ("violations.geojson", violations_geojson(outcome, crs)?),
        ("pbf_loss.geojson", pbf_loss_geojson(outcome, crs)?),
    ];
    for (name, text) in files {
        let path = output.join(name);
        write_atomic(&path, text.as_bytes())
            .with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(())
}

/// Why `--format gpkg` cannot run in a build without the `gdal` feature.
const GPKG_NEEDS_GDAL: &str = "--format gpkg needs redline built with `--features gdal`";

/// `layers.gpkg`, written under a temporary name and renamed like every other output.
#[cfg(feature = "gdal")]
fn write_gpkg(
    output: &Path,
    county: &redline_overlay::County,
    outcome: &redline_overlay::Outcome,
    crs: &redline_geom::Crs,
) -> Result<()> {
    let path = output.join("layers.gpkg");
    redline_report::write_gpkg(&path, county, outcome, crs)
        .with_context(|| format!("writing {}", path.display()))
}

#[cfg(not(feature = "gdal"))]
fn write_gpkg(
    _: &Path,
    _: &redline_overlay::County,
    _: &redline_overlay::Outcome,
    _: &redline_geom::Crs,
) -> Result<()> {
    anyhow::bail!(GPKG_NEEDS_GDAL)
}

/// `text` padded with spaces to `width` terminal columns (CJK characters take two).
fn pad(text: &str, width: usize) -> String {
    let w = unicode_width::UnicodeWidthStr::width(text);
    format!("{text}{}", " ".repeat(width.saturating_sub(w)))
}

fn print_summary(townships: &[Metrics], county: &Metrics) -> Result<()> {
    out!(
        "{:<10} {} {:>11} {:>11} {:>7} {:>10} {:>7} {:>9} {:>7} flags",
        "code",
        pad("name", 24),
        "cult_net_ha",
        "target_ha",
        "retain",
        "pbf_ha",
        "pbf_cul",
        "balance",
        "illegal",
    );
    let ratio = |r: Option<f64>| r.map_or("-".to_string(), |r| format!("{:.3}", r));
    let ha = |v: Option<f64>| v.map_or("-".to_string(), |v| format!("{:.2}", m2_to_ha(v)));
    for m in townships.iter().chain(std::iter::once(county)) {
        let pbf = m.pbf.as_ref();
        let balance =
            m.balance
                .as_ref()
                .map_or("-", |b| if b.balanced() { "balanced" } else { "deficit" });
        let v = m.violations.as_ref();
        let flags = v.map_or(String::new(), |v| {
            [(v.interview, "约谈"), (v.accountability, "问责")]
                .iter()
                .filter(|(on, _)| *on)
                .map(|(_, f)| *f)
                .collect::<Vec<_>>()
                .join(" ")
        });
        out!(
            "{:<10} {} {:>11.2} {:>11} {:>7} {:>10} {:>7} {:>9} {:>7} {}",
            m.code,
            pad(&m.name, 24),
            m2_to_ha(m.landuse.cultivated_net),
            ha(m.landuse.cultivated_target),
            ratio(m.landuse.retention_ratio),
            ha(pbf.map(|p| p.area)),
            ratio(pbf.and_then(|p| p.cultivated_ratio)),
            balance,
            ratio(v.map(|v| v.illegal_ratio)),
            flags
        );
    }
    Ok(())
}
