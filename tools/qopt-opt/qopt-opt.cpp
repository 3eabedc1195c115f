//===- qopt-opt.cpp - the qopt optimizer driver ---------------------------===//
//
// Part of the qopt project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// mlir-opt with every upstream dialect, extension and pass, plus qopt's
// dialect, passes and pipelines.
//
//===----------------------------------------------------------------------===//

#include "qopt/InitQOpt.h"
#include "qopt/Pipelines/GPUPipelines.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/InitAllPasses.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"

int main(int argc, char **argv) {
  mlir::registerAllPasses();
  mlir::qopt::registerAllQOptPassesAndPipelines();

  // The qopt dialect and everything its pipelines need (all upstream
  // dialects, extensions and translations).
  mlir::DialectRegistry registry;
  mlir::qopt::registerQOptDialects(registry);
  return mlir::asMainReturnCode(mlir::MlirOptMain(
      argc, argv, "qopt optimizer driver: MLIR plus the qopt dialect\n",
      registry));
}
