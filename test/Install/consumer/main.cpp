//===- main.cpp - a compiler that embeds qopt -----------------------------===//
//
// Part of the qopt project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Registers qopt in its own context, parses a module, runs the qopt lowering
// and then the CPU pipeline through the public C++ API, and prints the result.
//
//===----------------------------------------------------------------------===//

#include "qopt/InitQOpt.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/Support/raw_ostream.h"

static const char *const kModule = R"mlir(
func.func @step(%x: tensor<8xf32>) -> tensor<8xf32> {
  %0 = qopt.quantize %x to <bf16> component <grad> : tensor<8xf32>
  return %0 : tensor<8xf32>
}
)mlir";

int main() {
  mlir::DialectRegistry registry;
  mlir::registerAllDialects(registry);
  mlir::registerAllExtensions(registry);
  mlir::qopt::registerQOptDialects(registry);
  mlir::MLIRContext context(registry);

  mlir::OwningOpRef<mlir::ModuleOp> module =
      mlir::parseSourceString<mlir::ModuleOp>(kModule, &context);
  if (!module) {
    llvm::errs() << "consumer: failed to parse the module\n";
    return 1;
  }

  // First only the qopt lowering, to show it, then the whole CPU pipeline.
  mlir::PassManager lowerQOpt(&context);
  lowerQOpt.addPass(mlir::qopt::createConvertQOptToLinalgPass());
  if (mlir::failed(lowerQOpt.run(*module))) {
    llvm::errs() << "consumer: convert-qopt-to-linalg failed\n";
    return 1;
  }
  llvm::outs() << "== after convert-qopt-to-linalg\n" << *module << "\n";

  mlir::PassManager toLLVM(&context, mlir::ModuleOp::getOperationName());
  mlir::qopt::buildLowerToLLVMPipeline(toLLVM,
                                       mlir::qopt::LowerToLLVMOptions());
  if (mlir::failed(toLLVM.run(*module))) {
    llvm::errs() << "consumer: the CPU pipeline failed\n";
    return 1;
  }
  llvm::outs() << "== after the CPU pipeline\n" << *module << "\n";
  return 0;
}
