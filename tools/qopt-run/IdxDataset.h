//===- IdxDataset.h - IDX image/label files ---------------------*- C++ -*-===//
//
// Part of the qopt project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Loads a labelled image set in the IDX format of (Fashion-)MNIST: an image
// file (magic 0x00000803, uint8 pixels) and a label file (magic 0x00000801,
// uint8 labels), plain or gzip-compressed. Every malformation (missing
// file, wrong magic, truncated data, count mismatch, label out of range) is
// reported with the file name; nothing aborts.
//
//===----------------------------------------------------------------------===//

#ifndef QOPT_TOOLS_QOPTRUN_IDXDATASET_H
#define QOPT_TOOLS_QOPTRUN_IDXDATASET_H

#include "llvm/Support/Error.h"

#include <cstdint>
#include <string>
#include <vector>

namespace qoptrun {

struct IdxDataset {
  /// Pixels scaled to [0, 1], row-major, `count * rows * cols` values.
  std::vector<float> images;
  std::vector<uint8_t> labels;
  int64_t count = 0;
  int64_t rows = 0;
  int64_t cols = 0;
  int64_t numClasses = 10;

  int64_t pixelsPerImage() const { return rows * cols; }
};

/// Loads `imagesPath` and `labelsPath` (gzip files are decompressed).
llvm::Expected<IdxDataset> loadIdxDataset(const std::string &imagesPath,
                                          const std::string &labelsPath,
                                          int64_t numClasses = 10);

} // namespace qoptrun

#endif // QOPT_TOOLS_QOPTRUN_IDXDATASET_H
