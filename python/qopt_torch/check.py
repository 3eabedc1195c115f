#===- check.py - PyTorch as the oracle of an imported training step ------===#
#
# Part of the qopt project, under the Apache License v2.0 with LLVM
# Exceptions. See LICENSE for license information.
# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
#
#===----------------------------------------------------------------------===#
#
# Trains the imported step through qopt-run (f32, --quantize=none) and the
# same model in PyTorch, from the same initial weights on the same batches,
# and compares the losses step by step.
#
# The batches: a fixed synthetic data set of exactly one batch (random pixels
# and labels from `data_seed`), written as IDX files into a temporary
# directory and given to qopt-run with --data-dir. With as many examples as
# the batch, every batch the runner draws holds every example (in the order
# of its shuffle, which only changes the order of the sums), so PyTorch can
# train on the same batch without replaying the runner's shuffle.
#
#===----------------------------------------------------------------------===#

import csv
import math
import os
import shutil
import struct
import subprocess
import tempfile

import torch

from .importer import (INLINE_LIMIT, export_training_step, hyperparameters,
                       is_language_model)


def _idx_dims(x):
    """(rows, cols) of an IDX image holding one example of `x`."""
    shape = list(x.shape[1:])
    if len(shape) == 1:
        return 1, shape[0]
    return math.prod(shape[:-1]), shape[-1]


def write_idx(directory, pixels, labels, rows, cols):
    """train- and t10k- IDX files of uint8 `pixels` (N x rows*cols) and
    `labels` (N)."""
    n = pixels.shape[0]
    image_bytes = struct.pack(">IIII", 0x803, n, rows, cols) + \
        bytes(pixels.to(torch.uint8).flatten().tolist())
    label_bytes = struct.pack(">II", 0x801, n) + \
        bytes(labels.to(torch.uint8).tolist())
    for prefix in ("train", "t10k"):
        with open(os.path.join(directory, prefix + "-images-idx3-ubyte"),
                  "wb") as f:
            f.write(image_bytes)
        with open(os.path.join(directory, prefix + "-labels-idx1-ubyte"),
                  "wb") as f:
            f.write(label_bytes)


def muon_reference(w, g, buf, lr, momentum, nesterov, ns_steps, coeffs, eps,
                   weight_decay):
    """qopt.muon_update (include/qopt/Dialect/QOpt/IR/QOptOps.td) in torch:
    returns (W', B')."""
    a, b, c = coeffs
    buf = momentum * buf + g
    u = g + momentum * buf if nesterov else buf
    x = u / (torch.linalg.norm(u) + eps)
    rows, cols = x.shape
    transposed = rows > cols
    if transposed:
        x = x.t()
    for _ in range(ns_steps):
        m = x @ x.t()
        x = a * x + (b * m + c * (m @ m)) @ x
    if transposed:
        x = x.t()
    s = math.sqrt(max(1.0, rows / cols))
    w = w - lr * s * x - lr * weight_decay * w
    return w, buf


class _TorchMuon:
    """Muon (qopt.muon_update) on 2-D parameters, Adam on the others."""

    def __init__(self, params, hp):
        self.params = list(params)
        self.hp = hp
        self.matrices = [p for p in self.params if p.dim() == 2]
        self.others = [p for p in self.params if p.dim() != 2]
        self.buffers = [torch.zeros_like(p) for p in self.matrices]
        self.adam = torch.optim.Adam(self.others, lr=hp["lr"],
                                     betas=(hp["beta1"], hp["beta2"]),
                                     eps=hp["eps"]) if self.others else None

    def zero_grad(self):
        for p in self.params:
            p.grad = None

    @torch.no_grad()
    def step(self):
        hp = self.hp
        for i, p in enumerate(self.matrices):
            w, self.buffers[i] = muon_reference(
                p, p.grad, self.buffers[i], hp["muon_lr"], hp["momentum"],
                hp["nesterov"], int(hp["ns_steps"]), (3.4445, -4.7750, 2.0315),
                1e-7, hp["muon_weight_decay"])
            p.copy_(w)
        if self.adam:
            self.adam.step()


def torch_optimizer(params, optimizer, hp):
    betas = (hp["beta1"], hp["beta2"])
    if optimizer == "adam":
        return torch.optim.Adam(params, lr=hp["lr"], betas=betas,
                                eps=hp["eps"])
    if optimizer == "adamw":
        return torch.optim.AdamW(params, lr=hp["lr"], betas=betas,
                                 eps=hp["eps"],
                                 weight_decay=hp["weight_decay"])
    return _TorchMuon(params, hp)


def find_qopt_run():
    tools = os.environ.get("QOPT_TOOLS_DIR")
    if tools and os.path.exists(os.path.join(tools, "qopt-run")):
        return os.path.join(tools, "qopt-run")
    found = shutil.which("qopt-run")
    if not found:
        raise RuntimeError("qopt-run not found: set QOPT_TOOLS_DIR to the "
                           "build's bin directory")
    return found


def check(make_model, loss_fn, example_batch, optimizer="adam", steps=50,
          data_seed=0, qopt_run=None, tolerance=1e-4, log=print, keep=None,
          inline_limit=INLINE_LIMIT, **hyper):
    """Trains through qopt-run and PyTorch; returns the max relative loss
    difference over `steps` steps (logging one line per step). Parameters
    of more than `inline_limit` elements start from a side file, as the
    module export_training_step writes for them; `keep` is a path where the
    module (and its side file, named after it) are kept."""
    hp = hyperparameters(optimizer, **hyper)
    model = make_model()
    initial = {k: v.detach().clone() for k, v in model.state_dict().items()}
    x, y = example_batch()
    batch = x.shape[0]
    with torch.no_grad():
        out = model(x)
    language_model = is_language_model(x, y)
    classes = out.shape[-1] if y.dtype == torch.int64 else y.shape[1]
    if classes > 256:
        raise ValueError("--check: at most 256 classes (IDX labels are bytes)")
    generator = torch.Generator().manual_seed(data_seed)
    # (Token ids travel as IDX pixels, bytes too: the importer rounds t / 255
    # back to t.)
    pixels = torch.randint(0, 256, (batch, math.prod(x.shape[1:])),
                           generator=generator)
    window = torch.randint(0, 256, (x.shape[-1] + 1,), generator=generator)
    labels = torch.randint(0, classes, (batch,), generator=generator)

    workdir = tempfile.mkdtemp(prefix="qopt-import-torch-")
    try:
        stem = keep[:-5] if keep and keep.endswith(".mlir") else keep
        init_name = os.path.basename(stem + ".init.bin") if keep \
            else "step.init.bin"
        init_file = os.path.join(workdir, init_name)
        text = export_training_step(model, loss_fn, (x, y), optimizer,
                                    init_file=init_file, init_name=init_name,
                                    inline_limit=inline_limit, **hyper)
        rows, cols = _idx_dims(x)
        write_idx(workdir, pixels, labels, rows, cols)
        # A language model reads a text of exactly one window (T + 1
        # bytes): every row of every batch is that window.
        text_file = os.path.join(workdir, "text")
        with open(text_file, "wb") as f:
            f.write(bytes(window.tolist()))
        step_file = os.path.join(workdir, "step.mlir")
        with open(step_file, "w") as f:
            f.write(text)
        if keep:
            shutil.copy(step_file, keep)
            if os.path.exists(init_file):
                shutil.copy(init_file, os.path.join(
                    os.path.dirname(os.path.abspath(keep)), init_name))
        csv_file = os.path.join(workdir, "run.csv")
        cmd = [qopt_run or find_qopt_run(), step_file,
               "--iterations=%d" % steps, "--quantize=none", "--storage=f32",
               "--data-dir=" + workdir, "--text=" + text_file,
               "--csv=" + csv_file]
        run = subprocess.run(cmd, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
        if run.returncode != 0:
            raise RuntimeError("qopt-run failed (%d):\n%s%s" %
                               (run.returncode, run.stdout, run.stderr))
        with open(csv_file) as f:
            qopt_losses = [float(r["loss"]) for r in csv.DictReader(f)]
    finally:
        shutil.rmtree(workdir, ignore_errors=True)

    # PyTorch on the same batch, from the same weights.
    model.load_state_dict(initial)
    model.train()
    if language_model:
        inputs = window[:-1].expand(x.shape).contiguous()
        target = window[1:].expand(x.shape).contiguous()
    elif x.dtype == torch.int64:
        inputs = pixels.reshape(x.shape)
    else:
        inputs = (pixels.to(torch.float32) / 255.0).reshape(x.shape)
    if language_model:
        pass
    elif y.dtype == torch.int64:
        target = labels
    else:
        target = torch.nn.functional.one_hot(labels, classes).to(torch.float32)
    opt = torch_optimizer(model.parameters(), optimizer, hp)
    worst = 0.0
    log("step,qopt_loss,torch_loss,relative_difference")
    for t in range(steps):
        opt.zero_grad()
        loss = loss_fn(model(inputs), target)
        loss.backward()
        ref = loss.item()
        got = qopt_losses[t] if t < len(qopt_losses) else float("nan")
        rel = abs(got - ref) / max(abs(ref), 1e-30)
        if math.isnan(rel):
            rel = math.inf
        worst = max(worst, rel)
        log("%d,%.9g,%.9g,%.3e" % (t + 1, got, ref, rel))
        opt.step()
    log("max relative loss difference over %d steps: %.3e" % (steps, worst))
    return worst
