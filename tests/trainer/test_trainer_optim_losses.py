"""Optimizers, LR schedules and losses by name."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

from trainer.config.schema import LOSSES, OPTIMIZERS, SCHEDULERS
from trainer.errors import ConfigError
from trainer.losses import F1Loss, FocalLoss, class_weights_from, create_loss
from trainer.optim import create_optimizer, create_scheduler, lr_factor_fn

pytestmark = pytest.mark.usefixtures("one_thread")


def _toy():
    torch.manual_seed(0)
    model = torch.nn.Linear(4, 3)
    x, y = torch.randn(32, 4), torch.randint(0, 3, (32,))
    return model, x, y


@pytest.mark.parametrize("name", OPTIMIZERS)
def test_every_optimizer_reduces_a_loss(name):
    model, x, y = _toy()
    opt = create_optimizer(name, model.parameters(), lr=0.05, momentum=0.9, nesterov=name == "sgd",
                           weight_decay=1e-4)
    first = None
    for _ in range(30):
        loss = F.cross_entropy(model(x), y)
        first = first if first is not None else loss.item()
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert loss.item() < first


def test_unknown_optimizer_and_schedule_list_valid_names():
    model, _, _ = _toy()
    with pytest.raises(ConfigError, match="adagrad.*sgd, adam, adamw, rmsprop"):
        create_optimizer("adagrad", model.parameters(), lr=0.1)
    with pytest.raises(ConfigError, match="exp.*none, step, steplr, cosine, onecycle"):
        lr_factor_fn("exp", epochs=2, steps_per_epoch=2)


def test_step_schedule_divides_by_ten_at_fixed_epochs():
    # Seed 002: lr /= 10 at epochs 10, 20, 25.
    f = lr_factor_fn("step", epochs=30, steps_per_epoch=5, milestones=[10, 20, 25], gamma=0.1)
    assert f(0) == 1 and f(10 * 5 - 1) == 1
    assert f(10 * 5) == pytest.approx(0.1) and f(20 * 5) == pytest.approx(0.01) and f(25 * 5) == pytest.approx(1e-3)


def test_steplr_decays_every_step_size_epochs():
    # Seed 001's ViT: StepLR(step_size=1, gamma) per epoch.
    f = lr_factor_fn("steplr", epochs=5, steps_per_epoch=4, gamma=0.7, step_size=1)
    assert [round(f(e * 4), 6) for e in range(3)] == [1, 0.7, 0.49]
    assert f(5) == f(4)


def test_cosine_ends_at_min_lr_and_warmup_composes():
    f = lr_factor_fn("cosine", epochs=10, steps_per_epoch=10, warmup_epochs=2, min_lr_ratio=0.01)
    assert f(0) == pytest.approx(1 / 20)               # warm-up starts small
    assert f(19) == pytest.approx(1.0, abs=1e-3)       # warm-up ends at the full LR
    assert f(99) == pytest.approx(0.01, abs=1e-3)
    values = [f(s) for s in range(20, 100)]
    assert all(a >= b for a, b in zip(values, values[1:]))


def test_onecycle_rises_then_falls():
    f = lr_factor_fn("onecycle", epochs=10, steps_per_epoch=10, pct_start=0.3)
    peak = max(range(100), key=f)
    assert f(0) == pytest.approx(1 / 25) and 25 <= peak <= 35 and f(peak) == pytest.approx(1, abs=1e-2)
    assert f(99) < 1e-3


@pytest.mark.parametrize("name", SCHEDULERS)
def test_every_schedule_drives_an_optimizer(name):
    model, x, y = _toy()
    opt = create_optimizer("sgd", model.parameters(), lr=0.1)
    sched = create_scheduler(opt, name, epochs=3, steps_per_epoch=4, milestones=[1], gamma=0.5, warmup_epochs=0.5)
    lrs = []
    for _ in range(12):
        lrs.append(opt.param_groups[0]["lr"])
        F.cross_entropy(model(x), y).backward()
        opt.step()
        sched.step()
    assert all(lr > 0 for lr in lrs) and lrs[0] < 0.1   # warm-up on every schedule
    state = sched.state_dict()
    torch.save(state, "/dev/null")
    assert state["last_epoch"] == 12 and state["lr_lambdas"] == [None]   # numbers only


@pytest.mark.parametrize("name", LOSSES)
def test_every_loss_trains(name):
    model, x, y = _toy()
    loss_fn = create_loss(name, 3, focal_gamma=2.0, smoothing=0.1,
                          class_weights=class_weights_from("balanced", y.tolist(), 3))
    opt = torch.optim.SGD(model.parameters(), lr=0.5)
    first = loss_fn(model(x), y).item()
    for _ in range(40):
        loss = loss_fn(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert torch.isfinite(loss) and loss.item() < first


def test_loss_definitions():
    logits, target = torch.randn(16, 4), torch.randint(0, 4, (16,))
    assert torch.allclose(FocalLoss(gamma=0.0)(logits, target), F.cross_entropy(logits, target), atol=1e-6)
    assert FocalLoss(gamma=2.0)(logits, target) < F.cross_entropy(logits, target)
    smooth = create_loss("label_smoothing", 4, smoothing=0.2)(logits, target)
    assert torch.allclose(smooth, F.cross_entropy(logits, target, label_smoothing=0.2))
    perfect = F.one_hot(target, 4).float() * 50
    assert F1Loss(4)(perfect, target) < 1e-3
    assert F1Loss(4)(-perfect, target) > 0.99


def test_class_weights_and_errors():
    w = class_weights_from("balanced", [0, 0, 0, 1], 2)
    assert w.tolist() == pytest.approx([4 / 6, 2.0])
    assert class_weights_from("1,2,3", [0], 3).tolist() == [1, 2, 3]
    assert class_weights_from("none", [0], 3) is None
    with pytest.raises(ConfigError, match="2 values given for 3 classes"):
        class_weights_from("1,2", [0], 3)
    with pytest.raises(ConfigError, match="hinge.*cross_entropy, focal, label_smoothing, f1"):
        create_loss("hinge", 3)
    assert not math.isnan(create_loss("focal", 3)(torch.tensor([[100.0, -100.0, 0.0]]), torch.tensor([1])).item())
