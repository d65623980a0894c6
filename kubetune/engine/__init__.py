"""The local engine: runs a Katib Experiment on this machine with Katib's semantics.

suggest/     search algorithms (Katib names, Optuna samplers)
template.py  trial template -> workload (parameter substitution, primary container)
local.py     workload container -> local process (path/env/image overrides)
runner.py    trial processes and their output
collector.py StdOut / File metrics collection while a trial runs
metrics.py   Katib's TEXT/JSON metric parsing rules
objective.py observation, objective value, best trial, goal
earlystop.py medianstop
state.py     SQLite state; status.py Katib-shaped status; engine.py the loop
"""
from kubetune._lazy import lazy_exports

# Lazy: `kubetune status` imports only state/status, not optuna or the Katib API models.
_EXPORTS = {
    "EngineError": ".engine", "LocalEngine": ".engine", "Reporter": ".engine", "RunResult": ".engine",
    "LocalOverrides": ".local", "TemplateError": ".template",
}
__getattr__ = lazy_exports(__name__, _EXPORTS)
__all__ = sorted(_EXPORTS)
