//===- JitModule.h - a module of test kernels, JIT-compiled -----*- C++ -*-===//
//
// Part of the qopt project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Parses an MLIR module of qopt functions, lowers it with qopt's CPU pipeline
// (--qopt-lower-to-llvm) and JIT-compiles it with MLIR's ExecutionEngine.
// The kernel sets of the numerics tests (QuantizeKernels, StorageKernels)
// put all their functions into one module so that the JIT, the slow part,
// runs once.
//
//===----------------------------------------------------------------------===//

#ifndef QOPT_UNITTESTS_NUMERICS_JITMODULE_H
#define QOPT_UNITTESTS_NUMERICS_JITMODULE_H

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace mlir {
class ExecutionEngine;
} // namespace mlir

namespace qopt_test {

/// The memref descriptor of a rank-1 buffer, whatever its element type (the
/// layout of StridedMemRefType<T, 1>).
struct MemRef1D {
  void *basePtr;
  void *data;
  int64_t offset;
  int64_t sizes[1];
  int64_t strides[1];
};

/// A descriptor of `count` elements at `data`.
inline MemRef1D viewOf(void *data, int64_t count) {
  return {data, data, 0, {count}, {1}};
}

class JitModule {
public:
  /// Lowers and JIT-compiles `source`, optimizing the LLVM IR at `optLevel`
  /// (0-3). On failure returns null and describes the problem in `error`.
  static std::unique_ptr<JitModule>
  compile(const std::string &source, unsigned optLevel, std::string &error);

  ~JitModule();

  /// The `_mlir_ciface_` wrapper of the function `name` (which must carry
  /// `llvm.emit_c_interface`), or null with the reason in `error`.
  void *lookupCInterface(const std::string &name, std::string &error) const;

  /// The C interfaces of the functions `prefix`0 .. `prefix`(count-1), in
  /// order; false with the reason in `error` when one is missing.
  bool lookupNumbered(const std::string &prefix, size_t count,
                      std::vector<void *> &entries, std::string &error) const;

private:
  JitModule() = default;
  std::unique_ptr<mlir::ExecutionEngine> engine;
};

/// Frees a result buffer a kernel allocated, unless the kernel handed back
/// the argument buffer `argument` (a folded kernel).
void freeResult(const MemRef1D &result, const void *argument);

} // namespace qopt_test

#endif // QOPT_UNITTESTS_NUMERICS_JITMODULE_H
