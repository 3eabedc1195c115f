//===- PreciseSqrt.cpp - correctly rounded sqrt in GPU kernels ------------===//
//
// Part of the qopt project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "qopt/Conversion/Passes.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir {
namespace qopt {
#define GEN_PASS_DEF_QOPTGPUPRECISESQRTPASS
#include "qopt/Conversion/Passes.h.inc"
} // namespace qopt
} // namespace mlir

using namespace mlir;

namespace {

/// f32 math.sqrt -> the NVVM intrinsic llvm.nvvm.sqrt.rn.f (sqrt.rn.f32).
/// The generic llvm.intr.sqrt would not do: convert-gpu-to-nvvm marks it
/// illegal and routes it to libdevice again.
struct PreciseSqrtPattern : OpRewritePattern<math::SqrtOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(math::SqrtOp op,
                                PatternRewriter &rewriter) const override {
    // Only scalars f32: vectors and other widths keep the libdevice path.
    if (!op.getType().isF32())
      return rewriter.notifyMatchFailure(op, "not a scalar f32 sqrt");
    rewriter.replaceOpWithNewOp<LLVM::CallIntrinsicOp>(
        op, op.getType(), rewriter.getStringAttr("llvm.nvvm.sqrt.rn.f"),
        ValueRange{op.getOperand()});
    return success();
  }
};

struct QOptGPUPreciseSqrtPass
    : qopt::impl::QOptGPUPreciseSqrtPassBase<QOptGPUPreciseSqrtPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<PreciseSqrtPattern>(&getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
