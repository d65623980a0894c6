"""FileTailer: a metrics file that appears late, grows in pieces, is truncated or replaced."""
import os
import threading
import time

from kubetune.engine.metrics.files import FileTailer
from kubetune.engine.metrics.text import TextMetricParser


def append(path, data: bytes):
    with open(path, "ab") as f:
        f.write(data)


def test_file_appearing_late_and_growing_in_pieces(tmp_path):
    path = tmp_path / "metrics" / "metrics.log"
    tailer = FileTailer(path)
    assert tailer.read_new_lines() == []  # neither the file nor its directory exist yet
    path.parent.mkdir()
    assert tailer.read_new_lines() == []
    append(path, b"epoch=1 loss=0.5\nepoch=2 lo")
    assert tailer.read_new_lines() == ["epoch=1 loss=0.5"]
    assert tailer.read_new_lines() == []  # the unfinished line is held back
    append(path, b"ss=0.4\n\nepoch=3 loss=0.3")
    assert tailer.read_new_lines() == ["epoch=2 loss=0.4", ""]
    assert tailer.read_new_lines(final=True) == ["epoch=3 loss=0.3"]  # the trial has exited
    assert tailer.read_new_lines(final=True) == []
    tailer.close()


def test_carriage_returns_are_kept_and_bad_bytes_replaced(tmp_path):
    path = tmp_path / "m.log"
    path.write_bytes(b"loss=0.5\r\n\xff loss=0.4\n")
    with FileTailer(path) as tailer:
        assert tailer.read_new_lines() == ["loss=0.5\r", "\ufffd loss=0.4"]


def test_multibyte_character_split_across_writes(tmp_path):
    path = tmp_path / "m.log"
    data = "μ loss=0.5\n".encode()
    append(path, data[:1])
    with FileTailer(path) as tailer:
        assert tailer.read_new_lines() == []
        append(path, data[1:])
        assert tailer.read_new_lines() == ["μ loss=0.5"]


def test_truncated_file_is_read_again_from_the_start(tmp_path):
    path = tmp_path / "m.log"
    path.write_bytes(b"loss=0.9\nloss=0.8\nloss=0.")
    with FileTailer(path) as tailer:
        assert tailer.read_new_lines() == ["loss=0.9", "loss=0.8"]
        with open(path, "wb") as f:  # truncate, as `>` redirection or open("w") does
            f.write(b"loss=0.1\n")
        assert tailer.read_new_lines() == ["loss=0.1"]  # the dropped partial "loss=0." is gone


def test_replaced_file_old_end_then_new_file(tmp_path):
    path = tmp_path / "m.log"
    path.write_bytes(b"loss=0.9\nloss=0.8")
    with FileTailer(path) as tailer:
        assert tailer.read_new_lines() == ["loss=0.9"]
        append(path, b"5")
        os.rename(path, tmp_path / "m.log.1")
        path.write_bytes(b"loss=0.7\n")
        assert tailer.read_new_lines() == ["loss=0.85", "loss=0.7"]


def test_removed_file_keeps_what_was_read_and_picks_up_a_new_one(tmp_path):
    path = tmp_path / "m.log"
    path.write_bytes(b"loss=0.9\n")
    with FileTailer(path) as tailer:
        assert tailer.read_new_lines() == ["loss=0.9"]
        path.unlink()
        assert tailer.read_new_lines() == []
        path.write_bytes(b"loss=0.6\n")
        assert tailer.read_new_lines() == ["loss=0.6"]


def test_reading_while_another_thread_writes(tmp_path):
    path = tmp_path / "m.log"
    written = [f"epoch={i} loss={1 / (i + 1):.6f}" for i in range(300)]

    def writer():
        time.sleep(0.01)  # the file appears after the reader started
        with open(path, "w") as f:
            for line in written:
                for piece in (line[:5], line[5:], "\n"):  # lines arrive in pieces
                    f.write(piece)
                    f.flush()

    thread = threading.Thread(target=writer)
    thread.start()
    parser = TextMetricParser(["loss"])
    seen = []
    with FileTailer(path, chunk_size=7) as tailer:
        while thread.is_alive():
            time.sleep(0.001)
            for line in tailer.read_new_lines():
                seen.append(line)
                parser.feed_line(line)
        thread.join()
        for line in tailer.read_new_lines(final=True):
            seen.append(line)
            parser.feed_line(line)
    assert seen == written
    assert [m.value for m in parser.logs] == [line.split("loss=")[1] for line in written]
