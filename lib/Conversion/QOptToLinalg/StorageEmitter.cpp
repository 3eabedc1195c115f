//===- StorageEmitter.cpp - narrow storage codes as arith -----------------===//
//
// Part of the qopt project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Both directions work on the f32 bit pattern with 32-bit integer ops, so
// the loops that carry them vectorise:
// * A normal value of the layout has the f32 mantissa's top M bits and an
//   exponent field rebiased by (127 - bias): its code is
//   (abs >> (23 - M)) - ((127 - bias) << M), and decoding adds it back.
// * A subnormal of the layout is an integer multiple k of its smallest
//   subnormal 2^(emin - M): k = |x| * 2^(M - emin), exact in f32 because
//   k < 2^M. With 8 exponent bits (bf16, e8mM) the f32 subnormals line up
//   with the layout's, so the shift alone is exact everywhere.
// * Infinity and NaN are selected explicitly; decoded NaN is quiet.
//
//===----------------------------------------------------------------------===//

#include "qopt/Conversion/QOptToLinalg/StorageEmitter.h"
#include "IntBuilder.h"

#include "mlir/Dialect/Arith/IR/Arith.h"

#include <cmath>

using namespace mlir;
using namespace mlir::qopt;

static constexpr uint32_t kInfBits = 0x7f800000u, kQuietNaN = 0x7fc00000u;

/// The code of a NaN of sign 0 in `layout` (the sign is or-ed in later).
static uint32_t nanCode(const StorageLayout &layout) {
  const unsigned e = layout.expBits, m = layout.manBits;
  if (layout.hasNaNFlag())
    return 1u << (e + m + 1);
  if (layout.finiteOnly)
    return (1u << (e + m)) - 1u;
  return (((1u << e) - 1u) << m) | (1u << (m - 1));
}

Value mlir::qopt::emitEncodeScalar(ImplicitLocOpBuilder &b, Value value,
                                   const StorageLayout &layout,
                                   Type container) {
  using P = arith::CmpIPredicate;
  IntBuilder ib{b};
  const unsigned e = layout.expBits, m = layout.manBits;
  Value bits = arith::BitcastOp::create(b, b.getI32Type(), value);
  unsigned width = container.getIntOrFloatBitWidth();
  auto toContainer = [&](Value code) {
    Value narrow =
        arith::TruncIOp::create(b, b.getIntegerType(width), code).getResult();
    if (isa<FloatType>(container))
      narrow = arith::BitcastOp::create(b, container, narrow);
    return narrow;
  };
  // With f32's exponent and a mantissa bit to hold the quiet bit, the code
  // is the top bits of the pattern, sign, infinity and (qopt's canonical
  // quiet) NaN included: one shift.
  if (e == 8 && m >= 1)
    return toContainer(ib.shr(bits, 23 - m));
  Value abs = ib.band(bits, ib.c32(0x7fffffffu));
  Value code;
  if (e == 8) {
    // Infinity shifts to the all-ones exponent too.
    code = ib.shr(abs, 23 - m);
  } else {
    const uint32_t rebias = static_cast<uint32_t>(127 - layout.bias()) << m;
    const uint32_t minNormalBits =
        static_cast<uint32_t>(layout.minExponent() + 127) << 23;
    Value normal = ib.sub(ib.shr(abs, 23 - m), ib.c32(rebias));
    Value absF = arith::BitcastOp::create(b, b.getF32Type(), abs);
    float scale = std::ldexp(1.0f, static_cast<int>(m) - layout.minExponent());
    Value scaled = arith::MulFOp::create(
        b, absF, arith::ConstantOp::create(b, b.getF32FloatAttr(scale)));
    Value subnormal = arith::FPToSIOp::create(b, b.getI32Type(), scaled);
    code = ib.select(ib.cmp(P::uge, abs, minNormalBits), normal, subnormal);
    if (!layout.finiteOnly)
      code =
          ib.select(ib.cmp(P::eq, abs, kInfBits), ((1u << e) - 1u) << m, code);
  }
  code = ib.select(ib.cmp(P::ugt, abs, kInfBits), nanCode(layout), code);
  // The sign goes right above the magnitude.
  Value sign = ib.shl(ib.shr(bits, 31), e + m);
  return toContainer(ib.bor(code, sign));
}

Value mlir::qopt::emitDecodeScalar(ImplicitLocOpBuilder &b, Value code,
                                   const StorageLayout &layout, bool quietNaN) {
  using P = arith::CmpIPredicate;
  IntBuilder ib{b};
  const unsigned e = layout.expBits, m = layout.manBits;
  Type container = code.getType();
  unsigned width = container.getIntOrFloatBitWidth();
  if (isa<FloatType>(container))
    code = arith::BitcastOp::create(b, b.getIntegerType(width), code);
  Value wide = arith::ExtUIOp::create(b, b.getI32Type(), code);
  // f32's exponent: the code is the top bits of the pattern, sign included.
  if (e == 8 && !layout.hasNaNFlag()) {
    Value bits = ib.shl(wide, 23 - m);
    if (quietNaN) {
      // Any NaN (a signalling one written by another program too) becomes
      // the quiet NaN of its sign.
      Value abs = ib.band(bits, ib.c32(0x7fffffffu));
      Value nan = ib.bor(ib.band(bits, ib.c32(0x80000000u)), ib.c32(kQuietNaN));
      bits = ib.select(ib.cmp(P::ugt, abs, kInfBits), nan, bits);
    }
    return arith::BitcastOp::create(b, b.getF32Type(), bits);
  }
  const uint32_t magnitudeMask = (1u << (e + m)) - 1u;
  Value magnitude = ib.band(wide, ib.c32(magnitudeMask));
  Value sign = ib.shl(ib.band(ib.shr(wide, e + m), ib.c32(1)), 31);
  Value bits;
  if (e == 8) {
    bits = ib.shl(magnitude, 23 - m);
    // Any NaN (a signalling one written by another program too) is quiet.
    bits = ib.select(ib.cmp(P::ugt, bits, kInfBits), kQuietNaN, bits);
  } else {
    const uint32_t rebias = static_cast<uint32_t>(127 - layout.bias()) << 23;
    Value normal = ib.add(ib.shl(magnitude, 23 - m), ib.c32(rebias));
    Value count = arith::SIToFPOp::create(b, b.getF32Type(), magnitude);
    float scale = std::ldexp(1.0f, layout.minExponent() - static_cast<int>(m));
    Value scaled = arith::MulFOp::create(
        b, count, arith::ConstantOp::create(b, b.getF32FloatAttr(scale)));
    Value subnormal = arith::BitcastOp::create(b, b.getI32Type(), scaled);
    bits = ib.select(ib.cmp(P::uge, magnitude, 1u << m), normal, subnormal);
    const uint32_t topExponent = ((1u << e) - 1u) << m;
    if (layout.finiteOnly) {
      bits =
          ib.select(ib.cmp(P::eq, magnitude, magnitudeMask), kQuietNaN, bits);
    } else {
      bits = ib.select(ib.cmp(P::eq, magnitude, topExponent), kInfBits, bits);
      bits = ib.select(ib.cmp(P::ugt, magnitude, topExponent), kQuietNaN, bits);
    }
  }
  if (layout.hasNaNFlag())
    bits = ib.select(ib.cmp(P::ne, ib.band(wide, ib.c32(1u << (e + m + 1))), 0),
                     kQuietNaN, bits);
  return arith::BitcastOp::create(b, b.getF32Type(), ib.bor(bits, sign));
}
