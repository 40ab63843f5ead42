#!/usr/bin/env python3
"""Renders a synthetic county (the output of `redline synth`) to a PNG: land classes by
first-level group, basic farmland hatched darker, township borders in black, change patches in
red. Needs Pillow (`pip install pillow`). Usage: render_county.py DIR OUT.png [WIDTH]"""
import json
import sys

from PIL import Image, ImageDraw

COLORS = {  # first-level group → colour
    "01": (246, 222, 120), "02": (190, 120, 200), "03": (60, 140, 70), "04": (150, 200, 120),
    "05": (220, 80, 80), "06": (170, 70, 70), "07": (200, 90, 90), "08": (210, 110, 110),
    "09": (190, 100, 100), "10": (110, 110, 110), "11": (80, 150, 220), "12": (215, 205, 185),
}
PADDY = (200, 230, 140)  # 0101 水田, to show the regional split of cultivated land


def features(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)["features"]


def rings(geometry):
    for polygon in geometry["coordinates"]:
        yield from polygon


def main():
    folder, out = sys.argv[1], sys.argv[2]
    width = int(sys.argv[3]) if len(sys.argv) > 3 else 1600
    towns = features(f"{folder}/townships.geojson")
    xs = [c[0] for t in towns for r in rings(t["geometry"]) for c in r]
    ys = [c[1] for t in towns for r in rings(t["geometry"]) for c in r]
    x0, x1, y0, y1 = min(xs), max(xs), min(ys), max(ys)
    scale = (width - 20) / (x1 - x0)
    height = int((y1 - y0) * scale) + 20

    def px(c):
        return (10 + (c[0] - x0) * scale, 10 + (y1 - c[1]) * scale)

    image = Image.new("RGB", (width, height), (255, 255, 255))
    draw = ImageDraw.Draw(image)
    for f in features(f"{folder}/landuse.geojson"):
        code = f["properties"]["DLBM"]
        color = PADDY if code == "0101" else COLORS.get(code[:2], (0, 0, 0))
        for ring in rings(f["geometry"]):
            draw.polygon([px(c) for c in ring], fill=color)
    for f in features(f"{folder}/changes.geojson"):
        for ring in rings(f["geometry"]):
            draw.polygon([px(c) for c in ring], outline=(230, 0, 0), fill=(255, 60, 60))
    for t in towns:
        for ring in rings(t["geometry"]):
            draw.line([px(c) for c in ring], fill=(0, 0, 0), width=3)
    legend = [
        ("dry / irrigated farmland 0103/0102", COLORS["01"]), ("paddy 0101", PADDY),
        ("garden 02", COLORS["02"]), ("forest 03", COLORS["03"]), ("grass 04", COLORS["04"]),
        ("settlement 05-09", COLORS["07"]), ("roads 10", COLORS["10"]), ("water, ditches 11", COLORS["11"]),
        ("other 12 (saline, bare, facility)", COLORS["12"]), ("change patches", (255, 60, 60)),
    ]
    x, y = 12, height - 14 * len(legend) - 20
    draw.rectangle([x - 4, y - 4, x + 250, y + 14 * len(legend) + 2], fill=(255, 255, 255), outline=(0, 0, 0))
    for k, (label, color) in enumerate(legend):
        draw.rectangle([x, y + 14 * k + 2, x + 16, y + 14 * k + 12], fill=color, outline=(0, 0, 0))
        draw.text((x + 22, y + 14 * k), label, fill=(0, 0, 0))
    draw.text((x, 12), "black lines: township borders", fill=(0, 0, 0))
    image.save(out)


if __name__ == "__main__":
    main()
