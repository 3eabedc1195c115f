#!/usr/bin/env python3
#===- crosscheck_fashion_mlp.py - imported MLP against the hand-written one ===#
#
# Part of the qopt project, under the Apache License v2.0 with LLVM
# Exceptions. See LICENSE for license information.
# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
#
#===----------------------------------------------------------------------===#
#
# Trains the Fashion-MNIST MLP imported from PyTorch (examples/torch/
# fashion_mlp.py, through qopt_torch) and the hand-written one
# (examples/fashion-mlp-adam.mlir or -muon.mlir) through qopt-run, from the
# same initial weights on the same batches, and compares their losses step
# by step.
#
# The same weights: the PyTorch model's initial values (Glorot-uniform from
# torch.manual_seed(--seed), biases zero) replace the hand-written module's
# qopt.init = "glorot" (and zeros), as dense attributes in a temporary copy.
# Both modules then draw nothing from the runner's RNG before the shuffle,
# so the same --seed gives both the same batches of the real data set.
# The same hyper-parameters: the hand-written ones (Adam lr 1e-3; Muon lr
# 5e-3 on the weights and Adam lr 2e-3 on the biases).
#
#   /usr/bin/python3 examples/torch/crosscheck_fashion_mlp.py \
#       --optimizer adam --steps 50 [--qopt-run build/bin/qopt-run] \
#       [-- qopt-run options, e.g. --man-bits=7 --rounding=nearest_even]
#
# It prints `step,imported_loss,handwritten_loss,relative_difference` per
# step and, last, `max relative loss difference over N steps: X`; it exits 1
# when X is above --tolerance (1e-5).
#
#===----------------------------------------------------------------------===#

import argparse
import csv
import math
import os
import re
import subprocess
import sys
import tempfile

# The package is read from the source tree: leave no __pycache__ there.
sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "python"))

import torch  # noqa: E402

from qopt_torch.__main__ import load_model_file  # noqa: E402
from qopt_torch.emit import dense_hex  # noqa: E402
from qopt_torch.importer import export_training_step  # noqa: E402

# The hand-written modules' hyper-parameters (their qopt.*_update attributes).
HYPER = {"adam": dict(lr=1e-3), "muon": dict(lr=2e-3, muon_lr=5e-3)}
# The hand-written state arguments that hold the parameters, in the order of
# the PyTorch model's named_parameters().
PARAMS = ["w1", "b1", "w2", "b2", "w3", "b3", "w4", "b4"]


def handwritten_with_weights(text, params):
    """`text` (a hand-written @train_step) with qopt.init = the values of
    `params` on its parameter arguments."""
    start = text.index("func.func @train_step(")
    end = text.index("->", start)
    signature = text[start:end]
    for name, p in zip(PARAMS, params):
        pattern = re.compile(r"%%%s: (tensor<[0-9x]*f32>)"
                             r"( \{qopt\.init = \"[a-z]+\"\})?" % name)
        match = pattern.search(signature)
        if not match:
            raise SystemExit("crosscheck: no argument %%%s in @train_step" %
                             name)
        expected = "tensor<%sf32>" % "".join("%dx" % d for d in p.shape)
        if match.group(1) != expected:
            raise SystemExit("crosscheck: %%%s is %s, the model's parameter "
                             "%s" % (name, match.group(1), expected))
        signature = signature[:match.start()] + "%%%s: %s {qopt.init = %s}" % (
            name, expected, dense_hex(p)) + signature[match.end():]
    return text[:start] + signature + text[end:]


def losses(qopt_run, module, workdir, name, steps, seed, extra):
    path = os.path.join(workdir, name + ".mlir")
    with open(path, "w") as f:
        f.write(module)
    csv_file = os.path.join(workdir, name + ".csv")
    cmd = [qopt_run, path, "--iterations=%d" % steps, "--seed=%d" % seed,
           "--csv=" + csv_file] + extra
    run = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True)
    if run.returncode != 0:
        raise SystemExit("crosscheck: %s failed (%d):\n%s%s" % (
            " ".join(cmd), run.returncode, run.stdout, run.stderr))
    with open(csv_file) as f:
        return [float(r["loss"]) for r in csv.DictReader(f)]


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--optimizer", choices=sorted(HYPER), default="adam")
    parser.add_argument("--steps", type=int, default=50)
    parser.add_argument("--seed", type=int, default=1,
                        help="torch.manual_seed and qopt-run's --seed")
    parser.add_argument("--qopt-run", default=None)
    parser.add_argument("--tolerance", type=float, default=1e-5)
    parser.add_argument("extra", nargs="*",
                        help="qopt-run options (after --); default "
                        "--quantize=none --storage=f32")
    args = parser.parse_args()
    qopt_run = args.qopt_run or os.path.join(
        os.environ.get("QOPT_TOOLS_DIR", os.path.join(ROOT, "build", "bin")),
        "qopt-run")
    extra = args.extra or ["--quantize=none", "--storage=f32"]

    user = load_model_file(os.path.join(HERE, "fashion_mlp.py"))
    torch.manual_seed(args.seed)
    model = user.make_model()
    params = [p.detach() for _, p in model.named_parameters()]
    imported = export_training_step(model, user.loss_fn, user.example_batch(),
                                    args.optimizer, **HYPER[args.optimizer])
    with open(os.path.join(ROOT, "examples", "fashion-mlp-%s.mlir" %
                           args.optimizer)) as f:
        handwritten = handwritten_with_weights(f.read(), params)

    with tempfile.TemporaryDirectory(prefix="qopt-crosscheck-") as workdir:
        got = losses(qopt_run, imported, workdir, "imported", args.steps,
                     args.seed, extra)
        ref = losses(qopt_run, handwritten, workdir, "handwritten",
                     args.steps, args.seed, extra)
    print("step,imported_loss,handwritten_loss,relative_difference")
    worst = 0.0
    for t in range(args.steps):
        a = got[t] if t < len(got) else math.nan
        b = ref[t] if t < len(ref) else math.nan
        rel = abs(a - b) / max(abs(b), 1e-30)
        if math.isnan(rel):
            rel = math.inf
        worst = max(worst, rel)
        print("%d,%.9g,%.9g,%.3e" % (t + 1, a, b, rel))
    print("max relative loss difference over %d steps: %.3e" %
          (args.steps, worst))
    return 0 if worst <= args.tolerance else 1


if __name__ == "__main__":
    sys.exit(main())
