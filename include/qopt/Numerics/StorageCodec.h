//===- StorageCodec.h - bit encodings of narrow storage ---------*- C++ -*-===//
//
// Part of the qopt project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// The bit layout in which narrow storage keeps a value of a simulated float
// format: sign | exponent | mantissa, in the low 1 + E + M bits of an 8- or
// 16-bit container, with the format's bias 2^(E-1) - 1, gradual underflow
// (exponent field 0) and its special values:
//  * `ieee`: the all-ones exponent holds infinity (mantissa 0) and NaN
//    (mantissa non-zero; qopt writes the quiet pattern, top mantissa bit);
//  * `fn`: the all-ones exponent holds finite values except the all-ones
//    magnitude, which is the only NaN; there is no infinity.
// An `ieee` format without mantissa bits has no NaN pattern, so its layout
// has one more bit above the sign: the NaN flag.
//
// MLIR's native small float types (bf16, f16, f8E5M2, f8E4M3FN, ...) are
// such layouts too, so one encoder serves both: a format stored in a native
// type uses the native type's layout.
//
// This header is the host-side reference of qopt.encode / qopt.decode: the
// compiled code emits the same arithmetic, and the runner and the tests use
// these functions to initialise, check and read narrow buffers.
//
//===----------------------------------------------------------------------===//

#ifndef QOPT_NUMERICS_STORAGECODEC_H
#define QOPT_NUMERICS_STORAGECODEC_H

#include <cmath>
#include <cstdint>
#include <cstring>

namespace mlir {
namespace qopt {

/// A storage bit layout (see the file comment).
struct StorageLayout {
  unsigned expBits = 8;
  unsigned manBits = 23;
  /// The `fn` special encoding (no infinity, all-ones magnitude is NaN).
  bool finiteOnly = false;

  /// True when NaN needs the extra flag bit above the sign.
  bool hasNaNFlag() const { return !finiteOnly && manBits == 0; }
  /// Bits a code occupies.
  unsigned bits() const {
    return 1 + expBits + manBits + (hasNaNFlag() ? 1 : 0);
  }
  int bias() const { return (1 << (expBits - 1)) - 1; }
  /// Unbiased exponent of the smallest normal number.
  int minExponent() const { return 1 - bias(); }
};

inline uint32_t storageFloatBits(float value) {
  uint32_t bits;
  std::memcpy(&bits, &value, sizeof(bits));
  return bits;
}

inline float storageBitsFloat(uint32_t bits) {
  float value;
  std::memcpy(&value, &bits, sizeof(value));
  return value;
}

/// Returns the code of `value` in `layout`. `value` must be a value of the
/// layout (zeros, infinities and NaN included; NaN keeps its sign); other
/// values give an unspecified code. Check with decodeStorage.
inline uint32_t encodeStorage(float value, const StorageLayout &layout) {
  const unsigned e = layout.expBits, m = layout.manBits;
  const uint32_t bits = storageFloatBits(value);
  const uint32_t sign = (bits >> 31) << (e + m);
  const uint32_t abs = bits & 0x7fffffffu;
  const uint32_t expAllOnes = (1u << e) - 1u;
  if (abs > 0x7f800000u) {
    if (layout.hasNaNFlag())
      return (1u << (e + m + 1)) | sign;
    if (layout.finiteOnly)
      return sign | ((1u << (e + m)) - 1u);
    return sign | (expAllOnes << m) | (1u << (m - 1));
  }
  if (abs == 0x7f800000u)
    return sign | (expAllOnes << m);
  const int biased32 = static_cast<int>(abs >> 23);
  if (biased32 != 0 && biased32 - 127 >= layout.minExponent()) {
    uint32_t field = static_cast<uint32_t>(biased32 - 127 + layout.bias());
    return sign | (field << m) | ((abs & 0x7fffffu) >> (23 - m));
  }
  // Zero or a subnormal of the layout: an integer multiple of its smallest
  // subnormal 2^(emin - M).
  double scaled = std::ldexp(static_cast<double>(std::fabs(value)),
                             static_cast<int>(m) - layout.minExponent());
  return sign | static_cast<uint32_t>(scaled);
}

/// Returns the f32 value of `code` in `layout` (NaN codes give a quiet NaN
/// of the code's sign). Bits above the layout's width are ignored.
inline float decodeStorage(uint32_t code, const StorageLayout &layout) {
  const unsigned e = layout.expBits, m = layout.manBits;
  const uint32_t sign = ((code >> (e + m)) & 1u) << 31;
  if (layout.hasNaNFlag() && ((code >> (e + m + 1)) & 1u))
    return storageBitsFloat(sign | 0x7fc00000u);
  const uint32_t magnitude = code & ((1u << (e + m)) - 1u);
  const uint32_t field = magnitude >> m;
  const uint32_t mantissa = magnitude & ((1u << m) - 1u);
  const uint32_t expAllOnes = (1u << e) - 1u;
  if (layout.finiteOnly && magnitude == (1u << (e + m)) - 1u)
    return storageBitsFloat(sign | 0x7fc00000u);
  if (!layout.finiteOnly && field == expAllOnes)
    return storageBitsFloat(sign | (mantissa ? 0x7fc00000u : 0x7f800000u));
  double value =
      field == 0 ? std::ldexp(static_cast<double>(mantissa),
                              layout.minExponent() - static_cast<int>(m))
                 : std::ldexp(1.0 + std::ldexp(static_cast<double>(mantissa),
                                               -static_cast<int>(m)),
                              static_cast<int>(field) - layout.bias());
  return storageBitsFloat(sign | storageFloatBits(static_cast<float>(value)));
}

} // namespace qopt
} // namespace mlir

#endif // QOPT_NUMERICS_STORAGECODEC_H
