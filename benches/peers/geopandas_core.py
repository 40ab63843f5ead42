"""The core work in GeoPandas (shapely 2), written as a GIS engineer would for a county.

Parcels are cut by the townships through an STRtree with a prepared `contains_properly`
shortcut (most parcels lie inside one township and keep their geometry); basic farmland is
matched to identical parcels by WKB hash and only the rest is overlaid; the change patches are
intersected with the non-construction pieces and the approvals' union near each patch.

    python geopandas_core.py JOB.toml > numbers.json
"""

import geopandas
import numpy as np
import pyogrio
import shapely

from common import (CULTIVATED, LEGAL_KINDS, OTHER_KINDS, emit, is_construction, job_from_argv,
                    verdict_counts)


def read(path, columns):
    if path.endswith((".parquet", ".geoparquet")):
        return geopandas.read_parquet(path, columns=columns + ["geometry"])
    return pyogrio.read_dataframe(path, columns=columns, use_arrow=True)


def cut_by_townships(townships, geoms):
    """Pieces of `geoms` in each township: (township index, geometry index, piece geometry)."""
    shapely.prepare(townships)
    tree = shapely.STRtree(geoms)
    t_idx, g_idx = tree.query(townships, predicate="intersects")
    inside = shapely.contains_properly(townships[t_idx], geoms[g_idx])
    pieces = geoms[g_idx].copy()
    cut = ~inside
    pieces[cut] = shapely.intersection(townships[t_idx[cut]], geoms[g_idx[cut]])
    area = shapely.area(pieces)
    keep = area > 0
    return t_idx[keep], g_idx[keep], pieces[keep], inside[keep], area[keep]


class Pieces:
    """The land-use parcels cut by the townships, with what each piece's parcel is."""

    def __init__(self, townships, landuse):
        dlbm = landuse["DLBM"].to_numpy()
        self.cultivated = np.isin(dlbm, CULTIVATED)
        kcxs = landuse["KCXS"].fillna(0.0).to_numpy(dtype=float)
        self.keep = np.where(self.cultivated, 1.0 - kcxs, 0.0)  # net share of each parcel
        self.construction = np.array([is_construction(c) for c in dlbm])
        (self.township, self.parcel, self.geom, self.whole,
         self.area) = cut_by_townships(townships, landuse.geometry.to_numpy())

    def net(self, k):
        """Net cultivated share of pieces `k`."""
        return self.keep[self.parcel[k]]


def cultivated_net(pieces, n):
    """§5.1: net cultivated area per township."""
    net = np.zeros(n)
    np.add.at(net, pieces.township, pieces.area * pieces.keep[pieces.parcel])
    return net


def basic_farmland(pieces, townships, pbf_geoms):
    """§5.2: basic farmland and its net cultivated part per township. A PBF polygon identical to
    a whole land-use piece is matched by its WKB; the rest is overlaid with the pieces."""
    n = len(townships)
    whole = np.nonzero(pieces.whole)[0]
    by_wkb = {w: i for i, w in zip(whole, shapely.to_wkb(pieces.geom[whole]))}
    match = np.array([by_wkb.get(w, -1) for w in shapely.to_wkb(pbf_geoms)])
    matched = match >= 0
    m = match[matched]
    area, cultivated = np.zeros(n), np.zeros(n)
    np.add.at(area, pieces.township[m], pieces.area[m])
    np.add.at(cultivated, pieces.township[m], pieces.area[m] * pieces.net(m))
    rest = pbf_geoms[~matched]
    r_tw, _, _, _, r_area = cut_by_townships(townships, rest)
    np.add.at(area, r_tw, r_area)
    cult = np.nonzero(pieces.cultivated[pieces.parcel])[0]
    b_idx, c_idx = shapely.STRtree(pieces.geom[cult]).query(rest, predicate="intersects")
    piece = cult[c_idx]
    overlap = shapely.area(shapely.intersection(rest[b_idx], pieces.geom[piece]))
    np.add.at(cultivated, pieces.township[piece], overlap * pieces.net(piece))
    return area, cultivated


def illegal_cultivated(pieces, n, job, changes, approvals):
    """§5.4: patches dated in the period against the non-construction pieces, minus the union
    of the approvals in force near each patch; net cultivated, for patches whose verdict counts."""
    hsx = changes["HSX"].astype(str).str[:10]
    dated = changes[(changes["HSX"].isna()) | ((hsx >= job.start) & (hsx <= job.end))]
    patches = dated.geometry.to_numpy()
    observed = np.array([bool(c) and not is_construction(c) for c in dated["HSXDL"].fillna("")])
    kind = approvals["PZLX"].map(job.kinds)
    in_force = approvals["PZRQ"].isna() | (approvals["PZRQ"].astype(str).str[:10] <= job.end)
    geoms = approvals.geometry.to_numpy()
    legal_cover, other_cover = (
        cover_near(patches, geoms[(kind.isin(k) & in_force).to_numpy()])
        for k in (LEGAL_KINDS, OTHER_KINDS))
    open_pieces = np.nonzero(~pieces.construction[pieces.parcel])[0]
    c_idx, q_idx = shapely.STRtree(pieces.geom[open_pieces]).query(patches, predicate="intersects")
    piece = open_pieces[q_idx]
    new_land = shapely.intersection(patches[c_idx], pieces.geom[piece])
    legal = shapely.intersection(new_land, legal_cover[c_idx])
    rest = shapely.difference(new_land, legal_cover[c_idx])
    other = shapely.intersection(rest, other_cover[c_idx])
    illegal = shapely.difference(rest, other_cover[c_idx])
    areas = [shapely.area(g) for g in (new_land, illegal, legal, other)]
    per_patch = [np.bincount(c_idx, weights=a, minlength=len(patches)) for a in areas]
    counts = np.array([verdict_counts(*(s[i] for s in per_patch), observed[i], job.min_illegal)
                       for i in range(len(patches))], dtype=bool)
    pair = counts[c_idx]
    out = np.zeros(n)
    np.add.at(out, pieces.township[piece[pair]], areas[1][pair] * pieces.net(piece[pair]))
    return out


def main():
    job = job_from_argv()
    tw = read(job.layers["townships"], ["XZQDM"])
    townships = tw.geometry.to_numpy()
    pieces = Pieces(townships, read(job.layers["landuse"], ["BSM", "DLBM", "KCXS"]))
    n = len(townships)
    net = cultivated_net(pieces, n)
    pbf_geoms = read(job.layers["basic_farmland"], ["BSM"]).geometry.to_numpy()
    pbf_area, pbf_cultivated = basic_farmland(pieces, townships, pbf_geoms)
    illegal = illegal_cultivated(pieces, n, job,
                                 read(job.layers["changes"], ["JCBH", "HSXDL", "HSX"]),
                                 read(job.layers["approvals"], ["PZLX", "PZRQ"]))
    emit({code: {"cultivated_net_m2": net[k], "pbf_area_m2": pbf_area[k],
                 "pbf_cultivated_m2": pbf_cultivated[k], "illegal_cultivated_m2": illegal[k]}
          for k, code in enumerate(tw["XZQDM"].to_numpy())})


def cover_near(patches, approvals):
    """For each patch, the union of the approvals that touch it (empty where none does)."""
    out = np.array([shapely.Polygon()] * len(patches), dtype=object)
    if len(approvals) == 0:
        return out
    p_idx, a_idx = shapely.STRtree(approvals).query(patches, predicate="intersects")
    if len(p_idx) == 0:
        return out
    order = np.argsort(p_idx, kind="stable")
    p_idx, a_idx = p_idx[order], a_idx[order]
    starts = np.flatnonzero(np.r_[True, p_idx[1:] != p_idx[:-1]])
    for s, e in zip(starts, np.r_[starts[1:], len(p_idx)]):
        out[p_idx[s]] = shapely.union_all(approvals[a_idx[s:e]])
    return out


if __name__ == "__main__":
    main()
