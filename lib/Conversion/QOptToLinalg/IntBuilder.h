//===- IntBuilder.h - integer arith with short names ------------*- C++ -*-===//
//
// Part of the qopt project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// The rounding (QuantizeEmitter) and the storage codes (StorageEmitter) are
// integer arithmetic on f32 bit patterns; this builder keeps them readable.
//
//===----------------------------------------------------------------------===//

#ifndef QOPT_LIB_CONVERSION_QOPTTOLINALG_INTBUILDER_H
#define QOPT_LIB_CONVERSION_QOPTTOLINALG_INTBUILDER_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/ImplicitLocOpBuilder.h"

namespace mlir {
namespace qopt {

/// Builds i32/i64 arith with short names; constants are given as unsigned
/// bit patterns, shift amounts and comparison bounds as i32 constants too.
struct IntBuilder {
  ImplicitLocOpBuilder &b;

  Value c32(uint32_t bits) {
    return arith::ConstantIntOp::create(b, b.getI32Type(),
                                        static_cast<int32_t>(bits));
  }
  Value c64(uint64_t bits) {
    return arith::ConstantIntOp::create(b, b.getI64Type(),
                                        static_cast<int64_t>(bits));
  }
  Value add(Value x, Value y) { return arith::AddIOp::create(b, x, y); }
  Value sub(Value x, Value y) { return arith::SubIOp::create(b, x, y); }
  Value mul(Value x, Value y) { return arith::MulIOp::create(b, x, y); }
  Value band(Value x, Value y) { return arith::AndIOp::create(b, x, y); }
  Value bor(Value x, Value y) { return arith::OrIOp::create(b, x, y); }
  Value bxor(Value x, Value y) { return arith::XOrIOp::create(b, x, y); }
  Value shl(Value x, Value y) { return arith::ShLIOp::create(b, x, y); }
  Value shr(Value x, Value y) { return arith::ShRUIOp::create(b, x, y); }
  /// Shifts of an i32 by a constant amount.
  Value shl(Value x, uint32_t n) { return shl(x, c32(n)); }
  Value shr(Value x, uint32_t n) { return shr(x, c32(n)); }
  Value umin(Value x, Value y) { return arith::MinUIOp::create(b, x, y); }
  Value umax(Value x, Value y) { return arith::MaxUIOp::create(b, x, y); }
  Value smax(Value x, Value y) { return arith::MaxSIOp::create(b, x, y); }
  Value cmp(arith::CmpIPredicate p, Value x, Value y) {
    return arith::CmpIOp::create(b, p, x, y);
  }
  /// Compares an i32 with a constant.
  Value cmp(arith::CmpIPredicate p, Value x, uint32_t bound) {
    return cmp(p, x, c32(bound));
  }
  Value select(Value c, Value x, Value y) {
    return arith::SelectOp::create(b, c, x, y);
  }
  /// Selects an i32 constant or `y`.
  Value select(Value c, uint32_t x, Value y) { return select(c, c32(x), y); }
};

} // namespace qopt
} // namespace mlir

#endif // QOPT_LIB_CONVERSION_QOPTTOLINALG_INTBUILDER_H
