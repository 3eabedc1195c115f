//===- QOptToLinalg.h - qopt to linalg conversion ---------------*- C++ -*-===//
//
// Part of the qopt project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#ifndef QOPT_CONVERSION_QOPTTOLINALG_QOPTTOLINALG_H
#define QOPT_CONVERSION_QOPTTOLINALG_QOPTTOLINALG_H

namespace mlir {
class RewritePatternSet;

namespace qopt {

/// Adds the patterns that rewrite qopt.quantize into linalg.generic.
void populateQuantizeToLinalgPatterns(RewritePatternSet &patterns);

/// Adds the patterns that rewrite qopt.encode and qopt.decode into
/// linalg.generic.
void populateStorageToLinalgPatterns(RewritePatternSet &patterns);

/// qopt.all_gather_sum to a call of qopt's MPI runtime and a linalg sum.
void populateExchangeToLinalgPatterns(RewritePatternSet &patterns);

/// Adds every qopt-to-linalg pattern (all op families).
void populateQOptToLinalgConversionPatterns(RewritePatternSet &patterns);

} // namespace qopt
} // namespace mlir

#endif // QOPT_CONVERSION_QOPTTOLINALG_QOPTTOLINALG_H
