//! The numbers reported per township and for the county (docs/metrics.md §5). Every area is m².

use std::collections::BTreeMap;

/// Gross and net area of one class group.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct GrossNet {
    /// Before the field-ridge deduction.
    pub gross: f64,
    /// After it (equal to gross for non-cultivated land).
    pub net: f64,
}

impl GrossNet {
    fn add(&mut self, o: &GrossNet) {
        self.gross += o.gross;
        self.net += o.net;
    }
}

/// §5.1 land use and cultivated retention.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LandUse {
    /// By first-level group (`01` … `12`); the deducted field ridges of cultivated land count
    /// as `12` (1203 田坎) in `net`.
    pub by_group: BTreeMap<String, GrossNet>,
    /// By cultivated sub-class (`0101`, `0102`, `0103`).
    pub cultivated_by_class: BTreeMap<String, GrossNet>,
    /// Net area by second-level class code as in the data; the deducted ridges of cultivated
    /// land count as `1203`.
    pub by_class: BTreeMap<String, f64>,
    /// Agricultural land (农用地), net: cultivated net + other agricultural + deducted ridges.
    pub agricultural: f64,
    /// Construction land (建设用地).
    pub construction: f64,
    /// Unused land (未利用地).
    pub unused: f64,
    /// Cultivated land before the deduction.
    pub cultivated_gross: f64,
    /// Cultivated land after it: the redline figure.
    pub cultivated_net: f64,
    /// 耕地保有量 target, when given.
    pub cultivated_target: Option<f64>,
    /// cultivated_net / cultivated_target.
    pub retention_ratio: Option<f64>,
    /// Total area of the pieces.
    pub total: f64,
}

impl LandUse {
    pub(crate) fn add(&mut self, o: &LandUse) {
        for (k, v) in &o.by_group {
            self.by_group.entry(k.clone()).or_default().add(v);
        }
        for (k, v) in &o.by_class {
            *self.by_class.entry(k.clone()).or_default() += v;
        }
        for (k, v) in &o.cultivated_by_class {
            self.cultivated_by_class
                .entry(k.clone())
                .or_default()
                .add(v);
        }
        self.agricultural += o.agricultural;
        self.construction += o.construction;
        self.unused += o.unused;
        self.cultivated_gross += o.cultivated_gross;
        self.cultivated_net += o.cultivated_net;
        self.total += o.total;
        self.cultivated_target = sum_opt(self.cultivated_target, o.cultivated_target);
    }

    pub(crate) fn finish(&mut self) {
        self.retention_ratio = ratio_opt(self.cultivated_net, self.cultivated_target);
    }
}

/// §5.2 permanent basic farmland.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Pbf {
    /// PBF within the township.
    pub area: f64,
    /// PBF ∩ cultivated land, net.
    pub cultivated: f64,
    /// PBF ∩ construction land (非农化).
    pub construction: f64,
    /// PBF ∩ other agricultural land (非粮化) plus the deducted ridges of PBF ∩ cultivated.
    pub other_agri: f64,
    /// PBF ∩ unused land.
    pub unused: f64,
    /// 永久基本农田保护任务, when given.
    pub target: Option<f64>,
    /// cultivated / area.
    pub cultivated_ratio: Option<f64>,
    /// area / target.
    pub task_ratio: Option<f64>,
    /// area / cultivated_net of the township.
    pub share: Option<f64>,
}

impl Pbf {
    pub(crate) fn add(&mut self, o: &Pbf) {
        self.area += o.area;
        self.cultivated += o.cultivated;
        self.construction += o.construction;
        self.other_agri += o.other_agri;
        self.unused += o.unused;
        self.target = sum_opt(self.target, o.target);
    }

    pub(crate) fn finish(&mut self, cultivated_net: f64) {
        self.cultivated_ratio = (self.area > 0.0).then(|| self.cultivated / self.area);
        self.task_ratio = ratio_opt(self.area, self.target);
        self.share = (cultivated_net > 0.0).then(|| self.area / cultivated_net);
    }
}

/// Every metric of one township (or of the county).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Metrics {
    /// Township code (`county` for the county row).
    pub code: String,
    /// Name.
    pub name: String,
    /// §5.1.
    pub landuse: LandUse,
    /// §5.2, when the job has basic farmland.
    pub pbf: Option<Pbf>,
    /// §5.3, when the job has approvals or supplements.
    pub balance: Option<crate::balance::Balance>,
    /// §5.4, when the job has change patches.
    pub violations: Option<crate::violations::Violations>,
    /// The vintage comparison, when the job has the previous land use.
    pub change: Option<crate::change::VintageChange>,
    /// Net area by village and second-level class (township rows only; the county row leaves
    /// it empty).
    pub villages: BTreeMap<String, BTreeMap<String, f64>>,
    /// Land-use parcels cut into this township's pieces.
    pub pieces: usize,
    /// Of those, pieces that needed exact clipping.
    pub clipped: usize,
}

/// The first `digits` digits every row's code shares (a county's 6 under its townships' 9, a
/// province's 2 under its counties' 6), when they all share them.
pub fn shared_code_prefix(rows: &[Metrics], digits: usize) -> Option<String> {
    let prefix = |m: &Metrics| m.code.get(..digits).map(str::to_string);
    let p = rows.first().and_then(prefix)?;
    (p.bytes().all(|b| b.is_ascii_digit()) && rows.iter().all(|r| prefix(r).as_ref() == Some(&p)))
        .then_some(p)
}

/// The county's 6-digit administrative code: the prefix every township code shares (township
/// codes are the county's code and three digits more), else `county`.
fn county_code(townships: &[Metrics]) -> String {
    shared_code_prefix(townships, 6).unwrap_or_else(|| "county".into())
}

impl Metrics {
    /// The total of rows of one level — a province from its county rows — summed as the county
    /// row sums its townships (ratios recomputed from the sums, flags by `thresholds`), under
    /// `code` and `name`.
    pub fn total(
        rows: &[Metrics],
        code: &str,
        name: &str,
        thresholds: &crate::model::Thresholds,
    ) -> Metrics {
        let mut total = Metrics::county(rows, name, thresholds);
        total.code = code.into();
        total
    }

    /// The county row: the sum of the townships, ratios recomputed from the sums.
    pub(crate) fn county(
        townships: &[Metrics],
        name: &str,
        thresholds: &crate::model::Thresholds,
    ) -> Metrics {
        let mut c = Metrics {
            code: county_code(townships),
            name: name.into(),
            ..Default::default()
        };
        for t in townships {
            c.landuse.add(&t.landuse);
            if let Some(p) = &t.pbf {
                c.pbf.get_or_insert_with(Pbf::default).add(p);
            }
            if let Some(b) = &t.balance {
                c.balance.get_or_insert_with(Default::default).add(b);
            }
            if let Some(v) = &t.violations {
                c.violations.get_or_insert_with(Default::default).add(v);
            }
            if let Some(v) = &t.change {
                c.change.get_or_insert_with(Default::default).add(v);
            }
            c.pieces += t.pieces;
            c.clipped += t.clipped;
        }
        c.landuse.finish();
        let net = c.landuse.cultivated_net;
        if let Some(p) = c.pbf.as_mut() {
            p.finish(net);
        }
        if let Some(v) = c.violations.as_mut() {
            v.finish(thresholds);
        }
        c
    }
}

fn sum_opt(a: Option<f64>, b: Option<f64>) -> Option<f64> {
    match (a, b) {
        (None, None) => None,
        (a, b) => Some(a.unwrap_or(0.0) + b.unwrap_or(0.0)),
    }
}

fn ratio_opt(value: f64, of: Option<f64>) -> Option<f64> {
    of.filter(|t| *t > 0.0).map(|t| value / t)
}
