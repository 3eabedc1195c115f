#===- windows.py - convolution and pooling, forward and backward ---------===#
#
# Part of the qopt project, under the Apache License v2.0 with LLVM
# Exceptions. See LICENSE for license information.
# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
#
#===----------------------------------------------------------------------===#
#
# 2-D convolution (aten.convolution, aten.convolution_backward), max pooling
# (aten.max_pool2d_with_indices and its backward) and average pooling
# (aten.avg_pool2d and its backward) on NCHW tensors, as linalg.generic ops
# whose indexing maps are affine in the loop indices:
#
# * a window of output o at kernel offset k reads input o * stride +
#   k * dilation of the padded input (padding: a filled tensor with the
#   input inserted at the padding offset);
# * a backward pass gathers instead of scattering: the output gradient is
#   spread `stride` apart into a zero tensor, offset by the kernel's reach
#   A = (K - 1) * dilation, so that input i (padded: i + pad) receives, for
#   every kernel offset k, entry i + pad + k * dilation of the spread
#   gradient -- that of the output whose window holds i at offset K - 1 - k,
#   or a zero where no window does. No output map is ever non-injective.
#
# Max pooling's indices are the flat position h * W + w of each window's
# first maximum in row-major order (PyTorch's CPU kernel keeps the first of
# equal maxima), carried as f32 (exact below 2^24) in a PoolIndices that only
# max_pool2d_with_indices_backward reads.
#
#===----------------------------------------------------------------------===#

import math

import torch

from .emit import UnsupportedOp, Value
from .ops import lowering, out_shape

aten = torch.ops.aten


class PoolIndices:
    """Max pooling's argmax positions (f32), readable only by its backward
    lowering."""

    def __init__(self, value):
        self.value = value


def _pair(value, what, default=None):
    if value is None or (isinstance(value, (list, tuple)) and not value):
        if default is None:
            raise UnsupportedOp("%s missing" % what)
        return list(default)
    if isinstance(value, int):
        return [value, value]
    value = list(value)
    if len(value) == 1:
        return value * 2
    if len(value) != 2 or not all(isinstance(v, int) for v in value):
        raise UnsupportedOp("%s = %r (2-D windows only)" % (what, value))
    return value


def _expect_nchw(x, what):
    if not isinstance(x, Value) or len(x.shape) != 4:
        raise UnsupportedOp("%s on a %s input (NCHW tensors only)" %
                            (what, "%d-D" % len(x.shape)
                             if isinstance(x, Value) else repr(x)))


def _lin(d, scale, k=None, kscale=1, offset=0):
    """The affine expression d * scale + k * kscale + offset."""
    if offset < 0:
        raise UnsupportedOp("negative window offset")
    expr = "d%d" % d if scale == 1 else "d%d * %d" % (d, scale)
    if k is not None:
        sign = " - " if kscale < 0 else " + "
        expr += sign + ("d%d" % k if abs(kscale) == 1 else
                        "d%d * %d" % (k, abs(kscale)))
    if offset:
        expr += " + %d" % offset
    return expr


def _spread_size(size, out, stride, reach, pad):
    """Length of the spread gradient: room for the outputs from offset
    `reach` and for every read i + pad + k * dilation, i < size."""
    return max(reach + (out - 1) * stride + 1, size + pad + reach)


# -- convolution --------------------------------------------------------------

def _conv_params(args, first):
    stride, padding, dilation, transposed, output_padding, groups = \
        args[first:first + 6]
    if transposed:
        raise UnsupportedOp("transposed convolution")
    if groups != 1:
        raise UnsupportedOp("convolution with groups=%r" % groups)
    return (_pair(stride, "stride"), _pair(padding, "padding"),
            _pair(dilation, "dilation"))


@lowering(aten.convolution.default)
def _convolution(e, node, args):
    x, w, bias = args[0], args[1], args[2]
    _expect_nchw(x, "convolution")
    stride, padding, dilation = _conv_params(args, 3)
    n, ci, h, wd = x.shape
    co, ci2, kh, kw = w.shape
    if ci2 != ci:
        raise UnsupportedOp("convolution of %s channels with a %s weight" %
                            (ci, w.shape))
    oh, ow = out_shape(node)[2:]
    xp = e.spread2d(x, [n, ci, h + 2 * padding[0], wd + 2 * padding[1]],
                    padding, [1, 1], 0.0)
    if bias is None:
        init = e.filled([n, co, oh, ow], 0.0)
    else:
        init = e.elementwise([n, co, oh, ow], [e.reshape(bias, [co, 1, 1])],
                             lambda s, b: b)
    # Loops (n, co, oh, ow, ci, kh, kw).
    return e.generic(
        [n, co, oh, ow],
        [(xp, ["d0", "d4", _lin(2, stride[0], 5, dilation[0]),
               _lin(3, stride[1], 6, dilation[1])]),
         (w, ["d1", "d4", "d5", "d6"])],
        lambda s, a, b, acc: s.add(acc, s.mul(a, b)),
        iterators=["parallel"] * 4 + ["reduction"] * 3,
        out_init=(init, ["d0", "d1", "d2", "d3"]))


@lowering(aten.convolution_backward.default)
def _convolution_backward(e, node, args):
    grad, x, w, bias_sizes = args[0], args[1], args[2], args[3]
    _expect_nchw(x, "convolution_backward")
    stride, padding, dilation = _conv_params(args, 4)
    mask = args[10]
    n, ci, h, wd = x.shape
    co, _, kh, kw = w.shape
    oh, ow = grad.shape[2:]
    results = [None, None, None]
    if mask[0]:
        reach = [(kh - 1) * dilation[0], (kw - 1) * dilation[1]]
        size = [_spread_size(h, oh, stride[0], reach[0], padding[0]),
                _spread_size(wd, ow, stride[1], reach[1], padding[1])]
        spread = e.spread2d(grad, [n, co] + size, reach, stride, 0.0)
        # Loops (n, ci, i, j, co, kh, kw): the spread gradient is read
        # backwards (the output whose window holds i at offset kh), so the
        # weight is read straight and every loop has a plain index.
        results[0] = e.generic(
            [n, ci, h, wd],
            [(spread, ["d0", "d4",
                       _lin(2, 1, 5, -dilation[0], padding[0] + reach[0]),
                       _lin(3, 1, 6, -dilation[1], padding[1] + reach[1])]),
             (w, ["d4", "d1", "d5", "d6"])],
            lambda s, g, b, acc: s.add(acc, s.mul(g, b)),
            iterators=["parallel"] * 4 + ["reduction"] * 3,
            out_init=(e.filled([n, ci, h, wd], 0.0),
                      ["d0", "d1", "d2", "d3"]))
    if mask[1]:
        xp = e.spread2d(x, [n, ci, h + 2 * padding[0], wd + 2 * padding[1]],
                        padding, [1, 1], 0.0)
        # Loops (co, ci, kh, kw, n, oh, ow).
        results[1] = e.generic(
            [co, ci, kh, kw],
            [(grad, ["d4", "d0", "d5", "d6"]),
             (xp, ["d4", "d1", _lin(5, stride[0], 2, dilation[0]),
                   _lin(6, stride[1], 3, dilation[1])])],
            lambda s, g, a, acc: s.add(acc, s.mul(g, a)),
            iterators=["parallel"] * 4 + ["reduction"] * 3,
            out_init=(e.filled([co, ci, kh, kw], 0.0),
                      ["d0", "d1", "d2", "d3"]))
    if mask[2]:
        if list(bias_sizes or []) != [co]:
            raise UnsupportedOp("convolution_backward with bias sizes %r" %
                                (bias_sizes,))
        results[2] = e.reduce(grad, [0, 2, 3], False)
    return tuple(results)


# -- pooling ------------------------------------------------------------------

def _pool_params(x, args, what):
    _expect_nchw(x, what)
    kernel = _pair(args[1], "kernel_size")
    stride = _pair(args[2] if len(args) > 2 else None, "stride", kernel)
    padding = _pair(args[3] if len(args) > 3 else 0, "padding")
    if padding[0] * 2 > kernel[0] or padding[1] * 2 > kernel[1]:
        raise UnsupportedOp("padding %r over half the kernel %r" %
                            (padding, kernel))
    return kernel, stride, padding


def _window(e, kernel):
    """An unread kernel-shaped operand giving the window loops (d4, d5) a
    plain index, as linalg's pooling ops do: linalg needs the indexing maps
    together to be invertible."""
    return (Value(e.empty(list(kernel)), list(kernel)), ["d4", "d5"])


def _window_reads(stride, dilation):
    """The padded input's map in loops (n, c, oh, ow, kh, kw)."""
    return ["d0", "d1", _lin(2, stride[0], 4, dilation[0]),
            _lin(3, stride[1], 5, dilation[1])]


@lowering(aten.max_pool2d_with_indices.default)
def _max_pool(e, node, args):
    x = args[0]
    kernel, stride, padding = _pool_params(x, args, "max_pool2d")
    dilation = _pair(args[4] if len(args) > 4 else 1, "dilation")
    if len(args) > 5 and args[5]:
        raise UnsupportedOp("max_pool2d with ceil_mode=True")
    n, c, h, w = x.shape
    # (A tuple-valued node has no tensor_meta.)
    oh, ow = [(size + 2 * p - d * (k - 1) - 1) // st + 1 for size, p, d, k, st
              in zip([h, w], padding, dilation, kernel, stride)]
    hp, wp = h + 2 * padding[0], w + 2 * padding[1]
    xp = e.spread2d(x, [n, c, hp, wp], padding, [1, 1], float("-inf"))
    reads = _window_reads(stride, dilation)
    iterators = ["parallel"] * 4 + ["reduction"] * 2
    out = e.generic(
        [n, c, oh, ow], [(xp, reads), _window(e, kernel)],
        lambda s, a, _, acc: s.max(acc, a),
        iterators=iterators,
        out_init=(e.filled([n, c, oh, ow], float("-inf")),
                  ["d0", "d1", "d2", "d3"]))
    # Flat positions h * W + w of the padded input; +inf in the padding, so
    # that the first maximum in row-major order is the smallest position.
    pos = torch.full((hp, wp), float("inf"))
    pos[padding[0]:padding[0] + h, padding[1]:padding[1] + w] = \
        torch.arange(h * w, dtype=torch.float32).reshape(h, w)
    positions = e.constant(pos)
    index = e.generic(
        [n, c, oh, ow],
        [(xp, reads), (positions, reads[2:]), (out, ["d0", "d1", "d2", "d3"]),
         _window(e, kernel)],
        lambda s, a, p, m, _, acc: s.min(acc, s.select_eq(
            a, m, p, s.const(float("inf")))),
        iterators=iterators,
        out_init=(e.filled([n, c, oh, ow], float("inf")),
                  ["d0", "d1", "d2", "d3"]))
    return (out, PoolIndices(index))


@lowering(aten.max_pool2d_with_indices_backward.default)
def _max_pool_backward(e, node, args):
    grad, x = args[0], args[1]
    kernel, stride, padding = _pool_params(x, [x] + list(args[2:5]),
                                           "max_pool2d_backward")
    dilation = _pair(args[5], "dilation")
    if args[6]:
        raise UnsupportedOp("max_pool2d_backward with ceil_mode=True")
    indices = args[7]
    if not isinstance(indices, PoolIndices):
        raise UnsupportedOp("max_pool2d_backward of indices that are not "
                            "max_pool2d_with_indices'")
    n, c, h, w = x.shape
    oh, ow = grad.shape[2:]
    reach = [(kernel[0] - 1) * dilation[0], (kernel[1] - 1) * dilation[1]]
    size = [_spread_size(h, oh, stride[0], reach[0], padding[0]),
            _spread_size(w, ow, stride[1], reach[1], padding[1])]
    spread = e.spread2d(grad, [n, c] + size, reach, stride, 0.0)
    # -1: no window's maximum, never a position.
    spread_index = e.spread2d(indices.value, [n, c] + size, reach, stride,
                              -1.0)
    here = e.constant(torch.arange(h * w, dtype=torch.float32).reshape(h, w))
    reads = ["d0", "d1", _lin(2, 1, 4, dilation[0], padding[0]),
             _lin(3, 1, 5, dilation[1], padding[1])]
    return e.generic(
        [n, c, h, w],
        [(spread, reads), (spread_index, reads), (here, ["d2", "d3"]),
         _window(e, kernel)],
        lambda s, g, i, p, _, acc: s.add(acc, s.select_eq(
            i, p, g, s.const(0.0))),
        iterators=["parallel"] * 4 + ["reduction"] * 2,
        out_init=(e.filled([n, c, h, w], 0.0), ["d0", "d1", "d2", "d3"]))


def _avg_divisor(kernel, padding, ceil_mode, count_include_pad,
                 divisor_override):
    if ceil_mode:
        raise UnsupportedOp("avg_pool2d with ceil_mode=True")
    if divisor_override is not None:
        return float(divisor_override)
    if not count_include_pad and padding != [0, 0]:
        raise UnsupportedOp("avg_pool2d with padding and "
                            "count_include_pad=False")
    return float(kernel[0] * kernel[1])


def _avg_options(args, first):
    rest = list(args[first:first + 3]) + [False, True, None][
        len(args[first:first + 3]):]
    return rest


@lowering(aten.avg_pool2d.default)
def _avg_pool(e, node, args):
    x = args[0]
    kernel, stride, padding = _pool_params(x, args, "avg_pool2d")
    ceil_mode, include_pad, override = _avg_options(args, 4)
    divisor = _avg_divisor(kernel, padding, ceil_mode, include_pad, override)
    n, c, h, w = x.shape
    oh, ow = out_shape(node)[2:]
    xp = e.spread2d(x, [n, c, h + 2 * padding[0], w + 2 * padding[1]],
                    padding, [1, 1], 0.0)
    total = e.generic(
        [n, c, oh, ow], [(xp, _window_reads(stride, [1, 1])),
                         _window(e, kernel)],
        lambda s, a, _, acc: s.add(acc, a),
        iterators=["parallel"] * 4 + ["reduction"] * 2,
        out_init=(e.filled([n, c, oh, ow], 0.0), ["d0", "d1", "d2", "d3"]))
    return e.elementwise([n, c, oh, ow], [total, divisor],
                         lambda s, t, d: s.div(t, d))


@lowering(aten.avg_pool2d_backward.default)
def _avg_pool_backward(e, node, args):
    grad, x = args[0], args[1]
    kernel, stride, padding = _pool_params(x, [x] + list(args[2:5]),
                                           "avg_pool2d_backward")
    ceil_mode, include_pad, override = _avg_options(args, 5)
    divisor = _avg_divisor(kernel, padding, ceil_mode, include_pad, override)
    n, c, h, w = x.shape
    oh, ow = grad.shape[2:]
    # PyTorch adds grad / divisor to every input of the window.
    share = e.elementwise(grad.shape, [grad, divisor],
                          lambda s, g, d: s.div(g, d))
    reach = [kernel[0] - 1, kernel[1] - 1]
    size = [_spread_size(h, oh, stride[0], reach[0], padding[0]),
            _spread_size(w, ow, stride[1], reach[1], padding[1])]
    spread = e.spread2d(share, [n, c] + size, reach, stride, 0.0)
    return e.generic(
        [n, c, h, w],
        [(spread, ["d0", "d1", _lin(2, 1, 4, 1, padding[0]),
                   _lin(3, 1, 5, 1, padding[1])]), _window(e, kernel)],
        lambda s, g, _, acc: s.add(acc, g),
        iterators=["parallel"] * 4 + ["reduction"] * 2,
        out_init=(e.filled([n, c, h, w], 0.0), ["d0", "d1", "d2", "d3"]))
