"""Go's strings.TrimSpace, as Katib trims metric names and values."""
from kubetune.gocompat.strings import go_trim_space


def test_go_trim_space_is_not_pythons_strip():
    assert go_trim_space("\x1c0.5\x1f") == "\x1c0.5\x1f"  # Python's strip() would remove these
    assert go_trim_space("\u00a0\t0.5\u3000 \v") == "0.5"
