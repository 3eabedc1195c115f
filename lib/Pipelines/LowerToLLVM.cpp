//===- LowerToLLVM.cpp - the qopt CPU pipeline ----------------------------===//
//
// Part of the qopt project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "qopt/Conversion/Passes.h"
#include "qopt/Pipelines/Pipelines.h"

#include "mlir/Conversion/Passes.h"
#include "mlir/Dialect/Bufferization/Pipelines/Passes.h"
#include "mlir/Dialect/Bufferization/Transforms/Passes.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/Passes.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;
using namespace mlir::qopt;

void mlir::qopt::buildLowerToLLVMPipeline(OpPassManager &pm,
                                          const LowerToLLVMOptions &options) {
  // qopt -> linalg on tensors, then clean up (hoists loop invariants such as
  // the stochastic-rounding key and folds constants).
  pm.addPass(createConvertQOptToLinalgPass());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
  pm.addPass(createLinalgElementwiseOpFusionPass());

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

  // Buffers -> loops -> LLVM.
  pm.addNestedPass<func::FuncOp>(createConvertLinalgToLoopsPass());
  pm.addPass(createSCFToControlFlowPass());
  pm.addPass(memref::createExpandStridedMetadataPass());
  pm.addPass(createLowerAffinePass());
  pm.addPass(createFinalizeMemRefToLLVMConversionPass());
  pm.addPass(createConvertToLLVMPass());
  pm.addPass(createReconcileUnrealizedCastsPass());
}

void mlir::qopt::registerQOptPipelines() {
  PassPipelineRegistration<LowerToLLVMOptions>(
      "qopt-lower-to-llvm",
      "Lower qopt IR on tensors to the LLVM dialect for the CPU "
      "(qopt -> linalg -> bufferization -> loops -> LLVM)",
      buildLowerToLLVMPipeline);
}
