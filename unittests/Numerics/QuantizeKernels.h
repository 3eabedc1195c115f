//===- QuantizeKernels.h - JIT-compiled qopt.quantize kernels ---*- C++ -*-===//
//
// Part of the qopt project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Compiles functions made of one `qopt.quantize` on tensor<?xf32> with qopt's
// CPU pipeline and MLIR's ExecutionEngine, and calls them on host buffers.
// All kernels a test needs go into one module so that the JIT (the slow
// part) runs once.
//
//===----------------------------------------------------------------------===//

#ifndef QOPT_UNITTESTS_NUMERICS_QUANTIZEKERNELS_H
#define QOPT_UNITTESTS_NUMERICS_QUANTIZEKERNELS_H

#include "JitModule.h"
#include "ReferenceQuantize.h"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace qopt_test {

/// One kernel: quantize to `format` with `rounding`.
struct KernelSpec {
  Format format;
  Rounding rounding;
};

class QuantizeKernels {
public:
  /// Builds, lowers and JIT-compiles one function per spec, optimizing the
  /// LLVM IR at `optLevel` (0-3). On failure returns null and describes the
  /// problem in `error`.
  static std::unique_ptr<QuantizeKernels>
  compile(const std::vector<KernelSpec> &specs, unsigned optLevel,
          std::string &error);

  ~QuantizeKernels();

  /// Quantizes `input` with kernel `index` into `output` (same size).
  /// `seed` and `step` are passed to stochastic kernels only.
  void run(size_t index, const std::vector<uint32_t> &input,
           std::vector<uint32_t> &output, uint64_t seed = 0,
           uint64_t step = 0) const;

  const KernelSpec &spec(size_t index) const { return specs[index]; }
  size_t size() const { return specs.size(); }

  /// The MLIR module source that was compiled (for failure messages).
  static std::string moduleSource(const std::vector<KernelSpec> &specs);

private:
  QuantizeKernels() = default;

  std::vector<KernelSpec> specs;
  std::vector<void *> entryPoints;
  std::unique_ptr<JitModule> jit;
};

} // namespace qopt_test

#endif // QOPT_UNITTESTS_NUMERICS_QUANTIZEKERNELS_H
