"""Voting, top-k and metrics on inputs small enough to check by hand (see conftest.MEMBERS)."""
from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import (accuracy_score, confusion_matrix as sk_confusion, f1_score,
                             precision_recall_fscore_support)

from kubetune.ensemble import (EnsembleError, Predictions, classification_metrics, evaluate, load_predictions,
                               read_labels, select_top_k, vote, weights_from_scores)

from ensemble_helpers import CLASSES, IDS, MEMBERS, TRUTH


def _pred(name, rows, labels=None):
    probs = np.array(rows, dtype=float)
    return Predictions(name, name, list(IDS[: len(rows)]), list(CLASSES[: probs.shape[1]]), probs,
                       np.array(labels if labels is not None else probs.argmax(axis=1)))


@pytest.fixture
def members(member_files):
    return load_predictions(member_files)


def test_members_load_with_short_unique_names(members):
    assert [m.name for m in members] == ["A/preds", "B/preds", "C/preds"]
    assert [m.label_names for m in members] == [list("abca"), list("bcbb"), list("aacc")]


def test_soft_voting_is_the_mean_probability(members):
    ens = vote(members, "soft")
    expected = np.array([[1.3, 1.1, 0.6], [0.9, 1.1, 1.0], [0.6, 0.8, 1.6], [0.8, 1.3, 0.9]]) / 3
    np.testing.assert_allclose(ens.probs, expected, atol=1e-9)
    assert ens.label_names == ["a", "b", "c", "b"]
    assert ens.ids == IDS and ens.classes == CLASSES


def test_hard_voting_majority_and_three_way_ties_by_summed_probability(members):
    ens = vote(members, "hard")
    # s1: a,b,a -> a.  s2: b,c,a tie -> sums a .9 b 1.1 c 1.0 -> b.  s3: c,b,c -> c.  s4: a,b,c tie -> sums .8 1.3 .9 -> b
    assert ens.label_names == ["a", "b", "c", "b"]
    np.testing.assert_allclose(ens.probs[0], [2 / 3, 1 / 3, 0])   # vote shares
    np.testing.assert_allclose(ens.probs[1], [1 / 3, 1 / 3, 1 / 3])


def test_hard_voting_tie_with_equal_sums_goes_to_the_first_class():
    x = _pred("x", [[0.6, 0.4], [0.6, 0.4]])
    y = _pred("y", [[0.3, 0.7], [0.4, 0.6]])
    ens = vote([x, y], "hard")
    # row 1: one vote each, sums a .9 < b 1.1 -> b;  row 2: sums 1.0 == 1.0 -> the first class, a
    assert ens.label_names == ["b", "a"]


def test_hard_voting_counts_the_label_column_not_the_argmax():
    x = _pred("x", [[0.6, 0.4]], labels=[1])  # a thresholded model may label against its argmax
    y = _pred("y", [[0.6, 0.4]], labels=[1])
    assert vote([x, y], "hard").label_names == ["b"]
    assert vote([x, y], "soft").label_names == ["a"]


def test_weighted_soft_voting(members):
    ens = vote(members, "weighted", [1, 3, 1])          # normalised to .2 .6 .2
    np.testing.assert_allclose(ens.probs, [[.34, .50, .16], [.22, .34, .44], [.24, .32, .44], [.20, .50, .30]],
                               atol=1e-9)
    assert ens.label_names == ["b", "c", "c", "b"]
    # weighted hard voting: B's 3/5 of the vote always wins
    assert vote(members, "hard", [1, 3, 1]).label_names == ["b", "c", "b", "b"]


def test_weighted_needs_weights_and_weights_are_checked(members):
    with pytest.raises(EnsembleError, match="needs weights"):
        vote(members, "weighted")
    with pytest.raises(EnsembleError, match="2 weight"):
        vote(members, "weighted", [1, 2])
    with pytest.raises(EnsembleError, match=">= 0"):
        vote(members, "weighted", [1, -1, 1])
    with pytest.raises(EnsembleError, match="all be 0"):
        vote(members, "weighted", [0, 0, 0])
    with pytest.raises(EnsembleError, match="not one of"):
        vote(members, "median")


def test_weights_from_scores():
    np.testing.assert_allclose(weights_from_scores([0.9, 0.6, 0.3]), [0.5, 1 / 3, 1 / 6])
    np.testing.assert_allclose(weights_from_scores([0.5, 0.25], "minimize"), [1 / 3, 2 / 3])  # lower loss, more weight
    with pytest.raises(EnsembleError, match="> 0"):
        weights_from_scores([0.9, 0.0])


def test_select_top_k():
    assert select_top_k([0.9, 0.8, 0.5], 2) == [0, 1]
    assert select_top_k([0.5, 0.9, 0.8], 2) == [1, 2]
    assert select_top_k([0.1, 0.3, 0.2], 2, "minimize") == [0, 2]
    assert select_top_k([0.7, 0.9, 0.7], 3) == [1, 0, 2]          # equal scores keep input order
    assert select_top_k([0.7, 0.9], 5) == [1, 0]                  # more than there are: all of them
    for bad in (0, -1, 1.5, True):
        with pytest.raises(EnsembleError, match="top-k"):
            select_top_k([0.1, 0.2], bad)
    with pytest.raises(EnsembleError, match="finite"):
        select_top_k([0.1, float("nan")], 1)


def test_top_two_then_soft(members):
    chosen = [members[i] for i in select_top_k([0.9, 0.8, 0.5], 2)]
    ens = vote(chosen, "soft")
    np.testing.assert_allclose(ens.probs, [[.4, .5, .1], [.15, .4, .45], [.2, .3, .5], [.3, .5, .2]], atol=1e-9)
    assert ens.label_names == ["b", "c", "c", "b"]


def test_metrics_by_hand(members):
    truth = TRUTH
    a, b, c = (evaluate(m, truth) for m in members)
    assert (a["accuracy"], b["accuracy"], c["accuracy"]) == (0.75, 0.25, 0.5)
    # B predicts b,c,b,b for truth a,b,c,b
    assert b["confusion_matrix"] == [[0, 1, 0], [0, 1, 1], [0, 1, 0]]
    assert b["per_class"]["b"] == {"precision": pytest.approx(1 / 3), "recall": 0.5, "f1": pytest.approx(0.4),
                                   "support": 2}
    assert b["per_class"]["a"]["precision"] == 0.0          # nothing predicted as a: 0, not NaN
    assert b["macro_f1"] == pytest.approx(0.4 / 3)
    assert evaluate(vote(members, "soft"), truth)["accuracy"] == 1.0


@pytest.mark.parametrize("seed", range(6))
def test_metrics_match_sklearn(seed):
    rng = np.random.default_rng(seed)
    n_classes = 5
    y_true = rng.integers(0, 4, size=40)                 # class 4 never true
    y_pred = rng.integers(0, n_classes - (seed % 2), size=40)
    classes = [f"k{i}" for i in range(n_classes)]
    ours = classification_metrics(y_true, y_pred, classes)
    assert ours["accuracy"] == pytest.approx(accuracy_score(y_true, y_pred))
    assert ours["macro_f1"] == pytest.approx(f1_score(y_true, y_pred, average="macro", zero_division=0))
    p, r, f, s = precision_recall_fscore_support(y_true, y_pred, labels=list(range(n_classes)), zero_division=0)
    for i, name in enumerate(classes):
        got = ours["per_class"][name]
        assert (got["precision"], got["recall"], got["f1"], got["support"]) == pytest.approx((p[i], r[i], f[i], s[i]))
    assert ours["confusion_matrix"] == sk_confusion(y_true, y_pred, labels=list(range(n_classes))).tolist()


def test_rows_and_columns_are_aligned_to_the_first_file(tmp_path, member_files):
    from ensemble_helpers import write_member
    # B again with rows reversed and columns c,a,b: aligned, it must vote exactly like B
    rows = [[r[2], r[0], r[1]] for r in MEMBERS["B"]][::-1]
    shuffled = write_member(tmp_path / "b_shuffled.csv", rows, ids=IDS[::-1], classes=["c", "a", "b"])
    a, b, b2 = load_predictions([member_files[0], member_files[1], shuffled])
    np.testing.assert_allclose(b2.probs, b.probs)
    assert b2.label_names == b.label_names and b2.ids == a.ids


def test_labels_read_from_path_or_id_column(tmp_path):
    from ensemble_helpers import write_labels
    assert read_labels(write_labels(tmp_path / "p.csv", id_column="path")) == TRUTH
    assert read_labels(write_labels(tmp_path / "i.csv", id_column="id")) == TRUTH
