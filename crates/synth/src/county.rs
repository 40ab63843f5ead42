//! The generator: lays out the county, then streams every layer to disk.

use crate::lattice::Lattice;
use crate::plan::{Plan, DEFAULT_COUNTY_CODE};
use crate::rng::{self, noise, Stream};
use crate::write::gk_epsg;
use crate::write::{number, text, FieldDef, Format, LayerWriter, Val};
use geo::{Area, Coord, LineString, MultiPolygon, Polygon};
use redline_geom::{CachedArea, Crs, EllipsoidalArea, LandCategory, LandClassTable};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// What to generate.
#[derive(Debug, Clone)]
pub struct Config {
    /// About how many land-use parcels.
    pub parcels: usize,
    /// How many townships.
    pub townships: usize,
    /// The seed: same seed, same bytes.
    pub seed: u64,
    /// The layers' file format.
    pub format: Format,
    /// The county's 6-digit code (township codes are it and three digits, ids start with it);
    /// [`DEFAULT_COUNTY`] is 镇赉县 as in the demo. Other codes are drawn elsewhere, up to twelve
    /// consecutive codes side by side, so that the counties of a synthetic province do not
    /// overlap.
    pub county_code: String,
    /// Also write the previous vintage of the land use (`landuse_previous`): `landuse` is then
    /// the current vintage, changed from it by the year's conversions and change patches,
    /// some 非粮化, some land brought back to cultivation and some unreported construction.
    pub previous: bool,
}

/// What was generated.
#[derive(Debug, Clone, Default)]
pub struct Summary {
    /// Land-use parcels written.
    pub parcels: usize,
    /// Townships written.
    pub townships: usize,
    /// Villages laid out.
    pub villages: usize,
    /// Basic-farmland parcels.
    pub basic_farmland: usize,
    /// Approvals.
    pub approvals: usize,
    /// Supplement projects.
    pub supplements: usize,
    /// Change patches.
    pub changes: usize,
    /// Parcels the current vintage has beyond the previous one's (cut by the year's changes).
    pub changed_parcels: usize,
    /// Share of the parcels' area that is cultivated.
    pub cultivated_share: f64,
    /// Every file written, main files first.
    pub files: Vec<PathBuf>,
}

/// Why generation failed.
#[derive(Debug, thiserror::Error)]
pub enum SynthError {
    /// Writing failed.
    #[error("{path}: {cause}")]
    Io {
        /// The folder or file.
        path: PathBuf,
        /// The OS error.
        cause: std::io::Error,
    },
    /// A configuration that cannot be generated.
    #[error("{0}")]
    Config(String),
}

/// The default county code: 镇赉县, Jilin (the demo).
pub const DEFAULT_COUNTY: &str = DEFAULT_COUNTY_CODE;

/// Where a county lies: the CGCS2000 3° Gauss–Krüger zone it is drawn in and its centre there.
/// 镇赉县 (220821) is at 123.2°E, 45.8°N in zone 41; other codes take the cell
/// `(code − 220821) mod 12` of a 4 × 3 grid east and south of it, cells 1.25 times the
/// county's size, so that up to twelve consecutive codes of one size lie side by side (a
/// county of a million parcels, ~200 km across, gets a zone of its own per column).
struct Placement {
    zone: u32,
    center: Coord<f64>,
}

impl Placement {
    fn of(code: &str, width_m: f64, height_m: f64) -> Result<Placement, SynthError> {
        let number: i64 = code.parse().map_err(|_| bad_code(code))?;
        let k = (number - 220_821).rem_euclid(12);
        let (lon0, lat0) = (123.2_f64, 45.8_f64);
        let dlon = 1.25 * width_m / (111_320.0 * lat0.to_radians().cos());
        let dlat = 1.25 * height_m / 110_574.0;
        let (lon, lat) = (lon0 + dlon * (k % 4) as f64, lat0 - dlat * (k / 4) as f64);
        let zone = (lon / 3.0).round() as u32;
        let crs = Crs::from_epsg(gk_epsg(zone)).map_err(|e| SynthError::Config(e.to_string()))?;
        let tm = crs.transverse_mercator().ok_or_else(|| {
            SynthError::Config(format!("EPSG:{} is not a Gauss–Krüger CRS", gk_epsg(zone)))
        })?;
        let (x, y, _) = tm.forward(lon, lat);
        Ok(Placement {
            zone,
            center: Coord {
                x: (x / 1000.0).round() * 1000.0,
                y: (y / 1000.0).round() * 1000.0,
            },
        })
    }
}

fn bad_code(code: &str) -> SynthError {
    SynthError::Config(format!(
        "--county-code {code:?}: a county's code is 6 digits (e.g. 220821)"
    ))
}

const DLTB_FIELDS: &[FieldDef] = &[
    text("BSM", 18),
    text("DLBM", 5),
    text("DLMC", 60),
    number("TBMJ", 16, 2),
    number("KCXS", 8, 4),
    number("KCMJ", 16, 2),
    text("ZLDWDM", 19),
    text("ZLDWMC", 60),
    number("GDDB", 2, 0),
];
const XZQ_FIELDS: &[FieldDef] = &[text("XZQDM", 12), text("XZQMC", 60)];
const PBF_FIELDS: &[FieldDef] = &[text("BSM", 18), text("DLBM", 5), number("JBNTMJ", 16, 2)];
const APPROVAL_FIELDS: &[FieldDef] = &[text("PZLX", 30), text("PZWH", 60), text("PZRQ", 10)];
const SUPPLEMENT_FIELDS: &[FieldDef] = &[
    text("XMBH", 24),
    text("ZT", 12),
    number("XZGDMJ", 16, 2),
    number("XZSTMJ", 16, 2),
    number("GDDB", 2, 0),
    text("YSRQ", 10),
];
const CHANGE_FIELDS: &[FieldDef] = &[
    text("JCBH", 20),
    text("HSXDL", 5),
    text("HSX", 10),
    number("JCMJ", 16, 2),
];

/// Where a parcel is: its first vertex (for the slope and grade fields), its ZLDWDM and ZLDWMC.
struct Site {
    at: Coord<f64>,
    zldwdm: String,
    zldwmc: String,
}

/// Township, village and land class of a cell: what parcels are made of.
type CellKey = (u16, u16, &'static str);

/// A vertical run under way in a thin column: first row, length, its cells' key.
type OpenRun = (usize, usize, CellKey);

/// The parcel layers and the running area totals (no basic farmland in the current-vintage
/// pass: it is drawn from the previous vintage).
struct ParcelOut {
    dltb: LayerWriter,
    pbf: Option<LayerWriter>,
    cultivated: f64,
    total: f64,
}

/// Running totals per township, for the targets table.
#[derive(Default, Clone)]
struct Totals {
    cultivated_net: f64,
    pbf: f64,
}

/// The most parcels a county may have: 10 million took 71 s and 5.3 GB on disk; a hundred
/// million is a province, not a county, and larger numbers only exhaust memory or disk.
pub const MAX_PARCELS: usize = 100_000_000;

/// The fewest parcels per township: each township needs blocks of the lattice for its
/// villages and their settlements.
pub const MIN_PARCELS_PER_TOWNSHIP: usize = 50;

/// The most townships: codes are the county code and three digits from 100.
pub const MAX_TOWNSHIPS: usize = 899;

/// Refuses, before anything is allocated or written, a size the generator cannot lay out.
fn check_size(config: &Config) -> Result<(), SynthError> {
    let (p, k) = (config.parcels, config.townships);
    let problem = if k == 0 {
        Some("--townships must be at least 1".to_string())
    } else if k > MAX_TOWNSHIPS {
        Some(format!(
            "--townships {k}: at most {MAX_TOWNSHIPS} (three-digit township codes)"
        ))
    } else if p > MAX_PARCELS {
        Some(format!("--parcels {p}: at most {MAX_PARCELS}"))
    } else if p < MIN_PARCELS_PER_TOWNSHIP * k {
        Some(format!(
            "--parcels {p} is too few for {k} townships: give at least {} ({MIN_PARCELS_PER_TOWNSHIP} per township)",
            MIN_PARCELS_PER_TOWNSHIP * k
        ))
    } else {
        None
    };
    if let Some(p) = problem {
        return Err(SynthError::Config(p));
    }
    let code = &config.county_code;
    if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad_code(code));
    }
    Ok(())
}

/// Generates a county into `dir` (created if missing).
///
/// # Errors
/// A size outside the generator's range ([`MAX_PARCELS`], [`MIN_PARCELS_PER_TOWNSHIP`],
/// [`MAX_TOWNSHIPS`]) before anything is written; a failed write.
pub fn generate(config: &Config, dir: &Path) -> Result<Summary, SynthError> {
    check_size(config)?;
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| SynthError::Io {
            path,
            cause: source,
        }
    };
    // ~2.2 cells per parcel and ~70 % of the lattice inside the outline.
    let cells = config.parcels as f64 * 2.3 / 0.62;
    // Columns are about twice as wide as rows: twice as many rows keeps the county round.
    let ncols = (cells / 2.1).sqrt().ceil().max(8.0) as usize;
    let nrows = (cells / ncols as f64).ceil().max(8.0) as usize;
    // Keep a county of millions of parcels inside its Gauss–Krüger zone (~200 km across).
    let scale = (200_000.0 / (ncols as f64 * 110.0)).min(1.0);
    let lattice = Lattice::new(config.seed, ncols, nrows, scale, Coord { x: 0.0, y: 0.0 });
    let (width, height) = (lattice.xs[lattice.ncols()], lattice.ys[lattice.nrows()]);
    let placement = Placement::of(&config.county_code, width, height)?;
    let lattice = lattice.centred_at(placement.center);
    // The seed county: 11 townships, 141 villages at 20 000 parcels (12.8 per township); larger
    // counties get more villages, as the square root of their size.
    let growth = (config.parcels as f64 / 20_000.0).sqrt().max(1.0);
    let villages = (141.0 / 11.0 * config.townships as f64 * growth).round() as usize;
    let plan = Plan::new(
        config.seed,
        &lattice,
        config.townships,
        villages,
        &config.county_code,
    );
    plan.laid_out(config.townships).map_err(|why| {
        SynthError::Config(format!(
            "{} parcels cannot be laid out in {} townships ({why}): give more parcels or fewer townships",
            config.parcels, config.townships
        ))
    })?;
    std::fs::create_dir_all(dir).map_err(io(dir))?;
    let crs =
        Crs::from_epsg(gk_epsg(placement.zone)).map_err(|e| SynthError::Config(e.to_string()))?;
    let measure = EllipsoidalArea::for_crs(&crs).map_err(|e| SynthError::Config(e.to_string()))?;
    let mut g = Generator::new(config, &lattice, &plan, dir, measure.cached());
    g.zone = placement.zone;
    g.summary.townships = plan.towns.len();
    g.summary.villages = plan.village_count();
    g.write_townships().map_err(io(dir))?;
    let base = if config.previous {
        "landuse_previous"
    } else {
        "landuse"
    };
    g.write_parcels(base).map_err(io(dir))?;
    g.write_approvals().map_err(io(dir))?;
    g.write_supplements().map_err(io(dir))?;
    g.write_changes().map_err(io(dir))?;
    if config.previous {
        g.write_unreported();
        g.current = Some(Current::new(std::mem::take(&mut g.regions)));
        g.write_parcels("landuse").map_err(io(dir))?;
    }
    g.write_targets().map_err(io(dir))?;
    g.write_job().map_err(io(dir))?;
    Ok(g.summary)
}

struct Generator<'a> {
    config: &'a Config,
    lattice: &'a Lattice,
    plan: &'a Plan,
    dir: &'a Path,
    area: CachedArea<'a>,
    classes: &'static LandClassTable,
    totals: Vec<Totals>,
    /// Conversion approvals: centre, radius, dated on or before the period's end.
    conversions: Vec<(Coord<f64>, f64)>,
    /// What the year changed (with a previous vintage): regions and the class they became.
    regions: Vec<(MultiPolygon<f64>, &'static str)>,
    /// The current-vintage pass, when under way.
    current: Option<Current>,
    /// The Gauss–Krüger zone the county is drawn in.
    zone: u32,
    summary: Summary,
}

/// The current-vintage pass: the year's changes, indexed, and the parcel counters.
struct Current {
    regions: Vec<(MultiPolygon<f64>, &'static str)>,
    index: rstar::RTree<
        rstar::primitives::GeomWithData<rstar::primitives::Rectangle<[f64; 2]>, usize>,
    >,
    /// Parcels of the previous vintage met so far (the same order as its pass).
    met: usize,
}

impl Current {
    fn new(regions: Vec<(MultiPolygon<f64>, &'static str)>) -> Current {
        use geo::BoundingRect;
        let boxes = regions
            .iter()
            .enumerate()
            .filter_map(|(k, (g, _))| {
                let r = g.bounding_rect()?;
                Some(rstar::primitives::GeomWithData::new(
                    rstar::primitives::Rectangle::from_corners(
                        [r.min().x, r.min().y],
                        [r.max().x, r.max().y],
                    ),
                    k,
                ))
            })
            .collect();
        Current {
            regions,
            index: rstar::RTree::bulk_load(boxes),
            met: 0,
        }
    }

    /// The regions whose box meets `g`'s, in the order they were made.
    fn around(&self, g: &MultiPolygon<f64>) -> Vec<usize> {
        use geo::BoundingRect;
        let Some(r) = g.bounding_rect() else {
            return Vec::new();
        };
        let envelope = rstar::AABB::from_corners([r.min().x, r.min().y], [r.max().x, r.max().y]);
        let mut found: Vec<usize> = self
            .index
            .locate_in_envelope_intersecting(&envelope)
            .map(|b| b.data)
            .collect();
        found.sort_unstable();
        found
    }
}

/// The period the synthetic data is dated around.
const YEAR: i32 = 2025;

impl<'a> Generator<'a> {
    fn new(
        config: &'a Config,
        lattice: &'a Lattice,
        plan: &'a Plan,
        dir: &'a Path,
        area: CachedArea<'a>,
    ) -> Self {
        Generator {
            config,
            lattice,
            plan,
            dir,
            area,
            classes: LandClassTable::builtin(),
            totals: vec![Totals::default(); plan.towns.len()],
            conversions: Vec::new(),
            regions: Vec::new(),
            current: None,
            zone: 41,
            summary: Summary::default(),
        }
    }

    fn writer(
        &self,
        name: &str,
        layer: &str,
        fields: &'static [FieldDef],
    ) -> std::io::Result<LayerWriter> {
        LayerWriter::create(
            self.dir,
            name,
            layer,
            (self.config.format, self.zone),
            fields,
        )
    }

    fn finish(&mut self, w: LayerWriter) -> std::io::Result<()> {
        let path = w.finish()?;
        self.summary.files.push(path);
        Ok(())
    }

    fn ellipsoidal(&mut self, mp: &MultiPolygon<f64>) -> f64 {
        self.area.area(mp).unwrap_or_else(|_| mp.unsigned_area())
    }

    fn write_townships(&mut self) -> std::io::Result<()> {
        let mut w = self.writer("townships", "XZQ", XZQ_FIELDS)?;
        for (t, town) in self.plan.towns.iter().enumerate() {
            let outline =
                crate::trace::outline(self.lattice, self.plan.bcols, self.plan.brows, |bi, bj| {
                    self.plan.town[bj * self.plan.bcols + bi] == Some(t as u16)
                });
            w.write(
                &outline,
                &[Val::Text(town.code.clone()), Val::Text(town.name.clone())],
            )?;
        }
        self.finish(w)
    }

    /// Land use and basic farmland, row by row: horizontal runs of like cells in every row,
    /// vertical runs in thin columns (ditches and field roads), kept open across rows.
    fn write_parcels(&mut self, name: &str) -> std::io::Result<()> {
        let pbf = match self.current {
            Some(_) => None,
            None => Some(self.writer("basic_farmland", "YJJBNTTB", PBF_FIELDS)?),
        };
        let dltb = self.writer(name, "DLTB", DLTB_FIELDS)?;
        let mut out = ParcelOut {
            dltb: if self.current.is_some() {
                dltb.fine_vertices()
            } else {
                dltb
            },
            pbf,
            cultivated: 0.0,
            total: 0.0,
        };
        let mut open: Vec<Option<OpenRun>> = vec![None; self.lattice.ncols()];
        for j in 0..self.lattice.nrows() {
            self.row_runs(j, &mut out)?;
            self.column_runs(j, &mut open, &mut out)?;
        }
        for (i, run) in open.iter().enumerate() {
            if let Some((j0, len, key)) = *run {
                self.parcel(&mut out, Lattice::column_run(i, j0, j0 + len - 1), key)?;
            }
        }
        self.finish(out.dltb)?;
        let Some(pbf) = out.pbf else {
            return Ok(());
        };
        self.summary.cultivated_share = if out.total > 0.0 {
            out.cultivated / out.total
        } else {
            0.0
        };
        self.finish(pbf)
    }

    /// Township, village and class of a cell, or `None` outside the county.
    fn key(&self, i: usize, j: usize) -> Option<CellKey> {
        self.plan
            .cell(i, j)
            .map(|(t, v)| (t, v, self.plan.class_of(self.lattice, i, j, t, v)))
    }

    /// Cells that belong to vertical runs: thin columns outside thin rows.
    fn in_column_run(&self, i: usize, j: usize) -> bool {
        self.lattice.thin_col[i] && !self.lattice.thin_row[j]
    }

    /// The horizontal runs of row `j`: like cells, 1–3 long in fields, up to 7 along roads.
    fn row_runs(&mut self, j: usize, out: &mut ParcelOut) -> std::io::Result<()> {
        let ncols = self.lattice.ncols();
        let mut i = 0;
        while i < ncols {
            let Some(k) = self.key(i, j).filter(|_| !self.in_column_run(i, j)) else {
                i += 1;
                continue;
            };
            let max_len = if self.lattice.thin_row[j] {
                7
            } else {
                1 + (rng::hash(self.config.seed, 40, i as i64, j as i64) % 3) as usize
            };
            let mut i1 = i;
            while i1 + 1 < ncols
                && i1 + 1 - i < max_len
                && !self.in_column_run(i1 + 1, j)
                && self.key(i1 + 1, j) == Some(k)
            {
                i1 += 1;
            }
            self.parcel(out, Lattice::row_run(i, i1, j), k)?;
            i = i1 + 1;
        }
        Ok(())
    }

    /// Extends or closes the vertical run of every thin column at row `j` (runs up to 7 long).
    fn column_runs(
        &mut self,
        j: usize,
        open: &mut [Option<OpenRun>],
        out: &mut ParcelOut,
    ) -> std::io::Result<()> {
        for i in (0..self.lattice.ncols()).filter(|&i| self.lattice.thin_col[i]) {
            let here = self.key(i, j).filter(|_| !self.lattice.thin_row[j]);
            match (open[i], here) {
                (Some((j0, len, k)), Some(h)) if k == h && len < 7 => {
                    open[i] = Some((j0, len + 1, k))
                }
                (previous, here) => {
                    if let Some((j0, len, k)) = previous {
                        self.parcel(out, Lattice::column_run(i, j0, j0 + len - 1), k)?;
                    }
                    open[i] = here.map(|h| (j, 1, h));
                }
            }
        }
        Ok(())
    }

    /// Writes one parcel (and its basic-farmland twin, if it has one).
    fn parcel(
        &mut self,
        out: &mut ParcelOut,
        path: Vec<(usize, usize)>,
        (town, village, code): CellKey,
    ) -> std::io::Result<()> {
        let n = match self.current.as_mut() {
            Some(c) => {
                c.met += 1;
                c.met - 1
            }
            None => self.summary.parcels,
        };
        let ring = self.lattice.ring(&path);
        let geometry = MultiPolygon(vec![Polygon::new(LineString(ring), vec![])]);
        let site = Site {
            at: geometry.0[0].exterior().0[0],
            zldwdm: self.plan.zldwdm(town, village),
            zldwmc: self.plan.village_name(town, village),
        };
        if self.current.is_some() {
            return self.changed_parcel(out, n, geometry, code, &site);
        }
        let id = format!("{}{:012}", self.config.county_code, n + 1);
        let values = self.dltb_values(id, code, &geometry, &site);
        let cultivated = self.is(code, LandCategory::Cultivated);
        let (tbmj, kcxs) = match (&values[3], &values[4]) {
            (Val::Num(t), Val::Num(k)) => (*t, *k),
            _ => (0.0, 0.0),
        };
        out.dltb.write(&geometry, &values)?;
        out.total += tbmj;
        if cultivated {
            out.cultivated += tbmj;
        }
        self.summary.parcels += 1;
        let totals = &mut self.totals[town as usize];
        if cultivated {
            totals.cultivated_net += tbmj * (1.0 - kcxs);
        }
        // Basic farmland: most cultivated parcels, with identical geometry; a few parcels that
        // are garden, forest or construction now (the losses a bureau must act on).
        let draw = rng::unit(self.config.seed, 52, n as i64, 0);
        let loss_class = matches!(code, "0201" | "0204" | "0301" | "0702" | "1202" | "0601");
        let Some(pbf) = out.pbf.as_mut() else {
            return Ok(());
        };
        if (cultivated && draw < 0.8) || (loss_class && draw < 0.06) {
            let bsm = format!(
                "{}JB{:010}",
                self.config.county_code,
                self.summary.basic_farmland + 1
            );
            pbf.write(
                &geometry,
                &[Val::Text(bsm), Val::Text(code.to_string()), Val::Num(tbmj)],
            )?;
            self.summary.basic_farmland += 1;
            totals.pbf += tbmj;
        }
        Ok(())
    }

    fn is(&self, code: &str, category: LandCategory) -> bool {
        self.classes
            .get(code)
            .is_some_and(|c| c.category == category)
    }

    /// A parcel's 三调 attributes: BSM, DLBM, DLMC, TBMJ (ellipsoidal, to the cm²), KCXS
    /// (paddy 0.03, dry land by slope), KCMJ, ZLDWDM, ZLDWMC, GDDB (cultivated land only).
    fn dltb_values(
        &mut self,
        id: String,
        code: &str,
        geometry: &MultiPolygon<f64>,
        site: &Site,
    ) -> [Val; 9] {
        let s = self.config.seed;
        let (cx, cy) = (site.at.x, site.at.y);
        let tbmj = (self.ellipsoidal(geometry) * 100.0).round() / 100.0;
        let class = self.classes.get(code);
        let cultivated = class.is_some_and(|c| c.category == LandCategory::Cultivated);
        let slope = noise(s, 50, cx, cy, 3000.0);
        let kcxs = match (cultivated, code) {
            (false, _) => 0.0,
            (true, "0101") => 0.03,
            (true, _) => [0.0, 0.018, 0.042, 0.078, 0.121][((slope * 5.0) as usize).min(4)],
        };
        let grade = if cultivated {
            Val::Num((3.0 + 9.0 * noise(s, 51, cx, cy, 6000.0)).round())
        } else {
            Val::Null
        };
        [
            Val::Text(id),
            Val::Text(code.to_string()),
            Val::Text(class.map_or_else(String::new, |c| c.name.clone())),
            Val::Num(tbmj),
            Val::Num(kcxs),
            Val::Num((tbmj * kcxs * 100.0).round() / 100.0),
            Val::Text(site.zldwdm.clone()),
            Val::Text(site.zldwmc.clone()),
            grade,
        ]
    }

    /// A parcel of the current vintage: the previous parcel `n`, perhaps wholly changed (非粮化,
    /// or brought back to cultivation), then cut by the year's regions; the part left keeps the
    /// parcel's id, the cut parts get new ones.
    fn changed_parcel(
        &mut self,
        out: &mut ParcelOut,
        n: usize,
        geometry: MultiPolygon<f64>,
        code: &'static str,
        site: &Site,
    ) -> std::io::Result<()> {
        use geo::BooleanOps;
        let draw = rng::unit(self.config.seed, 53, n as i64, 0);
        let restorable = matches!(code, "0201" | "0204" | "0301" | "0305" | "0307" | "1104")
            || code.ends_with('K');
        let code = if self.is(code, LandCategory::Cultivated) && draw < 0.012 {
            ["0201", "0301", "1104"][n % 3]
        } else if restorable && draw < 0.03 {
            "0103"
        } else {
            code
        };
        let mut rest = geometry;
        let mut parts = Vec::new();
        if let Some(current) = self
            .current
            .as_ref()
            .filter(|_| !self.is(code, LandCategory::Construction))
        {
            for k in current.around(&rest) {
                let (region, became) = &current.regions[k];
                let taken = rest.intersection(region);
                if taken.unsigned_area() < 1.0 {
                    continue;
                }
                rest = rest.difference(region);
                parts.push((taken, *became));
            }
        }
        if !rest.0.is_empty() {
            parts.insert(0, (rest, code));
        }
        for (k, (g, code)) in parts.into_iter().enumerate() {
            let id = if k == 0 {
                format!("{}{:012}", self.config.county_code, n + 1)
            } else {
                let extra = self.summary.parcels + self.summary.changed_parcels + 1;
                self.summary.changed_parcels += 1;
                format!("{}{extra:012}", self.config.county_code)
            };
            let values = self.dltb_values(id, code, &g, site);
            out.dltb.write(&g, &values)?;
        }
        Ok(())
    }

    /// New construction that no change patch and no approval reports (possible 漏报), one blob
    /// on cultivated land per township: the vintage comparison's cross-check finds them.
    fn write_unreported(&mut self) {
        let mut stream = Stream::new(self.config.seed, 85);
        for _ in 0..self.plan.towns.len() {
            if let Some(c) = self.find_cell(&mut stream, |code| code.starts_with("010")) {
                let r = stream.range(30.0, 60.0);
                self.regions.push((blob(&mut stream, c, r), "0702"));
            }
        }
    }

    /// A random cell inside the county whose class satisfies `want` (a few hundred tries).
    fn find_cell(&self, stream: &mut Stream, want: impl Fn(&str) -> bool) -> Option<Coord<f64>> {
        for _ in 0..400 {
            let i = (stream.unit() * self.lattice.ncols() as f64) as usize;
            let j = (stream.unit() * self.lattice.nrows() as f64) as usize;
            let Some((t, v)) = self.plan.cell(i, j) else {
                continue;
            };
            if want(self.plan.class_of(self.lattice, i, j, t, v)) {
                let (x, y) = self.lattice.cell_center(i, j);
                return Some(Coord {
                    x: self.lattice.origin.x + x,
                    y: self.lattice.origin.y + y,
                });
            }
        }
        None
    }

    /// Whether `g` lies inside the county: every lattice cell its bounding box touches, and
    /// their neighbours, belong to a township. Lattice vertices are jittered by a fifth of a
    /// strip at most, so the cells a box touches by the unjittered boundaries, grown by one,
    /// hold it. Conservative near the border, which is all a generator needs.
    fn inside_county(&self, g: &MultiPolygon<f64>) -> bool {
        use geo::BoundingRect;
        let Some(rect) = g.bounding_rect() else {
            return false;
        };
        let origin = self.lattice.origin;
        let cell = |edges: &[f64], v: f64| edges.partition_point(|&e| e <= v).checked_sub(1);
        let span = |edges: &[f64], lo: f64, hi: f64| {
            let (first, last) = (cell(edges, lo)?, cell(edges, hi)?);
            // The lattice's own edge is the county's border wherever the county reaches it.
            (first >= 1 && last + 2 < edges.len()).then(|| first - 1..=last + 1)
        };
        let xs = span(
            &self.lattice.xs,
            rect.min().x - origin.x,
            rect.max().x - origin.x,
        );
        let ys = span(
            &self.lattice.ys,
            rect.min().y - origin.y,
            rect.max().y - origin.y,
        );
        let (Some(xs), Some(ys)) = (xs, ys) else {
            return false;
        };
        ys.into_iter()
            .all(|j| xs.clone().all(|i| self.plan.cell(i, j).is_some()))
    }

    fn village_center(&self, t: usize, v: usize) -> (Coord<f64>, f64) {
        let (bi, bj, r) = self.plan.towns[t].villages[v];
        let i = (bi * crate::plan::BLOCK + crate::plan::BLOCK / 2).min(self.lattice.ncols() - 1);
        let j = (bj * crate::plan::BLOCK + crate::plan::BLOCK / 2).min(self.lattice.nrows() - 1);
        let (x, y) = self.lattice.cell_center(i, j);
        (
            Coord {
                x: self.lattice.origin.x + x,
                y: self.lattice.origin.y + y,
            },
            r,
        )
    }

    fn write_approvals(&mut self) -> std::io::Result<()> {
        let mut w = self.writer("approvals", "PZ", APPROVAL_FIELDS)?;
        let mut stream = Stream::new(self.config.seed, 60);
        let mut number = 0;
        for t in 0..self.plan.towns.len() {
            for v in 0..self.plan.towns[t].villages.len() {
                let (c, r) = self.village_center(t, v);
                // A conversion batch on the village's edge, taking farmland; a supply inside.
                if stream.unit() < 0.6 {
                    let angle = stream.range(0.0, std::f64::consts::TAU);
                    let center = Coord {
                        x: c.x + 1.1 * r * crate::rng::pcos(angle),
                        y: c.y + 1.1 * r * crate::rng::psin(angle),
                    };
                    let radius = stream.range(70.0, 160.0);
                    let date = date(&mut stream, 0.65);
                    self.conversions.push((center, radius));
                    number += 1;
                    let kind = if stream.unit() < 0.7 {
                        "农用地转用"
                    } else {
                        "土地征收"
                    };
                    let geometry = blob(&mut stream, center, radius);
                    w.write(&geometry, &approval(kind, number, &date))?;
                    // Land converted this year is construction in the current vintage.
                    if self.config.previous && date.starts_with(&YEAR.to_string()) {
                        self.regions.push((geometry, "0702"));
                    }
                }
                if stream.unit() < 0.35 {
                    number += 1;
                    let d = date(&mut stream, 0.5);
                    w.write(
                        &blob(&mut stream, c, 0.3 * r),
                        &approval("供地", number, &d),
                    )?;
                }
                if stream.unit() < 0.15 {
                    let angle = stream.range(0.0, std::f64::consts::TAU);
                    let center = Coord {
                        x: c.x + 1.25 * r * crate::rng::pcos(angle),
                        y: c.y + 1.25 * r * crate::rng::psin(angle),
                    };
                    number += 1;
                    let d = date(&mut stream, 0.7);
                    w.write(
                        &{
                            let r = stream.range(25.0, 50.0);
                            blob(&mut stream, center, r)
                        },
                        &approval("设施农用地", number, &d),
                    )?;
                }
            }
            for kind in ["先行用地", "临时用地"] {
                let cultivated = |code: &str| code.starts_with("010");
                if let Some(center) = self.find_cell(&mut stream, cultivated) {
                    number += 1;
                    let d = date(&mut stream, 0.8);
                    w.write(
                        &{
                            let r = stream.range(40.0, 90.0);
                            blob(&mut stream, center, r)
                        },
                        &approval(kind, number, &d),
                    )?;
                }
            }
        }
        self.summary.approvals = number;
        self.finish(w)
    }

    fn write_supplements(&mut self) -> std::io::Result<()> {
        let mut w = self.writer("supplements", "BCGD", SUPPLEMENT_FIELDS)?;
        let mut stream = Stream::new(self.config.seed, 70);
        let per_town = 3 + self.summary.parcels / 20_000;
        let mut count = 0;
        let mut written = Apart::default();
        for _ in 0..self.plan.towns.len() * per_town {
            let unused = |code: &str| matches!(code, "1204" | "0404" | "1206");
            let Some(center) = self.find_cell(&mut stream, unused) else {
                continue;
            };
            let geometry = {
                let r = stream.range(50.0, 130.0);
                blob(&mut stream, center, r)
            };
            let area = self.ellipsoidal(&geometry);
            count += 1;
            // Two projects on one piece of land would credit it twice, and land outside the
            // county is no township's: such a project is not written (after its draws, so the
            // stream and the ids stay as they were).
            let skipped = written.overlaps(&geometry) || !self.inside_county(&geometry);
            let status = ["立项", "验收", "验收", "备案"][(stream.unit() * 4.0) as usize % 4];
            let paddy = if stream.unit() < 0.3 { 0.5 } else { 0.0 };
            let accepted_on = if status == "立项" {
                Val::Null
            } else {
                Val::Text(date(&mut stream, 0.75))
            };
            let values = [
                Val::Text(format!("BC{}{YEAR}{count:04}", self.config.county_code)),
                Val::Text(status.into()),
                Val::Num((0.92 * area * 100.0).round() / 100.0),
                Val::Num((paddy * 0.92 * area * 100.0).round() / 100.0),
                Val::Num((stream.range(5.0, 12.0)).round()),
                accepted_on,
            ];
            if !skipped {
                w.write(&geometry, &values)?;
                written.push(geometry);
            }
        }
        self.summary.supplements = written.len();
        self.finish(w)
    }

    /// Change patches of every kind: inside conversion approvals (legal), across their edges
    /// (partial), on farmland away from them (illegal, often on basic farmland), on existing
    /// settlements (already construction), and facility agriculture (HSXDL 1202).
    fn write_changes(&mut self) -> std::io::Result<()> {
        let mut w = self.writer("changes", "WPTB", CHANGE_FIELDS)?;
        let mut stream = Stream::new(self.config.seed, 80);
        let target = (self.summary.parcels / 100).max(30);
        let mut count = 0;
        let mut written = Apart::default();
        for k in 0..target {
            let pick = stream.unit();
            let conversions = &self.conversions;
            let (center, radius, observed) = if pick < 0.64 && !conversions.is_empty() {
                let (c, r) = conversions[k % conversions.len()];
                let partial = pick >= 0.56;
                let (dx, dy) = if partial { (r, 0.0) } else { (0.0, 0.0) };
                (
                    Coord {
                        x: c.x + dx,
                        y: c.y + dy,
                    },
                    r * stream.range(0.3, 0.6),
                    "0702",
                )
            } else if pick < 0.7 {
                let Some(c) = self.find_cell(&mut stream, |code| code.starts_with("010")) else {
                    continue;
                };
                (c, stream.range(25.0, 70.0), ["0702", "0601", "05H1"][k % 3])
            } else if pick < 0.85 {
                let t = k % self.plan.towns.len();
                let v = k % self.plan.towns[t].villages.len().max(1);
                let (c, r) = self.village_center(t, v);
                (c, 0.2 * r, "0702")
            } else {
                let Some(c) = self.find_cell(&mut stream, |code| code.starts_with("010")) else {
                    continue;
                };
                (c, stream.range(20.0, 45.0), "1202")
            };
            let geometry = blob(&mut stream, center, radius);
            count += 1;
            let image_date = if stream.unit() < 0.9 {
                date_in(&mut stream, YEAR)
            } else {
                date_in(&mut stream, YEAR - 1)
            };
            let this_year = image_date.starts_with(&YEAR.to_string());
            let values = [
                Val::Text(format!("{}{YEAR}{count:05}", self.config.county_code)),
                Val::Text(observed.into()),
                Val::Text(image_date),
                Val::Num((geometry.unsigned_area() * 100.0).round() / 100.0),
            ];
            // Monitoring gives each piece of changed land one patch (a repeated one would be
            // judged twice), and a county's patches lie inside it: a patch over an earlier one
            // or across the county's border is not drawn, after its draws, so the stream and the
            // ids stay as they were.
            if written.overlaps(&geometry) || !self.inside_county(&geometry) {
                continue;
            }
            w.write(&geometry, &values)?;
            written.push(geometry.clone());
            // What the patch saw this year is in the current vintage.
            if self.config.previous && this_year {
                self.regions.push((geometry, observed));
            }
        }
        self.summary.changes = written.len();
        self.finish(w)
    }

    fn write_targets(&mut self) -> std::io::Result<()> {
        let mut stream = Stream::new(self.config.seed, 90);
        let mut csv = String::from("code,cultivated_target_m2,pbf_target_m2\n");
        for (town, totals) in self.plan.towns.iter().zip(&self.totals) {
            let cultivated = totals.cultivated_net * stream.range(0.97, 1.04);
            let pbf = totals.pbf * stream.range(0.97, 1.03);
            let _ = writeln!(csv, "{},{:.2},{:.2}", town.code, cultivated, pbf);
        }
        self.write_text("targets.csv", &csv)
    }

    fn write_job(&mut self) -> std::io::Result<()> {
        let ext = self.config.format.extension();
        let kinds: Vec<String> = redline_geom::DEFAULT_APPROVAL_KINDS
            .iter()
            .map(|(value, kind)| format!("\"{value}\" = \"{kind}\""))
            .collect();
        let kinds = kinds.join(", ");
        let job = format!(
            r#"# A synthetic county made by `redline synth --parcels {parcels} --townships {towns} --seed {seed}{flag}`.
name   = "合成县{county} {YEAR} 年度 (seed {seed})"
period = {{ start = "{YEAR}-01-01", end = "{YEAR}-12-31" }}
crs    = "EPSG:{epsg}"
area   = "ellipsoidal"
output = "out"

[layers.townships]
path = "townships.{ext}"

[layers.landuse]
path = "landuse.{ext}"
{previous}
[layers.basic_farmland]
path = "basic_farmland.{ext}"

[layers.approvals]
path = "approvals.{ext}"
kinds = {{ {kinds} }}

[layers.supplements]
path = "supplements.{ext}"

[layers.changes]
path = "changes.{ext}"

[targets]
path = "targets.csv"

[thresholds]
interview_ratio = 0.10
accountability_ratio = 0.15
min_illegal_m2 = 1.0
"#,
            previous = if self.config.previous {
                format!("\n[layers.landuse_previous]\npath = \"landuse_previous.{ext}\"\n")
            } else {
                String::new()
            },
            flag = self.flags(),
            county = if self.config.county_code == DEFAULT_COUNTY {
                String::new()
            } else {
                format!(" {}", self.config.county_code)
            },
            epsg = gk_epsg(self.zone),
            parcels = self.config.parcels,
            towns = self.config.townships,
            seed = self.config.seed,
        );
        self.write_text("job.toml", &job)
    }

    /// The `redline synth` options beyond size and seed that made this county.
    fn flags(&self) -> String {
        let mut flags = String::new();
        if self.config.county_code != DEFAULT_COUNTY {
            flags.push_str(&format!(" --county-code {}", self.config.county_code));
        }
        if self.config.previous {
            flags.push_str(" --previous-vintage");
        }
        flags
    }

    fn write_text(&mut self, name: &str, body: &str) -> std::io::Result<()> {
        let path = self.dir.join(name);
        let tmp = self.dir.join(format!("{name}.tmp"));
        std::fs::write(&tmp, body)?;
        std::fs::rename(&tmp, &path)?;
        self.summary.files.push(path);
        Ok(())
    }
}

fn approval(kind: &str, number: usize, date: &str) -> [Val; 3] {
    let year = &date[..4];
    [
        Val::Text(kind.into()),
        Val::Text(format!("吉政土批〔{year}〕{number}号")),
        Val::Text(date.into()),
    ]
}

/// A date in the period with probability `inside`, else in an earlier year (or, rarely, the
/// next one).
fn date(stream: &mut Stream, inside: f64) -> String {
    let draw = stream.unit();
    let year = if draw < inside {
        YEAR
    } else if draw < 0.95 {
        YEAR - 1 - (stream.unit() * 5.0) as i32
    } else {
        YEAR + 1
    };
    date_in(stream, year)
}

fn date_in(stream: &mut Stream, year: i32) -> String {
    let month = 1 + (stream.unit() * 12.0) as u32 % 12;
    let day = 1 + (stream.unit() * 28.0) as u32 % 28;
    format!("{year}-{month:02}-{day:02}")
}

/// Polygons written so far that must not overlap (a layer counted polygon by polygon).
#[derive(Default)]
struct Apart {
    polygons: Vec<(geo::Rect<f64>, MultiPolygon<f64>)>,
}

impl Apart {
    fn len(&self) -> usize {
        self.polygons.len()
    }

    /// Whether `g`'s interior meets one written before (by any area at all).
    fn overlaps(&self, g: &MultiPolygon<f64>) -> bool {
        use geo::{BooleanOps, BoundingRect, Intersects};
        let Some(rect) = g.bounding_rect() else {
            return false;
        };
        self.polygons
            .iter()
            .filter(|(r, _)| r.intersects(&rect))
            .any(|(_, p)| p.intersection(g).unsigned_area() > 0.0)
    }

    fn push(&mut self, g: MultiPolygon<f64>) {
        use geo::BoundingRect;
        if let Some(rect) = g.bounding_rect() {
            self.polygons.push((rect, g));
        }
    }
}

/// An irregular, star-shaped (hence simple) polygon of 9–14 vertices around `center`.
fn blob(stream: &mut Stream, center: Coord<f64>, radius: f64) -> MultiPolygon<f64> {
    let n = 9 + (stream.unit() * 6.0) as usize;
    let phase = stream.range(0.0, std::f64::consts::TAU);
    let mut ring: Vec<Coord<f64>> = (0..n)
        .map(|k| {
            let a = phase + std::f64::consts::TAU * k as f64 / n as f64;
            let r = radius * stream.range(0.7, 1.15);
            let mm = |v: f64| (v * 1000.0).round() / 1000.0;
            Coord {
                x: mm(center.x + r * crate::rng::pcos(a)),
                y: mm(center.y + r * crate::rng::psin(a)),
            }
        })
        .collect();
    ring.push(ring[0]);
    MultiPolygon(vec![Polygon::new(LineString(ring), vec![])])
}
