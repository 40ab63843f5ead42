//! Command-line arguments.

use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

/// redline — farmland-redline (耕地红线) analysis of county land-survey layers.
///
/// Exit codes: 0 clean, 1 finished with data issues, 2 failed.
#[derive(Debug, Parser)]
#[command(
    name = "redline",
    version,
    about = "redline — farmland-redline (耕地红线) analysis of county land-survey layers",
    after_help = "Exit codes: 0 clean, 1 finished with data issues, 2 failed.",
    max_term_width = 100
)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Describe a layer file: format, CRS, feature count, extent, fields and their types.
    Info(LayerArgs),
    /// List every data issue of a layer file (invalid geometry, overlaps within a coverage,
    /// unknown class codes, bad deduction coefficients, undecodable text, duplicate ids); exit 1
    /// if there are any.
    Check(CheckArgs),
    /// Generate a synthetic county — every layer, a targets table and a job file — for demos,
    /// tests and benchmarks. Same seed, same bytes.
    Synth(SynthArgs),
}

/// Arguments of `synth`.
#[derive(Debug, Args)]
pub struct SynthArgs {
    /// Output folder (created if missing).
    #[arg(short, long, value_name = "DIR")]
    pub output: PathBuf,
    /// About how many land-use parcels.
    #[arg(long, default_value_t = 20_000)]
    pub parcels: usize,
    /// Number of townships.
    #[arg(long, default_value_t = 11)]
    pub townships: usize,
    /// Random seed.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Layer format: geojson, geojsonseq or shp.
    #[arg(long, default_value = "geojson")]
    pub format: String,
}

/// A layer file and how to read it.
#[derive(Debug, Args)]
pub struct LayerArgs {
    /// The layer: .geojson/.json (FeatureCollection), .geojsonl/.geojsons/.ndjson (GeoJSONSeq)
    /// or .shp (with .dbf, .prj, .cpg beside it).
    pub file: PathBuf,
    /// Text encoding of the .dbf, overriding .cpg and the language-driver byte
    /// (utf-8, gbk, cp936, gb18030, latin1 …).
    #[arg(long, value_name = "ENCODING")]
    pub dbf_encoding: Option<String>,
    /// CRS to assume when the file declares none (EPSG:4529, urn:ogc:def:crs:EPSG::4490, WKT, +proj=…).
    #[arg(long, value_name = "CRS")]
    pub crs: Option<String>,
    /// Field holding the feature id when the format has none (default: the role's id field).
    #[arg(long, value_name = "FIELD")]
    pub id_field: Option<String>,
}

/// Arguments of `check`.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// The layer file and how to read it.
    #[command(flatten)]
    pub layer: LayerArgs,
    /// The layer's role (townships, landuse, basic_farmland, approvals, supplements, changes);
    /// guessed from its fields when not given.
    #[arg(long, value_name = "ROLE")]
    pub role: Option<String>,
}
