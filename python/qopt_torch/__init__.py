#===- __init__.py - qopt_torch: PyTorch training steps for qopt ----------===#
#
# Part of the qopt project, under the Apache License v2.0 with LLVM
# Exceptions. See LICENSE for license information.
# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
#
#===----------------------------------------------------------------------===#
"""Imports a PyTorch model's training step into qopt (docs/PyTorch.md)."""

from .emit import UnsupportedOp
from .importer import export_training_step, hyperparameters, trace

__all__ = ["export_training_step", "hyperparameters", "trace", "UnsupportedOp"]
