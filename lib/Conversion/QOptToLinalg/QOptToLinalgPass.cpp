//===- QOptToLinalgPass.cpp - the convert-qopt-to-linalg pass -------------===//
//
// Part of the qopt project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "qopt/Conversion/Passes.h"
#include "qopt/Conversion/QOptToLinalg/OptimizerToLinalg.h"
#include "qopt/Dialect/QOpt/IR/QOptOps.h"

#include "qopt/Conversion/QOptToLinalg/QOptToLinalg.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Transforms/DialectConversion.h"

namespace mlir {
namespace qopt {
#define GEN_PASS_DEF_CONVERTQOPTTOLINALGPASS
#include "qopt/Conversion/Passes.h.inc"
} // namespace qopt
} // namespace mlir

using namespace mlir;
using namespace mlir::qopt;

void mlir::qopt::populateQOptToLinalgConversionPatterns(
    RewritePatternSet &patterns) {
  populateQuantizeToLinalgPatterns(patterns);
  populateStorageToLinalgPatterns(patterns);
  populateExchangeToLinalgPatterns(patterns);
  populateAdamToLinalgPatterns(patterns);
  populateMuonToLinalgPatterns(patterns);
}

namespace {
struct ConvertQOptToLinalgPass
    : qopt::impl::ConvertQOptToLinalgPassBase<ConvertQOptToLinalgPass> {
  void getDependentDialects(DialectRegistry &registry) const override {
    ConvertQOptToLinalgPassBase::getDependentDialects(registry);
    // The optimizer lowerings also emit math (sqrt, powf) and scf (the
    // Newton-Schulz loop).
    registry.insert<math::MathDialect, scf::SCFDialect>();
    // The data-parallel exchange calls the runtime on buffers.
    registry.insert<bufferization::BufferizationDialect, func::FuncDialect,
                    memref::MemRefDialect>();
  }

  void runOnOperation() override {
    MLIRContext *context = &getContext();
    // Stochastic quantizes written without a stream get distinct ones, so
    // the lowering never gives two of them the same random bits.
    assignQuantizeStreams(getOperation());
    ConversionTarget target(*context);
    // The lowering produces only these dialects.
    target.addLegalDialect<arith::ArithDialect, linalg::LinalgDialect,
                           math::MathDialect, scf::SCFDialect,
                           tensor::TensorDialect>();
    target.addIllegalOp<AdamUpdateOp, MuonUpdateOp, AllGatherSumOp, GatherSumOp,
                        BroadcastOp>();
    // A quantize absorbed into an optimizer update's loop is left for that
    // update's pattern, which erases it; every other one is lowered alone.
    target.addDynamicallyLegalOp<QuantizeOp, EncodeOp, DecodeOp>(
        [](Operation *op) { return isAbsorbedByOptimizerUpdate(op); });
    // Everything else (func, upstream ops) is not ours to touch.
    target.markUnknownOpDynamicallyLegal([](Operation *) { return true; });

    RewritePatternSet patterns(context);
    populateQOptToLinalgConversionPatterns(patterns);
    if (failed(applyPartialConversion(getOperation(), target,
                                      std::move(patterns))))
      signalPassFailure();
  }
};
} // namespace
