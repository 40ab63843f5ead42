"""汇总表.xlsx read back with openpyxl: every table's county and township rows equal report.json,
every township equals the sum of its villages, the 变更流量表 equals the transitions, and the
header rows are frozen. Run: REDLINE=target/debug/redline pytest tests/python
"""

import json
import os
import re
import subprocess
from pathlib import Path

import openpyxl
import pytest

ROOT = Path(__file__).resolve().parents[2]
REDLINE = os.environ.get("REDLINE", str(ROOT / "target" / "debug" / "redline"))
HA, MU = 10_000.0, 2_000.0 / 3.0
# report.json rounds m² to 0.01; the workbook holds full precision.
TOL_M2 = 0.006


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    base = tmp_path_factory.mktemp("vintages")
    data, out = base / "data", base / "out"
    subprocess.run([REDLINE, "synth", "--parcels", "3000", "--townships", "4", "--seed", "11",
                    "--previous-vintage", "-o", data], check=True, capture_output=True)
    subprocess.run([REDLINE, "run", data / "job.toml", "--quiet", "-o", out],
                   check=True, capture_output=True)
    report = json.loads((out / "report.json").read_text())
    book = openpyxl.load_workbook(out / "汇总表.xlsx")
    return report, book


def table(sheet):
    """Header (row 3) and the rows under it, keyed by the code in column A."""
    header = [c.value for c in sheet[3]]
    rows = [[c.value for c in r] for r in sheet.iter_rows(min_row=4)]
    return header, rows


def by_code(rows):
    return {r[0]: r for r in rows}


def close_m2(cell, m2, unit=HA, what=""):
    assert abs(cell * unit - m2) <= TOL_M2, (what, cell * unit, m2)


def metric_rows(report):
    yield report["county"]
    yield from report["townships"]


def test_every_sheet_is_there_with_its_header_frozen(run):
    _, book = run
    assert book.sheetnames == ["一级分类", "二级分类", "永久基本农田", "占补平衡", "卫片执法",
                               "变更流量表", "变更流量明细", "进出平衡", "未报新增建设"]
    for sheet in book.worksheets:
        assert sheet.freeze_panes == "C4", sheet.title
        assert sheet["A1"].value and sheet["A3"].value, sheet.title
        assert sheet.column_dimensions["B"].width >= 20, sheet.title


def test_class_tables_equal_report_json_and_villages_sum_to_their_township(run):
    report, book = run
    header, rows = table(book["一级分类"])
    groups = [re.search(r"\((\d\d)\)", h).group(1) for h in header[3:]]
    rows_by = by_code(rows)
    for m in metric_rows(report):
        row = rows_by[m["code"]]
        close_m2(row[2], m["landuse"]["total_m2"], what=m["code"])
        for g, cell in zip(groups, row[3:]):
            close_m2(cell, m["landuse"]["by_group"][g]["net_m2"], what=(m["code"], g))
    header2, rows2 = table(book["二级分类"])
    classes = [re.search(r"\(([0-9A-Z]+)\)", h).group(1) for h in header2[3:]]
    assert set(classes) == set(report["county"]["landuse"]["by_class"])
    rows2_by = by_code(rows2)
    for m in metric_rows(report):
        row = rows2_by[m["code"]]
        for code, cell in zip(classes, row[3:]):
            close_m2(cell, m["landuse"]["by_class"][code], what=(m["code"], code))
    # Villages (12-digit codes under their township's 9) sum to the township, in both tables.
    for rows_ in (rows, rows2):
        towns = [r for r in rows_ if len(r[0]) == 9]
        assert len(towns) == len(report["townships"])
        for town in towns:
            villages = [r for r in rows_ if len(r[0]) == 12 and r[0].startswith(town[0])]
            assert villages, town[0]
            for col in range(2, len(town)):
                total = sum(v[col] for v in villages)
                assert abs(total - town[col]) * HA <= 0.01, (town[0], col, total, town[col])


def test_farmland_balance_and_violation_tables_equal_report_json(run):
    report, book = run
    _, pbf = table(book["永久基本农田"])
    _, bal = table(book["占补平衡"])
    _, vio = table(book["卫片执法"])
    pbf, bal, vio = by_code(pbf), by_code(bal), by_code(vio)
    for m in metric_rows(report):
        code, p, b, v = m["code"], m["basic_farmland"], m["balance"], m["violations"]
        keys = ["pbf_area_m2", "pbf_cultivated_m2", "pbf_construction_m2", "pbf_other_agri_m2",
                "pbf_unused_m2"]
        for k, cell in zip(keys, pbf[code][2:7]):
            close_m2(cell, p[k], what=(code, k))
        close_m2(pbf[code][10], p["pbf_area_m2"], MU, (code, "亩"))
        row = bal[code]
        close_m2(row[2], b["debit"]["quantity_m2"], what=code)
        close_m2(row[3], b["debit"]["paddy_m2"], what=code)
        assert abs(row[4] - b["debit"]["capacity_kg"]) <= TOL_M2
        close_m2(row[5], b["credit"]["quantity_m2"], what=code)
        close_m2(row[8], b["balance"]["quantity_m2"], what=code)
        assert row[12] == ("是" if b["balanced"] else "否")
        row = vio[code]
        counts = [v["patches"][k] for k in ["existing", "legal", "other", "illegal", "partial"]]
        assert row[2:7] == counts, code
        close_m2(row[7], v["new_construction_cultivated_m2"], what=code)
        close_m2(row[8], v["illegal_cultivated_m2"], what=code)
        close_m2(row[9], v["illegal_pbf_m2"], what=code)
        assert abs(row[11] - v["illegal_ratio"]) <= 1e-6
        assert row[12:14] == [("是" if v[k] else "否") for k in ["interview", "accountability"]]


def test_the_flow_table_is_the_transition_matrix(run):
    report, book = run
    change = report["county"]["change"]
    header, rows = table(book["变更流量表"])
    to = [re.search(r"\(([0-9A-Z]+)\)", h).group(1) for h in header[3:]]
    cells = {}
    for row in rows[:-1]:
        assert abs(row[2] - sum(row[3:])) * HA <= 0.01, row[0]
        for code, cell in zip(to, row[3:]):
            cells[f"{row[0]}>{code}"] = cell
    for key, m2 in change["transitions"].items():
        close_m2(cells.pop(key), m2, what=key)
    # Cells absent from report.json round to nothing.
    assert all(abs(v) * HA < 0.005 for v in cells.values()), cells
    total = rows[-1]
    assert total[0] == "本年合计"
    cultivated = sum(total[3 + k] for k, code in enumerate(to) if code in ("0101", "0102", "0103"))
    close_m2(cultivated, change["cultivated_current_m2"], what="本年耕地")
    previous = sum(r[2] for r in rows[:-1] if r[0] in ("0101", "0102", "0103"))
    close_m2(previous, change["cultivated_previous_m2"], what="上年耕地")
    # The detail by township adds up to the county's matrix.
    _, detail = table(book["变更流量明细"])
    summed = {}
    for r in detail:
        summed[f"{r[2]}>{r[4]}"] = summed.get(f"{r[2]}>{r[4]}", 0.0) + r[6]
    for key, m2 in change["transitions"].items():
        close_m2(summed[key], m2, what=("detail", key))


def test_the_in_out_ledger_and_the_unreported_construction_equal_report_json(run):
    report, book = run
    _, rows = table(book["进出平衡"])
    rows = by_code(rows)
    for m in metric_rows(report):
        c, row = m["change"], rows[m["code"]]
        expected = [c["cultivated_previous_m2"], c["cultivated_current_m2"], c["cultivated_out_m2"],
                    c["out"]["construction_m2"], c["out"]["other_agri_m2"], c["out"]["unused_m2"],
                    c["cultivated_in_m2"], c["in"]["construction_m2"], c["in"]["other_agri_m2"],
                    c["in"]["unused_m2"], c["net_change_m2"], c["in_out"]["out_m2"],
                    c["in_out"]["in_m2"], c["in_out"]["balance_m2"]]
        for k, (cell, m2) in enumerate(zip(row[2:16], expected)):
            close_m2(cell, m2, what=(m["code"], k))
        close_m2(row[16], c["in_out"]["balance_m2"], MU, (m["code"], "亩"))
        assert row[17] == ("是" if c["in_out"]["deficit"] else "否")
    _, listed = table(book["未报新增建设"])
    expected = report["uncovered_construction"]
    assert len(listed) == len(expected) > 0
    for row, u in zip(listed, expected):
        assert (row[0], row[2], row[3]) == (u["township"], u["landuse_id"], u["class"])
        close_m2(row[5], u["area_m2"], what=u["landuse_id"])
