"""The core work in DuckDB-spatial SQL, written as a GIS engineer would for a county.

Spatial joins on ST_Intersects (DuckDB plans them as R-tree spatial joins), the townships cut
into grid tiles so that ST_ContainsProperly keeps the parcels inside a tile whole cheaply, basic farmland matched to identical
parcels by their WKB (a hash join), the approvals unioned per patch with ST_Union_Agg.
The spatial extension is loaded from the `duckdb-extension-spatial` wheel's file (no network).

    python duckdb_core.py JOB.toml > numbers.json
"""

import glob
import os

import duckdb

from common import CONSTRUCTION, CULTIVATED, LEGAL_KINDS, OTHER_KINDS, emit, job_from_argv


def connect():
    import duckdb_extension_spatial

    folder = os.path.dirname(duckdb_extension_spatial.__file__)
    (ext,) = glob.glob(os.path.join(folder, "extensions", "*", "spatial.duckdb_extension"))
    con = duckdb.connect(config={"allow_unsigned_extensions": "true"})
    con.execute(f"LOAD '{ext}'")
    return con


def source(path):
    """A layer as a table expression with a `geom` column, whatever its format."""
    if path.endswith((".parquet", ".geoparquet")):
        return f"(SELECT * EXCLUDE (geometry), geometry AS geom FROM read_parquet('{path}'))"
    return f"ST_Read('{path}')"


def tables(con, job):
    """The pieces, basic farmland, approvals, patches and patch parts, as tables."""
    layer = {k: source(v) for k, v in job.layers.items()}
    kinds = ", ".join(f"('{k}', '{v}')" for k, v in job.kinds.items()) or "(NULL, NULL)"
    j_rule = CONSTRUCTION.pattern
    con.execute(f"""
    CREATE TABLE tw AS SELECT XZQDM AS code, geom FROM {layer['townships']};
    CREATE TABLE lu AS SELECT row_number() OVER () AS id,
        CASE WHEN DLBM IN {CULTIVATED} THEN 1 - coalesce(KCXS, 0) ELSE 0 END AS keep,
        regexp_matches(trim(DLBM), '{j_rule}') AS construction, geom
      FROM {layer['landuse']};
    -- Townships cut into tiles of a 64 × 64 grid: each parcel is tested against a small
    -- polygon (DuckDB does not prepare the township for ST_ContainsProperly).
    CREATE TABLE cells AS
      WITH e AS (SELECT ST_Extent_Agg(geom) AS b FROM tw),
           s AS (SELECT ST_XMin(b) AS x0, ST_YMin(b) AS y0,
                        greatest(ST_XMax(b) - ST_XMin(b), ST_YMax(b) - ST_YMin(b)) / 64 AS d FROM e)
      SELECT ST_MakeEnvelope(x0 + i * d, y0 + j * d, x0 + (i + 1) * d, y0 + (j + 1) * d) AS cell
        FROM s, range(64) r(i), range(64) q(j);
    CREATE TABLE tiles AS SELECT tw.code, ST_Intersection(tw.geom, c.cell) AS geom
      FROM tw JOIN cells c ON ST_Intersects(tw.geom, c.cell);
    CREATE TABLE cut AS SELECT t.code, lu.id, lu.keep, lu.construction, lu.geom AS parcel,
        ST_ContainsProperly(t.geom, lu.geom) AS inside, t.geom AS tile
      FROM tiles t JOIN lu ON ST_Intersects(t.geom, lu.geom);
    -- A piece is whole when its parcel lies inside one tile.
    CREATE TABLE pieces AS SELECT code, id, keep, construction, inside AS whole,
        CASE WHEN inside THEN parcel ELSE ST_Intersection(tile, parcel) END AS geom
      FROM cut;
    DROP TABLE cut;
    CREATE TABLE pbf AS SELECT row_number() OVER () AS id, geom FROM {layer['basic_farmland']};
    CREATE TABLE matched AS SELECT pbf.id, p.code, ST_Area(p.geom) AS area, p.keep
      FROM pbf JOIN pieces p ON p.whole AND ST_AsWKB(pbf.geom) = ST_AsWKB(p.geom);
    CREATE TABLE pbf_rest AS SELECT * FROM pbf WHERE id NOT IN (SELECT id FROM matched);
    CREATE TABLE kinds(value VARCHAR, kind VARCHAR);
    INSERT INTO kinds VALUES {kinds};
    CREATE TABLE approvals AS SELECT
        CASE WHEN k.kind IN {tuple(LEGAL_KINDS)} THEN 'legal'
             WHEN k.kind IN {tuple(OTHER_KINDS)} THEN 'other' END AS cls, a.geom
      FROM {layer['approvals']} a JOIN kinds k ON a.PZLX = k.value
      WHERE a.PZRQ IS NULL OR left(CAST(a.PZRQ AS VARCHAR), 10) <= '{job.end}';
    CREATE TABLE patches AS SELECT row_number() OVER () AS id,
        coalesce(HSXDL, '') <> '' AND NOT regexp_matches(trim(HSXDL), '{j_rule}') AS observed, geom
      FROM {layer['changes']}
      WHERE HSX IS NULL OR left(CAST(HSX AS VARCHAR), 10) BETWEEN '{job.start}' AND '{job.end}';
    CREATE TABLE cover AS SELECT c.id, a.cls, ST_Union_Agg(a.geom) AS geom
      FROM patches c JOIN approvals a ON ST_Intersects(c.geom, a.geom)
      WHERE a.cls IS NOT NULL GROUP BY c.id, a.cls;
    CREATE TABLE parts AS
      WITH raw AS (
        SELECT c.id, p.code, p.keep, c.observed, ST_Intersection(c.geom, p.geom) AS nl,
               l.geom AS lg, o.geom AS og
          FROM patches c JOIN pieces p ON ST_Intersects(c.geom, p.geom) AND NOT p.construction
          LEFT JOIN cover l ON l.id = c.id AND l.cls = 'legal'
          LEFT JOIN cover o ON o.id = c.id AND o.cls = 'other'),
      rest AS (SELECT *, CASE WHEN lg IS NULL THEN nl ELSE ST_Difference(nl, lg) END AS rest FROM raw)
      SELECT id, code, keep, observed, ST_Area(nl) AS new_land,
             CASE WHEN lg IS NULL THEN 0 ELSE ST_Area(ST_Intersection(nl, lg)) END AS legal,
             CASE WHEN og IS NULL THEN 0 ELSE ST_Area(ST_Intersection(rest, og)) END AS other,
             CASE WHEN og IS NULL THEN ST_Area(rest) ELSE ST_Area(ST_Difference(rest, og)) END AS illegal
        FROM rest;
    """)


def queries(m):
    """One SQL query per metric, giving (township code, m²); `m` is min_illegal_m2."""
    return {
        "cultivated_net_m2": "SELECT code, sum(ST_Area(geom) * keep) FROM pieces GROUP BY code",
        "pbf_area_m2": """
          SELECT code, sum(area) FROM (
            SELECT code, area FROM matched
            UNION ALL
            SELECT t.code, ST_Area(CASE WHEN ST_ContainsProperly(t.geom, b.geom) THEN b.geom
                                        ELSE ST_Intersection(t.geom, b.geom) END)
              FROM tiles t JOIN pbf_rest b ON ST_Intersects(t.geom, b.geom)) GROUP BY code""",
        "pbf_cultivated_m2": """
          SELECT code, sum(area) FROM (
            SELECT code, area * keep AS area FROM matched
            UNION ALL
            SELECT p.code, ST_Area(ST_Intersection(b.geom, p.geom)) * p.keep
              FROM pbf_rest b JOIN pieces p ON p.keep > 0 AND ST_Intersects(b.geom, p.geom))
          GROUP BY code""",
        "illegal_cultivated_m2": f"""
          WITH verdict AS (
            SELECT id, sum(new_land) AS n, sum(illegal) AS i, sum(legal) AS l, sum(other) AS o,
                   bool_or(observed) AS observed FROM parts GROUP BY id),
          counted AS (
            SELECT id FROM verdict
             WHERE n >= {m} AND NOT observed AND (i >= {m} OR l >= o))
          SELECT code, sum(illegal * keep) FROM parts WHERE id IN (SELECT id FROM counted)
           GROUP BY code""",
    }


def main():
    job = job_from_argv()
    con = connect()
    tables(con, job)
    rows = {code: {} for (code,) in con.execute("SELECT code FROM tw").fetchall()}
    for metric, sql in queries(job.min_illegal).items():
        for code, value in con.execute(sql).fetchall():
            rows[code][metric] = value or 0.0
    emit(rows)


if __name__ == "__main__":
    main()
