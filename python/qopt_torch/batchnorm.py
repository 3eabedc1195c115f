#===- batchnorm.py - batch normalization in training mode ----------------===#
#
# Part of the qopt project, under the Apache License v2.0 with LLVM
# Exceptions. See LICENSE for license information.
# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
#
#===----------------------------------------------------------------------===#
#
# BatchNorm1d/2d in training mode, as make_fx records them:
# native_batch_norm(x, weight, bias, running_mean, running_var, True,
# momentum, eps) -> (y, mean, rstd) and native_batch_norm_backward. The
# statistics are the batch's, per channel (dimension 1) over every other
# dimension, with the biased variance, as PyTorch normalizes in training.
# The running statistics are buffers, which the importer does not update
# (docs/PyTorch.md): they only matter to evaluation, not to the training
# step's loss or gradients. Evaluation mode (training=False) is an error.
#
#===----------------------------------------------------------------------===#

import math

import torch

from .emit import UnsupportedOp
from .ops import lowering
from .sequence import _normalize, _normalize_backward, _normalized_input

aten = torch.ops.aten


def _channel_dims(x):
    if len(x.shape) < 2:
        raise UnsupportedOp("batch norm of a %s input (batch, channels, ...)"
                            % (x.shape,))
    dims = [d for d in range(len(x.shape)) if d != 1]
    return dims, float(math.prod(x.shape[d] for d in dims))


def _per_channel(e, v, x):
    """A (C,) Value (or None) viewed as (1, C, 1, ...) to broadcast over x:
    the affine parameters and the saved statistics."""
    if v is None:
        return None
    return e.reshape(v, [1, x.shape[1]] + [1] * (len(x.shape) - 2))




@lowering(aten.native_batch_norm.default)
def _batch_norm(e, node, args):
    x, weight, bias, _, _, training, _, eps = args
    if not training:
        raise UnsupportedOp("batch norm in evaluation mode (the importer "
                            "traces training steps: call model.train())")
    dims, count = _channel_dims(x)
    y, mean, rstd = _normalize(e, x, dims, count, eps)
    if weight is not None:
        y = e.elementwise(x.shape, [y, _per_channel(e, weight, x)],
                          lambda s, a, w: s.mul(a, w))
    if bias is not None:
        y = e.elementwise(x.shape, [y, _per_channel(e, bias, x)],
                          lambda s, a, b: s.add(a, b))
    # save_mean and save_invstd are (C,).
    return (y, e.reshape(mean, [x.shape[1]]), e.reshape(rstd, [x.shape[1]]))


@lowering(aten.native_batch_norm_backward.default)
def _batch_norm_backward(e, node, args):
    grad, x, weight, _, _, mean, rstd, training, _, mask = args
    if not training:
        raise UnsupportedOp("batch norm in evaluation mode")
    dims, count = _channel_dims(x)
    mean, rstd = _per_channel(e, mean, x), _per_channel(e, rstd, x)
    xhat = _normalized_input(e, x, mean, rstd)
    results = [None, None, None]
    if mask[0]:
        dxhat = grad if weight is None else e.elementwise(
            x.shape, [grad, _per_channel(e, weight, x)],
            lambda s, g, w: s.mul(g, w))
        results[0] = _normalize_backward(e, xhat, rstd, dxhat, dims, count)
    if mask[1] and weight is not None:
        results[1] = e.reduce(e.elementwise(
            x.shape, [grad, xhat], lambda s, g, h: s.mul(g, h)), dims, False)
    if mask[2] and weight is not None:
        results[2] = e.reduce(grad, dims, False)
    return tuple(results)
