#===- emit.py - aten ops of an FX graph to linalg on tensors -------------===#
#
# Part of the qopt project, under the Apache License v2.0 with LLVM
# Exceptions. See LICENSE for license information.
# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
#
#===----------------------------------------------------------------------===#
#
# Lowers the aten ops of a make_fx graph (forward and backward of a model and
# its loss) to MLIR text in the linalg, tensor, arith and math dialects, on
# static f32 tensors. Every op has its own lowering below; an op without one
# raises UnsupportedOp, which names the op and the model's source line: the
# importer never guesses.
#
#===----------------------------------------------------------------------===#

import math
import struct

import torch


# Eigen's generic_fast_erf_float: odd numerator, even denominator, highest
# degree first.
ERF_ALPHA = [-2.72614225801306e-10, 2.77068142495902e-08, -2.10102402082508e-06,
             -5.69250639462346e-05, -7.34990630326855e-04,
             -2.95459980854025e-03, -1.60960333262415e-02]
ERF_BETA = [-1.45660718464996e-05, -2.13374055278905e-04,
            -1.68282697438203e-03, -7.37332916720468e-03,
            -1.42647390514189e-02]


class UnsupportedOp(Exception):
    """An aten op (or a use of an op) the importer has no lowering for."""


def f32(value):
    """`value` rounded to f32, as a Python float."""
    return struct.unpack("<f", struct.pack("<f", float(value)))[0]


def f32_literal(value):
    """An MLIR f32 literal that parses back to f32(value) exactly."""
    value = f32(value)
    if math.isnan(value):
        return "0x7FC00000"
    if math.isinf(value):
        return "0x7F800000" if value > 0 else "0xFF800000"
    return "%.9e" % value


def tensor_type(shape, elem="f32"):
    dims = "".join("%dx" % d for d in shape)
    return "tensor<%s%s>" % (dims, elem)


def dense_hex(tensor):
    """A dense attribute holding the f32 values of `tensor` bit for bit."""
    data = tensor.detach().to(torch.float32).contiguous().numpy().tobytes()
    return 'dense<"0x%s"> : %s' % (data.hex().upper(),
                                   tensor_type(list(tensor.shape)))


def source_line(node):
    """The model's source line that produced `node` (from its stack trace):
    the last frame outside torch and functorch, or None."""
    trace = node.meta.get("stack_trace") or getattr(node, "stack_trace", None)
    if not trace:
        return None
    lines = trace.strip().splitlines()
    frames = []
    for i, line in enumerate(lines):
        line = line.strip()
        if line.startswith('File "'):
            code = lines[i + 1].strip() if i + 1 < len(lines) else ""
            frames.append((line, code))
    # walk_stack lists the innermost frame first.
    for where, code in frames:
        if "/torch/" in where or "/functorch/" in where or \
                "/qopt_torch/" in where or "<frozen" in where:
            continue
        return "%s: %s" % (where, code) if code else where
    return None


class Value:
    """An SSA value of the emitted function: name, shape and element type."""

    def __init__(self, name, shape, elem="f32"):
        self.name = name
        self.shape = list(shape)
        self.elem = elem

    @property
    def type(self):
        return tensor_type(self.shape, self.elem)


class Labels:
    """The class-index target of a classification loss: the runner's one-hot
    f32 labels (`onehot`), or the next tokens of a language model (`ids`:
    exact integers in f32, below `bound`). Only views and the nll_loss ops
    may read it."""

    def __init__(self, onehot=None, ids=None, bound=None):
        self.onehot = onehot
        self.ids = ids
        self.bound = bound


class Body:
    """Scalar code inside a linalg.generic region."""

    def __init__(self, emitter):
        self.emitter = emitter
        self.lines = []

    def op(self, name, *operands, ty="f32", attrs=""):
        result = self.emitter.fresh("s")
        self.lines.append("%s = %s %s%s : %s" %
                          (result, name, ", ".join(operands), attrs, ty))
        return result

    def const(self, value):
        result = self.emitter.fresh("c")
        self.lines.append("%s = arith.constant %s : f32" %
                          (result, f32_literal(value)))
        return result

    # Scalar helpers (f32).
    def add(self, a, b): return self.op("arith.addf", a, b)
    def sub(self, a, b): return self.op("arith.subf", a, b)
    def mul(self, a, b): return self.op("arith.mulf", a, b)
    def div(self, a, b): return self.op("arith.divf", a, b)
    def neg(self, a): return self.op("arith.negf", a)
    def max(self, a, b): return self.op("arith.maximumf", a, b)
    def exp(self, a): return self.op("math.exp", a)
    def log(self, a): return self.op("math.log", a)
    def tanh(self, a): return self.op("math.tanh", a)
    def erf(self, a):
        """erf as Eigen's f32 rational approximation (|error| <= 4.2e-7 on
        f32 inputs, measured against torch.erf): qopt's CPU pipeline has no
        lowering of math.erf."""
        x = self.max(self.op("arith.minimumf", a, self.const(4.0)),
                     self.const(-4.0))
        x2 = self.mul(x, x)
        p = self.const(ERF_ALPHA[0])
        for c in ERF_ALPHA[1:]:
            p = self.add(self.mul(p, x2), self.const(c))
        p = self.mul(p, x)
        q = self.const(ERF_BETA[0])
        for c in ERF_BETA[1:]:
            q = self.add(self.mul(q, x2), self.const(c))
        return self.div(p, q)
    def sqrt(self, a): return self.op("math.sqrt", a)
    def floor(self, a): return self.op("math.floor", a)
    def rsqrt(self, a): return self.op("math.rsqrt", a)

    def select_gt(self, a, b, if_true, if_false):
        """a > b ? if_true : if_false (false for NaN, as PyTorch's mask)."""
        cond = self.emitter.fresh("cond")
        self.lines.append("%s = arith.cmpf ogt, %s, %s : f32" % (cond, a, b))
        return self.op("arith.select", cond, if_true, if_false)

    def select_eq(self, a, b, if_true, if_false):
        """a == b ? if_true : if_false (false when either is NaN)."""
        cond = self.emitter.fresh("cond")
        self.lines.append("%s = arith.cmpf oeq, %s, %s : f32" % (cond, a, b))
        return self.op("arith.select", cond, if_true, if_false)

    def min(self, a, b): return self.op("arith.minimumf", a, b)

    def select_le(self, a, b, if_true, if_false):
        cond = self.emitter.fresh("cond")
        self.lines.append("%s = arith.cmpf ule, %s, %s : f32" % (cond, a, b))
        return self.op("arith.select", cond, if_true, if_false)


def _dims(rank):
    return ", ".join("d%d" % i for i in range(rank))


def _map(rank, exprs):
    return "affine_map<(%s) -> (%s)>" % (_dims(rank), ", ".join(exprs))


class Emitter:
    """Accumulates the lines of one function body."""

    def __init__(self):
        self.lines = []
        self.counter = 0

    def fresh(self, prefix="v"):
        self.counter += 1
        return "%%%s%d" % (prefix, self.counter)

    def emit(self, line):
        self.lines.append("  " + line)

    # -- building blocks ---------------------------------------------------

    def empty(self, shape):
        name = self.fresh("e")
        self.emit("%s = tensor.empty() : %s" % (name, tensor_type(shape)))
        return name

    def filled(self, shape, value):
        init = self.empty(shape)
        c = self.fresh("c")
        self.emit("%s = arith.constant %s : f32" % (c, f32_literal(value)))
        name = self.fresh("f")
        self.emit("%s = linalg.fill ins(%s : f32) outs(%s : %s) -> %s" %
                  (name, c, init, tensor_type(shape), tensor_type(shape)))
        return Value(name, shape)

    def generic(self, out_shape, inputs, body_fn, iterators=None,
                out_init=None):
        """A linalg.generic over the loops of `out_shape` (or of
        `iterators`' length) with `inputs` = [(Value, [affine exprs])]; the
        body gets the block arguments (inputs then the accumulator) and
        returns the yielded scalar."""
        rank = len(iterators) if iterators is not None else len(out_shape)
        iterators = iterators or ["parallel"] * rank
        maps = [_map(rank, exprs) for _, exprs in inputs]
        if out_init is None:
            out_init = Value(self.empty(out_shape), out_shape)
            out_exprs = ["d%d" % i for i in range(rank)]
        else:
            out_init, out_exprs = out_init
        maps.append(_map(rank, out_exprs))
        body = Body(self)
        args = [self.fresh("a") for _ in range(len(inputs) + 1)]
        result_scalar = body_fn(body, *args)
        name = self.fresh("g")
        ins = ""
        if inputs:
            ins = "ins(%s : %s) " % (", ".join(v.name for v, _ in inputs),
                                     ", ".join(v.type for v, _ in inputs))
        self.emit("%s = linalg.generic {indexing_maps = [%s], "
                  "iterator_types = [%s]} %souts(%s : %s) {" %
                  (name, ", ".join(maps),
                   ", ".join('"%s"' % it for it in iterators), ins,
                   out_init.name, out_init.type))
        self.emit("^bb0(%s):" % ", ".join("%s: f32" % a for a in args))
        for line in body.lines:
            self.emit("  " + line)
        self.emit("  linalg.yield %s : f32" % result_scalar)
        self.emit("} -> %s" % out_init.type)
        return Value(name, out_init.shape)

    def broadcast_exprs(self, shape, out_shape):
        """Index expressions reading `shape` broadcast (numpy rules) to
        `out_shape`."""
        offset = len(out_shape) - len(shape)
        if offset < 0:
            raise UnsupportedOp("cannot broadcast %s to %s" %
                                (shape, out_shape))
        exprs = []
        for i, d in enumerate(shape):
            o = out_shape[offset + i]
            if d == o:
                exprs.append("d%d" % (offset + i))
            elif d == 1:
                exprs.append("0")
            else:
                raise UnsupportedOp("cannot broadcast %s to %s" %
                                    (shape, out_shape))
        return exprs

    def elementwise(self, out_shape, operands, fn):
        """out = fn(operands...) element by element, with broadcasting.
        Operands are Values or Python numbers (constants in the body)."""
        inputs = []
        slots = []
        for o in operands:
            if isinstance(o, Value):
                slots.append(len(inputs))
                inputs.append((o, self.broadcast_exprs(o.shape, out_shape)))
            else:
                slots.append(float(o))

        def body(b, *args):
            scalars = [args[s] if isinstance(s, int) else b.const(s)
                       for s in slots]
            return fn(b, *scalars)

        return self.generic(out_shape, inputs, body)

    def reduce(self, value, dims, keepdim, fn=None, init=0.0):
        """Sum (or fn(acc, x)) of `value` over `dims`."""
        rank = len(value.shape)
        dims = sorted(d % rank for d in dims) if rank else []
        out_shape = [s for i, s in enumerate(value.shape) if i not in dims]
        acc = self.filled(out_shape, init)
        out_exprs = ["d%d" % i for i in range(rank) if i not in dims]
        iterators = ["reduction" if i in dims else "parallel"
                     for i in range(rank)]
        fn = fn or (lambda b, acc, x: b.add(acc, x))
        result = self.generic(
            out_shape, [(value, ["d%d" % i for i in range(rank)])],
            lambda b, x, a: fn(b, a, x), iterators=iterators,
            out_init=(acc, out_exprs))
        if keepdim:
            kept = [1 if i in dims else s for i, s in enumerate(value.shape)]
            result = self.reshape(result, kept)
        return result

    def constant(self, tensor):
        """An f32 constant holding `tensor` bit for bit."""
        name = self.fresh("k")
        self.emit("%s = arith.constant %s" % (name, dense_hex(tensor)))
        return Value(name, list(tensor.shape))

    def insert_slice(self, source, dest, offsets, strides):
        """`dest` with `source` written at `offsets`, `strides` apart."""
        name = self.fresh("i")
        self.emit("%s = tensor.insert_slice %s into %s[%s] [%s] [%s] : %s "
                  "into %s" % (name, source.name, dest.name,
                               ", ".join(map(str, offsets)),
                               ", ".join(map(str, source.shape)),
                               ", ".join(map(str, strides)), source.type,
                               dest.type))
        return Value(name, dest.shape)

    def extract_slice(self, value, offsets, sizes, strides):
        """The slice of `value` at `offsets`, `sizes` long, `strides`
        apart."""
        out = Value(self.fresh("x"), list(sizes))
        self.emit("%s = tensor.extract_slice %s[%s] [%s] [%s] : %s to %s" % (
            out.name, value.name, ", ".join(map(str, offsets)),
            ", ".join(map(str, sizes)), ", ".join(map(str, strides)),
            value.type, out.type))
        return out

    def spread2d(self, value, shape, offsets, strides, fill):
        """A tensor of `shape` (same leading two dimensions as `value`)
        filled with `fill`, with `value` written into its last two
        dimensions from `offsets` on, `strides` apart: padding (strides 1)
        and the dilated gradients of strided windows."""
        if list(shape) == value.shape and offsets == [0, 0] and \
                strides == [1, 1]:
            return value
        dest = self.filled(list(shape), fill)
        return self.insert_slice(value, dest, [0, 0] + list(offsets),
                                 [1, 1] + list(strides))

    def reshape(self, value, shape):
        shape = list(shape)
        if shape == value.shape:
            return value
        numel = math.prod(value.shape)
        if numel != math.prod(shape):
            raise UnsupportedOp("reshape of %s to %s" % (value.shape, shape))
        flat = value
        if len(value.shape) != 1:
            flat = Value(self.fresh("r"), [numel])
            if not value.shape:
                # tensor<f32> -> tensor<1xf32>
                self.emit("%s = tensor.expand_shape %s [] output_shape [1] "
                          ": %s into %s" % (flat.name, value.name, value.type,
                                            flat.type))
            else:
                assoc = "[[%s]]" % ", ".join(
                    str(i) for i in range(len(value.shape)))
                self.emit("%s = tensor.collapse_shape %s %s : %s into %s" %
                          (flat.name, value.name, assoc, value.type,
                           flat.type))
        if len(shape) == 1:
            return flat
        out = Value(self.fresh("r"), shape)
        if not shape:
            self.emit("%s = tensor.collapse_shape %s [] : %s into %s" %
                      (out.name, flat.name, flat.type, out.type))
        else:
            assoc = "[[%s]]" % ", ".join(str(i) for i in range(len(shape)))
            self.emit("%s = tensor.expand_shape %s %s output_shape [%s] : "
                      "%s into %s" % (out.name, flat.name, assoc,
                                      ", ".join(map(str, shape)), flat.type,
                                      out.type))
        return out

    def permute(self, value, perm):
        rank = len(value.shape)
        perm = [p % rank for p in perm]
        if perm == list(range(rank)):
            return value
        out_shape = [value.shape[p] for p in perm]
        inv = [0] * rank
        for i, p in enumerate(perm):
            inv[p] = i
        return self.generic(out_shape,
                            [(value, ["d%d" % inv[j] for j in range(rank)])],
                            lambda b, x, acc: x)

    def matmul(self, a, b, batch=False):
        """C = A B (2-D) or a batch of them, loops (m, k, n) as in the
        hand-written examples: the innermost loop walks rows."""
        if batch:
            bs, m, k = a.shape
            _, _, n = b.shape
            acc = self.filled([bs, m, n], 0.0)
            return self.generic(
                [bs, m, n], [(a, ["d0", "d1", "d2"]), (b, ["d0", "d2", "d3"])],
                lambda bb, x, y, s: bb.add(s, bb.mul(x, y)),
                iterators=["parallel", "parallel", "reduction", "parallel"],
                out_init=(acc, ["d0", "d1", "d3"]))
        m, k = a.shape
        k2, n = b.shape
        if k != k2:
            raise UnsupportedOp("mm of %s and %s" % (a.shape, b.shape))
        acc = self.filled([m, n], 0.0)
        return self.generic(
            [m, n], [(a, ["d0", "d1"]), (b, ["d1", "d2"])],
            lambda bb, x, y, s: bb.add(s, bb.mul(x, y)),
            iterators=["parallel", "reduction", "parallel"],
            out_init=(acc, ["d0", "d2"]))
