//! `redline info FILE`.

use crate::cli::LayerArgs;
use crate::Exit;
use anyhow::{Context, Result};
use redline_geom::Crs;
use redline_ingest::{read_layer, LayerRead, ReadOptions};

/// Reads a layer with the options the command line gives.
pub(crate) fn read(args: &LayerArgs) -> Result<LayerRead> {
    let crs = args
        .crs
        .as_deref()
        .map(Crs::from_user)
        .transpose()
        .context("--crs")?;
    let options = ReadOptions {
        display_name: None,
        dbf_encoding: args.dbf_encoding.clone(),
        crs,
        id_field: args.id_field.clone(),
        describe_only: true,
        ..Default::default()
    };
    Ok(read_layer(&args.file, &options)?)
}

pub(crate) fn run(args: &LayerArgs) -> Result<Exit> {
    let read = read(args)?;
    let layer = &read.layer;
    out!("file:      {}", layer.path.display());
    out!("format:    {}", layer.format.name());
    out!("layer:     {}", layer.name);
    match &layer.crs {
        Some(crs) => out!("crs:       {crs} [{}]", layer.crs_source),
        None if layer.declared_crs.is_some() => out!(
            "crs:       {} (build with `--features proj` to use it)",
            layer.crs_source
        ),
        None => out!("crs:       unknown (give one with --crs)"),
    }
    if let (None, Some(text)) = (&layer.crs, &layer.declared_crs) {
        out!("crs text:  {}", one_line(text, 400));
    }
    if let Some(enc) = layer.encoding {
        out!("encoding:  {} (from {})", enc.encoding.name(), enc.source);
    }
    out!(
        "features:  {} ({} valid)",
        layer.read_count,
        layer.features.len()
    );
    if let Some(e) = layer.extent() {
        out!(
            "extent:    {:.6}, {:.6} — {:.6}, {:.6}",
            e.min().x,
            e.min().y,
            e.max().x,
            e.max().y
        );
    }
    out!("fields:    {}", layer.fields.len());
    for f in &layer.fields {
        out!("  {:<24} {}", f.name, f.field_type.name());
    }
    if !read.issues.is_empty() {
        out!(
            "issues:    {} (see `redline check {}`)",
            read.issues.len(),
            layer.path.display()
        );
    }
    Ok(Exit::Clean)
}

/// `text` on one line, cut at `limit` characters.
fn one_line(text: &str, limit: usize) -> String {
    let flat: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    match flat.char_indices().nth(limit) {
        Some((at, _)) => format!("{}…", &flat[..at]),
        None => flat,
    }
}
