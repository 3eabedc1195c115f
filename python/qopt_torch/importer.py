#===- importer.py - a PyTorch training step as a qopt module -------------===#
#
# Part of the qopt project, under the Apache License v2.0 with LLVM
# Exceptions. See LICENSE for license information.
# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
#
#===----------------------------------------------------------------------===#
#
# Traces forward and backward of a model and its loss with make_fx over
# functorch.grad_and_value, lowers the aten graph to linalg on tensors
# (ops.py) and wraps it in the @train_step of qopt-run's contract
# (docs/Runner.md): parameters (qopt.init = the model's values), optimizer
# state, images, one-hot labels, step; the update per parameter is
# qopt.adam_update or qopt.muon_update; the loss is the first f32 result.
#
#===----------------------------------------------------------------------===#

import math
import os
import zlib

import functorch
import torch
import torch.fx.experimental.proxy_tensor as proxy_tensor
import torch.utils._pytree as pytree
from torch.fx.experimental.proxy_tensor import make_fx

from . import ops
from .emit import (Emitter, Labels, UnsupportedOp, Value, dense_hex,
                   f32_literal, source_line, tensor_type)

OPTIMIZERS = ("adam", "adamw", "muon")

# With a side file, a parameter of more elements than this has its initial
# values there instead of in a qopt.init attribute (16 KiB of f32, a line
# of 32 KiB of hex): the matrices of a small transformer go to the file,
# its biases and norms stay in the module.
INLINE_LIMIT = 4096

# Hyper-parameters and their defaults (PyTorch's for Adam/AdamW, qopt's
# muon_update defaults for Muon; `lr` is Adam's, `muon_lr` Muon's).
DEFAULTS = {
    "adam": dict(lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.0),
    "adamw": dict(lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8,
                  weight_decay=1e-2),
    "muon": dict(lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.0,
                 muon_lr=0.02, momentum=0.95, nesterov=True, ns_steps=5,
                 muon_weight_decay=0.0),
}


def hyperparameters(optimizer, **overrides):
    if optimizer not in OPTIMIZERS:
        raise ValueError("unknown optimizer %r (one of %s)" %
                         (optimizer, ", ".join(OPTIMIZERS)))
    hp = dict(DEFAULTS[optimizer])
    for key, value in overrides.items():
        if value is None:
            continue
        if key not in hp:
            raise ValueError("unknown hyper-parameter %r for %s (known: %s)" %
                             (key, optimizer, ", ".join(sorted(hp))))
        hp[key] = value
    if optimizer == "adam" and hp["weight_decay"] != 0:
        raise ValueError("adam: qopt.adam_update's weight decay is decoupled "
                         "(AdamW); use --optimizer adamw")
    return hp


class Trace:
    """The traced step: graph, parameters and the shapes of the data."""

    def __init__(self, graph, names, params, buffers, x, y):
        self.graph = graph
        self.names = names
        self.params = params
        self.buffers = buffers
        self.x = x
        self.y = y


def trace(model, loss_fn, example_inputs):
    """make_fx of grad_and_value(loss) over the model's parameters."""
    x, y = example_inputs
    if not isinstance(x, torch.Tensor) or x.dtype not in (torch.float32,
                                                          torch.int64):
        raise UnsupportedOp("the model's input must be an f32 tensor or "
                            "int64 token ids")
    if not isinstance(y, torch.Tensor) or (
            y.dtype != torch.int64 and y.dtype != torch.float32):
        raise UnsupportedOp("the target must be class indices (int64) or "
                            "an f32 tensor")
    fmodel, params, buffers = functorch.make_functional_with_buffers(model)
    names = [name for name, _ in model.named_parameters()]

    def loss_of(params, buffers, x, y):
        return loss_fn(fmodel(params, buffers, x), y)

    step = functorch.grad_and_value(loss_of)
    old = proxy_tensor.PythonKeyTracer.record_stack_traces
    proxy_tensor.PythonKeyTracer.record_stack_traces = True
    try:
        graph = make_fx(step)(tuple(p.detach() for p in params),
                              tuple(b.detach() for b in buffers), x, y)
    finally:
        proxy_tensor.PythonKeyTracer.record_stack_traces = old
    return Trace(graph, names, [p.detach().clone() for p in params],
                 [b.detach().clone() for b in buffers], x, y)


def describe(node):
    where = ops_source(node)
    return "aten op %s%s" % (node.target, (" at " + where) if where else "")


def ops_source(node):
    line = source_line(node)
    if line is None:
        return None
    return line


class _Lowering:
    """Lowers the traced graph into the body of @loss_and_grads."""

    def __init__(self, tr):
        self.tr = tr
        self.e = Emitter()
        self.constants = {}

    def run(self, param_args, images, labels, tokens=None):
        tr = self.tr
        env = {}
        placeholders = [n for n in tr.graph.graph.nodes if n.op == "placeholder"]
        np_ = len(tr.params)
        nb = len(tr.buffers)
        if len(placeholders) != np_ + nb + 2:
            raise UnsupportedOp("unexpected inputs of the traced graph")
        e = self.e
        for node, arg in zip(placeholders[:np_], param_args):
            env[node] = arg
        for node, buf in zip(placeholders[np_:np_ + nb], tr.buffers):
            env[node] = buf  # a constant, folded or materialized on use
        x_node, y_node = placeholders[-2], placeholders[-1]
        if tokens is not None:
            # A language model: windows of T + 1 bytes, the first T are the
            # input, the last T the targets.
            b, t = tr.x.shape
            env[x_node] = ops.Indices(
                e.extract_slice(tokens, [0, 0], [b, t], [1, 1]), 256)
            env[y_node] = Labels(ids=e.extract_slice(tokens, [0, 1], [b, t],
                                                     [1, 1]), bound=256)
        elif tr.x.dtype == torch.int64:
            # Token ids arrive as IDX pixels t / 255: round back to t.
            env[x_node] = ops.Indices(e.elementwise(
                list(tr.x.shape), [e.reshape(images, list(tr.x.shape))],
                lambda s, v: s.floor(s.add(s.mul(v, s.const(255.0)),
                                           s.const(0.5)))), 256)
        else:
            env[x_node] = e.reshape(images, list(tr.x.shape))
        if tokens is None and tr.y.dtype == torch.int64:
            env[y_node] = Labels(labels)
        elif tokens is None:
            env[y_node] = e.reshape(labels, list(tr.y.shape))
        # A random op (dropout's mask) is refused before anything else,
        # with the reason: the ops that set up its operand would be
        # reported first otherwise.
        for node in tr.graph.graph.nodes:
            if node.op == "call_function" and node.target in ops.RANDOM:
                raise UnsupportedOp(
                    "unsupported random %s: PyTorch draws new values at "
                    "every step (dropout's mask), the imported step is "
                    "deterministic; remove the dropout or set p=0" %
                    describe(node))
        for node in tr.graph.graph.nodes:
            if node.op in ("placeholder", "output"):
                continue
            env[node] = self.lower(node, env)
        out = [n for n in tr.graph.graph.nodes if n.op == "output"][0]
        flat = pytree.tree_flatten(out.args[0])[0]
        if len(flat) != np_ + 1:
            raise UnsupportedOp("unexpected outputs of the traced graph")
        return [env[g] for g in flat[:-1]], env[flat[-1]]

    def materialize(self, a, node):
        """An f32 constant of the graph as an MLIR constant (once each);
        other constants stay torch tensors, for the ops that read them."""
        if not isinstance(a, torch.Tensor):
            return a
        if a.dtype == torch.float32:
            key = id(a)
            if key not in self.constants:
                flat = a.flatten()
                if flat.numel() and bool((flat == flat[0]).all()):
                    value = self.e.filled(list(a.shape), flat[0].item())
                else:
                    value = self.e.constant(a)
                self.constants[key] = (a, value)
            return self.constants[key][1]
        if node.target not in ops.CONSTANT_READERS:
            raise UnsupportedOp("unsupported %s: it reads a constant of "
                                "type %s" % (describe(node), a.dtype))
        return a

    def lower(self, node, env):
        def value_of(a):
            if isinstance(a, torch.fx.Node):
                return env[a]
            return a

        if node.op == "get_attr":
            return getattr(self.tr.graph, node.target)
        if node.op != "call_function":
            raise UnsupportedOp("FX node %s (%s)" % (node.name, node.op))
        import operator
        if node.target is operator.getitem:
            src, index = node.args
            return env[src][index]
        args = [pytree.tree_map(value_of, a) for a in node.args]
        flat = pytree.tree_flatten(args)[0]
        if not node.users and not any(
                isinstance(a, ops.TRACED) for a in flat + pytree.tree_flatten(
                    [value_of(a) for a in node.kwargs.values()])[0]):
            # A dead op on constants only, e.g. BatchNorm's
            # num_batches_tracked += 1: buffers are not updated.
            return None
        if node.target in ops.FOLDABLE and not any(
                isinstance(a, torch.fx.Node) for a in
                pytree.tree_flatten(node.kwargs)[0]) and not any(
                isinstance(a, ops.TRACED) for a in flat):
            # Constants only (a buffer, arange, a comparison of them): the
            # value is known at import time.
            with torch.no_grad():
                return node.target(*args, **node.kwargs)
        args = [pytree.tree_map(lambda a: self.materialize(a, node), a)
                for a in args]
        fn = ops.LOWERINGS.get(node.target)
        meta = node.meta.get("tensor_meta")
        if fn is None:
            raise UnsupportedOp("unsupported %s" % describe(node))
        for m in pytree.tree_flatten(meta)[0] if meta is not None else []:
            if hasattr(m, "dtype") and m.dtype not in (torch.float32,) and \
                    node.target not in ops.INDEX_RESULTS:
                raise UnsupportedOp("unsupported %s: result of type %s" %
                                    (describe(node), m.dtype))
        # The class-index target and max pooling's indices are carried in
        # forms (one-hot rows, f32 positions) only their readers know.
        for a in pytree.tree_flatten(args)[0]:
            readers = ops.OPAQUE_READERS.get(type(a))
            if readers is not None and node.target not in readers:
                raise UnsupportedOp("unsupported %s: it reads %s" % (
                    describe(node), ops.OPAQUE_WHAT[type(a)]))
        try:
            return fn(self.e, node, args)
        except UnsupportedOp as err:
            raise UnsupportedOp("unsupported %s: %s" % (describe(node), err))


def is_language_model(x, y):
    """Token ids in, the next token of each position as the target: the
    runner feeds windows of T + 1 bytes of a text (qopt.data = "tokens")."""
    return x.dtype == torch.int64 and y.dtype == torch.int64 and \
        x.dim() == 2 and y.shape == x.shape


def _attr(hp_value):
    return "%s : f32" % f32_literal(hp_value)


def side_file_reference(name, offset, data):
    """The qopt.init attribute of a parameter whose values (`data`, raw
    little-endian f32) lie in side file `name` at byte `offset`."""
    if '"' in name or "\\" in name or not name:
        raise ValueError("side file name %r: no quotes or backslashes" % name)
    return '{file = "%s", offset = %d : i64, crc32 = %d : i64}' % (
        name, offset, zlib.crc32(data))


def export_training_step(model, loss_fn, example_inputs, optimizer="adam",
                         init_file=None, init_name=None,
                         inline_limit=INLINE_LIMIT, **hyper):
    """The MLIR text of one training step of `model` under `loss_fn`,
    following qopt-run's contract. `example_inputs` = (inputs, target):
    inputs an f32 batch, target class indices (int64, cross-entropy/NLL) or
    an f32 tensor of the output's shape (MSE). Raises UnsupportedOp naming
    the op and the model's line when an op has no lowering.

    The initial values of the parameters are qopt.init attributes; with
    `init_file` (a path), those of every parameter of more than
    `inline_limit` elements are written there instead, raw little-endian
    f32 one after the other, and the module names the file as `init_name`
    (default: its base name), which qopt-run resolves against the module's
    directory (or its --init-dir). No file is written when no parameter is
    that big."""
    hp = hyperparameters(optimizer, **hyper)
    tr = trace(model, loss_fn, example_inputs)
    x, y = tr.x, tr.y
    batch = x.shape[0]
    pixels = math.prod(x.shape[1:])
    with torch.no_grad():
        out = model(x)
    language_model = is_language_model(x, y)
    if language_model:
        classes = 0
    elif y.dtype == torch.int64:
        if out.dim() != 2:
            raise UnsupportedOp("class-index targets need (batch, classes) "
                                "outputs")
        classes = out.shape[1]
    else:
        if y.dim() != 2 or y.shape[0] != batch:
            raise UnsupportedOp("an f32 target must be (batch, classes)")
        classes = y.shape[1]
    images = Value("%images", [batch, pixels])
    labels = Value("%labels", [batch, classes])
    param_args = [Value("%%p%d" % i, list(p.shape))
                  for i, p in enumerate(tr.params)]

    tokens = Value("%tokens", [batch, x.shape[1] + 1]) \
        if language_model else None
    data = [tokens] if language_model else [images, labels]

    low = _Lowering(tr)
    grads, loss = low.run(param_args, images, labels, tokens)
    if not isinstance(loss, Value) or loss.shape != []:
        raise UnsupportedOp("the loss is not a scalar")
    e = low.e
    loss_scalar = e.fresh("loss")
    e.emit("%s = tensor.extract %s[] : tensor<f32>" % (loss_scalar, loss.name))

    lines = []
    lines.append("// Generated by qopt-import-torch from %s (optimizer %s)." %
                 (type(model).__name__, optimizer))
    lines.append("// Parameters: %s." % ", ".join(
        "%s %s" % (n, "x".join(map(str, p.shape)))
        for n, p in zip(tr.names, tr.params)))
    lines.append("")
    grad_types = [g.type for g in grads]
    lag_args = ["%s: %s" % (d.name, d.type) for d in data] + \
        ["%s: %s" % (p.name, p.type) for p in param_args]
    lines.append("func.func private @loss_and_grads(%s)\n    -> (f32, %s) {" %
                 (", ".join(lag_args), ", ".join(grad_types)))
    lines.extend(e.lines)
    lines.append("  return %s, %s : f32, %s" % (
        loss_scalar, ", ".join(g.name for g in grads), ", ".join(grad_types)))
    lines.append("}")
    lines.append("")

    # @train_step: state = parameters, then each parameter's optimizer state.
    state_args = []
    side = bytearray()
    if init_file is not None and init_name is None:
        init_name = os.path.basename(init_file)
    for i, (name, p) in enumerate(zip(tr.names, tr.params)):
        if init_file is not None and p.numel() > inline_limit:
            raw = p.detach().to(torch.float32).contiguous().numpy() \
                .astype("<f4").tobytes()
            init = side_file_reference(init_name, len(side), raw)
            side += raw
        else:
            init = dense_hex(p)
        state_args.append("%%p%d: %s {qopt.init = %s}" %
                          (i, tensor_type(list(p.shape)), init))
    if side:
        lines.insert(2, "// Initial values of the parameters of more than %d "
                     "elements: %s (%d bytes)." % (inline_limit, init_name,
                                                   len(side)))
        with open(init_file, "wb") as f:
            f.write(side)
    opt_state = []  # per parameter: list of state names
    for i, p in enumerate(tr.params):
        ty = tensor_type(list(p.shape))
        if optimizer == "muon" and p.dim() == 2:
            opt_state.append(["%%buf%d" % i])
        else:
            opt_state.append(["%%m%d" % i, "%%v%d" % i])
        for s in opt_state[-1]:
            state_args.append("%s: %s" % (s, ty))
    data_args = ['%s: %s {qopt.data = "%s"}' % (d.name, d.type, d.name[1:])
                 for d in data] + ["%step: i64 {qopt.step}"]
    result_types = [tensor_type(list(p.shape)) for p in tr.params]
    for i, p in enumerate(tr.params):
        result_types += [tensor_type(list(p.shape))] * len(opt_state[i])
    result_types.append("f32")
    lines.append("func.func @train_step(%s)\n    -> (%s) {" % (
        ",\n    ".join(state_args + data_args), ", ".join(result_types)))
    gnames = ["%%g%d" % i for i in range(len(grads))]
    lines.append("  %%loss, %s = func.call @loss_and_grads(%s) : (%s) -> "
                 "(f32, %s)" % (
                     ", ".join(gnames),
                     ", ".join([d.name for d in data] +
                               [p.name for p in param_args]),
                     ", ".join([d.type for d in data] +
                               [p.type for p in param_args]),
                     ", ".join(grad_types)))
    new_params, new_state = [], []
    for i, p in enumerate(tr.params):
        ty = tensor_type(list(p.shape))
        if len(opt_state[i]) == 1:
            attrs = ("lr = %s, momentum = %s, nesterov = %s, ns_steps = %d : "
                     "i64, weight_decay = %s" % (
                         _attr(hp["muon_lr"]), _attr(hp["momentum"]),
                         "true" if hp["nesterov"] else "false",
                         int(hp["ns_steps"]),
                         _attr(hp["muon_weight_decay"])))
            lines.append("  %%nw%d, %%nbuf%d = qopt.muon_update %%p%d, %%g%d, "
                         "%%buf%d {%s} : %s" % (i, i, i, i, i, attrs, ty))
            new_params.append("%%nw%d" % i)
            new_state.append("%%nbuf%d" % i)
        else:
            attrs = ("lr = %s, beta1 = %s, beta2 = %s, epsilon = %s, "
                     "weight_decay = %s" % (
                         _attr(hp["lr"]), _attr(hp["beta1"]),
                         _attr(hp["beta2"]), _attr(hp["eps"]),
                         _attr(hp["weight_decay"])))
            lines.append("  %%nw%d, %%nm%d, %%nv%d = qopt.adam_update %%p%d, "
                         "%%g%d, %%m%d, %%v%d, %%step {%s} : %s" %
                         (i, i, i, i, i, i, i, attrs, ty))
            new_params.append("%%nw%d" % i)
            new_state += ["%%nm%d" % i, "%%nv%d" % i]
    lines.append("  return %s : %s" % (
        ", ".join(new_params + new_state + ["%loss"]),
        ", ".join(result_types)))
    lines.append("}")
    return "\n".join(lines) + "\n"
