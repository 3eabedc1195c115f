//===- QOptAttrNames.h - discardable qopt attributes ------------*- C++ -*-===//
//
// Part of the qopt project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Names of the discardable attributes that qopt's lowerings put on upstream
// ops for later qopt passes.
//
//===----------------------------------------------------------------------===//

#ifndef QOPT_DIALECT_QOPT_IR_QOPTATTRNAMES_H
#define QOPT_DIALECT_QOPT_IR_QOPTATTRNAMES_H

#include "llvm/ADT/StringRef.h"

namespace mlir {
namespace qopt {

/// Unit attribute on a `linalg.matmul` whose result is symmetric by
/// construction: the Muon lowering puts it on A = X X^T and on A A (both
/// from a zero accumulator; a product and its mirror multiply the same pairs
/// in the same order, so they are bit-identical). With it,
/// --qopt-tile-and-vectorize-matmuls computes only the cache tiles that
/// reach the diagonal and fills the others with a transposed copy.
inline constexpr llvm::StringLiteral kSymmetricAttr = "qopt.symmetric";

} // namespace qopt
} // namespace mlir

#endif // QOPT_DIALECT_QOPT_IR_QOPTATTRNAMES_H
