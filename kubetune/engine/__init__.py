"""The local engine: runs a Katib Experiment on this machine with Katib's semantics.

template.py  trial template -> workload (parameter substitution, primary container)
local.py     workload container -> local process (path/env/image overrides)
runner.py    trial processes and their output
launch/      how they start: forked from a warm parent that imported torch, or a subprocess each
collector.py StdOut / File metrics collection while a trial runs
trialmetrics.py  one running trial's metrics: stored in batches, folded into running aggregates
metrics/     Katib's TEXT/JSON metric parsing rules (Go behaviours: kubetune.gocompat)
objective.py observation, objective value, best trial, goal
state.py     SQLite state; status.py Katib-shaped status; engine.py the loop
termination.py  when the experiment is over (goal, budgets, max duration) and its conditions
launch_check.py a sample trial rendered and checked before anything runs
preflight.py what the first trial needs from this machine, checked before it starts
failures.py  why a trial failed, in a line or two (and when most fail the same way)
dashboard.py optuna-dashboard over the state; dashboard_table.py its trials table page
The search and early-stopping algorithms it asks are kubetune.algorithms.
"""
from kubetune._lazy import lazy_exports

# Lazy: `kubetune status` imports only state/status, not optuna or the Katib API models.
_EXPORTS = {
    "EngineError": ".engine", "LocalEngine": ".engine", "Reporter": ".engine", "RunResult": ".engine",
    "LocalOverrides": ".local", "TemplateError": ".template",
}
__getattr__ = lazy_exports(__name__, _EXPORTS)
__all__ = sorted(_EXPORTS)
