//===- HoistMatmulAccumulators.cpp - accumulators across K ----------------===//
//
// Part of the qopt project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Moves the loop-invariant subset reads and writes of the matmul register
// tiles out of their reduction loops, on tensors (see Passes.td).
//
//===----------------------------------------------------------------------===//

#include "qopt/Pipelines/Passes.h"

#include "mlir/IR/PatternMatch.h"
#include "mlir/Interfaces/LoopLikeInterface.h"
#include "mlir/Transforms/LoopInvariantCodeMotionUtils.h"

namespace mlir {
namespace qopt {
#define GEN_PASS_DEF_QOPTHOISTMATMULACCUMULATORSPASS
#include "qopt/Pipelines/Passes.h.inc"
} // namespace qopt
} // namespace mlir

using namespace mlir;

namespace {

/// Keeps each register tile of C in vector registers across the K loop: its
/// slice and its transfer_read/transfer_write pair on the loop's iteration
/// argument move out of the loop (inner loops first). Runs on tensors after
/// a canonicalization, which makes the transfers' constant indices loop
/// invariant.
struct QOptHoistMatmulAccumulatorsPass
    : qopt::impl::QOptHoistMatmulAccumulatorsPassBase<
          QOptHoistMatmulAccumulatorsPass> {

  void runOnOperation() override {
    IRRewriter rewriter(&getContext());
    SmallVector<scf::ForOp> loops;
    getOperation().walk([&](scf::ForOp loop) { loops.push_back(loop); });
    for (scf::ForOp loop : loops) {
      // Each round hoists through one more level (slice, then transfer).
      auto loopLike = cast<LoopLikeOpInterface>(loop.getOperation());
      for (int round = 0; round < 3; ++round)
        loopLike = hoistLoopInvariantSubsets(rewriter, loopLike);
    }
  }
};

} // namespace
