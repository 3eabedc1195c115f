//===- main.cpp - a compiler that embeds qopt -----------------------------===//
//
// Part of the qopt project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// An outside compiler that embeds qopt from its install with nothing but the
// README's lines: registerQOptDialects (one call registers everything the
// pipelines need), registerAllQOptPassesAndPipelines (textual pipelines),
// and the pipeline builders. It runs every pipeline (CPU, GPU emulation,
// NVVM/PTX), a textual pipeline, and --qopt-assign-precision configured from
// C++ with a calibration file, and prints what each produced.
//
//===----------------------------------------------------------------------===//

#include "qopt/InitQOpt.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/raw_ostream.h"

#include <functional>
#include <string>

static const char *const kStep = R"mlir(
func.func @step(%w: tensor<64xf32>, %g: tensor<64xf32>, %m: tensor<64xf32>,
                %v: tensor<64xf32>, %t: i64)
    -> (tensor<64xf32>, tensor<64xf32>, tensor<64xf32>) {
  %gq = qopt.quantize %g to <bf16> component <grad> : tensor<64xf32>
  %w1, %m1, %v1 = qopt.adam_update %w, %gq, %m, %v, %t {lr = 1.0e-3 : f32}
      : tensor<64xf32>
  %mq = qopt.quantize %m1 to <bf16> component <first_moment> : tensor<64xf32>
  %vq = qopt.quantize %v1 to <bf16> component <second_moment> : tensor<64xf32>
  return %w1, %mq, %vq : tensor<64xf32>, tensor<64xf32>, tensor<64xf32>
}
)mlir";

using BuildFn = std::function<void(mlir::OpPassManager &)>;

/// Parses kStep, runs `build`'s passes on it and prints `what` and the
/// names of the top-level ops (or the whole module when `print`).
static bool runPipeline(mlir::MLIRContext &context, const char *what,
                        const BuildFn &build, bool print = false) {
  mlir::OwningOpRef<mlir::ModuleOp> module =
      mlir::parseSourceString<mlir::ModuleOp>(kStep, &context);
  if (!module) {
    llvm::errs() << "consumer: failed to parse the module\n";
    return false;
  }
  mlir::PassManager pm(&context, mlir::ModuleOp::getOperationName());
  build(pm);
  if (mlir::failed(pm.run(*module))) {
    llvm::errs() << "consumer: " << what << " failed\n";
    return false;
  }
  llvm::outs() << "== " << what << "\n";
  if (print)
    llvm::outs() << *module << "\n";
  else
    for (mlir::Operation &op : module->getBody()->getOperations())
      llvm::outs() << op.getName() << " "
                   << op.getAttrOfType<mlir::StringAttr>("sym_name") << "\n";
  return true;
}

int main() {
  // The README's lines.
  mlir::DialectRegistry registry;
  mlir::qopt::registerQOptDialects(registry);
  mlir::qopt::registerAllQOptPassesAndPipelines();
  mlir::MLIRContext context(registry);

  bool ok = true;
  ok &= runPipeline(context, "CPU pipeline", [](mlir::OpPassManager &pm) {
    mlir::qopt::buildLowerToLLVMPipeline(pm, mlir::qopt::LowerToLLVMOptions());
  });
  ok &= runPipeline(context, "GPU emulation", [](mlir::OpPassManager &pm) {
    mlir::qopt::buildLowerToGPUEmulationPipeline(
        pm, mlir::qopt::LowerToGPUOptions());
  });
  ok &= runPipeline(context, "NVVM pipeline", [](mlir::OpPassManager &pm) {
    mlir::qopt::buildLowerToNVVMPipeline(pm, mlir::qopt::LowerToGPUOptions());
  });
  ok &= runPipeline(context, "textual pipeline", [](mlir::OpPassManager &pm) {
    if (mlir::failed(mlir::parsePassPipeline(
            "qopt-narrow-storage,qopt-lower-to-llvm", pm, llvm::errs())))
      llvm::errs() << "consumer: bad textual pipeline\n";
  });

  // C++ options behave as on the command line: a calibration file alone
  // sets the constants (Adam grad c = -1 at T = 1024: 10 - 1 - 1 = 8 bits
  // under nearest-even; the default c = -5 would give 4).
  llvm::SmallString<64> calibration;
  if (llvm::sys::fs::createTemporaryFile("qopt-consumer", "json",
                                         calibration)) {
    llvm::errs() << "consumer: cannot create a temporary file\n";
    return 1;
  }
  {
    std::error_code error;
    llvm::raw_fd_ostream file(calibration, error);
    file << R"({"adam": {"grad": -1}})";
  }
  mlir::qopt::AssignPrecisionPassOptions options;
  options.iterations = 1024;
  options.calibrationFile = std::string(calibration);
  ok &= runPipeline(
      context, "assign-precision from C++",
      [&](mlir::OpPassManager &pm) {
        pm.addPass(mlir::qopt::createAssignPrecisionPass(options));
      },
      /*print=*/true);
  llvm::sys::fs::remove(calibration);
  return ok ? 0 : 1;
}
