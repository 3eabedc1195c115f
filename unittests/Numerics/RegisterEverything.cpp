//===- RegisterEverything.cpp - upstream registrations for the JIT --------===//
//
// Part of the qopt project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// The CPU pipeline needs func, bufferization and their external models, the
// convert-to-llvm interfaces and the LLVM IR translations; registering all of
// upstream is the robust way to get them. The InitAll headers are slow to
// compile, hence this file of its own.
//
//===----------------------------------------------------------------------===//

#include "mlir/IR/DialectRegistry.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/Target/LLVMIR/Dialect/All.h"

namespace qopt_test {

void registerLoweringDialects(mlir::DialectRegistry &registry) {
  mlir::registerAllDialects(registry);
  mlir::registerAllExtensions(registry);
  mlir::registerAllToLLVMIRTranslations(registry);
}

} // namespace qopt_test
