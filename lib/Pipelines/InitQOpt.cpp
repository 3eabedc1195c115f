//===- InitQOpt.cpp - register everything qopt provides -------------------===//
//
// Part of the qopt project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "qopt/InitQOpt.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/Target/LLVMIR/Dialect/All.h"

using namespace mlir;

void mlir::qopt::registerQOptDependencies(DialectRegistry &registry) {
  // The pipelines reach most of upstream (linalg, tensor, bufferization,
  // vector, scf, memref, gpu, nvvm, llvm) and need their external
  // interface models, which registering the dialects alone does not add.
  registerAllDialects(registry);
  registerAllExtensions(registry);
  registerAllToLLVMIRTranslations(registry);
  registerAllGPUToLLVMIRTranslations(registry);
}

void mlir::qopt::registerQOptDialects(DialectRegistry &registry) {
  registry.insert<QOptDialect>();
  registerQOptDependencies(registry);
}

void mlir::qopt::registerQOptPasses() {
  registerQOptConversionPasses();
  registerQOptTransformsPasses();
  registerQOptPipelinesPasses();
  registerAssignPrecisionAlias();
}

void mlir::qopt::registerAllQOptPassesAndPipelines() {
  registerQOptPasses();
  registerQOptPipelines();
  registerQOptGPUPipelines();
}
