//===- HostToKernels.cpp - no array work left in GPU host code ------------===//
//
// Part of the qopt project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Buffers of the GPU path are device memory, so copies and serial linalg ops
// (which the parallel-loop mapping would leave as host loops) become kernels.
//
//===----------------------------------------------------------------------===//

#include "qopt/Conversion/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir {
namespace qopt {
#define GEN_PASS_DEF_QOPTGPUHOSTTOKERNELSPASS
#include "qopt/Conversion/Passes.h.inc"
} // namespace qopt
} // namespace mlir

using namespace mlir;

namespace {

bool isInKernel(Operation *op) {
  return op->getParentOfType<gpu::LaunchOp>() != nullptr;
}

/// memref.copy in host code -> linalg.copy (an elementwise kernel later).
struct CopyToLinalgPattern : OpRewritePattern<memref::CopyOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(memref::CopyOp copy,
                                PatternRewriter &rewriter) const override {
    if (isInKernel(copy))
      return rewriter.notifyMatchFailure(copy, "already in a kernel");
    rewriter.replaceOpWithNewOp<linalg::CopyOp>(copy, copy.getSource(),
                                                copy.getTarget());
    return success();
  }
};

/// A linalg op on buffers with no parallel loop -> gpu.launch of one thread.
struct SerialLinalgToKernelPattern
    : OpInterfaceRewritePattern<linalg::LinalgOp> {
  using OpInterfaceRewritePattern::OpInterfaceRewritePattern;

  LogicalResult matchAndRewrite(linalg::LinalgOp op,
                                PatternRewriter &rewriter) const override {
    if (isInKernel(op))
      return rewriter.notifyMatchFailure(op, "already in a kernel");
    if (!op.hasPureBufferSemantics())
      return rewriter.notifyMatchFailure(op, "needs buffer semantics");
    if (op.getNumParallelLoops() != 0)
      return rewriter.notifyMatchFailure(op, "has parallel loops");
    Location loc = op.getLoc();
    Value one = arith::ConstantIndexOp::create(rewriter, loc, 1);
    auto launch =
        gpu::LaunchOp::create(rewriter, loc, one, one, one, one, one, one);
    Block &body = launch.getBody().front();
    rewriter.setInsertionPointToStart(&body);
    gpu::TerminatorOp::create(rewriter, loc);
    rewriter.moveOpBefore(op, body.getTerminator());
    return success();
  }
};

struct QOptGPUHostToKernelsPass
    : qopt::impl::QOptGPUHostToKernelsPassBase<QOptGPUHostToKernelsPass> {
  using Base::Base;

  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<CopyToLinalgPattern, SerialLinalgToKernelPattern>(
        &getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
