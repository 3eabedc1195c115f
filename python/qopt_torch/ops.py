#===- ops.py - lowerings of the supported aten ops -----------------------===#
#
# Part of the qopt project, under the Apache License v2.0 with LLVM
# Exceptions. See LICENSE for license information.
# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
#
#===----------------------------------------------------------------------===#
#
# One function per aten overload: lower(emitter, node, args) -> Value, a
# tuple of Values, or a Python number. `args` are the node's arguments with
# the graph's values replaced by Values (or Labels for a class-index target).
# A lowering that meets an argument it does not handle raises UnsupportedOp:
# it never emits code whose meaning differs from PyTorch's.
#
#===----------------------------------------------------------------------===#

import math

import torch

from .emit import Labels, UnsupportedOp, Value

aten = torch.ops.aten
LOWERINGS = {}

SQRT_1_2 = 0.7071067811865476
SQRT_2_PI = 0.7978845608028654


def lowering(*overloads):
    def register(fn):
        for overload in overloads:
            LOWERINGS[overload] = fn
        return fn
    return register


def out_shape(node):
    meta = node.meta.get("tensor_meta")
    return list(meta.shape)


def expect_value(x, what):
    if isinstance(x, Labels):
        raise UnsupportedOp("%s reads the class-index target; only "
                            "nll_loss/cross_entropy may" % what)
    if not isinstance(x, (Value, int, float)):
        raise UnsupportedOp("%s: argument %r" % (what, x))
    return x


def binary(fn):
    def lower(e, node, args):
        a, b = args[0], args[1]
        alpha = node.kwargs.get("alpha", args[2] if len(args) > 2 else 1)
        expect_value(a, node.target)
        expect_value(b, node.target)
        if alpha != 1:
            if not isinstance(b, Value):
                b = b * alpha
            else:
                return e.elementwise(out_shape(node), [a, b, alpha],
                                     lambda s, x, y, al: fn(s, x, s.mul(y, al)))
        return e.elementwise(out_shape(node), [a, b], fn)
    return lower


LOWERINGS[aten.add.Tensor] = binary(lambda s, x, y: s.add(x, y))
LOWERINGS[aten.add.Scalar] = LOWERINGS[aten.add.Tensor]
LOWERINGS[aten.sub.Tensor] = binary(lambda s, x, y: s.sub(x, y))
LOWERINGS[aten.sub.Scalar] = LOWERINGS[aten.sub.Tensor]
LOWERINGS[aten.mul.Tensor] = binary(lambda s, x, y: s.mul(x, y))
LOWERINGS[aten.mul.Scalar] = LOWERINGS[aten.mul.Tensor]
LOWERINGS[aten.div.Tensor] = binary(lambda s, x, y: s.div(x, y))
LOWERINGS[aten.div.Scalar] = LOWERINGS[aten.div.Tensor]


@lowering(aten.rsub.Scalar, aten.rsub.Tensor)
def _rsub(e, node, args):
    if len(args) > 2 and args[2] != 1:
        raise UnsupportedOp("rsub with alpha")
    return e.elementwise(out_shape(node), [args[0], args[1]],
                         lambda s, x, y: s.sub(y, x))


def unary(fn):
    def lower(e, node, args):
        expect_value(args[0], node.target)
        return e.elementwise(out_shape(node), [args[0]], fn)
    return lower


LOWERINGS[aten.neg.default] = unary(lambda s, x: s.neg(x))
LOWERINGS[aten.exp.default] = unary(lambda s, x: s.exp(x))
LOWERINGS[aten.log.default] = unary(lambda s, x: s.log(x))
LOWERINGS[aten.sqrt.default] = unary(lambda s, x: s.sqrt(x))
LOWERINGS[aten.rsqrt.default] = unary(lambda s, x: s.rsqrt(x))
LOWERINGS[aten.tanh.default] = unary(lambda s, x: s.tanh(x))
# relu: NaN stays NaN (maximumf propagates it), as in PyTorch.
LOWERINGS[aten.relu.default] = unary(lambda s, x: s.max(x, s.const(0.0)))
LOWERINGS[aten.sigmoid.default] = unary(
    lambda s, x: s.div(s.const(1.0), s.add(s.const(1.0), s.exp(s.neg(x)))))
LOWERINGS[aten.reciprocal.default] = unary(lambda s, x: s.div(s.const(1.0), x))


@lowering(aten.pow.Tensor_Scalar)
def _pow(e, node, args):
    x, p = args
    if p == 2:
        return e.elementwise(out_shape(node), [x], lambda s, a: s.mul(a, a))
    if p == 1:
        return x
    if p == 0.5:
        return e.elementwise(out_shape(node), [x], lambda s, a: s.sqrt(a))
    if p == 3:
        return e.elementwise(out_shape(node), [x],
                             lambda s, a: s.mul(a, s.mul(a, a)))
    return e.elementwise(out_shape(node), [x, p],
                         lambda s, a, q: s.op("math.powf", a, q))


@lowering(aten.threshold_backward.default)
def _threshold_backward(e, node, args):
    grad, inp, threshold = args
    # grad where inp > threshold, else 0 (PyTorch: inp <= threshold -> 0).
    return e.elementwise(out_shape(node), [grad, inp, threshold],
                         lambda s, g, x, t: s.select_le(x, t, s.const(0.0), g))


@lowering(aten.tanh_backward.default)
def _tanh_backward(e, node, args):
    grad, y = args
    return e.elementwise(out_shape(node), [grad, y],
                         lambda s, g, t: s.mul(g, s.sub(s.const(1.0),
                                                        s.mul(t, t))))


@lowering(aten.sigmoid_backward.default)
def _sigmoid_backward(e, node, args):
    grad, y = args
    return e.elementwise(out_shape(node), [grad, y],
                         lambda s, g, t: s.mul(g, s.mul(t, s.sub(s.const(1.0),
                                                                 t))))


def _gelu_approx(node, args):
    approx = node.kwargs.get("approximate", args[1] if len(args) > 1 else
                             "none")
    if approx not in ("none", "tanh"):
        raise UnsupportedOp("gelu with approximate=%r" % approx)
    return approx


@lowering(aten.gelu.default)
def _gelu(e, node, args):
    if _gelu_approx(node, args) == "none":
        # x/2 (1 + erf(x / sqrt 2))
        return e.elementwise(out_shape(node), [args[0]], lambda s, x: s.mul(
            s.mul(x, s.const(0.5)),
            s.add(s.const(1.0), s.erf(s.mul(x, s.const(SQRT_1_2))))))

    def tanh_form(s, x):
        inner = s.mul(s.const(SQRT_2_PI),
                      s.add(x, s.mul(s.const(0.044715), s.mul(x, s.mul(x, x)))))
        return s.mul(s.mul(x, s.const(0.5)), s.add(s.const(1.0), s.tanh(inner)))
    return e.elementwise(out_shape(node), [args[0]], tanh_form)


@lowering(aten.gelu_backward.default)
def _gelu_backward(e, node, args):
    grad, x = args[0], args[1]
    approx = node.kwargs.get("approximate", args[2] if len(args) > 2 else
                             "none")
    if approx == "none":
        # cdf + x * pdf, pdf = exp(-x^2/2) / sqrt(2 pi)
        def fn(s, g, v):
            cdf = s.mul(s.const(0.5), s.add(s.const(1.0),
                                            s.erf(s.mul(v, s.const(SQRT_1_2)))))
            pdf = s.mul(s.exp(s.mul(s.mul(v, v), s.const(-0.5))),
                        s.const(0.3989422804014327))
            return s.mul(g, s.add(cdf, s.mul(v, pdf)))
        return e.elementwise(out_shape(node), [grad, x], fn)
    if approx == "tanh":
        def fn(s, g, v):
            v3 = s.mul(v, s.mul(v, v))
            inner = s.mul(s.const(SQRT_2_PI),
                          s.add(v, s.mul(s.const(0.044715), v3)))
            t = s.tanh(inner)
            left = s.mul(s.const(0.5), v)
            right = s.add(s.const(1.0), t)
            left_d = s.mul(s.const(0.5), right)
            dinner = s.mul(s.const(SQRT_2_PI), s.add(
                s.const(1.0), s.mul(s.const(3 * 0.044715), s.mul(v, v))))
            right_d = s.mul(s.sub(s.const(1.0), s.mul(t, t)), dinner)
            return s.mul(g, s.add(left_d, s.mul(left, right_d)))
        return e.elementwise(out_shape(node), [grad, x], fn)
    raise UnsupportedOp("gelu_backward with approximate=%r" % approx)


@lowering(aten.detach.default, aten.alias.default, aten.clone.default,
          aten.lift_fresh_copy.default)
def _identity(e, node, args):
    return expect_value(args[0], node.target)


@lowering(aten._to_copy.default)
def _to_copy(e, node, args):
    dtype = node.kwargs.get("dtype", torch.float32)
    if dtype not in (None, torch.float32):
        raise UnsupportedOp("_to_copy to %s" % dtype)
    return expect_value(args[0], node.target)


@lowering(aten.t.default)
def _t(e, node, args):
    x = expect_value(args[0], node.target)
    return e.permute(x, [1, 0]) if len(x.shape) == 2 else x


@lowering(aten.transpose.int)
def _transpose(e, node, args):
    x, a, b = args
    perm = list(range(len(x.shape)))
    a %= len(perm)
    b %= len(perm)
    perm[a], perm[b] = perm[b], perm[a]
    return e.permute(x, perm)


@lowering(aten.permute.default)
def _permute(e, node, args):
    return e.permute(expect_value(args[0], node.target), args[1])


VIEWS = (aten.view.default, aten._unsafe_view.default,
         aten._reshape_alias.default, aten.reshape.default, aten.squeeze.dim,
         aten.squeeze.default, aten.unsqueeze.default,
         aten.flatten.using_ints)


@lowering(*VIEWS)
def _view(e, node, args):
    x = args[0]
    if isinstance(x, Labels) and x.ids is not None:
        # A language model's targets, flattened for cross-entropy.
        return Labels(ids=e.reshape(x.ids, out_shape(node)), bound=x.bound)
    return e.reshape(expect_value(x, node.target), out_shape(node))


@lowering(aten.expand.default)
def _expand(e, node, args):
    x = expect_value(args[0], node.target)
    return e.elementwise(out_shape(node), [x], lambda s, v: v)


@lowering(aten.mm.default)
def _mm(e, node, args):
    return e.matmul(args[0], args[1])


@lowering(aten.bmm.default)
def _bmm(e, node, args):
    return e.matmul(args[0], args[1], batch=True)


@lowering(aten.addmm.default)
def _addmm(e, node, args):
    bias, a, b = args[0], args[1], args[2]
    beta = node.kwargs.get("beta", 1)
    alpha = node.kwargs.get("alpha", 1)
    if beta != 1 or alpha != 1:
        raise UnsupportedOp("addmm with beta=%r alpha=%r" % (beta, alpha))
    product = e.matmul(a, b)
    return e.elementwise(out_shape(node), [bias, product],
                         lambda s, x, y: s.add(x, y))


@lowering(aten.sum.dim_IntList)
def _sum_dim(e, node, args):
    x = expect_value(args[0], node.target)
    dims = args[1] if args[1] is not None else list(range(len(x.shape)))
    keepdim = args[2] if len(args) > 2 else node.kwargs.get("keepdim", False)
    if node.kwargs.get("dtype") not in (None, torch.float32):
        raise UnsupportedOp("sum with dtype")
    if not dims:
        dims = list(range(len(x.shape)))
    return e.reduce(x, dims, keepdim)


@lowering(aten.sum.default)
def _sum(e, node, args):
    x = expect_value(args[0], node.target)
    return e.reduce(x, list(range(len(x.shape))), False)


@lowering(aten.mean.dim)
def _mean_dim(e, node, args):
    x = expect_value(args[0], node.target)
    dims = args[1] or list(range(len(x.shape)))
    keepdim = args[2] if len(args) > 2 else node.kwargs.get("keepdim", False)
    count = math.prod(x.shape[d] for d in dims)
    total = e.reduce(x, dims, keepdim)
    return e.elementwise(total.shape, [total, float(count)],
                         lambda s, v, c: s.div(v, c))


@lowering(aten.mean.default)
def _mean(e, node, args):
    x = expect_value(args[0], node.target)
    total = e.reduce(x, list(range(len(x.shape))), False)
    return e.elementwise([], [total, float(math.prod(x.shape))],
                         lambda s, v, c: s.div(v, c))


def _fill(e, node, value):
    return e.filled(out_shape(node), value)


@lowering(aten.ones_like.default)
def _ones_like(e, node, args):
    return _fill(e, node, 1.0)


@lowering(aten.zeros_like.default)
def _zeros_like(e, node, args):
    return _fill(e, node, 0.0)


@lowering(aten.full_like.default)
def _full_like(e, node, args):
    return _fill(e, node, args[1])


@lowering(aten.full.default)
def _full(e, node, args):
    return _fill(e, node, args[1])


@lowering(aten.zeros.default)
def _zeros(e, node, args):
    return _fill(e, node, 0.0)


@lowering(aten.ones.default)
def _ones(e, node, args):
    return _fill(e, node, 1.0)


@lowering(aten.scalar_tensor.default)
def _scalar_tensor(e, node, args):
    return _fill(e, node, args[0])


@lowering(aten.new_ones.default)
def _new_ones(e, node, args):
    return _fill(e, node, 1.0)


@lowering(aten.new_zeros.default)
def _new_zeros(e, node, args):
    return _fill(e, node, 0.0)


def _check_softmax_dim(x, dim, half_to_float):
    if half_to_float:
        raise UnsupportedOp("softmax with half_to_float")
    return dim % len(x.shape)


def _softmax_parts(e, x, dim):
    """The row maximum and the sum of exp(x - max) along `dim` (kept)."""
    m = e.reduce(x, [dim], True, fn=lambda s, acc, v: s.max(acc, v),
                 init=float("-inf"))
    shifted = e.elementwise(x.shape, [x, m], lambda s, v, mx: s.sub(v, mx))
    sums = e.reduce(e.elementwise(x.shape, [shifted], lambda s, v: s.exp(v)),
                    [dim], True)
    return shifted, sums


@lowering(aten._log_softmax.default)
def _log_softmax(e, node, args):
    x, dim, half = args
    dim = _check_softmax_dim(x, dim, half)
    shifted, sums = _softmax_parts(e, x, dim)
    return e.elementwise(x.shape, [shifted, sums],
                         lambda s, v, t: s.sub(v, s.log(t)))


@lowering(aten._softmax.default)
def _softmax(e, node, args):
    x, dim, half = args
    dim = _check_softmax_dim(x, dim, half)
    shifted, sums = _softmax_parts(e, x, dim)
    return e.elementwise(x.shape, [shifted, sums],
                         lambda s, v, t: s.div(s.exp(v), t))


@lowering(aten._log_softmax_backward_data.default)
def _log_softmax_backward(e, node, args):
    grad, out, dim = args[0], args[1], args[2] % len(args[1].shape)
    # grad - exp(out) * sum(grad, dim)
    total = e.reduce(grad, [dim], True)
    return e.elementwise(out.shape, [grad, out, total],
                         lambda s, g, o, t: s.sub(g, s.mul(s.exp(o), t)))


@lowering(aten._softmax_backward_data.default)
def _softmax_backward(e, node, args):
    grad, out, dim = args[0], args[1], args[2] % len(args[1].shape)
    # out * (grad - sum(grad * out, dim))
    prod = e.elementwise(out.shape, [grad, out], lambda s, g, o: s.mul(g, o))
    total = e.reduce(prod, [dim], True)
    return e.elementwise(out.shape, [grad, out, total],
                         lambda s, g, o, t: s.mul(o, s.sub(g, t)))


def _onehot(e, labels, classes):
    """The one-hot rows of a target given as ids."""
    if labels.bound > classes:
        raise UnsupportedOp("%d classes for targets up to %d (token data are "
                            "bytes: 256 classes)" % (classes, labels.bound - 1))
    rows = e.constant(torch.arange(classes, dtype=torch.float32))
    n = labels.ids.shape[0]
    return e.generic([n, classes], [(labels.ids, ["d0"]), (rows, ["d1"])],
                     lambda s, i, r, _: s.select_eq(i, r, s.const(1.0),
                                                    s.const(0.0)))


def _nll_args(e, node, args, first):
    logp, target, weight, reduction, ignore_index = args[first:first + 5]
    if not isinstance(target, Labels):
        raise UnsupportedOp("nll_loss whose target is not the labels of the "
                            "batch")
    if target.onehot is None:
        if len(logp.shape) != 2 or target.ids.shape != logp.shape[:1]:
            raise UnsupportedOp("nll_loss of %s for targets %s" %
                                (logp.shape, target.ids.shape))
        target = Labels(_onehot(e, target, logp.shape[1]))
    if weight is not None:
        raise UnsupportedOp("nll_loss with class weights")
    if len(logp.shape) != 2:
        raise UnsupportedOp("nll_loss on a %d-D input" % len(logp.shape))
    if reduction not in (1, 2):
        raise UnsupportedOp("nll_loss with reduction='none'")
    if 0 <= ignore_index < logp.shape[1]:
        raise UnsupportedOp("nll_loss with ignore_index=%d (a class)" %
                            ignore_index)
    if target.onehot.shape != logp.shape:
        raise UnsupportedOp("nll_loss: labels %s for log-probabilities %s" %
                            (target.onehot.shape, logp.shape))
    return logp, target.onehot, reduction


@lowering(aten.nll_loss_forward.default)
def _nll_loss_forward(e, node, args):
    logp, onehot, reduction = _nll_args(e, node, args, 0)
    # -sum(logp * onehot) (/ B for the mean): exactly the picked entries.
    picked = e.elementwise(logp.shape, [logp, onehot],
                           lambda s, x, y: s.mul(x, y))
    total = e.reduce(picked, [0, 1], False)
    batch = float(logp.shape[0])
    if reduction == 1:
        loss = e.elementwise([], [total, batch],
                             lambda s, t, b: s.div(s.neg(t), b))
        weight = e.filled([], batch)
    else:
        loss = e.elementwise([], [total], lambda s, t: s.neg(t))
        weight = e.filled([], batch)
    return (loss, weight)


@lowering(aten.nll_loss_backward.default)
def _nll_loss_backward(e, node, args):
    grad_out = args[0]
    logp, onehot, reduction = _nll_args(e, node, args, 1)
    total_weight = args[6]
    if reduction == 1:
        return e.elementwise(logp.shape, [onehot, grad_out, total_weight],
                             lambda s, y, g, w: s.mul(s.neg(y), s.div(g, w)))
    return e.elementwise(logp.shape, [onehot, grad_out],
                         lambda s, y, g: s.mul(s.neg(y), g))


@lowering(aten.mse_loss.default)
def _mse_loss(e, node, args):
    x, y = args[0], args[1]
    reduction = args[2] if len(args) > 2 else 1
    if reduction not in (1, 2):
        raise UnsupportedOp("mse_loss with reduction='none'")
    if isinstance(y, Labels):
        if y.onehot is None:
            raise UnsupportedOp("mse_loss against token ids")
        y = y.onehot
    sq = e.elementwise(x.shape, [x, y],
                       lambda s, a, b: s.mul(s.sub(a, b), s.sub(a, b)))
    total = e.reduce(sq, list(range(len(x.shape))), False)
    if reduction == 2:
        return total
    return e.elementwise([], [total, float(math.prod(x.shape))],
                         lambda s, t, n: s.div(t, n))


@lowering(aten.mse_loss_backward.default)
def _mse_loss_backward(e, node, args):
    grad, x, y = args[0], args[1], args[2]
    reduction = args[3] if len(args) > 3 else 1
    if isinstance(y, Labels):
        if y.onehot is None:
            raise UnsupportedOp("mse_loss against token ids")
        y = y.onehot
    scale = 2.0 / math.prod(x.shape) if reduction == 1 else 2.0
    if reduction not in (1, 2):
        raise UnsupportedOp("mse_loss_backward with reduction='none'")
    # PyTorch: norm * (x - y) * grad with norm = 2 / numel.
    return e.elementwise(x.shape, [x, y, grad, scale],
                         lambda s, a, b, g, n: s.mul(s.mul(n, s.sub(a, b)), g))


# Convolution, pooling and the transformer's ops register themselves.
from . import batchnorm, sequence, windows  # noqa: E402,F401
from .sequence import Indices  # noqa: E402

# Ops evaluated at import time when all their tensor arguments are
# constants (buffers, get_attr tensors, results of these): deterministic
# and side-effect free. The causal mask (a buffer sliced and compared with
# 0, or torch.ones(...).tril()) folds into a constant.
FOLDABLE = {
    aten.arange.default, aten.arange.start, aten.arange.start_step,
    aten.slice.Tensor, aten.select.int, aten.eq.Scalar, aten.eq.Tensor,
    aten.ne.Scalar, aten.ne.Tensor, aten.lt.Scalar, aten.le.Scalar,
    aten.gt.Scalar, aten.ge.Scalar, aten.logical_not.default,
    aten.bitwise_not.default, aten.tril.default, aten.triu.default,
    aten.view.default, aten._unsafe_view.default, aten._reshape_alias.default,
    aten.reshape.default, aten.unsqueeze.default, aten.squeeze.dim,
    aten.expand.default, aten.alias.default, aten.clone.default,
    aten.detach.default, aten.lift_fresh_copy.default, aten._to_copy.default,
    aten.ones.default, aten.zeros.default, aten.full.default,
}

# Random ops (dropout's mask): refused with their own message.
RANDOM = {
    aten.bernoulli_.float, aten.bernoulli_.Tensor, aten.bernoulli.default,
    aten.bernoulli.p, aten.native_dropout.default, aten.rand.default,
    aten.rand_like.default, aten.randn.default, aten.randn_like.default,
    aten.randint.default, aten.randint.low, aten.randperm.default,
    aten.uniform_.default, aten.normal_.default,
}

# What the lowering of a traced value produces (not known at import time).
TRACED = (Value, Labels, windows.PoolIndices, Indices)

# Lowerings that read non-f32 constants (indices, masks) themselves.
CONSTANT_READERS = {
    aten.embedding.default, aten.embedding_dense_backward.default,
    aten.masked_fill.Scalar, aten.where.self,
}

# Ops with a non-f32 result the importer carries in its own form.
INDEX_RESULTS = {aten.max_pool2d_with_indices.default}

# The only readers of the values carried in the importer's own forms.
OPAQUE_READERS = {
    Labels: {aten.nll_loss_forward.default, aten.nll_loss_backward.default,
             aten.mse_loss.default, aten.mse_loss_backward.default} |
    set(VIEWS),
    windows.PoolIndices: {aten.max_pool2d_with_indices_backward.default},
    Indices: {aten.embedding.default, aten.embedding_dense_backward.default},
}
OPAQUE_WHAT = {
    Labels: "the class-index target (only nll_loss/cross_entropy may)",
    windows.PoolIndices: "max pooling's indices (only its backward may)",
    Indices: "token indices (only embedding may)",
}
