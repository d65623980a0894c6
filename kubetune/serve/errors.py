"""How the services answer what they cannot do: a gRPC status, never a crash.

A request the service cannot serve (bad settings, a malformed experiment, an unknown algorithm)
is INVALID_ARGUMENT with the message `kubetune validate` would print; Katib's suggestion client
turns INVALID_ARGUMENT from ValidateAlgorithmSettings into the Experiment's failure reason. Any
other failure is INTERNAL with the exception's message, logged with its traceback; the server
keeps serving.
"""
from __future__ import annotations

import functools
import logging
from typing import Callable

import grpc

from kubetune.experiment.errors import SpecError

_log = logging.getLogger("kubetune.serve")


class RequestError(Exception):
    """A request the service refuses; `code` is the gRPC status it answers."""

    def __init__(self, message: str, code: grpc.StatusCode = grpc.StatusCode.INVALID_ARGUMENT) -> None:
        super().__init__(message)
        self.code = code


def guarded(method: str) -> Callable:
    """Decorate a servicer method so that every failure becomes a gRPC status."""

    def decorate(fn: Callable) -> Callable:
        @functools.wraps(fn)
        def wrapper(self, request, context):
            try:
                return fn(self, request, context)
            except RequestError as e:
                code, message = e.code, str(e)
            except SpecError as e:
                code, message = grpc.StatusCode.INVALID_ARGUMENT, "; ".join(str(p) for p in e.errors)
            except Exception as e:  # noqa: BLE001 - the service must answer, whatever broke
                _log.exception("%s failed", method)
                code, message = grpc.StatusCode.INTERNAL, f"{method} failed: {type(e).__name__}: {e}"
            _log.warning("%s: %s: %s", method, code.name, message)
            context.abort(code, message)

        return wrapper

    return decorate
