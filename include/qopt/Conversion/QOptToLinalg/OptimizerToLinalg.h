//===- OptimizerToLinalg.h - optimizer updates to linalg --------*- C++ -*-===//
//
// Part of the qopt project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Lowerings of qopt.adam_update and qopt.muon_update to linalg on tensors.
// Both absorb the qopt.quantize ops on their boundaries (the quantization
// points of the training step) into their elementwise loops, so each element
// of the optimizer state is read once and written once.
//
//===----------------------------------------------------------------------===//

#ifndef QOPT_CONVERSION_QOPTTOLINALG_OPTIMIZERTOLINALG_H
#define QOPT_CONVERSION_QOPTTOLINALG_OPTIMIZERTOLINALG_H

namespace mlir {
class Operation;
class RewritePatternSet;

namespace qopt {

/// Adds the pattern that rewrites qopt.adam_update (and the qopt.quantize ops
/// it absorbs) into one fused elementwise linalg.generic.
void populateAdamToLinalgPatterns(RewritePatternSet &patterns);

/// Adds the pattern that rewrites qopt.muon_update (and the qopt.quantize ops
/// it absorbs) into elementwise linalg.generic ops, a Frobenius-norm
/// reduction, and Newton-Schulz iterations on linalg.matmul.
void populateMuonToLinalgPatterns(RewritePatternSet &patterns);

/// True when `op` (a qopt.quantize, qopt.encode or qopt.decode) will be
/// absorbed into the loop of the optimizer update it feeds or consumes, so a
/// conversion must leave it for that update's pattern (which erases it)
/// instead of lowering it on its own.
bool isAbsorbedByOptimizerUpdate(Operation *op);

} // namespace qopt
} // namespace mlir

#endif // QOPT_CONVERSION_QOPTTOLINALG_OPTIMIZERTOLINALG_H
