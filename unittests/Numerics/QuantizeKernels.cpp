//===- QuantizeKernels.cpp - JIT-compiled qopt.quantize kernels -----------===//
//
// Part of the qopt project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "QuantizeKernels.h"

#include "llvm/Support/raw_ostream.h"

#include <cassert>
#include <cstring>

using namespace qopt_test;

/// C interface of the compiled functions: the result descriptor first, then
/// the arguments (the ciface wrapper takes descriptors by pointer).
using QuantizeFn = void (*)(MemRef1D *, MemRef1D *);
using StochasticQuantizeFn = void (*)(MemRef1D *, MemRef1D *, int64_t, int64_t);

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
       << (stochastic ? " seed %seed step %step stream 0" : "")
       << " : tensor<?xf32>\n"
       << "  return %q : tensor<?xf32>\n}\n";
  }
  return source;
}

std::unique_ptr<QuantizeKernels>
QuantizeKernels::compile(const std::vector<KernelSpec> &specs,
                         unsigned optLevel, std::string &error) {
  std::unique_ptr<QuantizeKernels> kernels(new QuantizeKernels());
  kernels->jit = JitModule::compile(moduleSource(specs), optLevel, error);
  if (!kernels->jit)
    return nullptr;
  kernels->specs = specs;
  if (!kernels->jit->lookupNumbered("quantize_", specs.size(),
                                    kernels->entryPoints, error))
    return nullptr;
  return kernels;
}

QuantizeKernels::~QuantizeKernels() = default;

void QuantizeKernels::run(size_t index, const std::vector<uint32_t> &input,
                          std::vector<uint32_t> &output, uint64_t seed,
                          uint64_t step) const {
  assert(index < entryPoints.size() && "no such kernel");
  // The kernel reads f32; the host keeps bit patterns so NaN payloads and
  // signed zeros survive untouched.
  void *data = const_cast<uint32_t *>(input.data());
  MemRef1D in = viewOf(data, static_cast<int64_t>(input.size()));
  MemRef1D out{};
  if (specs[index].rounding == Rounding::Stochastic)
    reinterpret_cast<StochasticQuantizeFn>(entryPoints[index])(
        &out, &in, static_cast<int64_t>(seed), static_cast<int64_t>(step));
  else
    reinterpret_cast<QuantizeFn>(entryPoints[index])(&out, &in);

  output.resize(input.size());
  std::memcpy(output.data(), static_cast<uint32_t *>(out.data) + out.offset,
              input.size() * sizeof(uint32_t));
  // A folded kernel hands back its argument.
  freeResult(out, data);
}
