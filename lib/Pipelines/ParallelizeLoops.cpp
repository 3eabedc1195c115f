//===- ParallelizeLoops.cpp - linalg on buffers to scf.parallel nests -----===//
//
// Part of the qopt project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Lowers linalg ops on buffers to loop nests in which one loop, the
// outermost non-unit parallel one, is an scf.parallel, for the CPU
// pipeline's OpenMP lowering (see Passes.td).
//
//===----------------------------------------------------------------------===//

#include "qopt/Pipelines/Passes.h"

#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/IR/PatternMatch.h"

namespace mlir {
namespace qopt {
#define GEN_PASS_DEF_QOPTPARALLELIZELOOPSPASS
#include "qopt/Pipelines/Passes.h.inc"
} // namespace qopt
} // namespace mlir

using namespace mlir;

namespace {

/// Returns the index of the loop to run in parallel: the outermost loop
/// whose trip count is not statically 1, if it and all loops outside it are
/// parallel; -1 otherwise.
static int parallelLoopIndex(linalg::LinalgOp op) {
  SmallVector<utils::IteratorType> iterators = op.getIteratorTypesArray();
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  for (auto [index, iterator] : llvm::enumerate(iterators)) {
    // A reduction outside every parallel loop (a norm): the sum's order
    // would depend on the threads.
    if (iterator != utils::IteratorType::parallel)
      return -1;
    if (ranges[index] != 1)
      return index;
  }
  return -1;
}

/// Whether `op` has fewer than `minIterations` iterations in all (static
/// shapes only; a dynamic size counts as large).
static bool isSmall(linalg::LinalgOp op, int64_t minIterations) {
  int64_t total = 1;
  for (int64_t range : op.getStaticLoopRanges()) {
    if (ShapedType::isDynamic(range))
      return false;
    // Saturates instead of overflowing.
    if (range != 0 && total > minIterations / range)
      return false;
    total *= range;
  }
  return total < minIterations;
}

/// Replaces `loop` (no iteration arguments) by an scf.parallel with the same
/// bounds and body; returns it.
static scf::ParallelOp convertToParallel(RewriterBase &rewriter,
                                         scf::ForOp loop) {
  rewriter.setInsertionPoint(loop);
  auto parallel = scf::ParallelOp::create(
      rewriter, loop.getLoc(), ValueRange{loop.getLowerBound()},
      ValueRange{loop.getUpperBound()}, ValueRange{loop.getStep()});
  Block *body = loop.getBody();
  rewriter.eraseOp(body->getTerminator());
  rewriter.inlineBlockBefore(body, parallel.getBody()->getTerminator(),
                             parallel.getInductionVars());
  rewriter.eraseOp(loop);
  return parallel;
}

/// Makes a matmul's loop over M cache tiles (marked kParallelRowsAttr by
/// --qopt-tile-and-vectorize-matmuls) an scf.parallel, with its own copy of
/// each kThreadPrivateAttr buffer (A's packed block, which every tile
/// overwrites before reading it).
static void parallelizeRows(RewriterBase &rewriter, scf::ForOp loop) {
  SetVector<Operation *> privates;
  loop.getBody()->walk([&](Operation *op) {
    for (Value operand : op->getOperands())
      if (auto alloca = operand.getDefiningOp<memref::AllocaOp>())
        if (alloca->hasAttr(qopt::kThreadPrivateAttr) &&
            !loop->isAncestor(alloca))
          privates.insert(alloca);
  });
  scf::ParallelOp parallel = convertToParallel(rewriter, loop);
  for (Operation *alloca : privates) {
    rewriter.setInsertionPointToStart(parallel.getBody());
    Operation *copy = rewriter.clone(*alloca);
    rewriter.replaceUsesWithIf(
        alloca->getResult(0), copy->getResult(0), [&](OpOperand &use) {
          return parallel->isProperAncestor(use.getOwner());
        });
    if (alloca->use_empty())
      rewriter.eraseOp(alloca);
  }
}

struct QOptParallelizeLoopsPass
    : qopt::impl::QOptParallelizeLoopsPassBase<QOptParallelizeLoopsPass> {
  using Base::Base;

  void runOnOperation() override {
    IRRewriter rewriter(&getContext());
    // Matmul row tiles first: the linalg ops inside them (A's packing) then
    // stay sequential.
    SmallVector<scf::ForOp> rowLoops;
    getOperation().walk([&](scf::ForOp loop) {
      if (loop->hasAttr(qopt::kParallelRowsAttr) &&
          loop.getInitArgs().empty() &&
          !loop->getParentOfType<scf::ParallelOp>())
        rowLoops.push_back(loop);
    });
    for (scf::ForOp loop : rowLoops)
      parallelizeRows(rewriter, loop);

    SmallVector<linalg::LinalgOp> candidates;
    getOperation().walk([&](linalg::LinalgOp op) {
      // Already inside a parallel loop (a matmul's M tile): nested
      // parallelism would only add fork/join overhead.
      if (!op.hasPureBufferSemantics() ||
          op->getParentOfType<scf::ParallelOp>() ||
          isSmall(op, minIterations) || parallelLoopIndex(op) < 0)
        return;
      candidates.push_back(op);
    });
    for (linalg::LinalgOp op : candidates) {
      int index = parallelLoopIndex(op);
      rewriter.setInsertionPoint(op);
      FailureOr<linalg::LinalgLoops> loops =
          linalg::linalgOpToLoops(rewriter, op);
      // Left to --convert-linalg-to-loops, which fails the same way.
      if (failed(loops))
        continue;
      rewriter.eraseOp(op);
      auto loop = dyn_cast_or_null<scf::ForOp>(
          index < int(loops->size()) ? (*loops)[index] : nullptr);
      if (loop && loop.getInitArgs().empty())
        convertToParallel(rewriter, loop);
    }
  }
};

} // namespace
