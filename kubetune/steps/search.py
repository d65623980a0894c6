"""The pipeline's search step: run a rendered Experiment on Katib or with the local engine, and
return every trial ranked, the top-k with their checkpoint locations, and the final status.

backend `katib`: create the Experiment (HTTP 409 "already exists" = a retried step: resume by
watching the existing one), poll it with progress lines in the log, fail with Katib's own reason
when it fails, give up after `timeout` seconds (the Experiment keeps running; a retry resumes).
backend `local`: kubetune's local engine runs the same document on this machine (kfp.local runs,
or a pipeline pod with its own GPUs); a re-run resumes from the engine's state.
"""
from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable

from kubetune.engine.failures import failure_summary
from kubetune.engine.failures import reason as failure_reason
from kubetune.numbers import human, human_assignments
from kubetune.results import Counts, TrialRow, ranked
from kubetune.steps import say as say_line
from kubetune.steps.experiment import trial_checkpoint

BACKENDS = ("katib", "local")
RANKED_STATES = ("Succeeded", "EarlyStopped")  # trials that finished with a checkpoint and a value
LOG_EVERY = 60.0  # seconds between progress lines when nothing changes


class SearchFailed(RuntimeError):
    """The search produced no usable trial; the message carries the engine's (Katib's) reason."""


@dataclass
class TrialSummary:
    name: str
    state: str
    objective: float | None
    params: dict[str, str]
    metrics: dict[str, float]     # latest value of every observed metric
    checkpoint: str
    reason: str = ""

    @classmethod
    def of(cls, row: TrialRow, trials_dir: str) -> "TrialSummary":
        metrics = {}
        for name, obs in row.observation.items():
            try:
                metrics[name] = float(obs.get("latest"))
            except (TypeError, ValueError):
                continue
        return cls(row.name, row.state, row.objective, dict(row.assignments), metrics,
                   trial_checkpoint(trials_dir, row.name), row.reason)


@dataclass
class SearchResult:
    backend: str
    experiment: str
    namespace: str
    objective_metric: str
    objective_type: str
    status: dict
    trials: list[TrialSummary]          # every trial, best first
    top: list[TrialSummary] = field(default_factory=list)

    @property
    def best(self) -> TrialSummary | None:
        return self.top[0] if self.top else None

    def to_json(self) -> dict:
        return asdict(self)


def rank(rows: list[TrialRow], objective_type: str, trials_dir: str, top_k: int,
         leader: str = "") -> tuple[list[TrialSummary], list[TrialSummary]]:
    """(all trials best first, the top_k finished ones with an objective value). `leader` (Katib's
    currentOptimalTrial) goes first when it is among them: on a cluster Katib's choice is the truth."""
    ordered = [TrialSummary.of(r, trials_dir) for r in ranked(rows, objective_type)]
    if leader:
        ordered.sort(key=lambda t: t.name != leader)  # stable: the rest keep their order
    top = [t for t in ordered if t.state in RANKED_STATES and t.objective is not None][:max(1, top_k)]
    return ordered, top


class _Progress:
    """Progress lines for the step's log: on every change of the counts or the best trial, and at
    least every LOG_EVERY seconds."""

    def __init__(self, say: Callable[[str], None], objective: str):
        self.say, self.objective = say, objective
        self.started = time.monotonic()
        self.last_key: tuple | None = None
        self.last_time = 0.0

    def update(self, rows: list[TrialRow], best: TrialRow | None, phase: str = "") -> None:
        c = Counts.of(rows)
        key = (c, best.name if best else None, best.objective if best else None, phase)
        now = time.monotonic()
        if key == self.last_key and now - self.last_time < LOG_EVERY:
            return
        self.last_key, self.last_time = key, now
        best_text = f"best {self.objective}={best.objective:.4g} ({best.name})" if best and best.objective is not None \
            else "no result yet"
        self.say(f"[{now - self.started:6.0f}s] {phase + ' ' if phase else ''}trials {len(rows)}: "
                 f"succeeded {c.succeeded}, running {c.running}, pending {c.pending}, failed {c.failed}, "
                 f"early-stopped {c.early_stopped} | {best_text}")


def _why_trials_failed(client, namespace: str, snap) -> str:
    """What the failed trials' pods say (kubetune.cluster.pods: exit code, OOMKilled, the log's
    error line), summed up as the CLI does, for the step's error: Katib's own message rarely says why."""
    from kubetune.cluster.pods import PodReader

    reader = PodReader(client, namespace, snap.view.primary_container)
    lines = failure_summary(reader.explain(snap.rows), 160) + reader.notes
    return "".join(f"\n{line}" for line in lines)


def _condition(status: dict, type_: str) -> dict | None:
    return next((c for c in status.get("conditions") or [] if c.get("type") == type_ and c.get("status") == "True"),
                None)


# -- katib ---------------------------------------------------------------------------------------
def run_katib(experiment: dict, *, trials_dir: str, top_k: int, namespace: str = "", kubeconfig: str | None = None,
              poll_interval: float = 30.0, timeout: float | None = None,
              say: Callable[[str], None] = say_line, client=None) -> SearchResult:
    """Create (or resume) the Experiment on the cluster and wait for it. Raises SearchFailed with
    Katib's reason, or kubetune.cluster.ClusterError for API problems (RBAC, no Katib...)."""
    from kubetune.cluster.client import AlreadyExists, KatibClient
    from kubetune.cluster.results import best_row, status_of, succeeded
    from kubetune.cluster.watch import WatchTimeout, watch

    client = client or KatibClient(kubeconfig=kubeconfig)
    namespace = namespace or (experiment.get("metadata") or {}).get("namespace") or client.default_namespace
    body = dict(experiment)
    body["metadata"] = {**(experiment.get("metadata") or {}), "namespace": namespace}
    name = body["metadata"]["name"]
    objective = body["spec"]["objective"]
    try:
        client.create_experiment(body, namespace)
        say(f"created Katib experiment {namespace}/{name} (max {body['spec']['maxTrialCount']} trials, "
            f"{body['spec']['parallelTrialCount']} in parallel, algorithm {body['spec']['algorithm']['algorithmName']})")
    except AlreadyExists:
        say(f"Katib experiment {namespace}/{name} already exists (a retried step): resuming, watching it")
    progress = _Progress(say, objective["objectiveMetricName"])

    def on_update(snap) -> None:
        phase = "; ".join(c.get("type", "") for c in snap.status["conditions"] if c.get("status") == "True")
        progress.update(snap.rows, best_row(snap.experiment, snap.rows), phase)

    def on_retry(error: Exception, delay: float) -> None:
        say(f"cluster API not answering ({error}); retrying in {delay:.0f}s")

    try:
        snap = watch(client, name, namespace, on_update, interval=poll_interval, timeout=timeout, on_retry=on_retry)
    except WatchTimeout:
        raise SearchFailed(f"Katib experiment {namespace}/{name} has not finished after {timeout:.0f}s; it keeps "
                           "running on the cluster: retry this step to resume waiting for it, or raise the "
                           "timeout") from None
    status = status_of(snap.experiment)
    if not succeeded(snap.experiment):
        failed = _condition(status, "Failed") or {}
        raise SearchFailed(f"Katib experiment {namespace}/{name} failed: {failed.get('reason', 'Failed')}: "
                           f"{failed.get('message', '(no message)')}" + _why_trials_failed(client, namespace, snap))
    trials, top = rank(snap.rows, snap.view.objective_type, trials_dir, top_k,
                       leader=status["currentOptimalTrial"].get("bestTrialName") or "")
    if not top:
        raise SearchFailed(f"Katib experiment {namespace}/{name} succeeded but no trial finished with "
                           f"{objective['objectiveMetricName']}: see `kubetune trials {name} -n {namespace}`"
                           + _why_trials_failed(client, namespace, snap))
    say(f"Katib experiment {namespace}/{name} succeeded: best {top[0].name} "
        f"{objective['objectiveMetricName']}={top[0].objective:.4g}")
    return SearchResult("katib", name, namespace, objective["objectiveMetricName"], snap.view.objective_type,
                        status, trials, top)


# -- local ---------------------------------------------------------------------------------------
class _LogReporter:
    """The local engine's progress callbacks as log lines (kubetune.engine.Reporter)."""

    def __init__(self, say: Callable[[str], None], objective: str):
        self.say, self.objective = say, objective

    def started(self, trial) -> None:
        self.say(f"start    {trial.name}  " + human_assignments(trial.assignments))

    def finished(self, trial) -> None:
        value = f"  {self.objective}={human(trial.objective)}" if trial.objective is not None else ""
        why = f"  ({failure_reason(trial)})" if trial.state != "Succeeded" and failure_reason(trial) else ""
        self.say(f"{trial.state.lower():<8} {trial.name}{value}{why}")

    def resumed(self, reset: list[str], kept: int) -> None:
        if kept or reset:
            self.say(f"resuming: {kept} finished trial(s) kept, {len(reset)} interrupted trial(s) to re-run")

    def tick(self, counts, best) -> None:
        pass

    def message(self, text: str) -> None:
        self.say(text)


def run_local(experiment: dict, *, trials_dir: str, top_k: int, workdir: str, path_map: dict[str, str] | None = None,
              say: Callable[[str], None] = say_line) -> SearchResult:
    """Run the Experiment with the local engine under <workdir>/<name>/ (resumes when it exists)."""
    from kubetune.engine import LocalEngine, LocalOverrides
    from kubetune.experiment import experiment_from_dict

    exp = experiment_from_dict(experiment, source=f"experiment {experiment['metadata']['name']}")
    reporter = _LogReporter(say, exp.objective.metric_name)
    say(f"running experiment {exp.name} locally: max {exp.max_trial_count} trials, "
        f"{exp.parallel_trial_count} in parallel, algorithm {exp.algorithm.name}; state in {Path(workdir) / exp.name}")
    result = LocalEngine(exp, workdir, LocalOverrides(paths=dict(path_map or {})), reporter=reporter).run()
    trials, top = rank(result.trials, exp.objective.type, trials_dir, top_k,
                       leader=result.status["currentOptimalTrial"].get("bestTrialName") or "")
    if result.interrupted:
        raise SearchFailed(f"experiment {exp.name} was interrupted; run the step again to resume it")
    if not result.succeeded or not top:
        failed = _condition(result.status, "Failed") or {}
        tail = _failed_trial_tail(Path(workdir) / exp.name, result.trials)
        raise SearchFailed(f"experiment {exp.name} failed locally: {failed.get('reason', 'no trial finished')}: "
                           f"{failed.get('message', 'no trial reported ' + exp.objective.metric_name)}" + tail)
    for t in top:
        if not Path(t.checkpoint).is_file():
            raise SearchFailed(f"trial {t.name} finished but left no checkpoint at {t.checkpoint}")
    say(f"experiment {exp.name} succeeded: best {top[0].name} {exp.objective.metric_name}={top[0].objective:.4g}")
    return SearchResult("local", exp.name, exp.namespace, exp.objective.metric_name, exp.objective.type,
                        result.status, trials, top)


def _failed_trial_tail(exp_dir: Path, rows: list[TrialRow], lines: int = 15) -> str:
    """The end of the first failed trial's log, so the step's error shows what went wrong."""
    for row in rows:
        if row.state in ("Failed", "MetricsUnavailable"):
            log = exp_dir / "trials" / row.name / "log"
            try:
                text = log.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:]
            except OSError:
                continue
            return f"\nlast lines of {log}:\n" + "\n".join(text)
    return ""


def local_volume_map(experiment: dict, workdir: str) -> dict[str, str]:
    """Local stand-ins for the claims the trial template mounts (the local engine wants every claim
    mapped): empty folders under <workdir>/<name>/volumes/. The pipeline's locally rendered trials
    use absolute local paths, so nothing is read from them."""
    name = experiment["metadata"]["name"]
    template = experiment["spec"]["trialTemplate"]
    job = template["trialSpec"]["spec"]["template"]["spec"]
    claims = {v["name"] for v in job.get("volumes") or [] if "persistentVolumeClaim" in v}
    container = next(c for c in job["containers"] if c["name"] == template["primaryContainerName"])
    mapping = {}
    for mount in container.get("volumeMounts") or []:
        if mount["name"] in claims:
            folder = Path(workdir) / name / "volumes" / mount["name"]
            folder.mkdir(parents=True, exist_ok=True)
            mapping[mount["mountPath"]] = str(folder)
    return mapping


def run_search(backend: str, experiment: dict, *, trials_dir: str, top_k: int, workdir: str = "",
               namespace: str = "", poll_interval: float = 30.0, timeout: float | None = None,
               say: Callable[[str], None] = say_line) -> SearchResult:
    if backend == "katib":
        return run_katib(experiment, trials_dir=trials_dir, top_k=top_k, namespace=namespace,
                         poll_interval=poll_interval, timeout=timeout, say=say)
    if backend == "local":
        if not workdir:
            raise ValueError("backend local needs a workdir for the engine's state")
        return run_local(experiment, trials_dir=trials_dir, top_k=top_k, workdir=workdir,
                         path_map=local_volume_map(experiment, workdir), say=say)
    raise ValueError(f"search backend {backend!r}: must be one of {', '.join(BACKENDS)}")
