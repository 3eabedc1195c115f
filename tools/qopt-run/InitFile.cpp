//===- InitFile.cpp - initial values of a state from a side file ----------===//
//
// Part of the qopt project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "InitFile.h"

#include "llvm/ADT/SmallString.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/CRC.h"
#include "llvm/Support/Endian.h"
#include "llvm/Support/Path.h"

#include <vector>

using namespace mlir;
using namespace qoptrun;

static llvm::Error initError(const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
}

llvm::Expected<InitFileRef> qoptrun::parseInitFileRef(DictionaryAttr init) {
  InitFileRef ref;
  bool hasFile = false;
  for (NamedAttribute entry : init) {
    StringRef key = entry.getName().getValue();
    if (key == "file") {
      auto file = dyn_cast<StringAttr>(entry.getValue());
      if (!file || file.getValue().empty())
        return initError("its file must be a non-empty string");
      ref.file = file.getValue().str();
      hasFile = true;
      continue;
    }
    if (key != "offset" && key != "crc32")
      return initError("unknown key '" + key +
                       "' (a side file is {file, offset, crc32})");
    auto value = dyn_cast<IntegerAttr>(entry.getValue());
    // An integer of any width, read as a signed value.
    if (!value || !value.getType().isSignlessInteger())
      return initError("its " + key + " must be an integer");
    int64_t number = value.getValue().getSExtValue();
    if (key == "offset") {
      if (number < 0)
        return initError("its offset must be non-negative, got " +
                         llvm::Twine(number));
      ref.offset = uint64_t(number);
    } else {
      if (number < 0 || number > int64_t(UINT32_MAX))
        return initError("its crc32 must be in [0, 2^32 - 1], got " +
                         llvm::Twine(number));
      ref.crc32 = uint32_t(number);
    }
  }
  if (!hasFile)
    return initError("a side file needs a file name ({file = \"...\"})");
  return ref;
}

llvm::Expected<DenseElementsAttr> qoptrun::readInitFile(const InitFileRef &ref,
                                                        RankedTensorType type,
                                                        StringRef directory,
                                                        InitFileCache &cache) {
  llvm::SmallString<256> path(ref.file);
  if (llvm::sys::path::is_relative(path) && !directory.empty()) {
    path = directory;
    llvm::sys::path::append(path, ref.file);
  }
  auto it = cache.find(path);
  if (it == cache.end()) {
    auto buffer = llvm::MemoryBuffer::getFile(path, /*IsText=*/false,
                                              /*RequiresNullTerminator=*/false);
    if (!buffer)
      return initError("cannot read the side file " + path + ": " +
                       buffer.getError().message());
    it = cache.try_emplace(path, std::move(*buffer)).first;
  }
  StringRef bytes = it->second->getBuffer();
  uint64_t elements = uint64_t(type.getNumElements());
  uint64_t need = elements * sizeof(float);
  if (ref.offset > bytes.size() || bytes.size() - ref.offset < need)
    return initError("the side file " + path + " has " +
                     llvm::Twine(bytes.size()) + " bytes; the state's " +
                     llvm::Twine(elements) + " f32 values at offset " +
                     llvm::Twine(ref.offset) + " need " +
                     llvm::Twine(ref.offset + need));
  StringRef values = bytes.substr(ref.offset, need);
  if (ref.crc32) {
    uint32_t crc = llvm::crc32(llvm::arrayRefFromStringRef(values));
    if (crc != *ref.crc32)
      return initError("the side file " + path + " holds other values than " +
                       "the module names: CRC-32 " + llvm::Twine(crc) +
                       " of its bytes at offset " + llvm::Twine(ref.offset) +
                       ", expected " + llvm::Twine(*ref.crc32) +
                       " (regenerated since?)");
  }
  std::vector<float> decoded(elements);
  for (uint64_t i = 0; i < elements; ++i)
    decoded[i] = llvm::bit_cast<float>(
        llvm::support::endian::read32le(values.data() + i * sizeof(float)));
  return DenseElementsAttr::get(
      RankedTensorType::get(type.getShape(),
                            Float32Type::get(type.getContext())),
      llvm::ArrayRef<float>(decoded));
}
