"""Model size and compute: parameter count and multiply-accumulate operations (MACs).

`count_macs` runs one forward pass with hooks and counts only the dominant terms:
  - Conv (any _ConvNd): output elements * (in_channels / groups) * kernel volume
  - Linear: output elements * in_features (this includes ViT's qkv/out projections and MLPs)
  - attention matmuls: q@k^T and attn@v, 2 * batch * heads * n_q * n_k * dim_head, for
    vit-pytorch Attention modules (detected by `heads` + `to_qkv`) and nn.MultiheadAttention
    (whose input and output projections are added too: it applies them functionally).
Not counted: bias adds, BatchNorm/LayerNorm, activations, pooling, residual adds, softmax — a few
percent for CNNs and ViTs. One MAC is one multiply plus one add (FLOPs ~= 2 * MACs).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
from torch import nn

__all__ = ["count_params", "count_macs"]


def count_params(model: nn.Module, trainable_only: bool = False) -> int:
    """Number of parameters (shared tensors counted once)."""
    seen: set[int] = set()
    total = 0
    for p in model.parameters():
        if id(p) in seen or (trainable_only and not p.requires_grad):
            continue
        seen.add(id(p))
        total += p.numel()
    return total


def _is_vit_attention(module: nn.Module) -> bool:
    return hasattr(module, "heads") and isinstance(getattr(module, "to_qkv", None), nn.Linear)


def count_macs(model: nn.Module, input_shape: Sequence[int] = (1, 3, 224, 224)) -> int:
    """MACs of one forward pass on a zero tensor of `input_shape` (the whole batch)."""
    total = 0

    def conv_hook(m: nn.modules.conv._ConvNd, inputs: tuple, output: torch.Tensor) -> None:
        nonlocal total
        total += output.numel() * (m.in_channels // m.groups) * math.prod(m.kernel_size)

    def linear_hook(m: nn.Linear, inputs: tuple, output: torch.Tensor) -> None:
        nonlocal total
        total += output.numel() * m.in_features

    def vit_attention_hook(m: nn.Module, inputs: tuple, output: torch.Tensor) -> None:
        nonlocal total
        batch, tokens = inputs[0].shape[0], inputs[0].shape[1]
        dim_head = m.to_qkv.out_features // (3 * m.heads)
        total += 2 * batch * m.heads * tokens * tokens * dim_head

    def mha_hook(m: nn.MultiheadAttention, inputs: tuple, output: tuple) -> None:
        nonlocal total
        q, k = inputs[0], inputs[1]
        batch_dim = 0 if m.batch_first else 1
        seq_dim = 1 - batch_dim
        batch, n_q, n_k = q.shape[batch_dim], q.shape[seq_dim], k.shape[seq_dim]
        e = m.embed_dim
        # q/k/v input projections and out_proj (applied functionally, so no Linear hook fires)
        total += batch * (n_q * e * e + n_k * e * (m.kdim + m.vdim) + n_q * e * e)
        total += 2 * batch * n_q * n_k * e  # all heads together: heads * dim_head = embed_dim

    handles = []
    for module in model.modules():
        if isinstance(module, nn.modules.conv._ConvNd):
            handles.append(module.register_forward_hook(conv_hook))
        elif isinstance(module, nn.Linear):
            handles.append(module.register_forward_hook(linear_hook))
        elif isinstance(module, nn.MultiheadAttention):
            handles.append(module.register_forward_hook(mha_hook))
        elif _is_vit_attention(module):
            handles.append(module.register_forward_hook(vit_attention_hook))
    first = next(model.parameters(), None)
    x = torch.zeros(tuple(input_shape), device=first.device if first is not None else "cpu",
                    dtype=first.dtype if first is not None and first.is_floating_point() else torch.float32)
    was_training = model.training
    try:
        model.eval()
        with torch.no_grad():
            model(x)
    finally:
        model.train(was_training)
        for h in handles:
            h.remove()
    return int(total)
