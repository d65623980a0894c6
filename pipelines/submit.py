"""Start a run of the compiled pipeline on a Kubeflow Pipelines server (KFP SDK client)."""
from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any, Callable

from kubetune.steps import say as say_line


class SubmitError(RuntimeError):
    pass


@dataclass
class SubmittedRun:
    run_id: str
    url: str
    state: str | None = None  # final state when waited for


def _client(host: str, namespace: str | None, token: str | None):
    import kfp

    with warnings.catch_warnings():  # "This client only works with KFP v2.0.0-beta.2 and later": we know
        warnings.simplefilter("ignore", FutureWarning)
        return kfp.Client(host=host, namespace=namespace or "kubeflow", existing_token=token or None)


def submit_run(package: str, arguments: dict[str, Any], *, host: str, namespace: str | None = None,
               experiment: str = "kubetune", run_name: str | None = None, token: str | None = None,
               service_account: str | None = None, wait: bool = False, timeout: float = 24 * 3600,
               say: Callable[[str], None] = say_line) -> SubmittedRun:
    """Create a run of `package` (compiled YAML) with `arguments`; optionally wait for it."""
    import urllib3

    try:
        client = _client(host, namespace, token)
        result = client.create_run_from_pipeline_package(
            package, arguments=arguments, run_name=run_name, experiment_name=experiment, namespace=namespace,
            service_account=service_account)
    except (urllib3.exceptions.HTTPError, OSError) as e:
        raise SubmitError(f"cannot reach Kubeflow Pipelines at {host}: {e}; check --host (the KFP API, e.g. "
                          "http://ml-pipeline-ui.kubeflow or a port-forward to it)") from None
    except Exception as e:  # kfp_server_api.ApiException and friends: the server's answer
        status, reason = getattr(e, "status", None), getattr(e, "reason", None)
        body = getattr(e, "body", None)
        if status is not None:
            raise SubmitError(f"Kubeflow Pipelines at {host} refused the run: HTTP {status} {reason}: "
                              f"{(body or '').strip() if isinstance(body, str) else body}") from None
        raise
    url = f"{host.rstrip('/')}/#/runs/details/{result.run_id}"
    say(f"started run {result.run_id} of {package} in experiment {experiment}: {url}")
    run = SubmittedRun(result.run_id, url)
    if wait:
        final = client.wait_for_run_completion(result.run_id, timeout=int(timeout))
        run.state = str(getattr(final, "state", "") or "")
        say(f"run {result.run_id} finished: {run.state}")
    return run
