"""Search algorithms under Katib's names and settings: one module per Katib suggestion service.

Like Katib's service tree (pkg/suggestion/v1beta1/<service>/service.py holds both
ValidateAlgorithmSettings and GetSuggestions), each module below holds, per algorithm, its
settings checks, its lint traps and kubetune's sampler, and lists them in `ALGORITHMS`:

| Katib name           | Katib's service    | kubetune backend                           | module
|----------------------|--------------------|--------------------------------------------|--------------
| random               | hyperopt           | optuna RandomSampler                       | hyperopt
| tpe                  | hyperopt           | optuna TPESampler, hyperopt's gamma/startup| hyperopt
| multivariate-tpe     | optuna             | optuna TPESampler(multivariate=True)       | optuna
| grid                 | optuna GridSampler | own enumerator, GridSampler's order rule   | optuna (_grid)
| cmaes                | goptuna            | optuna CmaEsSampler (package `cmaes`)      | goptuna
| sobol                | goptuna Sobol      | scipy.stats.qmc.Sobol (QMCSampler's engine)| goptuna (_sobol)
| bayesianoptimization | scikit-optimize    | optuna GPSampler (GP + log-EI)             | skopt
| hyperband            | Katib's own code   | own code, all brackets, state in labels    | hyperband
| asha                 | (kubetune only)    | own code (Li et al. 2020), state in labels | asha
| bohb                 | (kubetune only)    | hyperband's scheduler + TPE over a budget  | bohb
| fixed-product        | (kubetune only)    | NNI 1.x FixedProductTuner order            | fixed_product
| pbt                  | Katib's own code   | none: settings checks and lint only        | pbt
| enas, darts          | Katib's NAS code   | none: settings checks and lint only        | nas

Early stopping (medianstop; kubetune's percentile, successivehalving, patience) is the
`earlystopping` package, organised the same way. hyperband, asha and bohb re-run configurations
with a larger resource (`Algorithm.promotes`): the engine gives their trials a checkpoint pool so
a promoted trial continues training (docs/multi-fidelity.md); `_fidelity` holds what asha and
bohb share (resource settings, BOHB's model).

The engine calls `make_suggester(...)` once per experiment (and again after a restart), then
`suggester.suggest(count, trials)` whenever it has free slots, exactly as Katib's controller calls
a suggestion service's GetSuggestions (katib-semantics 3.4); `make_suggester` first runs the
algorithm's settings checks (SuggestionError). `check(exp)` (admission) is the whole check
`kubetune validate` prints: Katib's webhook rules, then the services' settings checks, then lint.

Shared pieces: `base` (TrialView, Suggestion, Suggester), `registry` (the `Algorithm`
descriptor and the name -> Algorithm table), `_checks` (AlgorithmContext and the setting rules
every check uses, kubetune.* settings), `settings` (reading checked settings), `space` (the
per-parameter sampling and string formats, including `kubetune.allow_normal: "true"`, a truncated
normal for algorithms whose Katib service rejects normal/logNormal), `optuna_study` (an Optuna
study kept in step with the trial list), `define_by_run` (conditional spaces, several
objectives), `_lint` (the algorithm-aware lint rules) and `_enumerated` (never repeat a point of a
finite list). Which distributions each Katib algorithm follows, ignores or rejects, per Katib
version, is kubetune.experiment.distributions (evidence: Katib's skopt/goptuna/optuna/hyperopt
services, PRs #2666 and #2689); the factories call `space.check_distributions` to refuse what
the newest Katib rejects unless kubetune.allow_normal is set.

Adding an algorithm is one module defining `ALGORITHMS = (Algorithm(name, check, factory, ...),)`
plus its line in `_SERVICES` below, and its name in kubetune.experiment.katib_config (the
webhook's list; tests/algorithms checks it). At run time, `register_algorithm(Algorithm(...))`.

Importing this package registers every name with its settings checks and lint rules, and loads
no sampler back-end: a family module imports optuna, scipy and the sampling code (`space`,
`optuna_study`, `_sobol`, `_fidelity`'s model) inside its factories and suggester classes, so
they load when `make_suggester` builds a suggester (the engine, `kubetune serve`), never for
`kubetune validate` or the checks of `run` and `submit` (tests/cli/test_cli_startup.py guards
it; bench/cli_startup.py measures the start-up). Type hints of back-end classes go under
`if TYPE_CHECKING:`.
"""

from kubetune.algorithms import asha, bohb, fixed_product, goptuna, hyperband, hyperopt, nas, optuna, pbt, skopt
from kubetune.algorithms._checks import AlgorithmContext
from kubetune.algorithms.admission import check, lint, service_errors
from kubetune.algorithms.base import (
    ACTIVE_STATES,
    FINISHED_STATES,
    TRIAL_STATES,
    Suggester,
    Suggestion,
    SuggestionError,
    TrialView,
    objective_direction,
)
from kubetune.algorithms.hyperband import LABEL_BRACKET, LABEL_PARENT, LABEL_ROUND, hyperband_plan
from kubetune.algorithms.registry import (
    Algorithm,
    AlgorithmRequest,
    check_settings,
    cluster_only,
    find_algorithm,
    known_algorithms,
    make_suggester,
    promotes_configurations,
    register_algorithm,
    registered_algorithms,
    unregister_algorithm,
    validate_algorithm,
)

_SERVICES = (
    hyperopt,  # random, tpe
    optuna,  # multivariate-tpe, grid
    goptuna,  # cmaes, sobol
    skopt,  # bayesianoptimization
    hyperband,
    asha,  # kubetune's own
    bohb,  # kubetune's own
    fixed_product,  # kubetune's own
    pbt,  # Katib cluster only
    nas,  # enas, darts: Katib cluster only
)
for _service in _SERVICES:
    for _algorithm in _service.ALGORITHMS:
        register_algorithm(_algorithm, replace=True)

__all__ = [
    "ACTIVE_STATES",
    "FINISHED_STATES",
    "TRIAL_STATES",
    "Algorithm",
    "AlgorithmContext",
    "AlgorithmRequest",
    "LABEL_BRACKET",
    "LABEL_PARENT",
    "LABEL_ROUND",
    "Suggester",
    "Suggestion",
    "SuggestionError",
    "TrialView",
    "check",
    "check_settings",
    "cluster_only",
    "find_algorithm",
    "hyperband_plan",
    "known_algorithms",
    "lint",
    "make_suggester",
    "objective_direction",
    "promotes_configurations",
    "register_algorithm",
    "registered_algorithms",
    "service_errors",
    "unregister_algorithm",
    "validate_algorithm",
]
