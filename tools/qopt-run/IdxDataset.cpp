//===- IdxDataset.cpp - IDX image/label files -----------------------------===//
//
// Part of the qopt project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "IdxDataset.h"

#include "llvm/ADT/Twine.h"

#include <zlib.h>

using namespace qoptrun;

static llvm::Error fail(const std::string &path, const llvm::Twine &what) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                 path + ": " + what);
}

/// Reads a whole file; zlib's gz reader passes plain files through and
/// decompresses gzip ones (Debian ships the IDX files gzipped).
static llvm::Expected<std::vector<uint8_t>> readFile(const std::string &path) {
  gzFile file = gzopen(path.c_str(), "rb");
  if (!file)
    return fail(path, "cannot open");
  std::vector<uint8_t> bytes;
  uint8_t chunk[1 << 16];
  int read;
  while ((read = gzread(file, chunk, sizeof(chunk))) > 0)
    bytes.insert(bytes.end(), chunk, chunk + read);
  int errorCode = Z_OK;
  const char *message = gzerror(file, &errorCode);
  gzclose(file);
  if (read < 0 || (errorCode != Z_OK && errorCode != Z_STREAM_END))
    return fail(path, llvm::Twine("corrupt compressed data: ") + message);
  return bytes;
}

static uint32_t readBigEndian32(const std::vector<uint8_t> &bytes,
                                size_t offset) {
  return (uint32_t(bytes[offset]) << 24) | (uint32_t(bytes[offset + 1]) << 16) |
         (uint32_t(bytes[offset + 2]) << 8) | uint32_t(bytes[offset + 3]);
}

llvm::Expected<IdxDataset>
qoptrun::loadIdxDataset(const std::string &imagesPath,
                        const std::string &labelsPath, int64_t numClasses) {
  auto images = readFile(imagesPath);
  if (!images)
    return images.takeError();
  auto labels = readFile(labelsPath);
  if (!labels)
    return labels.takeError();

  if (images->size() < 16)
    return fail(imagesPath, "too short for an IDX image header (16 bytes)");
  if (readBigEndian32(*images, 0) != 0x00000803)
    return fail(imagesPath, "bad magic number (expected 0x00000803, uint8 "
                            "images of 3 dimensions)");
  if (labels->size() < 8)
    return fail(labelsPath, "too short for an IDX label header (8 bytes)");
  if (readBigEndian32(*labels, 0) != 0x00000801)
    return fail(labelsPath, "bad magic number (expected 0x00000801, uint8 "
                            "labels of 1 dimension)");

  IdxDataset dataset;
  dataset.numClasses = numClasses;
  dataset.count = readBigEndian32(*images, 4);
  dataset.rows = readBigEndian32(*images, 8);
  dataset.cols = readBigEndian32(*images, 12);
  int64_t labelCount = readBigEndian32(*labels, 4);
  if (dataset.count == 0 || dataset.rows == 0 || dataset.cols == 0)
    return fail(imagesPath, "holds no images");
  if (labelCount != dataset.count)
    return fail(labelsPath, llvm::Twine("has ") + llvm::Twine(labelCount) +
                                " labels for " + llvm::Twine(dataset.count) +
                                " images");
  uint64_t pixels = uint64_t(dataset.count) * dataset.rows * dataset.cols;
  if (images->size() - 16 < pixels)
    return fail(imagesPath, llvm::Twine("is truncated: ") +
                                llvm::Twine(images->size() - 16) +
                                " pixel bytes for " + llvm::Twine(pixels));
  if (labels->size() - 8 < uint64_t(labelCount))
    return fail(labelsPath, "is truncated");

  dataset.images.resize(pixels);
  for (uint64_t i = 0; i < pixels; ++i)
    dataset.images[i] = (*images)[16 + i] / 255.0f;
  dataset.labels.assign(labels->begin() + 8, labels->begin() + 8 + labelCount);
  for (int64_t i = 0; i < labelCount; ++i)
    if (dataset.labels[i] >= numClasses)
      return fail(labelsPath,
                  llvm::Twine("label ") + llvm::Twine(int(dataset.labels[i])) +
                      " at index " + llvm::Twine(i) + " is out of range");
  return dataset;
}
