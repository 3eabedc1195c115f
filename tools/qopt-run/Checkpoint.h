//===- Checkpoint.h - qopt-run's self-describing checkpoints ----*- C++ -*-===//
//
// Part of the qopt project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// A checkpoint holds what a run needs to continue bit for bit: the iteration
// reached, the seed, the options that change the numerics, the batch-order
// RNG and the data feed's order and cursor, and every state tensor in its
// container. The file (docs/Runner.md) is a text header of `key=value` lines,
// the raw payload, and a checksum line over everything before it:
//
//   qopt-checkpoint 1
//   module=rosenbrock-matrix-adam.mlir
//   iteration=20
//   ...
//   state1.container=bf16
//   ...
//   payload=768
//   end-header
//   <data order: int64 little-endian> <state tensors, raw, in state order>
//   checksum.xxh3=<16 hex digits>
//
// Writing is atomic (FILE.tmp, fsync, rename, fsync of the directory), and
// reading checks every byte it reads against the file's size.
//
//===----------------------------------------------------------------------===//

#ifndef QOPT_TOOLS_QOPTRUN_CHECKPOINT_H
#define QOPT_TOOLS_QOPTRUN_CHECKPOINT_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/MemoryBuffer.h"

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace qoptrun {

/// What the header says about one state tensor.
struct CheckpointTensor {
  /// `state<k>`, k the index among the state arguments.
  std::string name;
  /// Index of the argument of @train_step.
  unsigned argument = 0;
  /// Dimensions joined by 'x' ("scalar" for rank 0).
  std::string shape;
  /// The format of its values (`#qopt.format<...>`) or "f32".
  std::string format;
  /// The element type that holds them ("f32", "bf16", "i8", ...).
  std::string container;
  /// Rounding of the values written into it, or "none".
  std::string rounding;
  /// Bytes of its raw data.
  uint64_t bytes = 0;
};

struct Checkpoint {
  /// Format version of the file.
  static constexpr unsigned version = 1;

  int64_t iteration = 0;
  int64_t seed = 0;
  std::string module;
  /// Options that change the numerics, as `name, value` in a fixed order.
  std::vector<std::pair<std::string, std::string>> options;
  /// The quantization points in force: one `component format rounding`
  /// entry per qopt.quantize, joined by "; ".
  std::string formats;
  /// The batch-order RNG (std::mt19937 as operator<< writes it).
  std::string rng;
  /// The data feed: its example order (empty without data) and cursor.
  std::vector<int64_t> dataOrder;
  int64_t dataCursor = 0;
  std::vector<CheckpointTensor> tensors;
  /// Raw bytes of each tensor, in its container. When read, these point
  /// into the buffer that readCheckpoint returns.
  std::vector<llvm::ArrayRef<uint8_t>> data;
};

/// The file's bytes for `checkpoint`.
std::string serializeCheckpoint(const Checkpoint &checkpoint);

/// Writes `bytes` to `path` atomically: `path`.tmp, fsync, rename over
/// `path`, fsync of the directory. With `killHalfway` (fault injection for
/// the tests) the process raises SIGKILL after writing half of the
/// temporary file.
llvm::Error writeFileAtomically(llvm::StringRef path, llvm::StringRef bytes,
                                bool killHalfway);

/// Reads and checks the structure of a checkpoint (magic, version, size,
/// checksum, header fields); `buffer` keeps the bytes `data` points into.
/// Whether it fits the module is the caller's check.
llvm::Expected<Checkpoint>
readCheckpoint(llvm::StringRef path,
               std::unique_ptr<llvm::MemoryBuffer> &buffer);

} // namespace qoptrun

#endif // QOPT_TOOLS_QOPTRUN_CHECKPOINT_H
