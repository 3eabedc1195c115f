#===- sequence.py - layer norm, embeddings, slices and masks -------------===#
#
# Part of the qopt project, under the Apache License v2.0 with LLVM
# Exceptions. See LICENSE for license information.
# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
#
#===----------------------------------------------------------------------===#
#
# The ops a small transformer adds to an MLP, as PyTorch 1.13's make_fx
# decomposes it: native_layer_norm and its backward, embedding and
# embedding_dense_backward, split/slice/cat, and masked_fill/where with a
# constant mask (the causal mask: a buffer sliced and compared, folded by
# the importer into a constant before it reaches these lowerings).
#
# Token indices (the model's int64 input, or a constant such as
# arange(T)) are carried as an f32 tensor of exact integers in an Indices
# value that only the embedding ops read. An embedding row is selected by
# comparing the index with every row number, never by an address computed
# from data: a token outside the table selects no row (a zero vector)
# instead of reading out of bounds.
#
#===----------------------------------------------------------------------===#

import math

import torch

from .emit import UnsupportedOp, Value
from .ops import lowering, out_shape

aten = torch.ops.aten


class Indices:
    """Integer indices (token ids) as an f32 Value of exact integers, all
    below `bound`."""

    def __init__(self, value, bound):
        self.value = value
        self.bound = bound


def as_indices(e, x, what):
    if isinstance(x, Indices):
        return x
    if isinstance(x, torch.Tensor) and not x.is_floating_point() and \
            x.dtype != torch.bool:
        if x.numel() and (x.min() < 0 or x.max() >= 2 ** 24):
            raise UnsupportedOp("%s: indices outside [0, 2^24)" % what)
        return Indices(e.constant(x.to(torch.float32)),
                       int(x.max()) + 1 if x.numel() else 0)
    raise UnsupportedOp("%s: indices %r" % (what, x))


def constant_mask(e, mask, what):
    """A constant bool mask as an f32 Value of 0 and 1."""
    if not isinstance(mask, torch.Tensor) or mask.dtype != torch.bool:
        raise UnsupportedOp("%s with a mask computed from the model's "
                            "values (only constant masks)" % what)
    return e.constant(mask.to(torch.float32))


# -- layer norm ---------------------------------------------------------------

def _norm_dims(x, normalized_shape):
    k = len(normalized_shape)
    if list(x.shape[len(x.shape) - k:]) != list(normalized_shape):
        raise UnsupportedOp("layer norm over %s of a %s input" %
                            (normalized_shape, x.shape))
    dims = list(range(len(x.shape) - k, len(x.shape)))
    return dims, float(math.prod(normalized_shape))


def _mean(e, x, dims, count):
    total = e.reduce(x, dims, True)
    return e.elementwise(total.shape, [total, count],
                         lambda s, t, n: s.div(t, n))


def _normalize(e, x, dims, count, eps):
    """(x - mean) * rstd over `dims`, with rstd = 1 / sqrt(var + eps) of the
    biased variance, as PyTorch's layer and batch norms compute it. Returns
    (normalized x, mean, rstd); mean and rstd keep `dims` as size 1."""
    mean = _mean(e, x, dims, count)
    centred = e.elementwise(x.shape, [x, mean], lambda s, a, m: s.sub(a, m))
    var = _mean(e, e.elementwise(x.shape, [centred],
                                 lambda s, c: s.mul(c, c)), dims, count)
    rstd = e.elementwise(var.shape, [var, float(eps)], lambda s, v, ep: s.div(
        s.const(1.0), s.sqrt(s.add(v, ep))))
    y = e.elementwise(x.shape, [centred, rstd], lambda s, c, r: s.mul(c, r))
    return y, mean, rstd


def _normalized_input(e, x, mean, rstd):
    """xhat = (x - mean) * rstd from the saved statistics."""
    return e.elementwise(x.shape, [x, mean, rstd],
                         lambda s, a, m, r: s.mul(s.sub(a, m), r))


def _normalize_backward(e, xhat, rstd, dxhat, dims, count):
    """The gradient through _normalize, given the gradient dxhat at its
    output: rstd * (dxhat - mean(dxhat) - xhat * mean(dxhat * xhat))."""
    mean_d = _mean(e, dxhat, dims, count)
    mean_dx = _mean(e, e.elementwise(
        xhat.shape, [dxhat, xhat], lambda s, d, h: s.mul(d, h)), dims, count)
    return e.elementwise(
        xhat.shape, [rstd, dxhat, mean_d, xhat, mean_dx],
        lambda s, r, d, md, h, mdh: s.mul(r, s.sub(s.sub(d, md),
                                                   s.mul(h, mdh))))


@lowering(aten.native_layer_norm.default)
def _layer_norm(e, node, args):
    x, shape, weight, bias, eps = args
    dims, count = _norm_dims(x, shape)
    y, mean, rstd = _normalize(e, x, dims, count, eps)
    if weight is not None:
        y = e.elementwise(x.shape, [y, weight], lambda s, a, w: s.mul(a, w))
    if bias is not None:
        y = e.elementwise(x.shape, [y, bias], lambda s, a, b: s.add(a, b))
    return (y, mean, rstd)


@lowering(aten.native_layer_norm_backward.default)
def _layer_norm_backward(e, node, args):
    grad, x, shape, mean, rstd, weight, bias, mask = args
    dims, count = _norm_dims(x, shape)
    batch_dims = list(range(len(x.shape) - len(dims)))
    xhat = _normalized_input(e, x, mean, rstd)
    results = [None, None, None]
    if mask[0]:
        dxhat = grad if weight is None else e.elementwise(
            x.shape, [grad, weight], lambda s, g, w: s.mul(g, w))
        results[0] = _normalize_backward(e, xhat, rstd, dxhat, dims, count)
    if mask[1] and weight is not None:
        results[1] = e.reduce(e.elementwise(
            x.shape, [grad, xhat], lambda s, g, h: s.mul(g, h)),
            batch_dims, False)
    if mask[2] and bias is not None:
        results[2] = e.reduce(grad, batch_dims, False)
    return tuple(results)


# -- embeddings ---------------------------------------------------------------

def _rows(e, count):
    return e.constant(torch.arange(count, dtype=torch.float32))


@lowering(aten.embedding.default)
def _embedding(e, node, args):
    weight = args[0]
    indices = as_indices(e, args[1], "embedding")
    if len(args) > 4 and args[4]:
        raise UnsupportedOp("sparse embedding")
    if len(weight.shape) != 2:
        raise UnsupportedOp("embedding table of shape %s" % weight.shape)
    v, d = weight.shape
    if indices.bound > v:
        raise UnsupportedOp("a table of %d rows for ids up to %d (token "
                            "data are bytes: 256 rows)" % (v, indices.bound - 1))
    shape = indices.value.shape
    r = len(shape)
    loops = ["d%d" % i for i in range(r)]
    # Loops (indices..., d, row): the sum of the selected row and zeros.
    return e.generic(
        shape + [d],
        [(indices.value, loops), (weight, ["d%d" % (r + 1), "d%d" % r]),
         (_rows(e, v), ["d%d" % (r + 1)])],
        lambda s, i, w, row, acc: s.add(acc, s.select_eq(i, row, w,
                                                         s.const(0.0))),
        iterators=["parallel"] * (r + 1) + ["reduction"],
        out_init=(e.filled(shape + [d], 0.0), loops + ["d%d" % r]))


@lowering(aten.embedding_dense_backward.default)
def _embedding_backward(e, node, args):
    grad, indices, num_weights, padding_idx, scale_by_freq = args
    indices = as_indices(e, indices, "embedding_dense_backward")
    if scale_by_freq:
        raise UnsupportedOp("embedding with scale_grad_by_freq")
    shape = indices.value.shape
    r = len(shape)
    d = grad.shape[-1]
    rows = torch.arange(num_weights, dtype=torch.float32)
    if padding_idx is not None and padding_idx >= 0:
        rows[padding_idx] = -1.0  # the padding row gets no gradient
    loops = ["d%d" % (2 + i) for i in range(r)]
    # Loops (row, d, indices...).
    return e.generic(
        [num_weights, d],
        [(grad, loops + ["d1"]), (indices.value, loops),
         (e.constant(rows), ["d0"])],
        lambda s, g, i, row, acc: s.add(acc, s.select_eq(i, row, g,
                                                         s.const(0.0))),
        iterators=["parallel"] * 2 + ["reduction"] * r,
        out_init=(e.filled([num_weights, d], 0.0), ["d0", "d1"]))


# -- slices -------------------------------------------------------------------

def _slice(e, x, dim, start, end, step):
    rank = len(x.shape)
    dim %= rank
    size = x.shape[dim]
    start, count = _slice_bounds(size, start, end, step)
    if start == 0 and count == size:
        return x
    offsets = [0] * rank
    sizes = list(x.shape)
    strides = [1] * rank
    offsets[dim], sizes[dim], strides[dim] = start, count, step
    return e.extract_slice(x, offsets, sizes, strides)


@lowering(aten.slice.Tensor)
def _slice_tensor(e, node, args):
    x = args[0]
    dim, start, end, step = (list(args[1:]) + [0, None, None, 1][
        len(args) - 1:])[:4]
    return _slice(e, x, dim, start, end, step)


@lowering(aten.split.Tensor, aten.split_with_sizes.default)
def _split(e, node, args):
    x, sizes = args[0], args[1]
    dim = (args[2] if len(args) > 2 else 0) % len(x.shape)
    total = x.shape[dim]
    if isinstance(sizes, int):
        sizes = [min(sizes, total - i) for i in range(0, total, sizes)]
    parts, start = [], 0
    for size in sizes:
        parts.append(_slice(e, x, dim, start, start + size, 1))
        start += size
    return tuple(parts)


@lowering(aten.cat.default)
def _cat(e, node, args):
    tensors = [t for t in args[0]]
    for t in tensors:
        if not isinstance(t, Value):
            raise UnsupportedOp("cat of %r" % (t,))
    shape = out_shape(node)
    dim = (args[1] if len(args) > 1 else 0) % len(shape)
    result = Value(e.empty(shape), shape)
    offset = 0
    for t in tensors:
        offsets = [0] * len(shape)
        offsets[dim] = offset
        result = e.insert_slice(t, result, offsets, [1] * len(shape))
        offset += t.shape[dim]
    return result


# -- masks --------------------------------------------------------------------

@lowering(aten.masked_fill.Scalar)
def _masked_fill(e, node, args):
    x, mask, value = args
    m = constant_mask(e, mask, "masked_fill")
    return e.elementwise(out_shape(node), [x, m], lambda s, a, k: s.select_gt(
        k, s.const(0.5), s.const(value), a))


@lowering(aten.where.self)
def _where(e, node, args):
    cond, a, b = args
    m = constant_mask(e, cond, "where")
    return e.elementwise(out_shape(node), [m, a, b],
                         lambda s, k, x, y: s.select_gt(k, s.const(0.5), x, y))


def _slice_bounds(size, start, end, step):
    start = 0 if start is None else start
    end = size if end is None else end
    if step < 1:
        raise UnsupportedOp("slice with step %d" % step)
    start = min(max(start + size if start < 0 else start, 0), size)
    end = min(max(end + size if end < 0 else end, start), size)
    return start, (end - start + step - 1) // step


@lowering(aten.select.int)
def _select(e, node, args):
    x, dim, index = args
    dim %= len(x.shape)
    index = index + x.shape[dim] if index < 0 else index
    if not 0 <= index < x.shape[dim]:
        raise UnsupportedOp("select of index %d out of %d" %
                            (index, x.shape[dim]))
    part = _slice(e, x, dim, index, index + 1, 1)
    return e.reshape(part, out_shape(node))


@lowering(aten.select_backward.default)
def _select_backward(e, node, args):
    grad, sizes, dim, index = args
    sizes = list(sizes)
    dim %= len(sizes)
    index = index + sizes[dim] if index < 0 else index
    kept = list(sizes)
    kept[dim] = 1
    offsets = [0] * len(sizes)
    offsets[dim] = index
    return e.insert_slice(e.reshape(grad, kept), e.filled(sizes, 0.0),
                          offsets, [1] * len(sizes))


@lowering(aten.slice_backward.default)
def _slice_backward(e, node, args):
    grad, sizes, dim, start, end, step = args
    sizes = list(sizes)
    dim %= len(sizes)
    start, count = _slice_bounds(sizes[dim], start, end, step)
    if count != grad.shape[dim]:
        raise UnsupportedOp("slice_backward of %s into %s" %
                            (grad.shape, sizes))
    offsets = [0] * len(sizes)
    offsets[dim] = start
    strides = [1] * len(sizes)
    strides[dim] = step
    return e.insert_slice(grad, e.filled(sizes, 0.0), offsets, strides)
