"""How each Katib parameter is sampled, shown to Optuna, and written back as a string.

One `ParamCodec` per `kubetune.experiment.space.Parameter`:

* `from_unit(u)` is the parameter's prior as an inverse CDF on [0, 1): Sobol and Hyperband sample
  through it, and so does Optuna for the distributions it has no native form of.
* `optuna_distribution` / `from_optuna(x)` / `to_optuna(value)` translate to and from the Optuna
  distribution the sampler sees (`to_optuna` rebuilds sampler state from a trial list).

Distributions (Katib's `feasibleSpace.distribution`, default `uniform`):

* `uniform`: Optuna `IntDistribution(min, max, step)` / `FloatDistribution(min, max, step)`.
* `logUniform`: Optuna `log=True` with Katib's optuna-service bounds: low = max(1, min) for int,
  max(1e-10, min) for double (random, tpe and bayesianoptimization refuse min <= 0 before this, as
  their Katib services hang on it: kubetune.algorithms._checks.log_min_problems). With a `step` (other than 1 for ints) the log-uniform draw is snapped
  to the nearest point of the step grid, so every value stays on the grid (Katib's optuna service
  drops the step instead).
* `hyperopt_quantised=True` (random and tpe, whose Katib service is hyperopt) changes both where a
  step is set (always for an int, 1 by default as Katib's search-space loader fills it) to
  hyperopt's hp.quniform / hp.qloguniform: round(x / step) * step of the (log-)uniform draw x,
  half to even, then int() for an int. The values are multiples of the step counted from 0, not
  min + k * step; the two ends get half the weight of the inner values, and a value can lie
  outside [min, max] when min or max is not a multiple of the step (int [1, 10] step 2 gives
  2, 4, ..., 10, and 0 from a draw of exactly min). The sampler works on the CDF coordinate u of x (`FloatDistribution(0, 1)`, as
  for normals); `to_unit` maps a value back to the middle of the draws that round to it.
* `normal` / `logNormal`: mu = (min + max) / 2 and sigma = (max - min) / 6 (on the ln scale for
  logNormal, which needs min > 0), the mu and sigma of Katib's hyperopt service. Optuna has no
  normal distribution, so the sampler works on the CDF coordinate u in [0, 1]
  (`FloatDistribution(0, 1)`) and the value is the normal's inverse CDF at u: the prior is then
  exactly the normal, and TPE/GP/CMA-ES model the parameter on that scale. Two forms:
  - `unclipped_normal=True` (random and tpe, whose Katib service is hyperopt): exactly hyperopt's
    hp.normal / hp.lognormal, not clipped to [min, max]; with a step (always for an int, step 1
    by default, as Katib's search-space loader fills it) hp.qnormal / hp.qlognormal,
    round(x / step) * step (half to even: multiples of the step, not points of min + k * step,
    and a qlognormal can give 0), then int() for an int. Values outside [min, max] are kept.
  - otherwise (the algorithms whose Katib service rejects normals, under `kubetune.allow_normal`,
    and hyperband) the normal truncated to [min, max], snapped to the step grid.
* `categorical` / `discrete`: Optuna `CategoricalDistribution` over the list strings, verbatim.

Which algorithm accepts which distribution is not decided here: `kubetune.experiment.distributions` is
the one table (per algorithm, parameter type, distribution and Katib version, with the evidence),
also read by lint. `check_distributions` refuses what the newest Katib rejects: normal/logNormal
for multivariate-tpe (optuna service; PR #2666 raises, v0.19.0 dropped the parameter, a stuck
experiment either way), bayesianoptimization (skopt, PR #2689), cmaes and sobol (goptuna,
PR #2689, which also rejects int logUniform), unless the kubetune setting
`kubetune.allow_normal: "true"` is given. Katib v0.19.0 (the latest release) instead ignores the
distribution in skopt (every double log-uniform) and goptuna (always uniform); kubetune samples
the declared distribution as Katib master does since PR #2689, and lint says where a cluster run
differs. grid (optuna) rejects normal/logNormal too, but kubetune's grid samples the step grid
without calling `check_distributions`; hyperband samples the declared distribution although
Katib's hyperband ignores it (lint warns about both).

Values are formatted by `Parameter.format_value` (int "3", double shortest repr). Doubles on a step
grid are first rounded to 15 significant digits, so 0.1 + 2 * 0.1 is written "0.3", not
"0.30000000000000004" as Katib's Python services would.
"""

from __future__ import annotations

import math
from decimal import Decimal
from typing import Any, Mapping, Sequence

from optuna.distributions import (
    BaseDistribution,
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
)
from scipy.special import ndtr, ndtri

from kubetune.algorithms.base import SuggestionError
from kubetune.experiment import distributions as dist_table

UNIFORM = "uniform"
LOG_UNIFORM = "logUniform"
NORMAL = "normal"
LOG_NORMAL = "logNormal"
DISTRIBUTIONS = (UNIFORM, LOG_UNIFORM, NORMAL, LOG_NORMAL)
NUMERIC_TYPES = ("int", "double")
LIST_TYPES = ("categorical", "discrete")

# Katib's optuna service clamps log-scale lower bounds to these (optuna/base_service.py).
_INT_LOG_LOW = 1
_DOUBLE_LOG_LOW = 1e-10
_SIGMAS = 3.0  # the normal is cut at mu +/- 3 sigma, i.e. exactly at min and max
_PHI_LOW = float(ndtr(-_SIGMAS))
_PHI_SPAN = float(ndtr(_SIGMAS)) - _PHI_LOW
_EPS = 1e-9
_U_TINY = 2.0 ** -53  # an unclipped normal's CDF coordinate is kept in [tiny, 1 - tiny]: |z| < 8.3


def _tidy(value: float) -> float:
    """Drop binary noise from grid arithmetic: 0.30000000000000004 -> 0.3."""
    return float(f"{value:.15g}")


class ParamCodec:
    """Sampling and string conversion for one Katib parameter."""

    def __init__(self, param: Any, *, unclipped_normal: bool = False,
                 hyperopt_quantised: bool = False) -> None:
        self.param = param
        self.unclipped_normal = unclipped_normal  # hyperopt's normal: no truncation (module doc)
        self.hyperopt_quantised = hyperopt_quantised  # hyperopt's quniform/qloguniform (module doc)
        self.name: str = param.name
        self.type: str = param.type
        self.distribution: str = getattr(param, "distribution", None) or UNIFORM
        if self.type in LIST_TYPES:
            self.values: tuple[str, ...] = tuple(str(v) for v in param.values)
            if not self.values:
                raise SuggestionError(f"parameter {self.name!r}: {self.type} list is empty")
            self.mode = "choice"
            return
        if self.type not in NUMERIC_TYPES:
            raise SuggestionError(
                f"parameter {self.name!r}: type {self.type!r} is not supported; "
                "allowed: int, double, categorical, discrete"
            )
        if self.distribution not in DISTRIBUTIONS:
            raise SuggestionError(
                f"parameter {self.name!r}: distribution {self.distribution!r} is not supported; "
                f"allowed: {', '.join(DISTRIBUTIONS)}"
            )
        self._init_bounds(param)
        self.mode = self._pick_mode()

    # ---- construction -------------------------------------------------------------------

    def _init_bounds(self, param: Any) -> None:
        is_int = self.type == "int"
        if param.min is None or param.max is None:
            raise SuggestionError(f"parameter {self.name!r}: min and max are required")
        self.lo = int(param.min) if is_int else float(param.min)
        self.hi = int(param.max) if is_int else float(param.max)
        if self.lo > self.hi:
            raise SuggestionError(
                f"parameter {self.name!r}: min {param.min} is greater than max {param.max}"
            )
        step = param.step
        if is_int:
            self.step: int | float | None = int(step) if step not in (None, 0) else 1
        else:
            self.step = float(step) if step not in (None, 0) else None
        if self.step is not None and self.step <= 0:
            raise SuggestionError(f"parameter {self.name!r}: step must be > 0, found {step}")

        # Lower bound actually sampled (log scales cannot reach 0 or below).
        self.low = self.lo
        if self.distribution == LOG_UNIFORM:
            self.low = max(_INT_LOG_LOW, self.lo) if is_int else max(_DOUBLE_LOG_LOW, self.lo)
            if self.low > self.hi:
                raise SuggestionError(
                    f"parameter {self.name!r}: logUniform needs max > 0, found max {param.max}"
                )
        if self.distribution == LOG_NORMAL and self.lo <= 0:
            raise SuggestionError(
                f"parameter {self.name!r}: logNormal needs min > 0, found min {param.min}"
            )

        if self.step is not None:  # the step grid lo + k * step, k in [kmin, kmax]
            if is_int:
                self.kmax = (self.hi - self.lo) // self.step
                self.kmin = -((self.lo - self.low) // self.step)  # ceil((low - lo) / step)
            else:
                d_lo, d_step = Decimal(str(self.lo)), Decimal(str(self.step))
                self.kmax = int((Decimal(str(self.hi)) - d_lo) // d_step)
                self.kmin = max(0, math.ceil((self.low - self.lo) / self.step - _EPS))
                while self.kmin <= self.kmax and self.lo + self.kmin * self.step < self.low:
                    self.kmin += 1  # the epsilon must not let 0.0 through under a log floor
            if self.kmin > self.kmax:
                raise SuggestionError(
                    f"parameter {self.name!r}: no point of the step grid lies in "
                    f"[{self.low}, {self.hi}]"
                )

    def _pick_mode(self) -> str:
        """How Optuna sees the parameter: "native" (its own distribution), "log_snap" (log-uniform
        float snapped to the step grid), "unit" (CDF coordinate of a normal, or of the draw that
        hyperopt quantises), "choice"."""
        if self.distribution in (NORMAL, LOG_NORMAL) or self.quantised:
            return "unit"
        int_step_one = self.type == "int" and self.step == 1
        if self.distribution == LOG_UNIFORM and self.step is not None and not int_step_one:
            return "log_snap"
        return "native"

    # ---- grid helpers -------------------------------------------------------------------

    @property
    def on_grid(self) -> bool:
        return self.step is not None

    @property
    def quantised(self) -> bool:
        """Uniform/logUniform drawn as hyperopt's hp.quniform / hp.qloguniform."""
        return self.hyperopt_quantised and self.step is not None and self.distribution in (
            UNIFORM, LOG_UNIFORM)

    def point(self, k: int) -> int | float:
        """Point k of the step grid: lo + k * step."""
        if self.type == "int":
            return self.lo + k * self.step
        return min(max(_tidy(self.lo + k * self.step), self.lo), self.hi)

    _point = point  # older name, used by kubetune.engine.dashboard

    def _snap(self, x: float) -> int | float:
        k = round((x - self.lo) / self.step)
        return self.point(min(max(k, self.kmin), self.kmax))

    def _finish(self, x: float) -> str:
        """A real number inside [low, hi] -> the parameter's value string."""
        if self.on_grid:
            return self.format(self._snap(x))
        return self.format(min(max(float(x), self.low), self.hi))

    def format(self, value: int | float) -> str:
        if self.type == "int":
            return self.param.format_value(int(value))
        return self.param.format_value(float(value))

    # ---- the prior as an inverse CDF ----------------------------------------------------

    def _normal_params(self) -> tuple[float, float, bool]:
        log = self.distribution == LOG_NORMAL
        a, b = (math.log(self.lo), math.log(self.hi)) if log else (float(self.lo), float(self.hi))
        return (a + b) / 2, (b - a) / (2 * _SIGMAS), log

    def from_unit(self, u: float) -> str:
        """The value at quantile u in [0, 1) of the parameter's prior."""
        u = min(max(float(u), 0.0), 1.0)
        if self.mode == "choice":
            return self.values[min(int(u * len(self.values)), len(self.values) - 1)]
        if self.quantised:
            return self._hyperopt_q(self._unit_to_x(u))
        if self.distribution == UNIFORM:
            if self.on_grid:
                count = self.kmax - self.kmin + 1
                return self.format(self.point(self.kmin + min(int(u * count), count - 1)))
            return self._finish(self.lo + u * (self.hi - self.lo))
        if self.distribution == LOG_UNIFORM:
            a, b = math.log(self.low), math.log(self.hi)
            return self._finish(math.exp(a + u * (b - a)))
        if self.unclipped_normal:
            return self._hyperopt_normal(u)
        mu, sigma, log = self._normal_params()
        if sigma == 0:
            return self._finish(self.lo)
        z = float(ndtri(_PHI_LOW + u * _PHI_SPAN))
        x = mu + sigma * min(max(z, -_SIGMAS), _SIGMAS)
        return self._finish(math.exp(x) if log else x)

    def _unit_to_x(self, u: float) -> float:
        """The uniform (log-uniform) draw at quantile u, before any quantisation."""
        if self.distribution == LOG_UNIFORM:
            a, b = math.log(self.low), math.log(self.hi)
            return math.exp(a + u * (b - a))
        return self.lo + u * (self.hi - self.lo)

    def _x_to_unit(self, x: float) -> float:
        if self.distribution == LOG_UNIFORM:
            a, b = math.log(self.low), math.log(self.hi)
            return (math.log(x) - a) / (b - a) if b > a else 0.5
        return (x - self.lo) / (self.hi - self.lo) if self.hi > self.lo else 0.5

    def _hyperopt_q(self, x: float) -> str:
        """hyperopt's quantisation (pyll/stochastic.py quniform, qloguniform, qnormal, qlognormal):
        np.round(x / q) * q, half to even (as Python's round), multiples of q counted from 0 (can
        lie outside [min, max]); an int is then int()."""
        return self._multiple(round(x / self.step))

    def _multiple(self, k: int) -> str:
        x = k * float(self.step)
        return self.format(int(x)) if self.type == "int" else self.format(_tidy(x))

    def _hyperopt_normal(self, u: float) -> str:
        """Katib's hyperopt service (hyperopt/base_service.py): hp.normal(mu, sigma), hp.lognormal,
        or with a step hp.qnormal / hp.qlognormal = round(draw / step) * step; an int is then int().
        Nothing is clipped to [min, max]."""
        mu, sigma, log = self._normal_params()
        x = mu + sigma * float(ndtri(min(max(u, _U_TINY), 1.0 - _U_TINY)))
        if log:
            x = math.exp(x) if x < 709.0 else math.inf
        if not math.isfinite(x / (self.step or 1)):
            raise SuggestionError(f"parameter {self.name!r}: the {self.distribution} draw {x} is not a "
                                  f"finite number (min {self.lo}, max {self.hi})")
        return self.format(x) if self.step is None else self._hyperopt_q(x)  # an int has a step

    def to_unit(self, value: str) -> float:
        """Inverse of `from_unit` in "unit" mode (used to rebuild Optuna state)."""
        x = float(value)
        if self.quantised:
            return self._quantised_unit(x, value)
        if self.unclipped_normal:
            return self._hyperopt_unit(x, value)
        if not self.lo <= x <= self.hi:
            raise ValueError(f"{self.name}={value} is outside [{self.lo}, {self.hi}]")
        mu, sigma, log = self._normal_params()
        if sigma == 0:
            return 0.5
        z = ((math.log(x) if log else x) - mu) / sigma
        return min(max((float(ndtr(z)) - _PHI_LOW) / _PHI_SPAN, 0.0), 1.0)

    def _quantised_unit(self, x: float, value: str) -> float:
        """A quantile whose quantised draw is `value`: the middle of the draws that round to it
        (an end of them where they are one point, as min is when it lies halfway between two
        multiples of the step); ValueError for a value hyperopt never gives."""
        k = round(x / self.step) if math.isfinite(x) else 0
        low = self.low if self.distribution == LOG_UNIFORM else self.lo
        a, b = max(low, (k - 0.5) * self.step), min(self.hi, (k + 0.5) * self.step)
        if abs(x - k * self.step) <= 1e-9 * max(1.0, abs(x)) and a <= b:
            ends = (self._x_to_unit(a), self._x_to_unit(b))
            for u in ((ends[0] + ends[1]) / 2, *ends):
                u = min(max(u, 0.0), 1.0)
                if self._hyperopt_q(self._unit_to_x(u)) == self._multiple(k):
                    return u
        kind = "qloguniform" if self.distribution == LOG_UNIFORM else "quniform"
        raise ValueError(f"{self.name}={value} is not a value of hyperopt's {kind} over "
                         f"[{low}, {self.hi}] with step {self.step}")

    def _hyperopt_unit(self, x: float, value: str) -> float:
        """The CDF coordinate of a value of the unclipped normal (any finite value; 0 for a
        qlognormal's 0)."""
        mu, sigma, log = self._normal_params()
        if not math.isfinite(x) or (log and x < 0):
            raise ValueError(f"{self.name}={value} is not a value of a {self.distribution}")
        if sigma == 0:
            return 0.5
        if log and x == 0:
            return 0.0
        return float(ndtr(((math.log(x) if log else x) - mu) / sigma))

    # ---- Optuna representation ----------------------------------------------------------

    @property
    def optuna_distribution(self) -> BaseDistribution:
        if self.mode == "choice":
            return CategoricalDistribution(self.values)
        if self.mode == "unit":
            return FloatDistribution(0.0, 1.0)
        log = self.distribution == LOG_UNIFORM
        if self.mode == "log_snap":
            return FloatDistribution(float(self.low), float(self.hi), log=True)
        if self.type == "int":
            if log:
                return IntDistribution(self.low, self.hi, log=True)
            return IntDistribution(self.point(self.kmin), self.point(self.kmax), step=self.step)
        if log:
            return FloatDistribution(self.low, self.hi, log=True)
        if self.on_grid:
            return FloatDistribution(self.lo, self.point(self.kmax), step=self.step)
        return FloatDistribution(self.lo, self.hi)

    def from_optuna(self, x: Any) -> str:
        if self.mode == "choice":
            return str(x)
        if self.mode == "unit":
            return self.from_unit(x)
        return self._finish(x)

    def to_optuna(self, value: str) -> Any:
        """A value string -> Optuna's external representation; ValueError if not representable."""
        if self.mode == "choice":
            if value not in self.values:
                raise ValueError(f"{self.name}={value!r} is not one of {list(self.values)}")
            return value
        if self.mode == "unit":
            return self.to_unit(value)
        number = float(value)
        dist = self.optuna_distribution
        if isinstance(dist, IntDistribution):
            if number != int(number):
                raise ValueError(f"{self.name}={value!r} is not an integer")
            external: Any = int(number)
        else:
            external = number
        if not dist._contains(dist.to_internal_repr(external)):
            raise ValueError(f"{self.name}={value!r} is outside {dist}")
        return external


class SearchSpace:
    """The experiment's parameters, in spec order, as codecs."""

    def __init__(self, parameters: Sequence[Any], *, unclipped_normal: bool = False,
                 hyperopt_quantised: bool = False) -> None:
        """`unclipped_normal`, `hyperopt_quantised`: sample normal/logNormal, and uniform/logUniform
        with a step, as Katib's hyperopt service does (`hyperopt_options`)."""
        if not parameters:
            raise SuggestionError("the search space has no parameters")
        names = [p.name for p in parameters]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise SuggestionError(f"duplicated parameter name(s): {', '.join(duplicates)}")
        self.codecs = [ParamCodec(p, unclipped_normal=unclipped_normal,
                                  hyperopt_quantised=hyperopt_quantised) for p in parameters]
        self.by_name = {c.name: c for c in self.codecs}
        self.names = names

    def key(self, assignments: Mapping[str, str]) -> tuple[str | None, ...]:
        """Identity of an assignment set, for matching suggestions to trials."""
        return tuple(assignments.get(n) for n in self.names)

    @property
    def optuna_distributions(self) -> dict[str, BaseDistribution]:
        return {c.name: c.optuna_distribution for c in self.codecs}

    def from_optuna(self, params: Mapping[str, Any]) -> dict[str, str]:
        return {c.name: c.from_optuna(params[c.name]) for c in self.codecs}

    def to_optuna(self, assignments: Mapping[str, str]) -> dict[str, Any]:
        missing = [n for n in self.names if n not in assignments]
        if missing:
            raise ValueError(f"no value for parameter(s) {', '.join(missing)}")
        return {c.name: c.to_optuna(assignments[c.name]) for c in self.codecs}

    def from_unit(self, point: Sequence[float]) -> dict[str, str]:
        return {c.name: c.from_unit(u) for c, u in zip(self.codecs, point)}


def hyperopt_options(algorithm: str) -> dict[str, bool]:
    """The ParamCodec / SearchSpace flags `kubetune run` samples `algorithm` with (the table in
    kubetune.experiment.distributions): both for random and tpe, none elsewhere."""
    return {"unclipped_normal": dist_table.samples_unclipped_normal(algorithm),
            "hyperopt_quantised": dist_table.samples_hyperopt_quantised(algorithm)}


def check_distributions(parameters: Sequence[Any], algorithm: str, service: str | None = None, *,
                        allow_normal: bool, rejects_int_log_uniform: bool | None = None) -> None:
    """Refuse what the newest Katib service for `algorithm` rejects, unless kubetune.allow_normal.

    What Katib rejects comes from `kubetune.experiment.distributions` (the table lint reads too):
    normal/logNormal for multivariate-tpe and grid (optuna, PR #2666; kubetune's grid does not
    call this yet), bayesianoptimization (skopt, PR #2689), cmaes and sobol (goptuna, PR #2689),
    which also rejects every int distribution but uniform. `service` and `rejects_int_log_uniform` are what the caller
    believes; they must agree with the table (ValueError otherwise, a programming error).
    """
    katib = dist_table.ALGORITHM_SERVICE.get(algorithm)
    if katib is None:
        return  # not a Katib algorithm (e.g. fixed-product): nothing to mirror
    if service is not None and service != katib.name:
        raise ValueError(f"check_distributions: algorithm {algorithm!r} runs on Katib's "
                         f"{katib.name} service, not {service!r} (kubetune.experiment.distributions)")
    if rejects_int_log_uniform is not None and rejects_int_log_uniform != bool(
            dist_table.katib_rejects(algorithm, "int", LOG_UNIFORM)):
        raise ValueError(f"check_distributions: rejects_int_log_uniform={rejects_int_log_uniform} "
                         f"disagrees with kubetune.experiment.distributions for {algorithm!r}")
    if allow_normal:
        return
    for p in parameters:
        if p.type not in NUMERIC_TYPES:
            continue
        dist = getattr(p, "distribution", None) or UNIFORM
        rejection = dist_table.katib_rejects(algorithm, p.type, dist)
        if rejection is None:
            continue
        ok = dist_table.supported(algorithm, p.type)
        history = dist_table.katib_history(algorithm, p.type, dist)
        older = [f"{dist_table.era_span(eras)} {_older_words(b)}" for eras, b in history[:-1]]
        raise SuggestionError(
            f"Unsupported distribution {dist} for {p.type} parameter {p.name}. "
            f"The {katib.name} suggestion service that Katib runs for algorithm {algorithm!r} "
            f"supports only {' and '.join(ok) or 'no'} distributions for {p.type} parameters "
            f"({dist_table.era_span(history[-1][0])}: it {rejection.detail}, so a cluster "
            "experiment hangs with no trials"
            + (f"; {'; '.join(older)}" if older else "") + "). "
            f"kubetune can sample it locally ({dist_table.local_sampling(dist)}) with the algorithm setting "
            "kubetune.allow_normal: \"true\" (kubetune only: remove it before kubectl apply)."
        )


def _older_words(b: dist_table.Behaviour) -> str:
    if b.outcome == dist_table.IGNORED:
        return f"ignores it and samples {b.detail}"
    if b.outcome == dist_table.FOLLOWS:
        return f"samples {b.detail}"
    return f"fails too: it {b.detail}"
