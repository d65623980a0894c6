"""kubetune's stand-in for NNI's trial API: `import nni` in an unchanged NNI trial script works
under Katib and kubetune's local engine. See kubetune.compat.nni (and docs/nni-migration.md).

Installed with kubetune (top-level package `nni`); do not install the real NNI in the same
environment. `python -m kubetune.compat.nni_launch -- CMD` puts this package first on PYTHONPATH.
"""
from kubetune.compat.nni import (
    NniShimError,
    get_current_parameter,
    get_experiment_id,
    get_next_parameter,
    get_next_parameters,
    get_sequence_id,
    get_trial_id,
    report_final_result,
    report_intermediate_result,
)

from . import trial, utils  # noqa: E402  (nni.trial and nni.utils as in NNI)

__version__ = "0.0.0+kubetune.shim"

__all__ = [
    "NniShimError", "get_current_parameter", "get_experiment_id", "get_next_parameter", "get_next_parameters",
    "get_sequence_id", "get_trial_id", "report_final_result", "report_intermediate_result", "trial", "utils",
]
