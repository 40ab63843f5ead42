//! The county plan: its outline, townships and villages on a grid of blocks (B × B lattice
//! cells), and the land class of every cell.
//!
//! Townships are a noise-warped Voronoi partition of the blocks, cleaned so that every
//! township is one 4-connected piece and no two blocks of a region touch only at a corner (so
//! every traced outline is a valid polygon). Villages partition each township the same way.
//! Everything is held per block, so memory is a small fraction of the lattice.

use crate::lattice::Lattice;
use crate::rng::{self, noise, Stream};
use std::collections::VecDeque;

/// Lattice cells per block side.
pub(crate) const BLOCK: usize = 3;

const TAG_SHAPE: u64 = 20;
const TAG_TOWNS: u64 = 21;
const TAG_WARP_X: u64 = 22;
const TAG_WARP_Y: u64 = 23;
const TAG_VILLAGES: u64 = 24;
const TAG_CLASS: u64 = 25;
const TAG_REGION: u64 = 26;
const TAG_FOREST: u64 = 27;
const TAG_UNUSED: u64 = 28;
const TAG_RADIUS: u64 = 29;
const TAG_RIVER: u64 = 30;

/// The names of 镇赉县's townships, used for the first eleven.
const NAMES: [&str; 11] = [
    "镇赉镇",
    "坦途镇",
    "东屏镇",
    "黑鱼泡镇",
    "大屯镇",
    "沿江镇",
    "五棵树镇",
    "哈吐气蒙古族乡",
    "莫莫格蒙古族乡",
    "建平乡",
    "嘎什根乡",
];

/// The default county code (镇赉县): its townships get 镇赉县's names.
pub(crate) const DEFAULT_COUNTY_CODE: &str = "220821";

/// Township names of the other synthetic counties, used for the first fifteen.
const OTHER_NAMES: [&str; 15] = [
    "城关镇",
    "新民镇",
    "长发镇",
    "兴隆镇",
    "永丰镇",
    "太平乡",
    "胜利乡",
    "红星乡",
    "前进镇",
    "东风乡",
    "和平镇",
    "双山镇",
    "三合乡",
    "四方乡",
    "五星镇",
];

/// A township.
pub(crate) struct Township {
    /// 9-digit code.
    pub code: String,
    pub name: String,
    /// Its villages' seeds: (block column, block row, settlement radius m).
    pub villages: Vec<(usize, usize, f64)>,
    /// Global index of its first village.
    pub first_village: usize,
}

/// The plan.
pub(crate) struct Plan {
    seed: u64,
    pub bcols: usize,
    pub brows: usize,
    /// Township index per block; `None` outside the county.
    pub town: Vec<Option<u16>>,
    /// Village index within its township, per block.
    pub village: Vec<u16>,
    pub towns: Vec<Township>,
    river: (f64, f64, f64, f64),
}

impl Plan {
    /// Lays out county `code` over the lattice with `k` townships and about `villages`
    /// villages.
    pub fn new(seed: u64, lattice: &Lattice, k: usize, villages: usize, code: &str) -> Plan {
        let bcols = lattice.ncols().div_ceil(BLOCK);
        let brows = lattice.nrows().div_ceil(BLOCK);
        let (w, h) = (lattice.xs[lattice.ncols()], lattice.ys[lattice.nrows()]);
        let mut plan = Plan {
            seed,
            bcols,
            brows,
            town: vec![None; bcols * brows],
            village: vec![0; bcols * brows],
            towns: Vec::new(),
            river: (
                rng::range(seed, TAG_RIVER, 0, 0, 0.3, 0.7) * h,
                rng::range(seed, TAG_RIVER, 1, 0, 0.05, 0.12) * h,
                rng::range(seed, TAG_RIVER, 2, 0, 0.6, 1.2) * w,
                rng::range(seed, TAG_RIVER, 3, 0, 0.0, std::f64::consts::TAU),
            ),
        };
        let mask = plan.outline(lattice);
        let seeds = plan.spread(&mask, k.max(1), TAG_TOWNS, lattice);
        plan.assign_townships(&mask, &seeds, lattice, code);
        plan.assign_villages(plan.towns.len(), villages.max(k), lattice);
        plan
    }

    /// Whether the plan holds `k` townships, each with blocks and villages, and every block's
    /// village belongs to its township: a county too small for its townships cannot be laid
    /// out, and the generator must say so rather than index past a list.
    pub fn laid_out(&self, k: usize) -> Result<(), String> {
        if self.towns.len() != k {
            return Err(format!("only {} of {k} townships fit", self.towns.len()));
        }
        for (b, town) in self.town.iter().enumerate() {
            let Some(t) = town else { continue };
            if usize::from(self.village[b]) >= self.towns[usize::from(*t)].villages.len() {
                return Err(format!("township {} has a block without a village", t + 1));
            }
        }
        match self.towns.iter().position(|t| t.villages.is_empty()) {
            Some(t) => Err(format!("township {} has no village", t + 1)),
            None => Ok(()),
        }
    }

    fn block_center(&self, lattice: &Lattice, bi: usize, bj: usize) -> (f64, f64) {
        let i = (bi * BLOCK + BLOCK / 2).min(lattice.ncols() - 1);
        let j = (bj * BLOCK + BLOCK / 2).min(lattice.nrows() - 1);
        lattice.cell_center(i, j)
    }

    /// Blocks inside a noisy star-shaped outline (star-shaped: no holes).
    fn outline(&self, lattice: &Lattice) -> Vec<bool> {
        let (w, h) = (lattice.xs[lattice.ncols()], lattice.ys[lattice.nrows()]);
        let phase = |k: i64| rng::range(self.seed, TAG_SHAPE, k, 0, 0.0, std::f64::consts::TAU);
        let mut mask = vec![false; self.bcols * self.brows];
        for bj in 0..self.brows {
            for bi in 0..self.bcols {
                let (x, y) = self.block_center(lattice, bi, bj);
                let (u, v) = ((x - w / 2.0) / (w / 2.0), (y - h / 2.0) / (h / 2.0));
                // Harmonics of the direction without atan2: e^{ikθ} = ((u + iv)/ρ)^k.
                let rho = rng::dist(u, v).max(1e-12);
                let (c, s1) = (u / rho, v / rho);
                let mul = |(a, b): (f64, f64), (c, d): (f64, f64)| (a * c - b * d, a * d + b * c);
                let e2 = mul((c, s1), (c, s1));
                let e3 = mul(e2, (c, s1));
                let e5 = mul(e3, e2);
                // sin(kθ + φ) = Im(e^{ikθ} e^{iφ}).
                let harmonic =
                    |e: (f64, f64), k: i64| mul(e, (rng::pcos(phase(k)), rng::psin(phase(k)))).1;
                let r = 0.92
                    * (1.0
                        + 0.10 * harmonic(e2, 1)
                        + 0.06 * harmonic(e3, 2)
                        + 0.04 * harmonic(e5, 3))
                    / 1.2;
                mask[bj * self.bcols + bi] = rho < r;
            }
        }
        mask
    }

    /// `n` well-spread blocks of the mask (best of several candidates each, farthest from the
    /// ones already chosen).
    fn spread(&self, mask: &[bool], n: usize, tag: u64, lattice: &Lattice) -> Vec<(usize, usize)> {
        let inside: Vec<usize> = (0..mask.len()).filter(|&b| mask[b]).collect();
        let mut stream = Stream::new(self.seed, tag);
        let mut chosen: Vec<(usize, usize)> = Vec::new();
        while chosen.len() < n.min(inside.len()) {
            let best = (0..12)
                .map(|_| inside[(stream.unit() * inside.len() as f64) as usize % inside.len()])
                .map(|b| (b % self.bcols, b / self.bcols))
                .filter(|c| !chosen.contains(c))
                .max_by(|a, b| {
                    self.min_dist(*a, &chosen, lattice)
                        .total_cmp(&self.min_dist(*b, &chosen, lattice))
                });
            if let Some(b) = best {
                chosen.push(b);
            }
        }
        chosen
    }

    fn min_dist(&self, b: (usize, usize), others: &[(usize, usize)], lattice: &Lattice) -> f64 {
        let (x, y) = self.block_center(lattice, b.0, b.1);
        others
            .iter()
            .map(|o| {
                let (ox, oy) = self.block_center(lattice, o.0, o.1);
                rng::dist(x - ox, y - oy)
            })
            .fold(f64::INFINITY, f64::min)
    }

    /// A block centre moved by smooth noise, so Voronoi borders wiggle.
    fn warped(&self, lattice: &Lattice, bi: usize, bj: usize, amplitude: f64) -> (f64, f64) {
        let (x, y) = self.block_center(lattice, bi, bj);
        let scale = amplitude * 2.0;
        (
            x + amplitude * (2.0 * noise(self.seed, TAG_WARP_X, x, y, scale) - 1.0),
            y + amplitude * (2.0 * noise(self.seed, TAG_WARP_Y, x, y, scale) - 1.0),
        )
    }

    fn assign_townships(
        &mut self,
        mask: &[bool],
        seeds: &[(usize, usize)],
        lattice: &Lattice,
        code: &str,
    ) {
        let centers: Vec<(f64, f64)> = seeds
            .iter()
            .map(|&(i, j)| self.block_center(lattice, i, j))
            .collect();
        let area = lattice.xs[lattice.ncols()] * lattice.ys[lattice.nrows()];
        let amplitude = 0.25 * (area / seeds.len() as f64).sqrt();
        for (b, _) in mask.iter().enumerate().filter(|(_, inside)| **inside) {
            let (x, y) = self.warped(lattice, b % self.bcols, b / self.bcols, amplitude);
            self.town[b] = nearest(&centers, x, y).map(|t| t as u16);
        }
        clean(&mut self.town, self.bcols, self.brows);
        let names: &[&str] = if code == DEFAULT_COUNTY_CODE {
            &NAMES
        } else {
            &OTHER_NAMES
        };
        self.towns = (0..seeds.len())
            .map(|t| Township {
                code: format!("{code}{:03}", 100 + t),
                name: names
                    .get(t)
                    .map_or_else(|| format!("第{}乡", t + 1), |n| n.to_string()),
                villages: Vec::new(),
                first_village: 0,
            })
            .collect();
    }

    /// `total` villages shared among the townships by block count.
    fn assign_villages(&mut self, k: usize, total: usize, lattice: &Lattice) {
        let counts: Vec<usize> = (0..k)
            .map(|t| self.town.iter().filter(|&&x| x == Some(t as u16)).count())
            .collect();
        let all: usize = counts.iter().sum::<usize>().max(1);
        let mut quota: Vec<usize> = counts
            .iter()
            .map(|&c| (total * c / all).max(1).min(c.max(1)))
            .collect();
        // Largest remainders first, until the total is reached.
        let mut order: Vec<usize> = (0..k).collect();
        order.sort_by_key(|&t| std::cmp::Reverse((total * counts[t]) % all));
        for &t in order.iter().cycle().take(4 * k) {
            if quota.iter().sum::<usize>() >= total {
                break;
            }
            if quota[t] < counts[t] {
                quota[t] += 1;
            }
        }
        let mut first = 0;
        for t in 0..k {
            let mask: Vec<bool> = self.town.iter().map(|&x| x == Some(t as u16)).collect();
            let seeds = self.spread(&mask, quota[t], TAG_VILLAGES + 1000 * t as u64, lattice);
            let centers: Vec<(f64, f64)> = seeds
                .iter()
                .map(|&(i, j)| self.block_center(lattice, i, j))
                .collect();
            let amplitude =
                0.2 * (counts[t] as f64 / quota[t].max(1) as f64).sqrt() * BLOCK as f64 * 80.0;
            for b in (0..mask.len()).filter(|&b| mask[b]) {
                let (x, y) = self.warped(lattice, b % self.bcols, b / self.bcols, amplitude);
                self.village[b] = nearest(&centers, x, y).unwrap_or(0) as u16;
            }
            for (v, &(i, j)) in seeds.iter().enumerate() {
                self.village[j * self.bcols + i] = v as u16;
            }
            let town = &mut self.towns[t];
            town.villages = seeds
                .iter()
                .enumerate()
                .map(|(v, &(i, j))| {
                    (
                        i,
                        j,
                        rng::range(self.seed, TAG_RADIUS, t as i64, v as i64, 110.0, 240.0),
                    )
                })
                .collect();
            town.first_village = first;
            first += seeds.len();
        }
    }

    /// Township and village of a lattice cell; `None` outside the county.
    pub fn cell(&self, i: usize, j: usize) -> Option<(u16, u16)> {
        let b = (j / BLOCK) * self.bcols + i / BLOCK;
        self.town[b].map(|t| (t, self.village[b]))
    }

    /// The 12-digit village code and the 19-character ZLDWDM of a village.
    pub fn zldwdm(&self, town: u16, village: u16) -> String {
        format!(
            "{}{:03}0000000",
            self.towns[town as usize].code,
            200 + village
        )
    }

    /// A village's name (ZLDWMC): a surname and a settlement word, e.g. 王家屯村 — 160 names,
    /// repeating in counties with more villages (their codes differ).
    pub fn village_name(&self, town: u16, village: u16) -> String {
        const FIRST: [&str; 20] = [
            "王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴", "东", "西", "南", "北",
            "前", "后", "新", "兴", "太平", "永安",
        ];
        const SECOND: [&str; 8] = [
            "家屯",
            "家窝堡",
            "屯",
            "家店",
            "岗",
            "家营子",
            "甸",
            "家围子",
        ];
        let k = self.towns[town as usize].first_village + village as usize;
        format!("{}{}村", FIRST[k % 20], SECOND[(k / 20) % 8])
    }

    /// Number of villages.
    pub fn village_count(&self) -> usize {
        self.towns.iter().map(|t| t.villages.len()).sum()
    }

    /// The land-class code of a cell: roads and ditches on thin strips, a meandering river,
    /// settlements around village centres, forest, garden and unused patches, and cultivated
    /// land split regionally into paddy, irrigated and dry.
    pub fn class_of(
        &self,
        lattice: &Lattice,
        i: usize,
        j: usize,
        town: u16,
        village: u16,
    ) -> &'static str {
        let s = self.seed;
        let (x, y) = lattice.cell_center(i, j);
        let pick = |k: i64, options: &[&'static str]| {
            options[(rng::hash(s, TAG_CLASS, i as i64 * 7 + k, j as i64) % options.len() as u64)
                as usize]
        };
        if lattice.thin_row[j] {
            return if rng::unit(s, TAG_CLASS, 0, j as i64) < 0.2 {
                "1003"
            } else {
                "1006"
            };
        }
        if lattice.thin_col[i] {
            return if rng::unit(s, TAG_CLASS, i as i64, 0) < 0.5 {
                "1107"
            } else {
                "1006"
            };
        }
        let (river_y, amp, wavelength, phase) = self.river;
        let river =
            (y - (river_y + amp * rng::psin(std::f64::consts::TAU * x / wavelength + phase))).abs();
        if river < 45.0 {
            return "1101";
        }
        if river < 160.0 && noise(s, TAG_REGION, x, y, 300.0) > 0.6 {
            return pick(1, &["1104", "1106", "1104A"]);
        }
        let (vi, vj, radius) = self.towns[town as usize].villages[village as usize];
        let (vx, vy) = self.block_center(lattice, vi, vj);
        let d = rng::dist(x - vx, y - vy);
        if d < 0.35 * radius {
            return pick(2, &["0702", "0702", "08H2", "0809", "05H1", "0601"]);
        }
        if d < radius {
            return "0702";
        }
        if d < 1.3 * radius && rng::unit(s, TAG_CLASS, i as i64, j as i64) < 0.2 {
            return "1202";
        }
        if noise(s, TAG_FOREST, x, y, 900.0) > 0.765 {
            return pick(3, &["0301", "0301", "0305", "0307", "0301K"]);
        }
        if noise(s, TAG_FOREST + 100, x, y, 700.0) > 0.82 {
            return pick(4, &["0201", "0204", "0201K", "0403K"]);
        }
        if noise(s, TAG_UNUSED, x, y, 800.0) > 0.78 {
            return pick(5, &["1204", "1204", "0404", "1206", "0404"]);
        }
        if rng::unit(s, TAG_CLASS + 1, i as i64, j as i64) < 0.012 {
            return "1104";
        }
        let region = noise(s, TAG_REGION + 1, x, y, 2500.0);
        if river < 2500.0 && region > 0.4 {
            "0101"
        } else if region > 0.6 {
            "0102"
        } else {
            "0103"
        }
    }
}

fn nearest(centers: &[(f64, f64)], x: f64, y: f64) -> Option<usize> {
    centers
        .iter()
        .enumerate()
        .min_by(|a, b| {
            rng::dist(a.1 .0 - x, a.1 .1 - y).total_cmp(&rng::dist(b.1 .0 - x, b.1 .1 - y))
        })
        .map(|(k, _)| k)
}

/// Makes every label one 4-connected piece (smaller pieces join a neighbour) and removes
/// corner-only contacts, repeating until stable.
fn clean(labels: &mut [Option<u16>], cols: usize, rows: usize) {
    for _ in 0..50 {
        let changed = keep_largest_pieces(labels, cols, rows)
            | fix_corner_contacts(labels, cols, rows)
            | fill_holes(labels, cols, rows);
        if !changed {
            return;
        }
    }
}

fn neighbours(b: usize, cols: usize, rows: usize) -> impl Iterator<Item = usize> {
    let (i, j) = (b % cols, b / cols);
    [
        (i > 0).then(|| b - 1),
        (i + 1 < cols).then(|| b + 1),
        (j > 0).then(|| b - cols),
        (j + 1 < rows).then(|| b + cols),
    ]
    .into_iter()
    .flatten()
}

/// Relabels every piece of a label but its largest to the most common neighbouring label.
fn keep_largest_pieces(labels: &mut [Option<u16>], cols: usize, rows: usize) -> bool {
    let mut piece = vec![usize::MAX; labels.len()];
    let mut pieces: Vec<(Option<u16>, Vec<usize>)> = Vec::new();
    for start in 0..labels.len() {
        if piece[start] != usize::MAX || labels[start].is_none() {
            continue;
        }
        let id = pieces.len();
        let mut members = vec![start];
        piece[start] = id;
        let mut queue = VecDeque::from([start]);
        while let Some(b) = queue.pop_front() {
            for n in neighbours(b, cols, rows) {
                if piece[n] == usize::MAX && labels[n] == labels[start] {
                    piece[n] = id;
                    members.push(n);
                    queue.push_back(n);
                }
            }
        }
        pieces.push((labels[start], members));
    }
    let mut changed = false;
    for (k, (label, members)) in pieces.iter().enumerate() {
        let largest = pieces
            .iter()
            .enumerate()
            .filter(|(_, p)| p.0 == *label)
            .max_by_key(|(i, p)| (p.1.len(), std::cmp::Reverse(*i)))
            .map(|(i, _)| i);
        if largest == Some(k) {
            continue;
        }
        let mut votes: Vec<(u16, usize)> = Vec::new();
        for &b in members {
            for n in neighbours(b, cols, rows) {
                if let Some(l) = labels[n].filter(|l| Some(*l) != *label) {
                    match votes.iter_mut().find(|v| v.0 == l) {
                        Some(v) => v.1 += 1,
                        None => votes.push((l, 1)),
                    }
                }
            }
        }
        if let Some(&(l, _)) = votes.iter().max_by_key(|v| (v.1, std::cmp::Reverse(v.0))) {
            for &b in members {
                labels[b] = Some(l);
            }
            changed = true;
        }
    }
    changed
}

/// Outside blocks that the grid border cannot reach (holes in the county) join a neighbour.
fn fill_holes(labels: &mut [Option<u16>], cols: usize, rows: usize) -> bool {
    let mut reached = vec![false; labels.len()];
    let mut queue: VecDeque<usize> = (0..labels.len())
        .filter(|&b| {
            labels[b].is_none()
                && (b % cols == 0 || b % cols == cols - 1 || b / cols == 0 || b / cols == rows - 1)
        })
        .collect();
    for &b in &queue {
        reached[b] = true;
    }
    while let Some(b) = queue.pop_front() {
        for n in neighbours(b, cols, rows) {
            if !reached[n] && labels[n].is_none() {
                reached[n] = true;
                queue.push_back(n);
            }
        }
    }
    let mut changed = false;
    for b in 0..labels.len() {
        if labels[b].is_none() && !reached[b] {
            labels[b] = neighbours(b, cols, rows).find_map(|n| labels[n]);
            changed |= labels[b].is_some();
        }
    }
    changed
}

/// In every 2 × 2 window whose diagonals differ ([A B; B A], outside counting as a label),
/// gives the lower-left block the label of its right neighbour.
fn fix_corner_contacts(labels: &mut [Option<u16>], cols: usize, rows: usize) -> bool {
    let mut changed = false;
    for j in 0..rows.saturating_sub(1) {
        for i in 0..cols.saturating_sub(1) {
            let (a, b, c, d) = (
                j * cols + i,
                j * cols + i + 1,
                (j + 1) * cols + i,
                (j + 1) * cols + i + 1,
            );
            let diagonal =
                labels[a] == labels[d] && labels[b] == labels[c] && labels[a] != labels[b];
            if diagonal {
                // Prefer filling the county over cutting it.
                let (target, label) = if labels[a].is_none() {
                    (a, labels[b])
                } else {
                    (b, labels[a])
                };
                labels[target] = label;
                changed = true;
            }
        }
    }
    changed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn corner_contacts_are_removed_and_pieces_joined() {
        let (a, b) = (Some(0u16), Some(1u16));
        // 3 × 3: a checkerboard-ish pattern with a stray piece of b.
        let mut labels = vec![a, b, a, b, a, a, a, a, b];
        clean(&mut labels, 3, 3);
        for j in 0..2 {
            for i in 0..2 {
                let w = [
                    labels[j * 3 + i],
                    labels[j * 3 + i + 1],
                    labels[(j + 1) * 3 + i],
                    labels[(j + 1) * 3 + i + 1],
                ];
                assert!(
                    !(w[0] == w[3] && w[1] == w[2] && w[0] != w[1]),
                    "{labels:?}"
                );
            }
        }
    }
}
