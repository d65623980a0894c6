"""The anytime plot: median best validation accuracy vs epochs trained, one line per method.

One panel per space; x from 0 to cap x B (a dashed line marks B), y the median over seeds of the
best accuracy found so far; a dotted line marks the target (random's final best). Drawn with
Pillow (already a dependency of the trainer), so the bench needs no plotting library.
"""
from __future__ import annotations

import math
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from efficiency.methods import OPTUNA_PEER
from efficiency.replay import Results
from efficiency.report import SpaceStats, median

PANEL_W, PANEL_H = 620, 430
MARGIN_L, MARGIN_R, MARGIN_T, MARGIN_B = 62, 16, 34, 48
LEGEND_W = 230
COLORS = ["#7f7f7f", "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2",
          "#17becf", "#bcbd22", "#393b79", "#637939"]
POINTS = 120


def _font(size: int) -> ImageFont.ImageFont:
    try:
        return ImageFont.load_default(size=size)
    except TypeError:  # Pillow without FreeType: the fixed bitmap font
        return ImageFont.load_default()


def _median_curve(traces, xs: list[float]) -> list[float]:
    return [median([v for v in (t.best_at(x) for t in traces) if not math.isnan(v)] or [math.nan]) for x in xs]


def _dashed(draw: ImageDraw.ImageDraw, a: tuple[float, float], b: tuple[float, float], fill: str,
            dash: float = 6) -> None:
    length = math.dist(a, b)
    steps = max(1, int(length // dash))
    for i in range(0, steps, 2):
        t0, t1 = i / steps, min(1.0, (i + 1) / steps)
        draw.line([(a[0] + (b[0] - a[0]) * t0, a[1] + (b[1] - a[1]) * t0),
                   (a[0] + (b[0] - a[0]) * t1, a[1] + (b[1] - a[1]) * t1)], fill=fill, width=1)


def _panel(draw: ImageDraw.ImageDraw, ox: int, results: Results, stats: SpaceStats, cap: float,
           colors: dict[str, str]) -> None:
    traces = results.traces[stats.space]
    budget = stats.budget
    x_max = cap * budget
    xs = [x_max * i / POINTS for i in range(1, POINTS + 1)]
    curves = {name: _median_curve(ts, xs) for name, ts in traces.items()}
    finite = [v for c in curves.values() for v, x in zip(c, xs) if x >= 0.2 * budget and not math.isnan(v)]
    y_lo = math.floor((min(finite) - 0.02) * 20) / 20
    y_hi = math.ceil((max(finite) + 0.01) * 20) / 20
    left, top = ox + MARGIN_L, MARGIN_T
    right, bottom = ox + PANEL_W - MARGIN_R, PANEL_H - MARGIN_B
    font, small = _font(14), _font(12)

    def px(x: float, y: float) -> tuple[float, float]:
        y = min(max(y, y_lo), y_hi)
        return (left + (right - left) * x / x_max, bottom - (bottom - top) * (y - y_lo) / (y_hi - y_lo))

    draw.rectangle([left, top, right, bottom], outline="#000000")
    for i in range(5):
        y = y_lo + (y_hi - y_lo) * i / 4
        draw.line([px(0, y), (right, px(0, y)[1])], fill="#e6e6e6")
        draw.text((left - 6, px(0, y)[1]), f"{y:.2f}", fill="#000000", font=small, anchor="rm")
    for i in range(int(cap * 4) + 1):
        x = budget * i / 4
        draw.text((px(x, y_lo)[0], bottom + 6), f"{x:g}", fill="#000000", font=small, anchor="mt")
    _dashed(draw, px(budget, y_lo), px(budget, y_hi), "#000000")
    draw.text((px(budget, y_hi)[0] + 4, top + 4), "budget B", fill="#000000", font=small)
    _dashed(draw, px(0, stats.target), px(x_max, stats.target), "#888888", dash=3)
    for name, ys in curves.items():
        points = [px(x, y) for x, y in zip(xs, ys) if not math.isnan(y)]
        if len(points) > 1:
            width = 3 if name in ("random", OPTUNA_PEER) else 2
            draw.line(points, fill=colors[name], width=width, joint="curve")
    draw.text(((left + right) / 2, 8), f"{stats.space}: median best val. accuracy of {len(next(iter(traces.values())))} "
              f"seeds", fill="#000000", font=font, anchor="mt")
    draw.text(((left + right) / 2, PANEL_H - 18), "epochs trained (all trials)", fill="#000000", font=small,
              anchor="mt")


def anytime_png(results: Results, all_stats: list[SpaceStats], path: Path, cap: float = 2.0) -> Path:
    names = list(next(iter(results.traces.values())))
    colors = {name: ("#000000" if name == OPTUNA_PEER else COLORS[i % len(COLORS)]) for i, name in enumerate(names)}
    width = PANEL_W * len(all_stats) + LEGEND_W
    image = Image.new("RGB", (width, PANEL_H), "#ffffff")
    draw = ImageDraw.Draw(image)
    for i, stats in enumerate(all_stats):
        _panel(draw, i * PANEL_W, results, stats, cap, colors)
    font = _font(13)
    x0 = PANEL_W * len(all_stats) + 8
    for i, name in enumerate(names):
        y = MARGIN_T + 8 + 22 * i
        draw.line([(x0, y), (x0 + 28, y)], fill=colors[name], width=3)
        draw.text((x0 + 36, y), name, fill="#000000", font=font, anchor="lm")
    y = MARGIN_T + 8 + 22 * len(names) + 10
    draw.text((x0, y), "dotted: random's final best", fill="#555555", font=_font(12))
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path, optimize=True)
    return path
