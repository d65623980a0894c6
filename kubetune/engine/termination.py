"""When an experiment is over, and the conditions that say so (katib-semantics 7.4, 7.7).

Pure decisions over the experiment, its counts and its conditions; the engine writes what they
return to the state and tells the reporter.
"""
from __future__ import annotations

from kubetune.experiment import Experiment
from kubetune.results import Counts, TrialRow

from .objective import goal_reached
from .status import condition, set_condition

# (condition type, reason, message) of a finished experiment.
Ending = tuple[str, str, str]


def ending(exp: Experiment, best: TrialRow | None, counts: Counts, created_at: float, now: float
           ) -> Ending | None:
    """Katib's termination checks in its order (goal, failed budget, trial budget), then kubetune's
    max-duration extension; None while the experiment goes on."""
    objective = exp.objective
    # the goal compares numbers only: a best whose objective is text (objective None) reaches none
    if best is not None and objective.goal is not None and goal_reached(best.objective, objective.goal, objective.type):
        return "Succeeded", "ExperimentGoalReached", "Experiment has succeeded because Objective goal has reached"
    max_failed = exp.max_failed_trial_count
    if max_failed is not None and counts.failed_for_budget > 0 and counts.failed_for_budget >= max_failed:
        return "Failed", "ExperimentFailed", "Experiment has failed because max failed count has reached"
    max_trials = exp.max_trial_count
    if max_trials is not None and counts.completed >= max_trials:
        return "Succeeded", "ExperimentMaxTrialsReached", "Experiment has succeeded because max trial count has reached"
    # kubetune extension (NNI's maxExperimentDuration): no new trials after the annotation's
    # wall-clock time since creation; running trials finish. Katib ignores the annotation.
    from kubetune.experiment.duration import MAX_DURATION_ANNOTATION, max_duration_seconds
    try:
        limit = max_duration_seconds(exp.annotations)
    except ValueError as e:
        return "Failed", "ExperimentFailed", str(e)
    if limit is not None and now - created_at >= limit:
        return ("Succeeded", "ExperimentMaxDurationReached",
                f"Experiment has succeeded because max duration has reached ({MAX_DURATION_ANNOTATION}: "
                f"{exp.annotations[MAX_DURATION_ANNOTATION]})")
    return None


def running(conditions: list[dict], now: float) -> list[dict]:
    """The conditions with Running set (the same list when it already was)."""
    return set_condition(conditions, condition("Running", "ExperimentRunning", "Experiment is running", now))


def completed(conditions: list[dict], end: Ending, now: float) -> list[dict]:
    """Katib flips Running to False (reason kept) and appends the final condition last."""
    type_, reason, message = end
    conditions = [{**c, "status": "False"} if c["type"] == "Running" else c for c in conditions]
    return set_condition(conditions, condition(type_, reason, message, now))


def restartable(exp: Experiment, conditions: list[dict], n_trials: int) -> bool:
    """Katib 7.7: only a MaxTrialsReached experiment whose maxTrialCount was raised above its trial count."""
    done = next((c for c in conditions if c["type"] == "Succeeded" and c["status"] == "True"), None)
    return (done is not None and done["reason"] == "ExperimentMaxTrialsReached"
            and exp.max_trial_count is not None and exp.max_trial_count > n_trials)


def restarted(conditions: list[dict], now: float) -> list[dict]:
    """A restarted experiment's conditions: the final ones dropped, Restarting set."""
    conditions = [c for c in conditions if c["type"] not in ("Succeeded", "Failed")]
    return set_condition(conditions, condition("Restarting", "ExperimentRestarting", "Experiment is restarted", now))
