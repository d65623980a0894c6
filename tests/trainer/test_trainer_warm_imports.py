"""A warm parent that imports trainer.cli and trainer.train (kubetune's warm workers, the search
benchmark's recorder) has imported every heavy library a training run needs: a trial forked from it
must not import torchvision (with torch._dynamo, inductor and sympy behind it: seconds per trial)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

HEAVY = ("torchvision", "torch._dynamo", "torch._inductor", "sympy")

CHILD = """
import json, sys
import trainer.cli, trainer.train   # what the warm parent preloads
before = set(sys.modules)
code = trainer.cli.main(sys.argv[1:])
print("NEW=" + json.dumps(sorted(set(sys.modules) - before)))
sys.exit(code)
"""


@pytest.mark.slow
def test_training_imports_no_heavy_library_after_trainer_train(digits16, tmp_path):
    argv = ["train", f"--data={digits16}", "--model=cells", "--cells.n-stages=2", "--cells.base-channels=8",
            "--image-size=16", "--epochs=1", "--batch-size=128", "--threads=1", "--workers=0",
            "--tensorboard=false", f"--out={tmp_path / 'run'}"]
    proc = subprocess.run([sys.executable, "-c", CHILD, *argv], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "epoch=1 " in proc.stdout   # it trained
    new = json.loads(next(line for line in proc.stdout.splitlines() if line.startswith("NEW="))[4:])
    heavy = [m for m in new if any(m == h or m.startswith(h + ".") for h in HEAVY)]
    assert not heavy, f"imported during the run, not by `import trainer.train`: {heavy[:20]}"
