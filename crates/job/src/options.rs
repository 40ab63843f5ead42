//! How a run's outputs are written: read by the run (GeoJSON needs the lon/lat transformation,
//! checked before the overlay) and by the writer.

pub use redline_report::{Lang, MapRatio};

/// How the output layers are written.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum LayerFormat {
    /// `townships.geojson`, `violations.geojson`, `pbf_loss.geojson` in WGS 84 lon/lat.
    #[default]
    GeoJson,
    /// One `layers.gpkg` in the working CRS (needs the `gdal` feature).
    GeoPackage,
    /// `townships.parquet`, `violations.parquet`, `pbf_loss.parquet`: GeoParquet 1.1 in the
    /// working CRS (PROJJSON), with a bbox covering column.
    GeoParquet,
    /// `townships.fgb`, `violations.fgb`, `pbf_loss.fgb`: FlatGeobuf with its spatial index,
    /// in the working CRS.
    FlatGeobuf,
}

/// How the outputs are written.
#[derive(Debug, Clone, Copy, Default)]
pub struct WriteOptions {
    /// Headers of the CSV tables.
    pub lang: Lang,
    /// The ratio that colours report.html's map.
    pub map_ratio: MapRatio,
    /// The output layers' format.
    pub format: LayerFormat,
}
