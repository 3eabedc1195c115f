//===- RaiseOptimizers.h - framework optimizers to qopt ops -----*- C++ -*-===//
//
// Part of the qopt project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// The patterns of --qopt-raise-optimizers: Adam/AdamW and Muon steps written
// as frameworks export them (elementwise linalg / arith on tensors, a
// Newton-Schulz loop of linalg.matmul) rewritten to qopt.adam_update and
// qopt.muon_update.
//
//===----------------------------------------------------------------------===//

#ifndef QOPT_DIALECT_QOPT_TRANSFORMS_RAISEOPTIMIZERS_H
#define QOPT_DIALECT_QOPT_TRANSFORMS_RAISEOPTIMIZERS_H

namespace mlir {
class RewritePatternSet;

namespace qopt {

/// Relative tolerance with which the constants of the code being raised are
/// compared (with each other and with those of the raised op) by default:
/// an exporter that writes 1 - 0.999 as 1e-3 (1 - 0.999f is 1.00005e-3 in
/// f32) still matches.
constexpr double kDefaultRaiseTolerance = 1.0e-4;

/// Adds the patterns that raise Adam/AdamW (anchored on the op computing
/// the new weight) and Muon (anchored on the op computing the new weight
/// after the Newton-Schulz loop). They match only when the whole step is
/// recognised, rewrite it to one qopt op and erase the producers that die.
void populateRaiseOptimizersPatterns(RewritePatternSet &patterns,
                                     double tolerance = kDefaultRaiseTolerance);

} // namespace qopt
} // namespace mlir

#endif // QOPT_DIALECT_QOPT_TRANSFORMS_RAISEOPTIMIZERS_H
