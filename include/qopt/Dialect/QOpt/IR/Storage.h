//===- Storage.h - containers for the values of a float format --*- C++ -*-===//
//
// Part of the qopt project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Narrow storage keeps the values of a simulated format in the smallest
// container that holds every one of them exactly: an MLIR native float type
// (f8E5M2, f8E4M3FN, f8E4M3, f8E3M4, bf16, f16) when all the format's values
// are values of that type, otherwise the format's own bit encoding
// (Numerics/StorageCodec.h) in an i8 or i16; formats of more than 16 bits
// stay in f32. At equal size a native type wins, so other compilers see a
// type they know.
//
//===----------------------------------------------------------------------===//

#ifndef QOPT_DIALECT_QOPT_IR_STORAGE_H
#define QOPT_DIALECT_QOPT_IR_STORAGE_H

#include "qopt/Dialect/QOpt/IR/QOptAttrs.h"
#include "qopt/Numerics/StorageCodec.h"

#include "mlir/IR/Types.h"

#include <optional>
#include <string>

namespace mlir {
namespace qopt {

/// The container narrow storage gives a format.
struct StorageChoice {
  /// f32 (no narrow container), a native float type, i8 or i16.
  Type elementType;
  /// Bit layout of the codes in `elementType` (unused for f32).
  StorageLayout layout;
  /// Bytes per element.
  unsigned bytes = 4;
  bool isNarrow() const { return bytes < 4; }
};

/// The smallest container for `format` (see the file comment).
StorageChoice getStorageChoice(FloatFormatAttr format);

/// The layout in which `container` (an element type) holds the values of
/// `format`, or nullopt when it cannot hold all of them exactly. f32 is not
/// a narrow container and gives nullopt.
std::optional<StorageLayout> getStorageLayout(FloatFormatAttr format,
                                              Type container);

/// The format's own bit layout (its codes in an i8 or i16 container).
StorageLayout getFormatLayout(FloatFormatAttr format);

/// A short name of a container element type for reports ("bf16", "i8",
/// "f8E4M3FN", "f32").
std::string getContainerName(Type elementType);

} // namespace qopt
} // namespace mlir

#endif // QOPT_DIALECT_QOPT_IR_STORAGE_H
