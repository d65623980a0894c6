"""Statistics over the replays, the printed table (text and Markdown) and the closing line.

Per space, B is the compute budget in epochs. The target is random search's final best: the
median over seeds of random's best validation accuracy after B epochs. Per method and seed:
best accuracy after 25 / 50 / 100 % of B, and the compute (epochs, and wall time on the virtual
cluster) at which its best first reached the target, as a fraction of random's (B epochs, and
the wall time random took for them); inf when not reached within the replay's cap.

The closing line pools the (space, seed) fractions: F = the median fraction of the best kubetune
method (random itself excluded), R = the Optuna peer's median fraction / F.
"""
from __future__ import annotations

import math
import statistics
from dataclasses import dataclass

from efficiency.methods import OPTUNA_PEER
from efficiency.replay import Results

FRACTIONS = (0.25, 0.5, 1.0)


def median(values: list[float]) -> float:
    return statistics.median(values) if values else math.nan


def quartiles(values: list[float]) -> tuple[float, float]:
    """25th and 75th percentiles (linear interpolation; inf stays inf)."""
    if not values:
        return math.nan, math.nan
    xs = sorted(values)

    def q(p: float) -> float:
        k = p * (len(xs) - 1)
        lo, hi = math.floor(k), math.ceil(k)
        if lo == hi or xs[lo] == xs[hi]:
            return xs[lo]
        return xs[lo] + (xs[hi] - xs[lo]) * (k - lo)
    return q(0.25), q(0.75)


@dataclass
class MethodStats:
    best: dict[float, list[float]]  # fraction of B -> best accuracy per seed
    cost: list[float]  # epochs to the target / B, per seed (inf: not reached)
    wall: list[float]  # wall time to the target / random's wall time for B, per seed
    reached: int


@dataclass
class SpaceStats:
    space: str
    budget: float
    target: float
    methods: dict[str, MethodStats]
    setup_note: str = ""  # the fixed cost per trial the wall times charge


def space_stats(results: Results, space: str, *, setup_note: str = "") -> SpaceStats:
    traces = results.traces[space]
    budget = results.budget[space]
    random = traces["random"]
    target = median([t.best_at(budget) for t in random])
    random_wall = median([t.seconds_at(budget) for t in random])
    methods = {}
    for name, runs in traces.items():
        best = {f: [t.best_at(f * budget) for t in runs] for f in FRACTIONS}
        cost = [t.cost_to(target) / budget for t in runs]
        wall = [t.cost_to(target, axis="seconds") / random_wall for t in runs]
        methods[name] = MethodStats(best, cost, wall, sum(math.isfinite(c) for c in cost))
    return SpaceStats(space, budget, target, methods, setup_note)


def _num(x: float, digits: int = 3) -> str:
    if math.isnan(x):
        return "-"
    if math.isinf(x):
        return ">cap"
    return f"{x:.{digits}f}"


def _spread(values: list[float], digits: int = 3) -> str:
    lo, hi = quartiles(values)
    return f"{_num(median(values), digits)} [{_num(lo, digits)}, {_num(hi, digits)}]"


def rows(stats: SpaceStats) -> list[list[str]]:
    out = []
    for name, m in stats.methods.items():
        out.append([name] + [_spread(m.best[f]) for f in FRACTIONS]
                   + [_spread(m.cost, 2), _spread(m.wall, 2), f"{m.reached}/{len(m.cost)}"])
    return out


HEADER = ["method", "best@25%", "best@50%", "best@100%", "epochs to random's best (x B)",
          "wall to random's best (x random's)", "reached"]


def text_table(stats: SpaceStats, seeds: int) -> str:
    lines = [f"space {stats.space}: budget B = {stats.budget:g} epochs; target = random's final best "
             f"(median of {seeds} seeds) = {stats.target:.4f}; values: median [25th, 75th percentile]"
             + (f"; wall time: {stats.setup_note} + the recorded epoch times" if stats.setup_note else "")]
    table = [HEADER] + rows(stats)
    widths = [max(len(r[i]) for r in table) for i in range(len(HEADER))]
    for r in table:
        lines.append("  ".join(cell.ljust(w) for cell, w in zip(r, widths)))
    return "\n".join(lines)


def markdown_table(stats: SpaceStats) -> str:
    lines = ["| " + " | ".join(HEADER) + " |", "|" + "---|" * len(HEADER)]
    lines += ["| " + " | ".join(r) + " |" for r in rows(stats)]
    return "\n".join(lines)


def space_line(stats: SpaceStats) -> str:
    """One space's verdict: its best kubetune method, that method's F and the peer's."""
    cost = {n: median(m.cost) for n, m in stats.methods.items()}
    mine = {n: v for n, v in cost.items() if n not in ("random", OPTUNA_PEER)}
    best = min(mine, key=lambda n: (mine[n], n))
    peer = cost.get(OPTUNA_PEER, math.nan)
    ratio = peer / mine[best] if mine[best] > 0 and math.isfinite(mine[best]) else math.nan
    return (f"{stats.space}: best {best} needs {_num(mine[best], 2)} x B to reach random's final best; "
            f"optuna-tpe+hyperband {_num(peer, 2)} x B (ratio {_num(ratio, 2)}); random {_num(cost['random'], 2)} x B")


@dataclass
class Verdict:
    best: str
    fraction: float  # F
    optuna_fraction: float
    ratio: float  # R
    ratio_is_lower_bound: bool
    pooled: dict[str, float]  # method -> median pooled fraction


def verdict(all_stats: list[SpaceStats], cap_factor: float) -> Verdict:
    pooled: dict[str, list[float]] = {}
    for stats in all_stats:
        for name, m in stats.methods.items():
            pooled.setdefault(name, []).extend(m.cost)
    medians = {name: median(values) for name, values in pooled.items()}
    candidates = {n: v for n, v in medians.items() if n not in ("random", OPTUNA_PEER)}
    best = min(candidates, key=lambda n: (candidates[n], n))
    f = candidates[best]
    optuna_f = medians.get(OPTUNA_PEER, math.nan)
    lower_bound = math.isinf(optuna_f)
    ratio = (cap_factor if lower_bound else optuna_f) / f if f > 0 and math.isfinite(f) else math.nan
    return Verdict(best, f, optuna_f, ratio, lower_bound, medians)


def closing_line(v: Verdict) -> str:
    return f"search efficiency: best={v.best} compute_to_random_best={v.fraction:.3g} vs_optuna={v.ratio:.3g}"
