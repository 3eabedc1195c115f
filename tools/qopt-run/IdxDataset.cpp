//===- IdxDataset.cpp - IDX image/label files -----------------------------===//
//
// Part of the qopt project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "IdxDataset.h"

#include "llvm/ADT/Twine.h"

#include <cerrno>
#include <cstring>
#include <limits>
#include <optional>

#include <zlib.h>

using namespace qoptrun;

static llvm::Error fail(const std::string &path, const llvm::Twine &what) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                 path + ": " + what);
}

static uint32_t readBigEndian32(const uint8_t *bytes) {
  return (uint32_t(bytes[0]) << 24) | (uint32_t(bytes[1]) << 16) |
         (uint32_t(bytes[2]) << 8) | uint32_t(bytes[3]);
}

/// The size that an IDX file of uint8 elements should have, from its
/// header: the header (4 bytes of magic and 4 per dimension) and the
/// product of the dimensions; nullopt when the product overflows.
static std::optional<uint64_t> idxFileSize(const uint8_t *header,
                                           unsigned rank) {
  uint64_t size = 1;
  for (unsigned i = 0; i < rank; ++i)
    if (__builtin_mul_overflow(
            size, uint64_t(readBigEndian32(header + 4 + 4 * i)), &size))
      return std::nullopt;
  uint64_t total;
  if (__builtin_add_overflow(size, uint64_t(4 + 4 * rank), &total))
    return std::nullopt;
  return total;
}

/// Reads a file of `rank` dimensions; zlib's gz reader passes plain files
/// through and decompresses gzip ones (Debian ships the IDX files gzipped).
/// Reading stops one byte past the size that the header announces, so that
/// a small corrupt file cannot make it decompress without bound.
static llvm::Expected<std::vector<uint8_t>> readFile(const std::string &path,
                                                     unsigned rank) {
  gzFile file = gzopen(path.c_str(), "rb");
  if (!file)
    return fail(path, llvm::Twine("cannot open: ") + std::strerror(errno));
  std::vector<uint8_t> bytes;
  uint8_t chunk[1 << 16];
  int read;
  size_t headerSize = 4 + 4 * rank;
  std::optional<uint64_t> limit;
  while ((read = gzread(file, chunk, sizeof(chunk))) > 0) {
    bytes.insert(bytes.end(), chunk, chunk + read);
    if (!limit && bytes.size() >= headerSize) {
      limit = idxFileSize(bytes.data(), rank);
      if (!limit)
        limit = 0;
    }
    if (limit && bytes.size() > *limit)
      break;
  }
  // gzerror's message lives in the gzFile: copy it before gzclose frees it.
  int errorCode = Z_OK;
  std::string message = gzerror(file, &errorCode);
  int closeCode = gzclose(file);
  // zlib names the file in its message: keep only the reason.
  llvm::StringRef reason(message);
  reason.consume_front(path + ": ");
  if (read < 0 || (errorCode != Z_OK && errorCode != Z_STREAM_END))
    return fail(path, "corrupt compressed data: " + reason);
  // gzclose reports a stream that ended early or failed its CRC check (a
  // read stopped at the limit never reaches the end).
  if (read == 0 && closeCode != Z_OK)
    return fail(path, "corrupt compressed data (truncated, or a bad "
                      "checksum)");
  return bytes;
}

llvm::Expected<IdxDataset>
qoptrun::loadIdxDataset(const std::string &imagesPath,
                        const std::string &labelsPath, int64_t numClasses) {
  auto images = readFile(imagesPath, /*rank=*/3);
  if (!images)
    return images.takeError();
  auto labels = readFile(labelsPath, /*rank=*/1);
  if (!labels)
    return labels.takeError();

  if (images->size() < 16)
    return fail(imagesPath, "too short for an IDX image header (16 bytes)");
  if (readBigEndian32(images->data() + 0) != 0x00000803)
    return fail(imagesPath, "bad magic number (expected 0x00000803, uint8 "
                            "images of 3 dimensions)");
  if (labels->size() < 8)
    return fail(labelsPath, "too short for an IDX label header (8 bytes)");
  if (readBigEndian32(labels->data() + 0) != 0x00000801)
    return fail(labelsPath, "bad magic number (expected 0x00000801, uint8 "
                            "labels of 1 dimension)");

  IdxDataset dataset;
  dataset.numClasses = numClasses;
  // Each dimension is below 2^32, so their products fit in 128 bits but not
  // in 64: every product is checked.
  uint64_t count = readBigEndian32(images->data() + 4);
  uint64_t rows = readBigEndian32(images->data() + 8);
  uint64_t cols = readBigEndian32(images->data() + 12);
  uint64_t labelCount = readBigEndian32(labels->data() + 4);
  if (count == 0 || rows == 0 || cols == 0)
    return fail(imagesPath, llvm::Twine("holds no images (dimensions ") +
                                llvm::Twine(count) + " x " + llvm::Twine(rows) +
                                " x " + llvm::Twine(cols) + ")");
  uint64_t pixelsPerImage = 0, pixels = 0;
  if (__builtin_mul_overflow(rows, cols, &pixelsPerImage) ||
      __builtin_mul_overflow(count, pixelsPerImage, &pixels) ||
      pixels > uint64_t(std::numeric_limits<int64_t>::max()))
    return fail(imagesPath, llvm::Twine("has impossible dimensions ") +
                                llvm::Twine(count) + " x " + llvm::Twine(rows) +
                                " x " + llvm::Twine(cols) +
                                " (the pixel count overflows)");
  if (labelCount != count)
    return fail(labelsPath, llvm::Twine("has ") + llvm::Twine(labelCount) +
                                " labels for " + llvm::Twine(count) +
                                " images");
  if (images->size() - 16 != pixels)
    return fail(imagesPath,
                llvm::Twine(images->size() - 16 < pixels ? "is truncated: "
                                                         : "is too long: ") +
                    llvm::Twine(images->size() - 16) + " pixel bytes for " +
                    llvm::Twine(count) + " x " + llvm::Twine(rows) + " x " +
                    llvm::Twine(cols) + " = " + llvm::Twine(pixels));
  if (labels->size() - 8 != labelCount)
    return fail(labelsPath,
                llvm::Twine(labels->size() - 8 < labelCount ? "is truncated: "
                                                            : "is too long: ") +
                    llvm::Twine(labels->size() - 8) + " label bytes for " +
                    llvm::Twine(labelCount) + " labels");
  dataset.count = int64_t(count);
  dataset.rows = int64_t(rows);
  dataset.cols = int64_t(cols);

  dataset.images.resize(pixels);
  for (uint64_t i = 0; i < pixels; ++i)
    dataset.images[i] = (*images)[16 + i] / 255.0f;
  dataset.labels.assign(labels->begin() + 8, labels->begin() + 8 + labelCount);
  for (uint64_t i = 0; i < labelCount; ++i)
    if (dataset.labels[i] >= numClasses)
      return fail(labelsPath, llvm::Twine("label ") +
                                  llvm::Twine(int(dataset.labels[i])) +
                                  " at index " + llvm::Twine(i) +
                                  " is out of range: the model has " +
                                  llvm::Twine(numClasses) + " classes");
  return dataset;
}
