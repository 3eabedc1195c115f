//===- UnswitchInvariantSelects.cpp - version loops on invariant selects --===//
//
// Part of the qopt project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Versions innermost scf.for and scf.parallel loops on the condition of a
// loop-invariant arith.select in their body (see the pass description in
// Passes.td).
//
//===----------------------------------------------------------------------===//

#include "qopt/Pipelines/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/ImplicitLocOpBuilder.h"

namespace mlir {
namespace qopt {
#define GEN_PASS_DEF_QOPTUNSWITCHINVARIANTSELECTSPASS
#include "qopt/Pipelines/Passes.h.inc"
} // namespace qopt
} // namespace mlir

using namespace mlir;

namespace {

/// The condition of the first arith.select in `loop`'s body whose condition
/// is a scalar i1 defined outside the loop and not a constant, or null.
Value invariantSelectCondition(LoopLikeOpInterface loop) {
  Value condition;
  loop->walk([&](arith::SelectOp select) {
    Value candidate = select.getCondition();
    if (!candidate.getType().isInteger(1) ||
        !loop.isDefinedOutsideOfLoop(candidate) ||
        matchPattern(candidate, m_Constant()))
      return WalkResult::advance();
    condition = candidate;
    return WalkResult::interrupt();
  });
  return condition;
}

/// Replaces every select on `condition` inside `loop` by the operand it
/// picks when `condition` is `value`.
void foldSelects(Operation *loop, Value condition, bool value) {
  loop->walk([&](arith::SelectOp select) {
    if (select.getCondition() != condition)
      return;
    select.replaceAllUsesWith(value ? select.getTrueValue()
                                    : select.getFalseValue());
    select.erase();
  });
}

/// Rewrites `loop` into scf.if %condition { loop, selects true } else
/// { loop, selects false }.
void unswitch(Operation *loop, Value condition) {
  ImplicitLocOpBuilder b(loop->getLoc(), loop);
  auto branch = scf::IfOp::create(b, condition, /*withElseRegion=*/true);
  b.setInsertionPointToStart(branch.elseBlock());
  Operation *copy = b.clone(*loop);
  loop->moveBefore(branch.thenBlock()->getTerminator());
  foldSelects(loop, condition, true);
  foldSelects(copy, condition, false);
}

struct QOptUnswitchInvariantSelectsPass
    : public qopt::impl::QOptUnswitchInvariantSelectsPassBase<
          QOptUnswitchInvariantSelectsPass> {
  void runOnOperation() override {
    SmallVector<std::pair<Operation *, Value>> work;
    getOperation()->walk([&](LoopLikeOpInterface loop) {
      if (!isa<scf::ForOp, scf::ParallelOp>(loop) || loop->getNumResults() != 0)
        return;
      bool nested = false;
      loop->walk([&](LoopLikeOpInterface inner) { nested |= inner != loop; });
      if (nested)
        return;
      if (Value condition = invariantSelectCondition(loop))
        work.emplace_back(loop, condition);
    });
    for (auto [loop, condition] : work)
      unswitch(loop, condition);
  }
};

} // namespace
