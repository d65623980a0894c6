"""Reading the metrics file a trial writes: whole (read_text) or while it grows (FileTailer)."""
from __future__ import annotations

import os
from pathlib import Path


def read_text(path: str | os.PathLike) -> str:
    """The whole file as Katib's collector reads it: UTF-8, undecodable bytes replaced."""
    return Path(path).read_bytes().decode("utf-8", errors="replace")


class FileTailer:
    """New complete lines of a file that a trial is writing, read incrementally.

    The file may not exist yet (nothing is returned until it does), grow in pieces (an
    unfinished last line is held back until its "\\n" arrives, or returned by
    read_new_lines(final=True) once the trial has exited), be truncated (reading restarts at
    the beginning, the held-back piece is dropped, as Katib's tail does) or be replaced by a new
    file (the old one is read to its end, its unfinished line returned, then the new one is read
    from the start). Bytes are decoded as UTF-8 with replacement, lines split on "\\n" only.

    Katib's final report is the whole file read once the trial has exited; the tailer serves
    live evaluation (early stopping, progress).
    """

    def __init__(self, path: str | os.PathLike, chunk_size: int = 1 << 20):
        self.path = Path(path)
        self.chunk_size = chunk_size
        self._fh = None
        self._identity: tuple[int, int] | None = None
        self._pending = b""

    def _open(self) -> bool:
        try:
            self._fh = open(self.path, "rb")
        except (FileNotFoundError, IsADirectoryError, PermissionError):
            return False
        st = os.fstat(self._fh.fileno())
        self._identity = (st.st_dev, st.st_ino)
        self._pending = b""
        return True

    def _drain(self) -> list[str]:
        lines = []
        while True:
            data = self._fh.read(self.chunk_size)
            if not data:
                break
            *complete, self._pending = (self._pending + data).split(b"\n")
            lines += [c.decode("utf-8", errors="replace") for c in complete]
        return lines

    def _take_pending(self) -> list[str]:
        rest, self._pending = self._pending, b""
        return [rest.decode("utf-8", errors="replace")] if rest else []

    def read_new_lines(self, final: bool = False) -> list[str]:
        """Lines completed since the last call; with final=True also the unfinished last line."""
        if self._fh is None and not self._open():
            return []
        lines = self._drain()
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            st = None  # removed: keep what we have; a new file may appear later
        if st is not None and (st.st_dev, st.st_ino) != self._identity:
            lines += self._take_pending()
            self._fh.close()
            self._fh = None
            if self._open():
                lines += self._drain()
        elif st is not None and st.st_size < self._fh.tell():
            self._fh.seek(0)
            self._pending = b""
            lines += self._drain()
        if final:
            lines += self._take_pending()
        return lines

    def close(self) -> None:
        if self._fh is not None:
            self._fh.close()
            self._fh = None

    def __enter__(self) -> "FileTailer":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
