//===- LowerToLLVM.cpp - the qopt CPU pipeline ----------------------------===//
//
// Part of the qopt project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Code generation strategy for the CPU:
// * Elementwise loops (quantize, the fused Adam step, Muon's momentum and
//   update loops) become plain scf loops over memrefs whose bodies are scalar
//   arith; LLVM's loop vectoriser turns them into SIMD code at -O2/-O3
//   (mlir-runner -O3, the ExecutionEngine's optimizing transformer, or clang
//   on the translated module). It vectorises the whole fused body, integer
//   rounding arithmetic included, and handles any trip count with a
//   remainder loop, so dynamic shapes need no masking.
// * linalg.matmul (Muon's Newton-Schulz iteration) is tiled twice on
//   tensors: cache tiles (M, N, K) so that a panel of B and a block of A stay
//   in L2, then register tiles (mr x nr x 1) that are vectorised to
//   vector.contract. After bufferization the accumulator's transfers are
//   hoisted out of the K loop, and each contraction is lowered to outer
//   products (one broadcast-FMA per row), so the micro-kernel keeps an
//   mr x nr block of C in vector registers.
//
//===----------------------------------------------------------------------===//

#include "qopt/Conversion/Passes.h"
#include "qopt/Pipelines/Pipelines.h"

#include "mlir/Conversion/Passes.h"
#include "mlir/Conversion/VectorToSCF/VectorToSCF.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/Pipelines/Passes.h"
#include "mlir/Dialect/Bufferization/Transforms/Passes.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/Passes.h"
#include "mlir/Dialect/Linalg/Transforms/Hoisting.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/SCF/Transforms/TileUsingInterface.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Dialect/Vector/Transforms/LoweringPatterns.h"
#include "mlir/Dialect/Vector/Transforms/VectorTransforms.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Interfaces/TilingInterface.h"
#include "mlir/Pass/Pass.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "mlir/Transforms/LoopInvariantCodeMotionUtils.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;
using namespace mlir::qopt;

namespace {

/// Cache tile of the matmuls (rows of A/C, columns of B/C, reduction): a
/// 256x128 panel of B (128 KiB) and a 64x256 block of A stay in L2.
constexpr int64_t kCacheTile[3] = {64, 128, 256};
/// Register tile: a 4x16 block of C is 8 AVX2 registers, enough independent
/// FMA chains to cover the FMA latency, with room for B's row and A's
/// broadcast.
constexpr int64_t kRegisterTile[3] = {4, 16, 1};

/// Returns `tile` clamped to `size` when `size` is a multiple of it (or
/// smaller), so every tile is full and vectorises with static shapes; 0
/// (do not tile) otherwise.
static int64_t fullTile(int64_t size, int64_t tile) {
  if (ShapedType::isDynamic(size))
    return 0;
  if (size <= tile)
    return size;
  return size % tile == 0 ? tile : 0;
}

/// Tiles `op` by `sizes` (0 = untiled) with scf.for loops; returns the tiled
/// op or null.
static Operation *tile(RewriterBase &rewriter, Operation *op,
                       ArrayRef<int64_t> sizes) {
  scf::SCFTilingOptions options;
  options.setTileSizes(getAsIndexOpFoldResult(op->getContext(), sizes));
  rewriter.setInsertionPoint(op);
  FailureOr<scf::SCFTilingResult> result =
      scf::tileUsingSCF(rewriter, cast<TilingInterface>(op), options);
  if (failed(result))
    return nullptr;
  rewriter.replaceOp(op, result->replacements);
  return result->tiledOps.back();
}

/// Tiles static linalg.matmul ops for cache and registers and vectorises
/// the register tiles into vector.contract (on tensors, before
/// bufferization). Matmuls whose sizes the register tile does not divide
/// stay as they are and become scalar loops.
struct TileAndVectorizeMatmulsPass
    : PassWrapper<TileAndVectorizeMatmulsPass, OperationPass<func::FuncOp>> {
  MLIR_DEFINE_EXPLICIT_INTERNAL_INLINE_TYPE_ID(TileAndVectorizeMatmulsPass)
  StringRef getArgument() const override {
    return "qopt-tile-and-vectorize-matmuls";
  }
  void getDependentDialects(DialectRegistry &registry) const override {
    registry.insert<arith::ArithDialect, scf::SCFDialect, tensor::TensorDialect,
                    vector::VectorDialect>();
  }

  void runOnOperation() override {
    SmallVector<linalg::MatmulOp> matmuls;
    getOperation().walk([&](linalg::MatmulOp op) {
      if (op.hasPureTensorSemantics())
        matmuls.push_back(op);
    });
    IRRewriter rewriter(&getContext());
    for (linalg::MatmulOp matmul : matmuls) {
      SmallVector<int64_t> bounds = matmul.getStaticLoopRanges();
      SmallVector<int64_t> cache(3), regs(3);
      bool vectorizable = true;
      for (int i = 0; i < 3; ++i) {
        cache[i] = fullTile(bounds[i], kCacheTile[i]);
        int64_t inner = cache[i] ? cache[i] : bounds[i];
        regs[i] = fullTile(inner, kRegisterTile[i]);
        vectorizable &= regs[i] != 0;
      }
      // Register tiles must be full for static vector shapes.
      if (!vectorizable)
        continue;
      Operation *tiled = tile(rewriter, matmul, cache);
      if (!tiled)
        continue;
      Operation *micro = tile(rewriter, tiled, regs);
      if (!micro)
        continue;
      rewriter.setInsertionPoint(micro);
      FailureOr<linalg::VectorizationResult> vectorized = linalg::vectorize(
          rewriter, micro, /*inputVectorSizes=*/{},
          /*inputScalableVecDims=*/{}, /*vectorizeNDExtract=*/false,
          /*flatten1DDepthwiseConv=*/false,
          /*assumeDynamicDimsMatchVecSizes=*/false,
          /*createNamedContraction=*/true);
      if (succeeded(vectorized))
        rewriter.replaceOp(micro, vectorized->replacements);
    }
  }
};

/// Keeps each register tile of C in vector registers across the K loop: its
/// slice and its transfer_read/transfer_write pair on the loop's iteration
/// argument move out of the loop (inner loops first). Runs on tensors after
/// a canonicalization, which makes the transfers' constant indices loop
/// invariant.
struct HoistMatmulAccumulatorsPass
    : PassWrapper<HoistMatmulAccumulatorsPass, OperationPass<func::FuncOp>> {
  MLIR_DEFINE_EXPLICIT_INTERNAL_INLINE_TYPE_ID(HoistMatmulAccumulatorsPass)
  StringRef getArgument() const override {
    return "qopt-hoist-matmul-accumulators";
  }

  void runOnOperation() override {
    IRRewriter rewriter(&getContext());
    SmallVector<scf::ForOp> loops;
    getOperation().walk([&](scf::ForOp loop) { loops.push_back(loop); });
    for (scf::ForOp loop : loops) {
      // Each round hoists through one more level (slice, then transfer).
      auto loopLike = cast<LoopLikeOpInterface>(loop.getOperation());
      for (int round = 0; round < 3; ++round)
        loopLike = hoistLoopInvariantSubsets(rewriter, loopLike);
    }
  }
};

/// After bufferization: keeps each register tile of C in registers across
/// the K loop (hoisting its transfer_read/transfer_write), then lowers
/// vector.contract to outer products and the transfers to 1-D loads and
/// stores that the LLVM conversion understands.
struct LowerMatmulVectorsPass
    : PassWrapper<LowerMatmulVectorsPass, OperationPass<func::FuncOp>> {
  MLIR_DEFINE_EXPLICIT_INTERNAL_INLINE_TYPE_ID(LowerMatmulVectorsPass)
  StringRef getArgument() const override { return "qopt-lower-matmul-vectors"; }
  void getDependentDialects(DialectRegistry &registry) const override {
    registry.insert<arith::ArithDialect, memref::MemRefDialect, scf::SCFDialect,
                    vector::VectorDialect>();
  }

  void runOnOperation() override {
    func::FuncOp func = getOperation();
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

void mlir::qopt::buildLowerToLLVMPipeline(OpPassManager &pm,
                                          const LowerToLLVMOptions &options) {
  // qopt -> linalg on tensors, then clean up (hoists loop invariants such as
  // the stochastic-rounding key and folds constants).
  pm.addPass(createConvertQOptToLinalgPass());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
  pm.addPass(createLinalgElementwiseOpFusionPass());

  // Matmuls: cache and register tiles, register tiles to vector.contract.
  pm.addNestedPass<func::FuncOp>(
      std::make_unique<TileAndVectorizeMatmulsPass>());
  pm.addPass(createCanonicalizerPass());
  pm.addNestedPass<func::FuncOp>(
      std::make_unique<HoistMatmulAccumulatorsPass>());
  pm.addPass(createCanonicalizerPass());

  // Tensors -> buffers. Identity layouts at function boundaries keep the
  // calling convention simple for the ExecutionEngine and C callers.
  bufferization::OneShotBufferizePassOptions bufferize;
  bufferize.bufferizeFunctionBoundaries = true;
  bufferize.functionBoundaryTypeConversion =
      bufferization::LayoutMapOption::IdentityLayoutMap;
  pm.addPass(bufferization::createOneShotBufferizePass(bufferize));
  if (options.deallocate)
    bufferization::buildBufferDeallocationPipeline(pm);
  // Deallocation clones buffers a function returns without owning them (a
  // folded qopt.quantize returns its argument); clones have no LLVM lowering,
  // so turn them into alloc + copy.
  pm.addPass(createConvertBufferizationToMemRefPass());

  // Register tiles stay in registers across K; contractions to FMAs. The
  // subviews of C are loop-invariant in the K loop but bufferization
  // creates them inside it: move them out first, so their transfers can be
  // hoisted.
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createLoopInvariantCodeMotionPass());
  pm.addNestedPass<func::FuncOp>(std::make_unique<LowerMatmulVectorsPass>());
  pm.addPass(createCanonicalizerPass());

  // Buffers -> loops -> LLVM.
  pm.addNestedPass<func::FuncOp>(createConvertLinalgToLoopsPass());
  // Remaining n-D transfers (the register tiles of C) are unrolled into 1-D
  // loads and stores rather than staged through stack buffers.
  pm.addPass(createConvertVectorToSCFPass(
      VectorTransferToSCFOptions().enableFullUnroll().setTargetRank(1)));
  pm.addPass(createSCFToControlFlowPass());
  pm.addPass(memref::createExpandStridedMetadataPass());
  pm.addPass(createLowerAffinePass());
  pm.addPass(createConvertVectorToLLVMPass());
  pm.addPass(createFinalizeMemRefToLLVMConversionPass());
  pm.addPass(createConvertToLLVMPass());
  pm.addPass(createReconcileUnrealizedCastsPass());
}

void mlir::qopt::registerQOptPipelines() {
  PassPipelineRegistration<LowerToLLVMOptions>(
      "qopt-lower-to-llvm",
      "Lower qopt IR on tensors to the LLVM dialect for the CPU "
      "(qopt -> linalg -> tiled/vectorised matmuls -> bufferization -> loops "
      "-> LLVM)",
      buildLowerToLLVMPipeline);
}
