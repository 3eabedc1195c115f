//===- InitQOpt.cpp - register everything qopt provides -------------------===//
//
// Part of the qopt project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "qopt/InitQOpt.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/DialectRegistry.h"

using namespace mlir;

void mlir::qopt::registerQOptDialects(DialectRegistry &registry) {
  registry.insert<QOptDialect, arith::ArithDialect, linalg::LinalgDialect,
                  tensor::TensorDialect>();
}

void mlir::qopt::registerQOptPasses() {
  registerQOptConversionPasses();
  registerQOptTransformsPasses();
  registerAssignPrecisionAlias();
}

void mlir::qopt::registerAllQOptPassesAndPipelines() {
  registerQOptPasses();
  registerQOptPipelines();
}
