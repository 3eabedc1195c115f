//===- OpenMPThreadAllocas.cpp - per-thread stack buffers of omp loops ----===//
//
// Part of the qopt project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Removes the memref.alloca_scope that --convert-scf-to-openmp puts around
// each loop body, moving its static allocas to the enclosing omp.parallel
// (see Passes.td).
//
//===----------------------------------------------------------------------===//

#include "qopt/Pipelines/Passes.h"

#include "mlir/IR/PatternMatch.h"

namespace mlir {
namespace qopt {
#define GEN_PASS_DEF_QOPTOPENMPTHREADALLOCASPASS
#include "qopt/Pipelines/Passes.h.inc"
} // namespace qopt
} // namespace mlir

using namespace mlir;

namespace {

/// Whether `alloca` can be allocated once per thread: a static shape and no
/// operands (so nothing it uses is defined in the loop).
static bool isThreadInvariant(memref::AllocaOp alloca) {
  return alloca->getNumOperands() == 0 && alloca.getType().hasStaticShape();
}

struct QOptOpenMPThreadAllocasPass
    : qopt::impl::QOptOpenMPThreadAllocasPassBase<QOptOpenMPThreadAllocasPass> {
  void runOnOperation() override {
    SmallVector<memref::AllocaScopeOp> scopes;
    getOperation().walk([&](memref::AllocaScopeOp scope) {
      if (isa<omp::LoopNestOp>(scope->getParentOp()) &&
          scope->getNumResults() == 0 && scope.getBodyRegion().hasOneBlock())
        scopes.push_back(scope);
    });
    IRRewriter rewriter(&getContext());
    for (memref::AllocaScopeOp scope : scopes) {
      auto wsloop = scope->getParentOfType<omp::WsloopOp>();
      auto parallel = wsloop ? dyn_cast<omp::ParallelOp>(wsloop->getParentOp())
                             : omp::ParallelOp();
      // Allocas of this scope (not of scopes nested in it).
      SmallVector<memref::AllocaOp> allocas;
      bool hoistable = true;
      scope.getBodyRegion().walk([&](memref::AllocaOp alloca) {
        if (alloca->getParentOfType<memref::AllocaScopeOp>() != scope)
          return;
        allocas.push_back(alloca);
        hoistable &= isThreadInvariant(alloca);
      });
      // A dynamic alloca needs the scope to free it on every iteration.
      if (!hoistable || (!allocas.empty() && !parallel))
        continue;
      for (memref::AllocaOp alloca : allocas)
        rewriter.moveOpBefore(alloca, wsloop);
      Block *body = &scope.getBodyRegion().front();
      rewriter.eraseOp(body->getTerminator());
      rewriter.inlineBlockBefore(body, scope);
      rewriter.eraseOp(scope);
    }
  }
};

} // namespace
