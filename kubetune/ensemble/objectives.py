"""Member scores from a local experiment: each prediction file belongs to the trial whose name is
one of its path parts (…/<trial>/preds.csv) or its file stem (…/<trial>.csv)."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Sequence

from kubetune.ensemble.predictions import EnsembleError


def scores_from_experiment(workdir: str | os.PathLike[str], name: str,
                           paths: Sequence[str | os.PathLike[str]]) -> tuple[list[float], str]:
    """(objective value per prediction file, objective type) from workdir/name/state.db."""
    from kubetune.engine.state import ExperimentState, StateError

    db = Path(workdir) / name / "state.db"
    try:
        state = ExperimentState(db, readonly=True)
    except StateError:
        raise EnsembleError(f"no experiment {name!r} in {workdir} (no {db}); give --workdir") from None
    try:
        spec = state.experiment()["spec"]
        trials = state.trials()
    except StateError as e:
        raise EnsembleError(str(e)) from None
    finally:
        state.close()
    objective = spec.get("objective") or {}
    objective_type = objective.get("type", "maximize")
    by_name = {t.name: t for t in trials}
    scores = []
    for path in paths:
        p = Path(path).absolute()
        candidates = {part for part in p.parent.parts if part in by_name}
        if p.stem in by_name:
            candidates.add(p.stem)
        if len(candidates) != 1:
            what = "no trial" if not candidates else f"several trials ({sorted(candidates)})"
            raise EnsembleError(f"{path}: {what} of experiment {name} named in its path; put each trial's "
                                "predictions under a directory named after the trial, or give --scores")
        trial = by_name[candidates.pop()]
        if trial.objective is None:
            raise EnsembleError(f"{path}: trial {trial.name} has no objective value "
                                f"({objective.get('objectiveMetricName', 'objective')}; state {trial.state})")
        scores.append(float(trial.objective))
    return scores, objective_type
