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
# With -o step.mlir, the initial values of parameters of more than
# --inline-limit elements go to the side file step.init.bin (or
# --init-file), which the module names relative to its own directory.
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
from .importer import INLINE_LIMIT, OPTIMIZERS, export_training_step


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
    parser.add_argument("--init-file",
                        help="side file of the big parameters' initial "
                        "values (default with -o FILE: FILE's name with "
                        ".init.bin for .mlir)")
    parser.add_argument("--inline-limit", type=int, default=INLINE_LIMIT,
                        help="parameters of more elements than this go to "
                        "the side file (default %(default)s)")
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
    if args.inline_limit < 0:
        parser.error("--inline-limit must be non-negative")
    if args.check and args.init_file:
        parser.error("--check names its side file after -o FILE; "
                     "--init-file is for the module an import writes")
    init_file, init_name = args.init_file, None
    if init_file is None and args.output != "-" and not args.check:
        stem = args.output[:-5] if args.output.endswith(".mlir") \
            else args.output
        init_file = stem + ".init.bin"
    if init_file is not None:
        # The module names the file relative to the module's directory
        # (or, written to stdout, to the current one).
        base = os.path.dirname(os.path.abspath(args.output)) \
            if args.output != "-" else os.getcwd()
        init_name = os.path.relpath(os.path.abspath(init_file), base)
    user = load_model_file(args.model)

    def make_model():
        torch.manual_seed(args.seed)
        return user.make_model()

    try:
        if args.check:
            worst = check(make_model, user.loss_fn, user.example_batch,
                          args.optimizer, steps=args.steps,
                          keep=None if args.output == "-" else args.output,
                          inline_limit=args.inline_limit, **hyper)
            return 0 if worst <= args.tolerance else 1
        model = make_model()
        text = export_training_step(model, user.loss_fn, user.example_batch(),
                                    args.optimizer, init_file=init_file,
                                    init_name=init_name,
                                    inline_limit=args.inline_limit, **hyper)
    except UnsupportedOp as err:
        print("qopt-import-torch: error: %s" % err, file=sys.stderr)
        return 1
    except (ValueError, RuntimeError, OSError) as err:
        print("qopt-import-torch: error: %s" % err, file=sys.stderr)
        return 1
    if args.output == "-":
        sys.stdout.write(text)
        return 0
    try:
        with open(args.output, "w") as f:
            f.write(text)
    except OSError as err:
        print("qopt-import-torch: error: %s" % err, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
