//===- QuantizeKernels.cpp - JIT-compiled qopt.quantize kernels -----------===//
//
// Part of the qopt project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "QuantizeKernels.h"

#include "qopt/InitQOpt.h"
#include "qopt/Pipelines/Pipelines.h"

#include "mlir/ExecutionEngine/CRunnerUtils.h"
#include "mlir/ExecutionEngine/ExecutionEngine.h"
#include "mlir/ExecutionEngine/OptUtils.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Support/raw_ostream.h"

#include <cassert>
#include <cstdlib>
#include <cstring>
#include <functional>

using namespace qopt_test;

namespace qopt_test {
/// Registers the upstream dialects, extensions and LLVM IR translations the
/// lowering goes through (RegisterEverything.cpp, kept apart because its
/// headers are heavy to compile).
void registerLoweringDialects(mlir::DialectRegistry &registry);
} // namespace qopt_test

/// C interface of the compiled functions: the result descriptor first, then
/// the arguments (the ciface wrapper takes descriptors by pointer).
using Memref1D = StridedMemRefType<float, 1>;
using QuantizeFn = void (*)(Memref1D *, Memref1D *);
using StochasticQuantizeFn = void (*)(Memref1D *, Memref1D *, int64_t, int64_t);

static std::string kernelName(size_t index) {
  return "quantize_" + std::to_string(index);
}

std::string
QuantizeKernels::moduleSource(const std::vector<KernelSpec> &specs) {
  std::string source;
  llvm::raw_string_ostream os(source);
  for (size_t i = 0; i < specs.size(); ++i) {
    const KernelSpec &spec = specs[i];
    bool stochastic = spec.rounding == Rounding::Stochastic;
    // emit_c_interface gives a `_mlir_ciface_` wrapper with a stable C ABI.
    os << "func.func @" << kernelName(i) << "(%x: tensor<?xf32>"
       << (stochastic ? ", %seed: i64, %step: i64" : "")
       << ") -> tensor<?xf32> attributes {llvm.emit_c_interface} {\n"
       << "  %q = qopt.quantize %x to <" << spec.format.attrBody()
       << "> rounding <" << roundingKeyword(spec.rounding) << ">"
       << (stochastic ? " seed %seed step %step" : "") << " : tensor<?xf32>\n"
       << "  return %q : tensor<?xf32>\n}\n";
  }
  return source;
}

std::unique_ptr<QuantizeKernels>
QuantizeKernels::compile(const std::vector<KernelSpec> &specs,
                         unsigned optLevel, std::string &error) {
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

  std::string source = moduleSource(specs);
  mlir::OwningOpRef<mlir::ModuleOp> module =
      mlir::parseSourceString<mlir::ModuleOp>(source, &context);
  if (!module) {
    errorStream << "failed to parse:\n" << source;
    return nullptr;
  }

  // Anchored on builtin.module, as buildLowerToLLVMPipeline expects.
  mlir::PassManager pm(&context, mlir::ModuleOp::getOperationName());
  mlir::qopt::LowerToLLVMOptions options;
  mlir::qopt::buildLowerToLLVMPipeline(pm, options);
  if (mlir::failed(pm.run(*module))) {
    errorStream << "qopt CPU pipeline failed";
    return nullptr;
  }

  // The transformer must outlive create(): ExecutionEngineOptions only keeps
  // a function_ref to it.
  std::function<llvm::Error(llvm::Module *)> transformer =
      mlir::makeOptimizingTransformer(optLevel, /*sizeLevel=*/0,
                                      /*targetMachine=*/nullptr);
  mlir::ExecutionEngineOptions engineOptions;
  engineOptions.transformer = transformer;
  auto engine = mlir::ExecutionEngine::create(*module, engineOptions);
  if (!engine) {
    errorStream << "ExecutionEngine: " << llvm::toString(engine.takeError());
    return nullptr;
  }

  std::unique_ptr<QuantizeKernels> kernels(new QuantizeKernels());
  kernels->specs = specs;
  kernels->engine = std::move(*engine);
  kernels->engine->initialize();
  for (size_t i = 0; i < specs.size(); ++i) {
    auto entry = kernels->engine->lookup("_mlir_ciface_" + kernelName(i));
    if (!entry) {
      errorStream << "lookup: " << llvm::toString(entry.takeError());
      return nullptr;
    }
    kernels->entryPoints.push_back(*entry);
  }
  return kernels;
}

QuantizeKernels::~QuantizeKernels() = default;

void QuantizeKernels::run(size_t index, const std::vector<uint32_t> &input,
                          std::vector<uint32_t> &output, uint64_t seed,
                          uint64_t step) const {
  assert(index < entryPoints.size() && "no such kernel");
  // The kernel reads f32; the host keeps bit patterns so NaN payloads and
  // signed zeros survive untouched.
  auto *data = reinterpret_cast<float *>(const_cast<uint32_t *>(input.data()));
  Memref1D in{data, data, 0, {static_cast<int64_t>(input.size())}, {1}};
  Memref1D out{};
  if (specs[index].rounding == Rounding::Stochastic)
    reinterpret_cast<StochasticQuantizeFn>(entryPoints[index])(
        &out, &in, static_cast<int64_t>(seed), static_cast<int64_t>(step));
  else
    reinterpret_cast<QuantizeFn>(entryPoints[index])(&out, &in);

  output.resize(input.size());
  std::memcpy(output.data(), out.data + out.offset,
              input.size() * sizeof(uint32_t));
  // The result buffer is malloc'ed by the kernel and owned by the caller,
  // unless a folded kernel handed back its argument.
  if (out.basePtr != data)
    std::free(out.basePtr);
}
