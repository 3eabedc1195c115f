#===- __main__.py - the qopt-import-torch command line -------------------===#
#
# Part of the qopt project, under the Apache License v2.0 with LLVM
# Exceptions. See LICENSE for license information.
# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
#
#===----------------------------------------------------------------------===#
#
#   qopt-import-torch MODEL.py --optimizer adam|adamw|muon [--lr X] -o step.mlir
#   qopt-import-torch MODEL.py --optimizer adam --check [--steps 50]
#
# MODEL.py defines make_model(), loss_fn(output, target) and example_batch()
# (a tuple (inputs, target)).
#
#===----------------------------------------------------------------------===#

import argparse
import importlib.util
import os
import sys

import torch

from .check import check
from .emit import UnsupportedOp
from .importer import OPTIMIZERS, export_training_step


def load_model_file(path):
    spec = importlib.util.spec_from_file_location(
        "qopt_user_model", os.path.abspath(path))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    for name in ("make_model", "loss_fn", "example_batch"):
        if not hasattr(module, name):
            raise SystemExit("qopt-import-torch: %s defines no %s()" %
                             (path, name))
    return module


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="qopt-import-torch",
        description="Import a PyTorch model's training step into qopt.")
    parser.add_argument("model", help="MODEL.py: make_model(), loss_fn(), "
                        "example_batch()")
    parser.add_argument("--optimizer", choices=OPTIMIZERS, default="adam")
    parser.add_argument("-o", "--output", default="-")
    parser.add_argument("--lr", type=float, help="Adam/AdamW learning rate")
    parser.add_argument("--beta1", type=float)
    parser.add_argument("--beta2", type=float)
    parser.add_argument("--eps", type=float)
    parser.add_argument("--weight-decay", type=float)
    parser.add_argument("--muon-lr", type=float)
    parser.add_argument("--momentum", type=float)
    parser.add_argument("--ns-steps", type=int)
    parser.add_argument("--check", action="store_true",
                        help="train through qopt-run and PyTorch, compare")
    parser.add_argument("--steps", type=int, default=50)
    parser.add_argument("--tolerance", type=float, default=1e-4)
    parser.add_argument("--seed", type=int, default=0,
                        help="torch.manual_seed before make_model()")
    args = parser.parse_args(argv)

    hyper = dict(lr=args.lr, beta1=args.beta1, beta2=args.beta2, eps=args.eps,
                 weight_decay=args.weight_decay)
    if args.optimizer == "muon":
        hyper.update(muon_lr=args.muon_lr, momentum=args.momentum,
                     ns_steps=args.ns_steps)
    elif args.muon_lr is not None or args.momentum is not None or \
            args.ns_steps is not None:
        parser.error("--muon-lr, --momentum and --ns-steps need "
                     "--optimizer muon")
    user = load_model_file(args.model)

    def make_model():
        torch.manual_seed(args.seed)
        return user.make_model()

    try:
        if args.check:
            worst = check(make_model, user.loss_fn, user.example_batch,
                          args.optimizer, steps=args.steps,
                          keep=None if args.output == "-" else args.output,
                          **hyper)
            return 0 if worst <= args.tolerance else 1
        model = make_model()
        text = export_training_step(model, user.loss_fn, user.example_batch(),
                                    args.optimizer, **hyper)
    except UnsupportedOp as err:
        print("qopt-import-torch: error: %s" % err, file=sys.stderr)
        return 1
    except (ValueError, RuntimeError) as err:
        print("qopt-import-torch: error: %s" % err, file=sys.stderr)
        return 1
    if args.output == "-":
        sys.stdout.write(text)
    else:
        with open(args.output, "w") as f:
            f.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
