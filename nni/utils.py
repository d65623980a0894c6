"""nni.utils as in NNI: merge_parameter (kubetune shim)."""
from kubetune.compat.nni import merge_parameter  # noqa: F401
