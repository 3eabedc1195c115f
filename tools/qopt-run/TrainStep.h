//===- TrainStep.h - the contract between qopt-run and a step ---*- C++ -*-===//
//
// Part of the qopt project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// qopt-run drives a function `@train_step` (see docs/Runner.md):
//  * f32 tensor arguments are training state (weights, optimizer moments),
//    except those marked `qopt.data = "images"` / `"labels"`, which receive
//    a batch of the data set (images [B, pixels], labels one-hot [B, classes]);
//  * a state argument marked `qopt.storage = #qopt.format<...>` (narrow
//    storage, --qopt-narrow-storage) is a tensor of the format's container
//    (bf16, f16, an f8 type, i8 or i16) holding the format's codes;
//  * an i64 argument marked `qopt.step` (or the only unmarked i64) receives
//    the 1-based iteration, one marked `qopt.seed` the rounding seed, one
//    marked `qopt.probe` (added by the runner, MasterProbe.h) 1 on the
//    iterations that evaluate at the master weights, else 0;
//  * the first results are the new state, in the order of the state
//    arguments, followed by f32 scalars, the first of which is the loss.
// A state argument may carry `qopt.init`: a dense elements attribute,
// "zeros", "ones", "glorot" (uniform, +-sqrt(6 / (fan_in + fan_out))), or a
// side file holding its values (`{file = ..., offset = ..., crc32 = ...}`,
// InitFile.h).
// An optional `@evaluate(weights..., images, labels) -> f32` returns the
// number of correctly classified examples of a batch.
//
//===----------------------------------------------------------------------===//

#ifndef QOPT_TOOLS_QOPTRUN_TRAINSTEP_H
#define QOPT_TOOLS_QOPTRUN_TRAINSTEP_H

#include "qopt/Dialect/QOpt/IR/Storage.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinTypes.h"

#include <cassert>
#include <cstdint>
#include <optional>
#include <vector>

namespace qoptrun {

enum class ArgKind { State, Images, Labels, Tokens, Step, Seed, Probe };

/// What each argument and result of a step function is.
struct StepSignature {
  std::vector<ArgKind> args;
  /// Tensor type per argument (null for the i64 scalars).
  std::vector<mlir::RankedTensorType> argTypes;
  std::vector<mlir::Attribute> initAttrs;
  /// Per argument: the `qopt.storage` format (null for f32 storage) and the
  /// layout of its codes in the container (nullopt for f32 storage).
  std::vector<mlir::qopt::FloatFormatAttr> storageFormats;
  std::vector<std::optional<mlir::qopt::StorageLayout>> storageLayouts;
  /// Indices (into args) of the state arguments, in order.
  std::vector<unsigned> stateArgs;
  /// Number of f32 scalar results after the state results.
  unsigned numScalarResults = 0;
};

/// Classifies the arguments and results of `func`; reports with diagnostics
/// on `func` when it does not follow the contract. `isTrainStep` demands
/// state results; @evaluate has none.
mlir::LogicalResult analyzeStepFunction(mlir::func::FuncOp func,
                                        bool isTrainStep,
                                        StepSignature &signature);

/// Appends to `func` an f32 result: the Euclidean norm of all gradient
/// operands of its qopt.adam_update / qopt.muon_update ops (the gradient as
/// computed, before any quantization is inserted).
mlir::LogicalResult addGradientNormResult(mlir::func::FuncOp func);

/// Adds i64 arguments marked `qopt.seed` / `qopt.step` when they are
/// missing and asked for (stochastic rounding needs both).
void addSeedAndStepArguments(mlir::func::FuncOp func, bool needSeed,
                             bool needStep);

/// Bytes per element of a state or data tensor's element type (f32 or a
/// narrow container).
unsigned getElementBytes(mlir::Type elementType);

/// Bytes of a tensor of `shape` with `elementBytes` per element, or nullopt
/// when the count overflows int64.
std::optional<int64_t> getTensorBytes(llvm::ArrayRef<int64_t> shape,
                                      unsigned elementBytes);

/// A strided memref descriptor as the LLVM lowering passes it, for ranks
/// up to 4, with the size of its elements (4 for f32, 1 or 2 for narrow
/// containers).
struct MemRefDescriptor {
  void *allocated = nullptr;
  void *aligned = nullptr;
  int64_t offset = 0;
  int64_t sizesAndStrides[8] = {};
  unsigned rank = 0;
  unsigned elementBytes = 4;

  int64_t numElements() const {
    int64_t n = 1;
    for (unsigned i = 0; i < rank; ++i)
      n *= sizesAndStrides[i];
    return n;
  }
  int64_t numBytes() const { return numElements() * elementBytes; }
  /// The first element (contiguous descriptors only).
  uint8_t *bytes() const {
    return static_cast<uint8_t *>(aligned) + offset * elementBytes;
  }
  /// The elements of an f32 descriptor.
  float *data() const {
    assert(elementBytes == 4 && "not an f32 buffer");
    return reinterpret_cast<float *>(bytes());
  }
  /// Appends pointers to each field (the packed calling convention).
  void appendArgs(std::vector<void *> &args);
  /// A contiguous malloc'ed descriptor of `shape`, or nullopt when its size
  /// overflows or malloc fails.
  static std::optional<MemRefDescriptor> allocate(llvm::ArrayRef<int64_t> shape,
                                                  unsigned elementBytes = 4);
  /// Frees the buffer (allocated with malloc, here or by compiled code).
  void release();
};

/// Byte layout of the LLVM struct that a multi-result function returns:
/// one memref descriptor per tensor result, then the f32 scalars.
struct ResultLayout {
  std::vector<size_t> offsets;
  std::vector<unsigned> ranks; // 0 for scalars... see isScalar
  std::vector<bool> isScalar;
  std::vector<unsigned> elementBytes;
  size_t size = 0;
  static ResultLayout get(mlir::FunctionType type);
  MemRefDescriptor readMemRef(const uint8_t *storage, unsigned index) const;
  float readScalar(const uint8_t *storage, unsigned index) const;
};

} // namespace qoptrun

#endif // QOPT_TOOLS_QOPTRUN_TRAINSTEP_H
