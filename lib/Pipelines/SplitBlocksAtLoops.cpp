//===- SplitBlocksAtLoops.cpp - one block per top-level scf loop ----------===//
//
// Part of the qopt project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Ends a function-body block after each scf op with regions, walking
// backwards, so that --convert-scf-to-cf's block splits move O(1) ops each
// instead of the rest of the function (see Passes.td).
//
//===----------------------------------------------------------------------===//

#include "qopt/Pipelines/Passes.h"

#include "mlir/Dialect/ControlFlow/IR/ControlFlowOps.h"

namespace mlir {
namespace qopt {
#define GEN_PASS_DEF_QOPTSPLITBLOCKSATLOOPSPASS
#include "qopt/Pipelines/Passes.h.inc"
} // namespace qopt
} // namespace mlir

using namespace mlir;

namespace {

/// Whether convert-scf-to-cf splits the block at `op`.
bool isLoweredBySplitting(Operation &op) {
  return op.getNumRegions() > 0 && isa<scf::SCFDialect>(op.getDialect());
}

struct QOptSplitBlocksAtLoopsPass
    : public qopt::impl::QOptSplitBlocksAtLoopsPassBase<
          QOptSplitBlocksAtLoopsPass> {
  void runOnOperation() override {
    Region &body = getOperation().getBody();
    OpBuilder builder(&getContext());
    // The blocks present now; the ones split off below need no more splits.
    for (Block *block :
         llvm::map_to_vector(body, [](Block &b) { return &b; })) {
      // Backwards, so that each split moves only the ops up to the next
      // split point. The terminator never needs a block of its own.
      if (!block->mightHaveTerminator())
        continue;
      Operation *end = block->getTerminator();
      for (Operation *op = end->getPrevNode(); op;) {
        Operation *previous = op->getPrevNode();
        // Nothing to gain when only the terminator follows.
        if (isLoweredBySplitting(*op) && op->getNextNode() != end) {
          Block *tail = block->splitBlock(op->getNextNode());
          builder.setInsertionPointToEnd(block);
          cf::BranchOp::create(builder, op->getLoc(), tail);
          end = block->getTerminator();
        }
        op = previous;
      }
    }
  }
};

} // namespace
