"""The core work in GeoPandas (shapely 2), written as a GIS engineer would for a county.

Parcels are cut by the townships through an STRtree with a prepared `contains_properly`
shortcut (most parcels lie inside one township and keep their geometry); basic farmland is
matched to identical parcels by WKB hash and only the rest is overlaid; the change patches are
intersected with the non-construction pieces and the approvals' union near each patch.

    python geopandas_core.py JOB.toml > numbers.json
"""

from collections import defaultdict

import geopandas
import numpy as np
import pyogrio
import shapely

from common import LEGAL_KINDS, OTHER_KINDS, emit, is_construction, job_from_argv, verdict_counts


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


def main():
    job = job_from_argv()
    tw = read(job.layers["townships"], ["XZQDM"])
    lu = read(job.layers["landuse"], ["BSM", "DLBM", "KCXS"])
    pbf = read(job.layers["basic_farmland"], ["BSM"])
    ap = read(job.layers["approvals"], ["PZLX", "PZRQ"])
    ch = read(job.layers["changes"], ["JCBH", "HSXDL", "HSX"])
    codes = tw["XZQDM"].to_numpy()
    townships = tw.geometry.to_numpy()
    rows = defaultdict(lambda: defaultdict(float))

    # §5.1: land-use pieces per township; net cultivated area.
    lu_geoms = lu.geometry.to_numpy()
    dlbm = lu["DLBM"].to_numpy()
    cultivated = np.isin(dlbm, ["0101", "0102", "0103"])
    keep = np.where(cultivated, 1.0 - lu["KCXS"].fillna(0.0).to_numpy(dtype=float), 0.0)
    construction = np.array([is_construction(c) for c in dlbm])
    p_tw, p_lu, p_geom, p_whole, p_area = cut_by_townships(townships, lu_geoms)
    np.add.at(net := np.zeros(len(codes)), p_tw, p_area * keep[p_lu])
    for k, code in enumerate(codes):
        rows[code]["cultivated_net_m2"] = net[k]

    # §5.2: basic farmland identical to a whole land-use piece is matched by its WKB; the rest is
    # overlaid with the pieces.
    pbf_geoms = pbf.geometry.to_numpy()
    whole_piece = {shapely.to_wkb(g): i for i, g in zip(np.nonzero(p_whole)[0], p_geom[p_whole])}
    match = np.array([whole_piece.get(w, -1) for w in shapely.to_wkb(pbf_geoms)])
    matched = match >= 0
    m = match[matched]
    pbf_area = np.zeros(len(codes))
    pbf_cult = np.zeros(len(codes))
    np.add.at(pbf_area, p_tw[m], p_area[m])
    np.add.at(pbf_cult, p_tw[m], p_area[m] * keep[p_lu[m]])
    rest = pbf_geoms[~matched]
    r_tw, _, _, _, r_area = cut_by_townships(townships, rest)
    np.add.at(pbf_area, r_tw, r_area)
    cult_pieces = np.nonzero(cultivated[p_lu])[0]
    tree = shapely.STRtree(p_geom[cult_pieces])
    b_idx, c_idx = tree.query(rest, predicate="intersects")
    piece = cult_pieces[c_idx]
    overlap = shapely.area(shapely.intersection(rest[b_idx], p_geom[piece]))
    np.add.at(pbf_cult, p_tw[piece], overlap * keep[p_lu[piece]])
    for k, code in enumerate(codes):
        rows[code]["pbf_area_m2"] = pbf_area[k]
        rows[code]["pbf_cultivated_m2"] = pbf_cult[k]

    # §5.4: patches dated in the period against the non-construction pieces, minus the union of
    # the approvals in force near each patch.
    hsx = ch["HSX"].astype(str).str[:10]
    dated = ch[(ch["HSX"].isna()) | ((hsx >= job.start) & (hsx <= job.end))]
    patches = dated.geometry.to_numpy()
    observed = np.array([bool(c) and not is_construction(c) for c in dated["HSXDL"].fillna("")])
    kind = ap["PZLX"].map(job.kinds)
    in_force = ap["PZRQ"].isna() | (ap["PZRQ"].astype(str).str[:10] <= job.end)
    covers = [cover_near(patches, ap.geometry.to_numpy()[(kind.isin(k) & in_force).to_numpy()])
              for k in (LEGAL_KINDS, OTHER_KINDS)]
    open_pieces = np.nonzero(~construction[p_lu])[0]
    tree = shapely.STRtree(p_geom[open_pieces])
    c_idx, q_idx = tree.query(patches, predicate="intersects")
    piece = open_pieces[q_idx]
    new_land = shapely.intersection(patches[c_idx], p_geom[piece])
    legal_cover, other_cover = (cover[c_idx] for cover in covers)
    legal = shapely.intersection(new_land, legal_cover)
    rest = shapely.difference(new_land, legal_cover)
    other = shapely.intersection(rest, other_cover)
    illegal = shapely.difference(rest, other_cover)
    areas = [shapely.area(g) for g in (new_land, illegal, legal, other)]
    per_patch = [np.bincount(c_idx, weights=a, minlength=len(patches)) for a in areas]
    counts = np.array([verdict_counts(*(s[i] for s in per_patch), observed[i], job.min_illegal)
                       for i in range(len(patches))], dtype=bool)
    pair = counts[c_idx]
    ill = np.zeros(len(codes))
    np.add.at(ill, p_tw[piece[pair]], areas[1][pair] * keep[p_lu[piece[pair]]])
    for k, code in enumerate(codes):
        rows[code]["illegal_cultivated_m2"] = ill[k]
    emit(rows)


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
