//===- StorageKernels.h - JIT-compiled qopt.encode / qopt.decode -*- C++
//-*-===//
//
// Part of the qopt project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Compiles, for each (format, container) pair, a function made of one
// `qopt.decode` (container codes to f32) and one `qopt.encode` (f32 to
// container codes) on rank-1 dynamic tensors, all in one module
// (JitModule), and calls either on host buffers. Codes travel as uint16_t on
// the host whatever the container's width.
//
//===----------------------------------------------------------------------===//

#ifndef QOPT_UNITTESTS_NUMERICS_STORAGEKERNELS_H
#define QOPT_UNITTESTS_NUMERICS_STORAGEKERNELS_H

#include "JitModule.h"
#include "ReferenceQuantize.h"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace qopt_test {

/// A format in a container, spelled as an MLIR element type: bf16, f16,
/// f8E5M2, f8E4M3FN, f8E4M3, f8E3M4, i8 or i16.
struct StorageSpec {
  Format format;
  std::string container;

  /// Width of the container in bits (8 or 16).
  unsigned width() const;
  /// e.g. `<e4m3, encoding = fn> in i8`, for failure messages.
  std::string describe() const;
};

class StorageKernels {
public:
  /// Builds, lowers and JIT-compiles a decode-and-encode function per
  /// spec, optimizing the LLVM IR at `optLevel` (0-3). On failure returns
  /// null and describes the problem in `error`.
  static std::unique_ptr<StorageKernels>
  compile(const std::vector<StorageSpec> &specs, unsigned optLevel,
          std::string &error);

  ~StorageKernels();

  /// qopt.decode of `codes` (only the container's low bits are passed) with
  /// spec `index`: the f32 bit patterns.
  void decode(size_t index, const std::vector<uint16_t> &codes,
              std::vector<uint32_t> &values) const;
  /// qopt.encode of the f32 bit patterns `values` with spec `index`.
  void encode(size_t index, const std::vector<uint32_t> &values,
              std::vector<uint16_t> &codes) const;

  const StorageSpec &spec(size_t index) const { return specs[index]; }
  size_t size() const { return specs.size(); }

  /// The MLIR module source that is compiled.
  static std::string moduleSource(const std::vector<StorageSpec> &specs);

private:
  StorageKernels() = default;

  std::vector<StorageSpec> specs;
  /// Runs kernel `index` on both operands and hands back its results.
  void call(size_t index, void *codes, int64_t codeCount, void *values,
            int64_t valueCount, MemRef1D &decoded, MemRef1D &encoded) const;

  std::vector<void *> entryPoints;
  std::unique_ptr<JitModule> jit;
};

} // namespace qopt_test

#endif // QOPT_UNITTESTS_NUMERICS_STORAGEKERNELS_H
