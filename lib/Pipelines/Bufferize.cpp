//===- Bufferize.cpp - one-shot bufferization of qopt modules -------------===//
//
// Part of the qopt project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Upstream's one-shot module bufferization, without its function-boundary
// analysis where no call would read it (see Passes.td): that analysis
// compares every tensor result of a function with every tensor argument,
// quadratic in the state tensors of a training step.
//
//===----------------------------------------------------------------------===//

#include "qopt/Pipelines/Passes.h"

#include "mlir/Dialect/Bufferization/IR/BufferizableOpInterface.h"
#include "mlir/Dialect/Bufferization/Transforms/FuncBufferizableOpInterfaceImpl.h"
#include "mlir/Dialect/Bufferization/Transforms/OneShotAnalysis.h"
#include "mlir/Dialect/Bufferization/Transforms/OneShotModuleBufferize.h"
#include "mlir/Dialect/Bufferization/Transforms/Transforms.h"

namespace mlir {
namespace qopt {
#define GEN_PASS_DEF_QOPTBUFFERIZEPASS
#include "qopt/Pipelines/Passes.h.inc"
} // namespace qopt
} // namespace mlir

using namespace mlir;
using namespace mlir::bufferization;

/// The options of `--one-shot-bufferize="bufferize-function-boundaries
/// allow-return-allocs-from-loops
/// function-boundary-type-conversion=identity-layout-map"`, as upstream's
/// pass builds them from its pass options.
static OneShotBufferizationOptions getQOptBufferizationOptions() {
  OneShotBufferizationOptions options;
  options.bufferizeFunctionBoundaries = true;
  // A loop that calls a step with narrow state converts it on every trip
  // (encode before the call, decode after), so what it yields is a new
  // buffer, not its iteration argument.
  options.allowReturnAllocsFromLoops = true;
  options.setFunctionBoundaryTypeConversion(LayoutMapOption::IdentityLayoutMap);
  options.unknownTypeConverterFn = [](TensorType tensorType,
                                      Attribute memorySpace,
                                      const BufferizationOptions &) {
    return getMemRefTypeWithFullyDynamicLayout(tensorType, memorySpace);
  };
  return options;
}

/// analyzeModuleOp without the function-boundary analyses, which only
/// `func.call`s read: the body of each function is analyzed as upstream
/// does, and the function marked analyzed.
static LogicalResult analyzeUncalledFunctions(ModuleOp module,
                                              OneShotAnalysisState &state) {
  auto &funcState = state.addExtension<func_ext::FuncAnalysisState>();
  WalkResult result = module.walk([&](func::FuncOp funcOp) {
    if (!state.getOptions().isOpAllowed(funcOp))
      return WalkResult::advance();
    funcState.startFunctionAnalysis(funcOp);
    if (failed(analyzeOp(funcOp, state)))
      return WalkResult::interrupt();
    funcState.analyzedFuncOps[funcOp] = func_ext::FuncOpAnalysisState::Analyzed;
    return WalkResult::advance();
  });
  return failure(result.wasInterrupted());
}

namespace {
struct QOptBufferizePass
    : public qopt::impl::QOptBufferizePassBase<QOptBufferizePass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    OneShotBufferizationOptions options = getQOptBufferizationOptions();
    BufferizationState bufferizationState;

    // A call reads its callee's boundary analysis (which arguments it
    // reads, writes, returns in place): upstream's driver, unchanged.
    bool hasCalls =
        module.walk([](func::CallOp) { return WalkResult::interrupt(); })
            .wasInterrupted();
    if (hasCalls) {
      if (failed(
              runOneShotModuleBufferize(module, options, bufferizationState)))
        signalPassFailure();
      return;
    }

    // What runOneShotModuleBufferize does, with the cheaper analysis.
    OneShotAnalysisState analysisState(module, options);
    if (failed(analyzeUncalledFunctions(module, analysisState)) ||
        failed(insertTensorCopies(module, analysisState, bufferizationState)) ||
        failed(bufferizeModuleOp(module, options, bufferizationState)))
      signalPassFailure();
  }
};
} // namespace
