//===- StorageKernels.cpp - JIT-compiled qopt.encode / qopt.decode --------===//
//
// Part of the qopt project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "StorageKernels.h"

#include "llvm/Support/raw_ostream.h"

#include <cassert>
#include <cstring>

using namespace qopt_test;

static std::string kernelName(size_t index) {
  return "storage_" + std::to_string(index);
}

/// C interface of the compiled functions: a pointer to the two result
/// descriptors first, then the arguments (the codes to decode, the values
/// to encode).
struct StorageResults {
  MemRef1D decoded;
  MemRef1D encoded;
};
using StorageFn = void (*)(StorageResults *, MemRef1D *, MemRef1D *);

unsigned StorageSpec::width() const {
  return container == "bf16" || container == "f16" || container == "i16" ? 16
                                                                         : 8;
}

std::string StorageSpec::describe() const {
  return format.describe() + " in " + container;
}

std::string
StorageKernels::moduleSource(const std::vector<StorageSpec> &specs) {
  std::string source;
  llvm::raw_string_ostream os(source);
  // One function per spec with both ops (independent operands, so each can
  // run on an empty tensor): half the functions of one op each, which
  // shortens the compile time.
  for (size_t i = 0; i < specs.size(); ++i) {
    std::string format = "<" + specs[i].format.attrBody() + ">";
    std::string codes = "tensor<?x" + specs[i].container + ">";
    os << "func.func @" << kernelName(i) << "(%c: " << codes
       << ", %x: tensor<?xf32>) -> (tensor<?xf32>, " << codes
       << ") attributes {llvm.emit_c_interface} {\n"
       << "  %d = qopt.decode %c as " << format << " : " << codes
       << " to tensor<?xf32>\n"
       << "  %e = qopt.encode %x as " << format << " : tensor<?xf32> to "
       << codes << "\n"
       << "  return %d, %e : tensor<?xf32>, " << codes << "\n}\n";
  }
  return source;
}

std::unique_ptr<StorageKernels>
StorageKernels::compile(const std::vector<StorageSpec> &specs,
                        unsigned optLevel, std::string &error) {
  std::unique_ptr<StorageKernels> kernels(new StorageKernels());
  kernels->jit = JitModule::compile(moduleSource(specs), optLevel, error);
  if (!kernels->jit)
    return nullptr;
  kernels->specs = specs;
  if (!kernels->jit->lookupNumbered("storage_", specs.size(),
                                    kernels->entryPoints, error))
    return nullptr;
  return kernels;
}

StorageKernels::~StorageKernels() = default;

void StorageKernels::call(size_t index, void *codes, int64_t codeCount,
                          void *values, int64_t valueCount, MemRef1D &decoded,
                          MemRef1D &encoded) const {
  assert(index < entryPoints.size() && "no such kernel");
  MemRef1D codesIn = viewOf(codes, codeCount);
  MemRef1D valuesIn = viewOf(values, valueCount);
  StorageResults results{};
  reinterpret_cast<StorageFn>(entryPoints[index])(&results, &codesIn,
                                                  &valuesIn);
  decoded = results.decoded;
  encoded = results.encoded;
}

void StorageKernels::decode(size_t index, const std::vector<uint16_t> &codes,
                            std::vector<uint32_t> &values) const {
  const size_t n = codes.size();
  // The kernel reads the container's width; 8-bit codes are packed.
  std::vector<uint8_t> packed;
  void *data = const_cast<uint16_t *>(codes.data());
  if (specs[index].width() == 8) {
    packed.assign(codes.begin(), codes.end());
    data = packed.data();
  }
  float none = 0.0f;
  MemRef1D decoded, encoded;
  call(index, data, static_cast<int64_t>(n), &none, 0, decoded, encoded);
  values.resize(n);
  std::memcpy(values.data(),
              static_cast<uint32_t *>(decoded.data) + decoded.offset,
              n * sizeof(uint32_t));
  freeResult(decoded, data);
  freeResult(encoded, &none);
}

void StorageKernels::encode(size_t index, const std::vector<uint32_t> &values,
                            std::vector<uint16_t> &codes) const {
  const size_t n = values.size();
  void *data = const_cast<uint32_t *>(values.data());
  uint16_t none = 0;
  MemRef1D decoded, encoded;
  call(index, &none, 0, data, static_cast<int64_t>(n), decoded, encoded);
  codes.resize(n);
  if (specs[index].width() == 8) {
    const uint8_t *narrow =
        static_cast<uint8_t *>(encoded.data) + encoded.offset;
    codes.assign(narrow, narrow + n);
  } else {
    std::memcpy(codes.data(),
                static_cast<uint16_t *>(encoded.data) + encoded.offset,
                n * sizeof(uint16_t));
  }
  freeResult(decoded, &none);
  freeResult(encoded, data);
}
