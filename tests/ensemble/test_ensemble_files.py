"""Bad prediction/label files give one clear error naming the file, line and column."""
from __future__ import annotations

import numpy as np
import pytest

from kubetune.ensemble import (EnsembleError, load_predictions, read_labels, read_predictions, true_indices,
                               vote, write_predictions)

from ensemble_helpers import CLASSES, IDS, MEMBERS, write_member


def _write(tmp_path, text, name="p.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_round_trip_in_the_trainers_format(tmp_path, member_files):
    ens = vote(load_predictions(member_files), "soft")
    out = write_predictions(ens, tmp_path / "out" / "ensemble.csv")
    assert out.read_text().splitlines()[0] == "id,label,prob_a,prob_b,prob_c"
    back = read_predictions(out)
    assert back.ids == IDS and back.label_names == ens.label_names
    np.testing.assert_allclose(back.probs, ens.probs, atol=1e-6)
    assert not list(out.parent.glob(".*tmp*"))


@pytest.mark.parametrize("text, expected", [
    ("", "empty file"),
    ("label,prob_a,prob_b\n", "no `id` column"),
    ("id,label\ns1,a\n", r"no `prob_\*` columns"),
    ("id,label,prob_a,prob_a\ns1,a,0.5,0.5\n", "unique"),
    ("id,label,prob_a,prob_b\n", "header only"),
])
def test_bad_headers(tmp_path, text, expected):
    path = _write(tmp_path, text)
    with pytest.raises(EnsembleError, match=expected) as info:
        read_predictions(path)
    assert str(path) in str(info.value)


def test_bad_rows_are_all_listed_with_line_and_column(tmp_path):
    path = _write(tmp_path, "\n".join([
        "id,label,prob_a,prob_b",
        "s1,a,0.9,0.1",
        "s2,a,x,0.5",          # line 3: not a number
        "s3,b,0.2,0.2",        # line 4: sums to 0.4
        "s4,z,0.5,0.5",        # line 5: unknown label
        "s1,a,0.5,0.5",        # line 6: duplicate id
        "s7,a,1.5,-0.5",       # line 7: out of range
        "s8,a,0.5",            # line 8: short row
        ",a,0.5,0.5",          # line 9: empty id
        "s10,a,nan,0.5",       # line 10: NaN
    ]) + "\n")
    with pytest.raises(EnsembleError) as info:
        read_predictions(path)
    msg = str(info.value)
    for needle in ["line 3, column prob_a: 'x' is not a number", "line 4: probabilities sum to 0.400000",
                   "line 5: label 'z' is not one of the classes", "line 6: id 's1' repeats line 2",
                   "line 7, column prob_a: 1.5 is not a probability", "line 8: 3 cells, the header has 4",
                   "line 9: empty id", "line 10, column prob_a: nan is not a probability"]:
        assert needle in msg, msg
    assert str(path) in msg


def test_rounded_probabilities_are_accepted(tmp_path):
    # 3 x 0.333333 = 0.999999: the trainer's 6-decimal rounding must not be rejected
    path = _write(tmp_path, "id,label,prob_a,prob_b,prob_c\ns1,a,0.333333,0.333333,0.333333\n")
    assert read_predictions(path).probs.shape == (1, 3)


def test_members_must_share_ids_and_classes(tmp_path, member_files):
    other_ids = write_member(tmp_path / "ids.csv", MEMBERS["B"], ids=["s1", "s2", "s3", "s9"])
    with pytest.raises(EnsembleError, match=r"ids differ from .*1 missing, e.g. \['s4'\]; 1 extra, e.g. \['s9'\]"):
        load_predictions([member_files[0], other_ids])
    fewer = write_member(tmp_path / "fewer.csv", MEMBERS["B"][:3], ids=IDS[:3])
    with pytest.raises(EnsembleError, match="3 vs 4 rows"):
        load_predictions([member_files[0], fewer])
    other_classes = write_member(tmp_path / "cls.csv", MEMBERS["B"], classes=["a", "b", "d"])
    with pytest.raises(EnsembleError, match=r"cls.csv: class columns differ .*missing \['c'\], extra \['d'\]"):
        load_predictions([member_files[0], other_classes])
    with pytest.raises(EnsembleError, match="does not exist"):
        load_predictions([tmp_path / "nope.csv"])
    with pytest.raises(EnsembleError, match="more than once"):
        load_predictions([member_files[0], member_files[0]])


def test_labels_errors(tmp_path, member_files):
    with pytest.raises(EnsembleError, match="`id` \\(or `path`\\) column and a `label` column"):
        read_labels(_write(tmp_path, "file,y\na,b\n", "l1.csv"))
    with pytest.raises(EnsembleError, match="line 3: path 's1' repeats line 2"):
        read_labels(_write(tmp_path, "path,label\ns1,a\ns1,b\n", "l2.csv"))
    pred = load_predictions(member_files)[0]
    wrong_ids = read_labels(_write(tmp_path, "path,label\ntest/s1,a\ntest/s2,b\n", "l3.csv"))
    with pytest.raises(EnsembleError, match=r"no label for 4 of 4 prediction ids .*look like 'test/s1'"):
        true_indices(pred, wrong_ids, "l3.csv")
    with pytest.raises(EnsembleError, match=r"labels \['q'\] are not among the predicted classes"):
        true_indices(pred, {"s1": "a", "s2": "q", "s3": "c", "s4": "b"})
    assert CLASSES == pred.classes
