//===- SplitEmptyTensors.cpp - one tensor.empty per use -------------------===//
//
// Part of the qopt project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Clones a tensor.empty with several uses before each of them, so that
// one-shot bufferization's analysis does not put every op writing into a
// CSE'd tensor.empty into one alias set (see Passes.td).
//
//===----------------------------------------------------------------------===//

#include "qopt/Pipelines/Passes.h"

namespace mlir {
namespace qopt {
#define GEN_PASS_DEF_QOPTSPLITEMPTYTENSORSPASS
#include "qopt/Pipelines/Passes.h.inc"
} // namespace qopt
} // namespace mlir

using namespace mlir;

namespace {
struct QOptSplitEmptyTensorsPass
    : public qopt::impl::QOptSplitEmptyTensorsPassBase<
          QOptSplitEmptyTensorsPass> {
  void runOnOperation() override {
    SmallVector<tensor::EmptyOp> empties;
    getOperation().walk([&](tensor::EmptyOp op) {
      if (!op->hasOneUse() && !op->use_empty())
        empties.push_back(op);
    });
    OpBuilder builder(&getContext());
    for (tensor::EmptyOp op : empties) {
      // A clone right before each user (the sizes dominate the original,
      // which dominates every use); the original is then dead.
      SmallVector<OpOperand *> uses = llvm::map_to_vector(
          op->getUses(), [](OpOperand &use) { return &use; });
      for (OpOperand *use : uses) {
        builder.setInsertionPoint(use->getOwner());
        use->set(builder.clone(*op)->getResult(0));
      }
      op->erase();
    }
  }
};
} // namespace
