//===- JitModule.cpp - a module of test kernels, JIT-compiled -------------===//
//
// Part of the qopt project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "JitModule.h"

#include "qopt/InitQOpt.h"
#include "qopt/Pipelines/Pipelines.h"

#include "mlir/ExecutionEngine/ExecutionEngine.h"
#include "mlir/ExecutionEngine/OptUtils.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/ExecutionEngine/Orc/JITTargetMachineBuilder.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdlib>
#include <functional>

using namespace qopt_test;

namespace qopt_test {
/// Registers the upstream dialects, extensions and LLVM IR translations the
/// lowering goes through (RegisterEverything.cpp, kept apart because its
/// headers are heavy to compile).
void registerLoweringDialects(mlir::DialectRegistry &registry);
} // namespace qopt_test

std::unique_ptr<JitModule> JitModule::compile(const std::string &source,
                                              unsigned optLevel,
                                              std::string &error) {
  llvm::InitializeNativeTarget();
  llvm::InitializeNativeTargetAsmPrinter();

  mlir::DialectRegistry registry;
  mlir::qopt::registerQOptDialects(registry);
  registerLoweringDialects(registry);
  mlir::MLIRContext context(registry);

  // Capture diagnostics so a failure says why.
  llvm::raw_string_ostream errorStream(error);
  mlir::ScopedDiagnosticHandler handler(&context, [&](mlir::Diagnostic &diag) {
    errorStream << diag << "\n";
    return mlir::success();
  });

  mlir::OwningOpRef<mlir::ModuleOp> module =
      mlir::parseSourceString<mlir::ModuleOp>(source, &context);
  if (!module) {
    errorStream << "failed to parse:\n" << source;
    return nullptr;
  }

  // Anchored on builtin.module, as buildLowerToLLVMPipeline expects.
  mlir::PassManager pm(&context, mlir::ModuleOp::getOperationName());
  // Verifying the module after each pass costs as much as the passes on
  // modules of hundreds of small kernels; the result is verified once below
  // (the lit tests run the pipeline with verification after each pass).
  pm.enableVerifier(false);
  mlir::qopt::LowerToLLVMOptions options;
  mlir::qopt::buildLowerToLLVMPipeline(pm, options);
  if (mlir::failed(pm.run(*module))) {
    errorStream << "qopt CPU pipeline failed";
    return nullptr;
  }
  if (mlir::failed(mlir::verify(*module))) {
    errorStream << "qopt CPU pipeline produced invalid IR";
    return nullptr;
  }

  // The transformer must outlive create(): ExecutionEngineOptions only keeps
  // a function_ref to it.
  std::function<llvm::Error(llvm::Module *)> transformer =
      mlir::makeOptimizingTransformer(optLevel, /*sizeLevel=*/0,
                                      /*targetMachine=*/nullptr);
  mlir::ExecutionEngineOptions engineOptions;
  engineOptions.transformer = transformer;
  // At O0 the code generator need not optimize either: it is the slow half
  // of the JIT for modules of many small kernels (about 3x faster so).
  // ExecutionEngineOptions::jitCodeGenOptLevel does not reach the target
  // machine in MLIR 22, so the test builds the target machine itself.
  auto machineBuilder = llvm::orc::JITTargetMachineBuilder::detectHost();
  if (!machineBuilder) {
    errorStream << "JIT target: " << llvm::toString(machineBuilder.takeError());
    return nullptr;
  }
  if (optLevel == 0)
    machineBuilder->setCodeGenOptLevel(llvm::CodeGenOptLevel::None);
  auto machine = machineBuilder->createTargetMachine();
  if (!machine) {
    errorStream << "JIT target: " << llvm::toString(machine.takeError());
    return nullptr;
  }
  auto engine = mlir::ExecutionEngine::create(*module, engineOptions,
                                              std::move(*machine));
  if (!engine) {
    errorStream << "ExecutionEngine: " << llvm::toString(engine.takeError());
    return nullptr;
  }

  std::unique_ptr<JitModule> jit(new JitModule());
  jit->engine = std::move(*engine);
  jit->engine->initialize();
  return jit;
}

JitModule::~JitModule() = default;

void *JitModule::lookupCInterface(const std::string &name,
                                  std::string &error) const {
  auto entry = engine->lookup("_mlir_ciface_" + name);
  if (!entry) {
    llvm::raw_string_ostream(error)
        << "lookup: " << llvm::toString(entry.takeError());
    return nullptr;
  }
  return *entry;
}

void qopt_test::freeResult(const MemRef1D &result, const void *argument) {
  // The result buffer is malloc'ed by the kernel and owned by the caller.
  if (result.basePtr != argument)
    std::free(result.basePtr);
}

bool JitModule::lookupNumbered(const std::string &prefix, size_t count,
                               std::vector<void *> &entries,
                               std::string &error) const {
  for (size_t i = 0; i < count; ++i) {
    void *entry = lookupCInterface(prefix + std::to_string(i), error);
    if (!entry)
      return false;
    entries.push_back(entry);
  }
  return true;
}
