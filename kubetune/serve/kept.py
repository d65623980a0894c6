"""What a service keeps per experiment between Katib's calls, and the key that says it still fits.

Katib sends the whole Experiment with every call and restarts service pods at will, so what a
service keeps (a suggester, the curves read from the DB) is only a shortcut: it is kept under the
experiment's name with a key of the message it was made from (`message_key`), reused only while
the key matches, and dropped least recently used first once more than `limit` experiments are
kept. Thread-safe; the values themselves are the caller's to guard.
"""
from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from typing import Callable, Generic, TypeVar

T = TypeVar("T")


def message_key(message) -> str:
    """A protobuf message's digest: equal for equal messages (deterministic serialization)."""
    return hashlib.sha256(message.SerializeToString(deterministic=True)).hexdigest()


class KeptByExperiment(Generic[T]):
    """At most `limit` values by experiment name, least recently used dropped first."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._values: OrderedDict[str, T] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, name: str, usable: Callable[[T], bool] = lambda value: True) -> T | None:
        """The value kept for `name` if `usable(value)` (checked under the lock), marked recently
        used; None otherwise."""
        with self._lock:
            value = self._values.get(name)
            if value is None or not usable(value):
                return None
            self._values.move_to_end(name)
            return value

    def put(self, name: str, value: T) -> None:
        with self._lock:
            self._values[name] = value
            self._values.move_to_end(name)
            while len(self._values) > self.limit:
                self._values.popitem(last=False)

    def forget(self, name: str, value: T) -> None:
        """Drop `name` if it still holds `value` (not a newer one put meanwhile)."""
        with self._lock:
            if self._values.get(name) is value:
                del self._values[name]
