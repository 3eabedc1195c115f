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
//   vector.contract. The cache loops run N, K, M: each K x N panel of B is
//   packed once into a stack buffer laid out [N/nr][K][nr], so the
//   micro-kernel streams B contiguously instead of one row (4 KiB apart for
//   1024 columns) per k; each M x K block of A is packed [M/mr][K][mr] and
//   the register loops run N-outer, so a K x nr strip of B stays in L1. After
//   bufferization the accumulator's transfers are hoisted out of the K loop,
//   and each contraction is lowered to outer products (one broadcast-FMA per
//   row), so the micro-kernel keeps an mr x nr block of C in vector registers.
//
//===----------------------------------------------------------------------===//

#include "qopt/Conversion/Passes.h"
#include "qopt/Pipelines/Passes.h"
#include "qopt/Pipelines/Pipelines.h"

#include "mlir/Conversion/Passes.h"
#include "mlir/Conversion/VectorToSCF/VectorToSCF.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Bufferization/Pipelines/Passes.h"
#include "mlir/Dialect/Bufferization/Transforms/Passes.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/Passes.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/Pass/Pass.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;
using namespace mlir::qopt;

void mlir::qopt::buildQOptToLinalgPipeline(OpPassManager &pm) {
  pm.addPass(createConvertQOptToLinalgPass());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
  pm.addPass(createLinalgElementwiseOpFusionPass());
}

void mlir::qopt::buildLowerToLLVMPipeline(OpPassManager &pm,
                                          const LowerToLLVMOptions &options) {
  // IR that would crash or hang a pass below gets a qopt diagnostic first.
  pm.addPass(createQOptCheckSupportedPass());
  buildQOptToLinalgPipeline(pm);

  // Matmuls: products spelled as generics or with transposing maps become
  // plain matmuls; cache and register tiles, register tiles to
  // vector.contract.
  pm.addNestedPass<func::FuncOp>(createQOptNormalizeMatmulsPass());
  QOptTileAndVectorizeMatmulsPassOptions tiling;
  tiling.parallelRows = options.numThreads != 1;
  pm.addNestedPass<func::FuncOp>(createQOptTileAndVectorizeMatmulsPass(tiling));
  pm.addPass(createCanonicalizerPass());
  pm.addNestedPass<func::FuncOp>(createQOptHoistMatmulAccumulatorsPass());
  pm.addPass(createCanonicalizerPass());

  // Tensors -> buffers. Results go into their destination buffers
  // (materialize_in_destination) or, failing that, into a dead input of
  // the same type, instead of fresh temporaries.
  // One tensor.empty per use first: CSE merges them, and one shared by n
  // ops makes bufferization's analysis quadratic in n.
  pm.addNestedPass<func::FuncOp>(createQOptSplitEmptyTensorsPass());
  // Per function, not on the module: the module form analyzes function
  // boundaries, comparing every tensor result with every tensor argument
  // (quadratic in a step's state tensors), and the destinations it finds
  // (materialize_in_destination, subset insertions) are inside a body.
  pm.addNestedPass<func::FuncOp>(
      bufferization::createEmptyTensorEliminationPass());
  pm.addNestedPass<func::FuncOp>(createQOptReuseDeadInputsPass());
  pm.addPass(createQOptBufferizePass());
  // Straight-line functions (a training step) are freed in linear time;
  // the rest goes through upstream's buffer-deallocation-pipeline.
  if (options.deallocate)
    pm.addPass(createQOptBufferDeallocationPass());
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
  pm.addNestedPass<func::FuncOp>(createQOptLowerMatmulVectorsPass());
  pm.addPass(createCanonicalizerPass());

  // Buffers -> loops -> LLVM. With threads, the outermost parallel loop of
  // each large linalg op becomes an scf.parallel, then an OpenMP loop.
  if (options.numThreads != 1)
    pm.addNestedPass<func::FuncOp>(createQOptParallelizeLoopsPass());
  pm.addNestedPass<func::FuncOp>(createConvertLinalgToLoopsPass());
  // A stochastic quantize of a dynamic shape hashes the index's high half
  // only for tensors over 2^32 elements: version its loop on that.
  pm.addNestedPass<func::FuncOp>(createQOptUnswitchInvariantSelectsPass());
  // Long 1-D streams (a standalone quantize of a dynamic tensor) issue their
  // loads too slowly for the hardware prefetchers when each element takes
  // more work than a copy: prefetch ahead of them in bursts.
  if (options.prefetchDistance > 0) {
    QOptPrefetchStreamsPassOptions prefetch;
    prefetch.distance = options.prefetchDistance;
    pm.addNestedPass<func::FuncOp>(createQOptPrefetchStreamsPass(prefetch));
  }
  buildLoopsToLLVMPipeline(pm, options.numThreads);
}

void mlir::qopt::buildLoopsToLLVMPipeline(OpPassManager &pm,
                                          unsigned numThreads) {
  // Remaining n-D transfers (the register tiles of C) are unrolled into 1-D
  // loads and stores rather than staged through stack buffers.
  pm.addPass(createConvertVectorToSCFPass(
      VectorTransferToSCFOptions().enableFullUnroll().setTargetRank(1)));
  // scf.parallel -> omp.parallel + omp.wsloop (static schedule), before
  // scf-to-cf lowers the loops. With numThreads == 0 the omp.parallel has no
  // num_threads clause: the runtime picks (OMP_NUM_THREADS, else all cores).
  if (numThreads != 1) {
    ConvertSCFToOpenMPPassOptions toOpenMP;
    toOpenMP.numThreads = numThreads;
    pm.addPass(createConvertSCFToOpenMPPass(toOpenMP));
    // The alloca_scope it wraps each body in would stop scf-to-cf.
    pm.addNestedPass<func::FuncOp>(createQOptOpenMPThreadAllocasPass());
  }
  // One block per top-level loop, so scf-to-cf's block splits stay cheap.
  pm.addNestedPass<func::FuncOp>(createQOptSplitBlocksAtLoopsPass());
  // Before scf-to-cf, while a function is still a few blocks of structured
  // loops: these three rewrite greedily, and the greedy driver simplifies
  // the function's CFG (reachability, dead block arguments) after each
  // sweep, which costs 0.3 s more at 1000 tensors once scf-to-cf has made
  // several blocks per loop. The output is the same.
  pm.addPass(memref::createExpandStridedMetadataPass());
  pm.addPass(createLowerAffinePass());
  pm.addPass(createConvertVectorToLLVMPass());
  // Without pattern rollback: the rollback bookkeeping made these
  // conversions superlinear in the function size (scf-to-cf 7.2 s against
  // 1.2 s on a 1000-tensor step; bench/README.md). Their patterns never
  // fail after changing the IR, which is what rollback is for.
  SCFToControlFlowPassOptions scfToCF;
  scfToCF.allowPatternRollback = false;
  pm.addPass(createSCFToControlFlowPass(scfToCF));
  pm.addPass(createFinalizeMemRefToLLVMConversionPass());
  if (numThreads != 1)
    pm.addPass(createConvertOpenMPToLLVMPass());
  ConvertToLLVMPassOptions toLLVM;
  toLLVM.allowPatternRollback = false;
  pm.addPass(createConvertToLLVMPass(toLLVM));
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
