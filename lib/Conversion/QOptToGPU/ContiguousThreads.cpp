//===- ContiguousThreads.cpp - innermost loop dimension to thread x -------===//
//
// Part of the qopt project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// The upstream mapping gives thread x the first dimension of a parallel loop;
// reversing the dimensions gives it the last, contiguous one (coalesced
// loads and stores).
//
//===----------------------------------------------------------------------===//

#include "qopt/Conversion/Passes.h"

#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/PatternMatch.h"

namespace mlir {
namespace qopt {
#define GEN_PASS_DEF_QOPTGPUCONTIGUOUSTHREADSPASS
#include "qopt/Conversion/Passes.h.inc"
} // namespace qopt
} // namespace mlir

using namespace mlir;

namespace {

/// Rebuilds `loop` with its dimensions in reverse order.
void reverseDimensions(RewriterBase &rewriter, scf::ParallelOp loop) {
  auto reversed = [](ValueRange values) {
    return llvm::to_vector(llvm::reverse(values));
  };
  rewriter.setInsertionPoint(loop);
  auto newLoop = scf::ParallelOp::create(
      rewriter, loop.getLoc(), reversed(loop.getLowerBound()),
      reversed(loop.getUpperBound()), reversed(loop.getStep()));
  Block *newBody = newLoop.getBody();
  rewriter.eraseOp(newBody->getTerminator());
  // Old induction variable k is new variable (rank - 1 - k).
  SmallVector<Value> oldToNew = reversed(newLoop.getInductionVars());
  rewriter.mergeBlocks(loop.getBody(), newBody, oldToNew);
  rewriter.eraseOp(loop);
}

struct QOptGPUContiguousThreadsPass
    : qopt::impl::QOptGPUContiguousThreadsPassBase<
          QOptGPUContiguousThreadsPass> {
  using Base::Base;

  void runOnOperation() override {
    SmallVector<scf::ParallelOp> loops;
    getOperation().walk([&](scf::ParallelOp loop) {
      if (loop.getNumLoops() >= 2 && loop.getInitVals().empty())
        loops.push_back(loop);
    });
    IRRewriter rewriter(&getContext());
    for (scf::ParallelOp loop : loops)
      reverseDimensions(rewriter, loop);
  }
};

} // namespace
