//===- InitFile.h - initial values of a state from a side file --*- C++ -*-===//
//
// Part of the qopt project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// A big model's initial parameters would make a `qopt.init = dense<...>`
// attribute of megabytes of hex (and the module as slow to parse). They can
// live in a side file instead, which the state argument names:
//
//   %w: tensor<512x128xf32> {qopt.init = {file = "gpt.init.bin",
//                                         offset = 262144 : i64,
//                                         crc32 = 1234567 : i64}}
//
// The file holds raw little-endian f32 values; the state's values are the
// elements of its shape, in row-major order, from byte `offset` (default 0)
// on. `crc32` (optional) is the CRC-32 (zlib's) of those bytes: a file that
// does not hold the values the module was generated with is an error, not a
// different run. A relative `file` is resolved against a directory the
// runner chooses (the module's, or --init-dir). qopt-import-torch writes
// such files (docs/PyTorch.md).
//
//===----------------------------------------------------------------------===//

#ifndef QOPT_TOOLS_QOPTRUN_INITFILE_H
#define QOPT_TOOLS_QOPTRUN_INITFILE_H

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/MemoryBuffer.h"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

namespace qoptrun {

/// What a `qopt.init = {file = ..., offset = ..., crc32 = ...}` names.
struct InitFileRef {
  std::string file;
  uint64_t offset = 0;
  std::optional<uint32_t> crc32;
};

/// Checks the form of a side-file reference (a `file` string, optional
/// non-negative `offset` and 32-bit `crc32` integers, no other key).
llvm::Expected<InitFileRef> parseInitFileRef(mlir::DictionaryAttr init);

/// The files read so far, by resolved path: several states share one file.
using InitFileCache = llvm::StringMap<std::unique_ptr<llvm::MemoryBuffer>>;

/// The values of a state of `type` that `ref` names, as a dense f32
/// attribute; a relative file is resolved against `directory`. Errors name
/// the file: missing, too short for the state, or a different CRC-32.
llvm::Expected<mlir::DenseElementsAttr>
readInitFile(const InitFileRef &ref, mlir::RankedTensorType type,
             llvm::StringRef directory, InitFileCache &cache);

} // namespace qoptrun

#endif // QOPT_TOOLS_QOPTRUN_INITFILE_H
