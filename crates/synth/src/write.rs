//! Streaming layer writers: GeoJSON FeatureCollection (with the legacy `crs` member),
//! GeoJSONSeq, and ESRI Shapefile (.shp/.shx/.dbf/.prj/.cpg, UTF-8 text). Every file is written
//! under a temporary name and renamed when complete, so a failed run leaves no half file.

use geo::{Coord, LineString, MultiPolygon};
use std::fs::File;
use std::io::{self, BufWriter, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use redline_geom::Crs;
pub use redline_ingest::Format;
use redline_ingest::{Field, FieldType, LayerSink, SinkLayer, Value};

/// A field of an output layer.
#[derive(Debug, Clone, Copy)]
pub(crate) struct FieldDef {
    pub name: &'static str,
    /// DBF width in bytes.
    pub width: u8,
    /// `None` for text, `Some(decimals)` for numbers.
    pub decimals: Option<u8>,
}

pub(crate) const fn text(name: &'static str, width: u8) -> FieldDef {
    FieldDef {
        name,
        width,
        decimals: None,
    }
}

pub(crate) const fn number(name: &'static str, width: u8, decimals: u8) -> FieldDef {
    FieldDef {
        name,
        width,
        decimals: Some(decimals),
    }
}

/// A value of a field.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Val {
    Text(String),
    Num(f64),
    Null,
}

impl Val {
    fn to_value(&self) -> Value {
        match self {
            Val::Text(t) => Value::Text(t.as_str().into()),
            Val::Num(n) => Value::Number(*n),
            Val::Null => Value::Null,
        }
    }
}

/// The `.prj` of CGCS2000 3° Gauss–Krüger zone `zone` (with the zone prefix in the easting),
/// as ArcGIS writes it.
fn prj(zone: u32) -> String {
    format!(
        r#"PROJCS["CGCS2000_3_Degree_GK_Zone_{zone}",GEOGCS["GCS_China_Geodetic_Coordinate_System_2000",DATUM["D_China_2000",SPHEROID["CGCS2000",6378137.0,298.257222101]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]],PROJECTION["Gauss_Kruger"],PARAMETER["False_Easting",{zone}500000.0],PARAMETER["False_Northing",0.0],PARAMETER["Central_Meridian",{cm}.0],PARAMETER["Scale_Factor",1.0],PARAMETER["Latitude_Of_Origin",0.0],UNIT["Meter",1.0]]"#,
        cm = 3 * zone
    )
}

/// The EPSG code of CGCS2000 3° Gauss–Krüger zone `zone` with the zone prefix (4513 = zone 25
/// … 4533 = zone 45).
pub(crate) fn gk_epsg(zone: u32) -> u32 {
    4488 + zone
}

/// A file written under `name.tmp` and renamed on [`Pending::commit`].
struct Pending {
    tmp: PathBuf,
    path: PathBuf,
}

impl Pending {
    fn create(path: PathBuf) -> io::Result<(Pending, BufWriter<File>)> {
        let tmp = path.with_extension(format!(
            "{}.tmp",
            path.extension().and_then(|e| e.to_str()).unwrap_or("")
        ));
        let file = File::create(&tmp)?;
        Ok((
            Pending { tmp, path },
            BufWriter::with_capacity(1 << 20, file),
        ))
    }

    fn commit(self) -> io::Result<PathBuf> {
        std::fs::rename(&self.tmp, &self.path)?;
        Ok(self.path)
    }
}

/// Writes one layer, feature by feature.
pub(crate) struct LayerWriter {
    format: Format,
    fields: &'static [FieldDef],
    /// The text formats' file (GeoJSON, GeoJSONSeq, .shp).
    main: Option<(Pending, BufWriter<File>)>,
    /// GeoParquet and FlatGeobuf: the shared writer, which owns the file (`main` is `None`).
    sink: Option<(Pending, LayerSink<BufWriter<File>>)>,
    shp: Option<ShpState>,
    count: usize,
    line: String,
    /// GeoJSON vertices off the millimetre grid are written to the micrometre (see
    /// [`LayerWriter::fine_vertices`]).
    fine: bool,
}

struct ShpState {
    shx: (Pending, BufWriter<File>),
    dbf: (Pending, BufWriter<File>),
    extra: Vec<Pending>,
    offset: u64,
    bbox: [f64; 4],
}

impl LayerWriter {
    /// Starts `dir/name.<ext>`; `layer` is the collection's name.
    pub fn create(
        dir: &Path,
        name: &str,
        layer: &str,
        (format, zone): (Format, u32),
        fields: &'static [FieldDef],
    ) -> io::Result<LayerWriter> {
        if format == Format::Ogr {
            return Err(io::Error::new(
                io::ErrorKind::Unsupported,
                "synth writes geojson, geojsonseq, shp, geoparquet or fgb",
            ));
        }
        let path = dir.join(format!("{name}.{}", format.extension()));
        if matches!(format, Format::GeoParquet | Format::FlatGeobuf) {
            return Self::create_sink(path, layer, (format, zone), fields);
        }
        let (pending, mut out) = Pending::create(path.clone())?;
        let mut shp = None;
        match format {
            Format::GeoJson => writeln!(
                out,
                "{{\"type\":\"FeatureCollection\",\"name\":\"{layer}\",\"crs\":{{\"type\":\"name\",\"properties\":{{\"name\":\"urn:ogc:def:crs:EPSG::{}\"}}}},\"features\":[",
                gk_epsg(zone)
            )?,
            Format::GeoJsonSeq | Format::Ogr | Format::GeoParquet | Format::FlatGeobuf => {}
            Format::Shapefile => {
                out.write_all(&[0u8; 100])?;
                let (shx_p, mut shx) = Pending::create(path.with_extension("shx"))?;
                shx.write_all(&[0u8; 100])?;
                let (dbf_p, mut dbf) = Pending::create(path.with_extension("dbf"))?;
                write_dbf_header(&mut dbf, fields, 0)?;
                let mut extra = Vec::new();
                for (ext, body) in [("prj", prj(zone)), ("cpg", "UTF-8".into())] {
                    let (p, mut w) = Pending::create(path.with_extension(ext))?;
                    w.write_all(body.as_bytes())?;
                    w.flush()?;
                    extra.push(p);
                }
                shp = Some(ShpState { shx: (shx_p, shx), dbf: (dbf_p, dbf), extra, offset: 50, bbox: [f64::MAX, f64::MAX, f64::MIN, f64::MIN] });
            }
        }
        Ok(LayerWriter {
            format,
            fields,
            main: Some((pending, out)),
            sink: None,
            shp,
            count: 0,
            line: String::with_capacity(4096),
            fine: false,
        })
    }

    fn create_sink(
        path: PathBuf,
        layer: &str,
        (format, zone): (Format, u32),
        fields: &'static [FieldDef],
    ) -> io::Result<LayerWriter> {
        let crs = Crs::from_epsg(gk_epsg(zone)).map_err(io::Error::other)?;
        let schema: Vec<Field> = fields
            .iter()
            .map(|f| Field {
                name: f.name.into(),
                field_type: if f.decimals.is_some() {
                    FieldType::Number
                } else {
                    FieldType::Text
                },
            })
            .collect();
        let (pending, out) = Pending::create(path.clone())?;
        let sink = LayerSink::create(
            format,
            out,
            SinkLayer {
                name: layer,
                crs: Some(&crs),
                fields: &schema,
            },
        )?;
        Ok(LayerWriter {
            format,
            fields,
            main: None,
            sink: Some((pending, sink)),
            shp: None,
            count: 0,
            line: String::new(),
            fine: false,
        })
    }

    /// Writes the vertices a cut makes (off the millimetre grid) to the micrometre, so that the
    /// pieces of a cut parcel still tile it to ~1e-10 of its area; vertices on the grid are
    /// written as before.
    pub fn fine_vertices(mut self) -> Self {
        self.fine = true;
        self
    }

    /// Writes one feature; `values` follow the layer's fields.
    pub fn write(&mut self, geometry: &MultiPolygon<f64>, values: &[Val]) -> io::Result<()> {
        if let Some((_, sink)) = &mut self.sink {
            let values: Vec<Value> = values.iter().map(Val::to_value).collect();
            sink.write(geometry, &values)?;
            self.count += 1;
            return Ok(());
        }
        let Some((_, main)) = &mut self.main else {
            return Ok(());
        };
        match self.format {
            Format::GeoJson | Format::GeoJsonSeq => {
                self.line.clear();
                if self.format == Format::GeoJson && self.count > 0 {
                    self.line.push_str(",\n");
                }
                geojson_feature(&mut self.line, self.fields, geometry, values, self.fine);
                if self.format == Format::GeoJsonSeq {
                    self.line.push('\n');
                }
                main.write_all(self.line.as_bytes())?;
            }
            Format::Shapefile => self.write_shape(geometry, values)?,
            // Refused by `create`, or written by the sink.
            Format::Ogr | Format::GeoParquet | Format::FlatGeobuf => {}
        }
        self.count += 1;
        Ok(())
    }

    fn write_shape(&mut self, geometry: &MultiPolygon<f64>, values: &[Val]) -> io::Result<()> {
        let (Some(state), Some((_, out))) = (self.shp.as_mut(), self.main.as_mut()) else {
            return Ok(());
        };
        // Shapefile rings: exteriors clockwise, holes counter-clockwise (ours are the reverse).
        let rings: Vec<Vec<Coord<f64>>> = geometry
            .iter()
            .flat_map(|p| std::iter::once(p.exterior()).chain(p.interiors()))
            .map(|r: &LineString<f64>| r.0.iter().rev().copied().collect())
            .collect();
        let points: usize = rings.iter().map(Vec::len).sum();
        let content_words = (44 + 4 * rings.len() + 16 * points) / 2;
        let mut bbox = [f64::MAX, f64::MAX, f64::MIN, f64::MIN];
        for c in rings.iter().flatten() {
            bbox = [
                bbox[0].min(c.x),
                bbox[1].min(c.y),
                bbox[2].max(c.x),
                bbox[3].max(c.y),
            ];
        }
        state.bbox = [
            state.bbox[0].min(bbox[0]),
            state.bbox[1].min(bbox[1]),
            state.bbox[2].max(bbox[2]),
            state.bbox[3].max(bbox[3]),
        ];
        out.write_all(&(self.count as i32 + 1).to_be_bytes())?;
        out.write_all(&(content_words as i32).to_be_bytes())?;
        out.write_all(&5i32.to_le_bytes())?;
        for v in bbox {
            out.write_all(&v.to_le_bytes())?;
        }
        out.write_all(&(rings.len() as i32).to_le_bytes())?;
        out.write_all(&(points as i32).to_le_bytes())?;
        let mut start = 0i32;
        for r in &rings {
            out.write_all(&start.to_le_bytes())?;
            start += r.len() as i32;
        }
        for c in rings.iter().flatten() {
            out.write_all(&c.x.to_le_bytes())?;
            out.write_all(&c.y.to_le_bytes())?;
        }
        state
            .shx
            .1
            .write_all(&(state.offset as i32).to_be_bytes())?;
        state
            .shx
            .1
            .write_all(&(content_words as i32).to_be_bytes())?;
        state.offset += 4 + content_words as u64;
        write_dbf_record(&mut state.dbf.1, self.fields, values)
    }

    /// Finishes the files and renames them into place; returns the main file's path.
    pub fn finish(mut self) -> io::Result<PathBuf> {
        if let Some((pending, sink)) = self.sink {
            sink.finish()?.flush()?;
            return pending.commit();
        }
        let Some((pending, mut main)) = self.main else {
            return Err(io::Error::other("a layer writer without a file"));
        };
        match self.format {
            Format::GeoJson => main.write_all(b"\n]}\n")?,
            Format::GeoJsonSeq | Format::Ogr | Format::GeoParquet | Format::FlatGeobuf => {}
            Format::Shapefile => {
                if let Some(mut state) = self.shp.take() {
                    let bbox = if self.count == 0 {
                        [0.0; 4]
                    } else {
                        state.bbox
                    };
                    shp_header(&mut main, state.offset, bbox)?;
                    shp_header(&mut state.shx.1, 50 + 4 * self.count as u64, bbox)?;
                    state.dbf.1.write_all(&[0x1A])?;
                    state.dbf.1.seek(SeekFrom::Start(0))?;
                    write_dbf_header(&mut state.dbf.1, self.fields, self.count)?;
                    state.shx.1.flush()?;
                    state.dbf.1.flush()?;
                    drop((state.shx.1, state.dbf.1));
                    state.shx.0.commit()?;
                    state.dbf.0.commit()?;
                    for p in state.extra {
                        p.commit()?;
                    }
                }
            }
        }
        main.flush()?;
        drop(main);
        pending.commit()
    }
}

fn shp_header(out: &mut BufWriter<File>, words: u64, bbox: [f64; 4]) -> io::Result<()> {
    out.seek(SeekFrom::Start(0))?;
    out.write_all(&9994i32.to_be_bytes())?;
    out.write_all(&[0u8; 20])?;
    out.write_all(&(words as i32).to_be_bytes())?;
    out.write_all(&1000i32.to_le_bytes())?;
    out.write_all(&5i32.to_le_bytes())?;
    for v in bbox {
        out.write_all(&v.to_le_bytes())?;
    }
    out.write_all(&[0u8; 32])?; // z and m ranges
    out.seek(SeekFrom::End(0))?;
    Ok(())
}

fn write_dbf_header(out: &mut impl Write, fields: &[FieldDef], records: usize) -> io::Result<()> {
    let header_len = 32 + 32 * fields.len() + 1;
    let record_len = 1 + fields.iter().map(|f| f.width as usize).sum::<usize>();
    let mut head = [0u8; 32];
    head[0] = 0x03;
    head[1..4].copy_from_slice(&[125, 1, 1]); // 2025-01-01: fixed, so output is reproducible
    head[4..8].copy_from_slice(&(records as u32).to_le_bytes());
    head[8..10].copy_from_slice(&(header_len as u16).to_le_bytes());
    head[10..12].copy_from_slice(&(record_len as u16).to_le_bytes());
    out.write_all(&head)?;
    for f in fields {
        let mut d = [0u8; 32];
        d[..f.name.len()].copy_from_slice(f.name.as_bytes());
        d[11] = if f.decimals.is_some() { b'N' } else { b'C' };
        d[16] = f.width;
        d[17] = f.decimals.unwrap_or(0);
        out.write_all(&d)?;
    }
    out.write_all(&[0x0D])
}

fn write_dbf_record(out: &mut impl Write, fields: &[FieldDef], values: &[Val]) -> io::Result<()> {
    out.write_all(b" ")?;
    for (f, v) in fields.iter().zip(values) {
        let width = f.width as usize;
        let mut cell = match (v, f.decimals) {
            (Val::Num(n), Some(d)) => {
                format!("{:>width$.prec$}", n, prec = d as usize).into_bytes()
            }
            (Val::Text(t), _) => t.as_bytes().to_vec(),
            (Val::Num(n), None) => n.to_string().into_bytes(),
            (Val::Null, _) => Vec::new(),
        };
        cell.truncate(width);
        cell.resize(width, b' ');
        out.write_all(&cell)?;
    }
    Ok(())
}

fn push_json_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Writes a coordinate with three decimals through integer formatting (the generator's
/// coordinates are whole millimetres; float formatting was a tenth of the run time). Same text
/// as `{:.3}`.
fn push_mm(out: &mut String, v: f64) {
    use std::fmt::Write as _;
    let mm = (v * 1000.0).round() as i64;
    let (sign, mm) = if mm < 0 { ("-", -mm) } else { ("", mm) };
    let _ = write!(out, "{sign}{}.{:03}", mm / 1000, mm % 1000);
}

/// A coordinate to the millimetre; with `fine`, one off the millimetre grid to the micrometre.
fn push_coordinate(out: &mut String, v: f64, fine: bool) {
    use std::fmt::Write as _;
    let um = (v * 1e6).round() as i64;
    if !fine || um % 1000 == 0 {
        return push_mm(out, v);
    }
    let (sign, um) = if um < 0 { ("-", -um) } else { ("", um) };
    let _ = write!(out, "{sign}{}.{:06}", um / 1_000_000, um % 1_000_000);
}

fn geojson_feature(
    out: &mut String,
    fields: &[FieldDef],
    geometry: &MultiPolygon<f64>,
    values: &[Val],
    fine: bool,
) {
    use std::fmt::Write as _;
    out.push_str("{\"type\":\"Feature\",\"properties\":{");
    for (k, (f, v)) in fields.iter().zip(values).enumerate() {
        if k > 0 {
            out.push(',');
        }
        push_json_string(out, f.name);
        out.push(':');
        match (v, f.decimals) {
            (Val::Text(t), _) => push_json_string(out, t),
            (Val::Num(n), Some(d)) => {
                let _ = write!(out, "{:.prec$}", n, prec = d as usize);
            }
            (Val::Num(n), None) => {
                let _ = write!(out, "{n}");
            }
            (Val::Null, _) => out.push_str("null"),
        }
    }
    out.push_str("},\"geometry\":{\"type\":\"MultiPolygon\",\"coordinates\":");
    redline_geom::push_multipolygon_coordinates(out, geometry, |o, c| {
        push_coordinate(o, c.x, fine);
        o.push(',');
        push_coordinate(o, c.y, fine);
    });
    out.push_str("}}");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn millimetre_formatting_matches_float_formatting() {
        for v in [41_512_345.123, 5_080_000.0, -12.5, -0.001, 0.0, 7.999_999_9] {
            let mut s = String::new();
            push_mm(&mut s, v);
            assert_eq!(s, format!("{v:.3}"), "{v}");
        }
    }

    #[test]
    fn fine_coordinates_keep_the_millimetre_grid_and_add_micrometres_off_it() {
        for (v, fine) in [
            (41_512_345.123, "41512345.123"),
            (41_512_345.123_456_4, "41512345.123456"),
            (-12.000_25, "-12.000250"),
            (5_080_000.0, "5080000.000"),
        ] {
            let mut s = String::new();
            push_coordinate(&mut s, v, true);
            assert_eq!(s, fine, "{v}");
            let mut coarse = String::new();
            push_coordinate(&mut coarse, v, false);
            assert_eq!(coarse, format!("{v:.3}"), "{v}");
        }
    }
}
