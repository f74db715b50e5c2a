"""The router's cost/quality curve beside the single-model frontier: what ``codex-router bench --sweep`` reports.

A user without a router picks one model, or splits tasks between two at random. So the bar a router must clear
at a given spend is the *single-model hull*: the upper concave hull, in (total cost, AvgPerf) space, of the
non-dominated Always-<model> points (a straight segment between two of them is a random split of the tasks).
A sweep point's **lift** is its AvgPerf minus the hull's AvgPerf at the same cost; its **cost saved** is the
hull's cost at the same AvgPerf minus its own cost. Both are undefined (None) outside the hull's range: below
the cheapest model's cost for the lift, above the best model's AvgPerf for the saving.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # bench imports this module to sweep; annotations only here
    from router.bench import ReplayResult


@dataclass(frozen=True)
class Point:
    """One router or model on the benchmark: AvgPerf % over the test tasks and total USD."""

    name: str
    avg_perf: float
    cost_usd: float


def non_dominated(points: Sequence[Point]) -> list[Point]:
    """The points no other beats on both axes (>= AvgPerf at <= cost, one strictly), cheapest first."""
    keep = [p for p in points
            if not any(q.avg_perf >= p.avg_perf and q.cost_usd <= p.cost_usd
                       and (q.avg_perf > p.avg_perf or q.cost_usd < p.cost_usd) for q in points)]
    unique = {(p.cost_usd, p.avg_perf): p for p in sorted(keep, key=lambda p: p.name)}
    return sorted(unique.values(), key=lambda p: p.cost_usd)


def upper_hull(points: Sequence[Point]) -> list[Point]:
    """The concave upper hull of the non-dominated points, cheapest first (what random splits can reach)."""
    hull: list[Point] = []
    for p in non_dominated(points):
        while len(hull) >= 2 and _cross(hull[-2], hull[-1], p) >= 0:
            hull.pop()
        hull.append(p)
    return hull


def _cross(a: Point, b: Point, c: Point) -> float:
    """> 0 when b lies below the segment a-c (so b is not on the upper hull)."""
    return (b.cost_usd - a.cost_usd) * (c.avg_perf - a.avg_perf) - (b.avg_perf - a.avg_perf) * (c.cost_usd - a.cost_usd)


def hull_perf_at(hull: Sequence[Point], cost: float) -> float | None:
    """The hull's AvgPerf at total cost ``cost``; None below its cheapest point, flat beyond its dearest."""
    if not hull or cost < hull[0].cost_usd:
        return None
    for a, b in zip(hull, hull[1:], strict=False):
        if cost <= b.cost_usd:
            return a.avg_perf + (b.avg_perf - a.avg_perf) * (cost - a.cost_usd) / (b.cost_usd - a.cost_usd)
    return hull[-1].avg_perf


def hull_cost_at(hull: Sequence[Point], perf: float) -> float | None:
    """The hull's cost to reach AvgPerf ``perf``; None beyond its best point or below its cheapest one."""
    if not hull or perf > hull[-1].avg_perf or perf < hull[0].avg_perf:
        return None
    for a, b in zip(hull, hull[1:], strict=False):
        if perf <= b.avg_perf:
            return a.cost_usd + (b.cost_usd - a.cost_usd) * (perf - a.avg_perf) / (b.avg_perf - a.avg_perf)
    return hull[-1].cost_usd


def lift(point: Point, hull: Sequence[Point]) -> tuple[float | None, float | None]:
    """(AvgPerf above the hull at the point's cost, USD the point saves against the hull at its AvgPerf)."""
    perf = hull_perf_at(hull, point.cost_usd)
    cost = hull_cost_at(hull, point.avg_perf)
    return (None if perf is None else point.avg_perf - perf,
            None if cost is None else cost - point.cost_usd)


def best_beat(point: Point, frontier: Sequence[Point]) -> tuple[float | None, str | None]:
    """The largest AvgPerf margin of ``point`` over a non-dominated single model costing at least as much."""
    beaten = [(point.avg_perf - q.avg_perf, q.name) for q in frontier if q.cost_usd >= point.cost_usd]
    return max(beaten, default=(None, None))


@dataclass
class SweepRow:
    eps_cost: float
    point: Point
    mix: dict[str, float]  # share of the test tasks per model
    lift: float | None
    cost_saved: float | None
    beat: float | None
    beat_model: str | None

    def to_dict(self) -> dict[str, Any]:
        return {"eps_cost": self.eps_cost, "avg_perf": round(self.point.avg_perf, 4),
                "cost_usd": round(self.point.cost_usd, 4), "lift": _round(self.lift),
                "cost_saved_usd": _round(self.cost_saved), "beat": _round(self.beat), "beat_model": self.beat_model,
                "mix": {m: round(s, 4) for m, s in self.mix.items()}}


@dataclass
class Sweep:
    """A router's points over a grid of cost weights, the single-model frontier and hull, and the default."""

    always: list[Point]
    frontier: list[Point]
    hull: list[Point]
    rows: list[SweepRow] = field(default_factory=list)
    default_eps_cost: float | None = None

    @property
    def default(self) -> SweepRow | None:
        return next((r for r in self.rows if r.eps_cost == self.default_eps_cost), None)

    def to_dict(self) -> dict[str, Any]:
        def pts(points: Sequence[Point]) -> list[dict[str, Any]]:
            return [{"name": p.name, "avg_perf": round(p.avg_perf, 4), "cost_usd": round(p.cost_usd, 4)} for p in points]

        best = max((r for r in self.rows if r.beat is not None), key=lambda r: r.beat, default=None)
        return {"always": pts(self.always), "frontier": pts(self.frontier), "hull": pts(self.hull),
                "sweep": [r.to_dict() for r in self.rows], "default_eps_cost": self.default_eps_cost,
                "best_beat": None if best is None else best.to_dict()}


def sweep_rows(results: Sequence[tuple[float, ReplayResult]], always: Sequence[Point]) -> Sweep:
    """Put each (eps_cost, replay) beside the single-model frontier of ``always``."""
    frontier = non_dominated(always)
    hull = upper_hull(always)
    out = Sweep(list(always), frontier, hull)
    for eps, result in results:
        point = Point(f"eps_cost={eps:g}", result.avg_perf, result.cost_usd)
        counts = Counter(step.model for step in result.steps)
        total = sum(counts.values()) or 1
        gained, saved = lift(point, hull)
        beat, beaten = best_beat(point, frontier)
        out.rows.append(SweepRow(eps, point, {m: n / total for m, n in counts.most_common()}, gained, saved,
                                 beat, beaten))
    return out


def run_sweep(grid: Sequence[float], replay_at: Callable[[float], ReplayResult], always: Sequence[Point],
              default_eps_cost: float | None = None) -> Sweep:
    """Replay the router once per cost weight of ``grid`` (``replay_at(eps_cost)``) and compare."""
    sweep = sweep_rows([(eps, replay_at(eps)) for eps in grid], always)
    sweep.default_eps_cost = default_eps_cost
    return sweep


def render_chart(sweep: Sweep, width: int = 90, height: int = 22) -> str:
    """A plotext scatter of Always-<model>, the hull and the sweep in (cost, AvgPerf): text for the terminal."""
    import plotext as plt

    plt.clear_figure()
    plt.plotsize(width, height)
    plt.theme("clear")
    plt.scatter([p.cost_usd for p in sweep.always], [p.avg_perf for p in sweep.always], marker="o",
                label="Always-<model>")
    plt.plot([p.cost_usd for p in sweep.hull], [p.avg_perf for p in sweep.hull], marker="dot",
             label="single-model hull")
    rows = sorted(sweep.rows, key=lambda r: r.point.cost_usd)
    plt.plot([r.point.cost_usd for r in rows], [r.point.avg_perf for r in rows], marker="x", label="router sweep")
    if sweep.default is not None:
        plt.scatter([sweep.default.point.cost_usd], [sweep.default.point.avg_perf], marker="D", label="default")
    plt.xlabel("total cost (USD)")
    plt.ylabel("AvgPerf %")
    return plt.uncolorize(plt.build())


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 4)
