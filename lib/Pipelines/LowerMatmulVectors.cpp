//===- LowerMatmulVectors.cpp - micro-kernels to FMAs ---------------------===//
//
// Part of the qopt project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Lowers the matmul micro-kernels' vector ops, after bufferization, to outer
// products and 1-D transfers (see Passes.td).
//
//===----------------------------------------------------------------------===//

#include "qopt/Pipelines/Passes.h"

#include "mlir/Dialect/Linalg/Transforms/Hoisting.h"
#include "mlir/Dialect/Vector/Transforms/LoweringPatterns.h"
#include "mlir/Dialect/Vector/Transforms/VectorTransforms.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir {
namespace qopt {
#define GEN_PASS_DEF_QOPTLOWERMATMULVECTORSPASS
#include "qopt/Pipelines/Passes.h.inc"
} // namespace qopt
} // namespace mlir

using namespace mlir;

namespace {

/// After bufferization: keeps each register tile of C in registers across
/// the K loop (hoisting its transfer_read/transfer_write), then lowers
/// vector.contract to outer products and the transfers to 1-D loads and
/// stores that the LLVM conversion understands.
struct QOptLowerMatmulVectorsPass
    : qopt::impl::QOptLowerMatmulVectorsPassBase<QOptLowerMatmulVectorsPass> {

  void runOnOperation() override {
    func::FuncOp func = getOperation();
    // Every pattern below rewrites a vector op. A function without vectors
    // (no matmul was tiled) would only be walked and folded: 0.2 s of a
    // 1000-tensor training step's compile, and the canonicalization after
    // this pass folds the same.
    auto isVector = llvm::IsaPred<VectorType>;
    bool hasVectors = func.walk([&](Operation *op) {
                            if (llvm::any_of(op->getResultTypes(), isVector) ||
                                llvm::any_of(op->getOperandTypes(), isVector))
                              return WalkResult::interrupt();
                            return WalkResult::advance();
                          })
                          .wasInterrupted();
    if (!hasVectors)
      return;
    linalg::hoistRedundantVectorTransfers(func);
    MLIRContext *context = &getContext();
    RewritePatternSet patterns(context);
    vector::populateVectorContractLoweringPatterns(
        patterns, vector::VectorContractLowering::OuterProduct);
    vector::populateVectorTransferPermutationMapLoweringPatterns(patterns);
    vector::populateVectorTransferLoweringPatterns(patterns,
                                                   /*maxTransferRank=*/1);
    vector::populateVectorBroadcastLoweringPatterns(patterns);
    vector::populateVectorShapeCastLoweringPatterns(patterns);
    vector::populateVectorTransposeLoweringPatterns(
        patterns, vector::VectorTransposeLowering::EltWise);
    vector::populateVectorMultiReductionLoweringPatterns(
        patterns, vector::VectorMultiReductionLowering::InnerParallel);
    if (failed(applyPatternsGreedily(func, std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
