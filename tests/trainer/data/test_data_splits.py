from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from trainer.data import DataError, group_split, random_split, stratified_split


def test_stratified_split_keeps_class_proportions_and_is_seeded():
    labels = [0] * 100 + [1] * 50 + [2] * 10 + [3] * 2
    train, val = stratified_split(labels, 0.2, seed=7)
    assert sorted(train + val) == list(range(len(labels)))
    val_counts = Counter(labels[i] for i in val)
    assert val_counts == {0: 20, 1: 10, 2: 2, 3: 1}
    train_counts = Counter(labels[i] for i in train)
    assert train_counts == {0: 80, 1: 40, 2: 8, 3: 1}
    assert stratified_split(labels, 0.2, seed=7) == (train, val)
    assert stratified_split(labels, 0.2, seed=8) != (train, val)


def test_stratified_split_keeps_single_image_classes_in_train():
    train, val = stratified_split([0, 0, 0, 0, 1], 0.5, seed=0)
    assert 4 in train and len(val) == 2


def test_random_split_sizes_and_determinism():
    train, val = random_split(10, 0.3, seed=1)
    assert len(val) == 3 and sorted(train + val) == list(range(10))
    assert random_split(10, 0.3, seed=1) == (train, val)
    with pytest.raises(DataError):
        random_split(1, 0.3, seed=1)


@settings(max_examples=150, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 4), st.integers(0, 12)), min_size=2, max_size=80),
    st.floats(0.05, 0.6),
    st.integers(0, 2**16),
)
def test_group_split_never_puts_a_group_on_both_sides(items, val_ratio, seed):
    labels = [label for label, _ in items]
    groups = [f"g{group}" for _, group in items]
    if len(set(groups)) < 2:
        with pytest.raises(DataError, match="at least 2 groups"):
            group_split(labels, groups, val_ratio, seed)
        return
    train, val = group_split(labels, groups, val_ratio, seed)
    assert sorted(train + val) == list(range(len(labels)))
    assert train and val
    assert not {groups[i] for i in train} & {groups[i] for i in val}
    assert group_split(labels, groups, val_ratio, seed) == (train, val)


def test_group_split_on_person_profiles_hits_the_ratio_and_covers_classes():
    # Seed 002's data: 7 photos per person, all with the person's gender/age class
    # (here 6 classes) -- validation must not contain a person seen in training.
    labels, groups = [], []
    for person in range(300):
        labels += [person % 6] * 7
        groups += [f"person{person:03d}"] * 7
    train, val = group_split(labels, groups, 0.2, seed=0)
    assert len(val) / len(labels) == pytest.approx(0.2, abs=0.02)
    assert set(labels[i] for i in val) == set(range(6))
    for label, count in Counter(labels[i] for i in val).items():
        assert count == pytest.approx(0.2 * 350, abs=7)  # one person either way
    assert group_split(labels, groups, 0.2, seed=1) != (train, val)
