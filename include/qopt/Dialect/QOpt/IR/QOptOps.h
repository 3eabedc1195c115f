//===- QOptOps.h - qopt operations ------------------------------*- C++ -*-===//
//
// Part of the qopt project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#ifndef QOPT_DIALECT_QOPT_IR_QOPTOPS_H
#define QOPT_DIALECT_QOPT_IR_QOPTOPS_H

#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "qopt/Dialect/QOpt/IR/QOptAttrs.h"
#include "qopt/Dialect/QOpt/IR/QOptDialect.h"

#define GET_OP_CLASSES
#include "qopt/Dialect/QOpt/IR/QOptOps.h.inc"

namespace mlir {
namespace qopt {

/// Gives every stochastic qopt.quantize under `root` that has no `stream`
/// the smallest value >= 0 that no quantize under `root` has, in walk
/// order, so no two quantizes written without a stream share random bits.
/// Returns the number of quantizes it keyed.
unsigned assignQuantizeStreams(Operation *root);

} // namespace qopt
} // namespace mlir

#endif // QOPT_DIALECT_QOPT_IR_QOPTOPS_H
