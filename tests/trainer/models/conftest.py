"""Model tests run torch on one intra-op thread.

On a shared, busy 2-core machine torch's default two OpenMP threads spin-wait on each other and a
tiny forward/backward gets ~30x slower (measured: efficientnet-b7 at 32 px 1.7 s -> 37 s). The
setting is restored after each test so other suites in the same worker are unaffected.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import torch


@pytest.fixture(autouse=True)
def _one_torch_thread() -> Iterator[None]:
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
