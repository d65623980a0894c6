"""kubetune's stand-in for NNI's trial API: `import nni` in an unchanged NNI trial script works
under Katib and kubetune's local engine. See kubetune.compat.nni (and docs/nni-migration.md).

Installed with kubetune (top-level package `nni`); do not install the real NNI in the same
environment. `python -m kubetune.compat.nni_launch -- CMD` puts this package first on PYTHONPATH.
"""
from kubetune.compat.nni import NniShimError

from . import trial, utils  # nni.trial and nni.utils as in NNI
from .trial import *  # noqa: F401,F403  (the trial API at top level, as NNI exports it)

__version__ = "0.0.0+kubetune.shim"

__all__ = ["NniShimError", "trial", "utils", *trial.__all__]
