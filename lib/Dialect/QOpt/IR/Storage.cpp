//===- Storage.cpp - containers for the values of a float format ----------===//
//
// Part of the qopt project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "qopt/Dialect/QOpt/IR/Storage.h"

#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/MLIRContext.h"
#include "llvm/Support/raw_ostream.h"

#include <cmath>
#include <map>
#include <mutex>
#include <tuple>

using namespace mlir;
using namespace mlir::qopt;

/// The layout of a native float type, when it is one qopt stores into.
/// The FNUZ types are not: they have no negative zero.
static std::optional<StorageLayout> getNativeLayout(Type type) {
  auto layout = [](unsigned e, unsigned m, bool fn) {
    StorageLayout l;
    l.expBits = e;
    l.manBits = m;
    l.finiteOnly = fn;
    return std::optional<StorageLayout>(l);
  };
  if (isa<BFloat16Type>(type))
    return layout(8, 7, false);
  if (isa<Float16Type>(type))
    return layout(5, 10, false);
  if (isa<Float8E5M2Type>(type))
    return layout(5, 2, false);
  if (isa<Float8E4M3FNType>(type))
    return layout(4, 3, true);
  if (isa<Float8E4M3Type>(type))
    return layout(4, 3, false);
  if (isa<Float8E3M4Type>(type))
    return layout(3, 4, false);
  return std::nullopt;
}

StorageLayout mlir::qopt::getFormatLayout(FloatFormatAttr format) {
  StorageLayout l;
  l.expBits = format.getExpBits();
  l.manBits = format.getManBits();
  l.finiteOnly = format.getEncoding() == SpecialEncoding::fn;
  return l;
}

static bool sameValue(float a, float b) {
  if (std::isnan(a) || std::isnan(b))
    return std::isnan(a) && std::isnan(b) && std::signbit(a) == std::signbit(b);
  return storageFloatBits(a) == storageFloatBits(b);
}

/// True when every value `qopt.quantize` can produce in `format` is a value
/// of `layout`. Exhaustive over the format's codes, after two cheap
/// necessary conditions.
static bool holdsEveryValue(FloatFormatAttr format,
                            const StorageLayout &layout) {
  StorageLayout own = getFormatLayout(format);
  if (own.bits() > 17 || format.getManBits() > layout.manBits)
    return false;
  const bool flush = format.getSubnormals() == SubnormalPolicy::flush;
  const bool saturate = format.getOverflow() == OverflowPolicy::saturate;
  const float minNormal = format.getSmallestNormal();
  for (uint32_t code = 0, end = 1u << own.bits(); code < end; ++code) {
    float value = decodeStorage(code, own);
    // Values the format's policies never produce need no room.
    if (flush && value != 0.0f && std::fabs(value) < minNormal)
      continue;
    if (saturate && std::isinf(value))
      continue;
    if (!sameValue(decodeStorage(encodeStorage(value, layout), layout), value))
      return false;
  }
  return true;
}

/// holdsEveryValue, memoized: the check decodes up to 2^17 codes, and the
/// passes ask it for every op (assign-precision's remarks, the encode and
/// decode verifiers), which made it dominate assign-precision on large
/// steps. Keyed by value (the format's parameters and the layout), not by
/// attribute, so the cache is valid across contexts; shared by the threads
/// of a multi-threaded pass manager.
static bool holdsEveryValueCached(FloatFormatAttr format,
                                  const StorageLayout &layout) {
  using Key =
      std::tuple<unsigned, unsigned, int, int, int, unsigned, unsigned, bool>;
  static std::mutex mutex;
  static std::map<Key, bool> cache;
  Key key{format.getExpBits(),
          format.getManBits(),
          static_cast<int>(format.getSubnormals()),
          static_cast<int>(format.getOverflow()),
          static_cast<int>(format.getEncoding()),
          layout.expBits,
          layout.manBits,
          layout.finiteOnly};
  {
    std::lock_guard<std::mutex> lock(mutex);
    auto it = cache.find(key);
    if (it != cache.end())
      return it->second;
  }
  bool holds = holdsEveryValue(format, layout);
  std::lock_guard<std::mutex> lock(mutex);
  cache.emplace(key, holds);
  return holds;
}

std::optional<StorageLayout>
mlir::qopt::getStorageLayout(FloatFormatAttr format, Type container) {
  if (auto native = getNativeLayout(container)) {
    if (holdsEveryValueCached(format, *native))
      return native;
    return std::nullopt;
  }
  if (auto integer = dyn_cast<IntegerType>(container)) {
    StorageLayout own = getFormatLayout(format);
    unsigned width = integer.getWidth();
    if ((width == 8 || width == 16) && integer.isSignless() &&
        own.bits() <= width)
      return own;
  }
  return std::nullopt;
}

StorageChoice mlir::qopt::getStorageChoice(FloatFormatAttr format) {
  MLIRContext *ctx = format.getContext();
  StorageChoice choice;
  choice.elementType = Float32Type::get(ctx);
  // By size, native types first.
  Type candidates[] = {Float8E5M2Type::get(ctx), Float8E4M3FNType::get(ctx),
                       Float8E4M3Type::get(ctx), Float8E3M4Type::get(ctx),
                       IntegerType::get(ctx, 8), BFloat16Type::get(ctx),
                       Float16Type::get(ctx),    IntegerType::get(ctx, 16)};
  for (Type candidate : candidates) {
    if (auto layout = getStorageLayout(format, candidate)) {
      choice.elementType = candidate;
      choice.layout = *layout;
      choice.bytes = candidate.getIntOrFloatBitWidth() / 8;
      return choice;
    }
  }
  return choice;
}

std::string mlir::qopt::getContainerName(Type elementType) {
  std::string name;
  llvm::raw_string_ostream os(name);
  elementType.print(os);
  return name;
}
