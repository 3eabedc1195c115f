//===- QuantizeEmitter.h - scalar quantization arithmetic -------*- C++ -*-===//
//
// Part of the qopt project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Emits, as arith ops on scalars, the rounding of one f32 value to a
// FloatFormatAttr. Lowerings of qopt.quantize and of the fused optimizer
// updates put this arithmetic inside their loop bodies, so every target
// (CPU, GPU) computes bit-identical results.
//
//===----------------------------------------------------------------------===//

#ifndef QOPT_CONVERSION_QOPTTOLINALG_QUANTIZEEMITTER_H
#define QOPT_CONVERSION_QOPTTOLINALG_QUANTIZEEMITTER_H

#include "qopt/Dialect/QOpt/IR/QOptAttrs.h"

#include "mlir/IR/BuiltinTypeInterfaces.h"
#include "mlir/IR/ImplicitLocOpBuilder.h"
#include "mlir/IR/Value.h"

namespace mlir {
namespace qopt {

/// The loop-invariant key of stochastic rounding's hash, as i32: with k0 and
/// k1 the low and high halves of qopt::stochasticKey (Numerics/CounterHash.h),
/// `k0Folded` is k0 ^ (k0 >> 16) and `k1` is k1. The hash's first round
/// xor-shifts (index ^ k0); the shift distributes over the xor, so the loop
/// computes (index ^ (index >> 16)) ^ k0Folded, which is the same value. It
/// keeps the key's truncation away from the index's: LLVM would otherwise
/// merge the two truncations into one 64-bit xor, and a vectorized loop would
/// carry its index as 64-bit lanes (four shuffles per 8 elements on AVX2).
struct StochasticKey {
  Value k0Folded, k1;
};

/// Emits, before the loop, the key of a tensor quantized with (seed, step)
/// (i64 values) and the quantize's `stream`.
StochasticKey emitStochasticKey(ImplicitLocOpBuilder &b, Value seed, Value step,
                                uint64_t stream);

/// Returns the i32 random bits of stochastic rounding for the element with
/// linear index `index` (i64), given the tensor's `key`; 32-bit arithmetic
/// only. `wideIndex` is the i1 from emitWideIndexCondition: null when every
/// index is known to be below 2^32 (the index's high half, then zero, is not
/// mixed in). Matches qopt::stochasticBitsForKey.
Value emitStochasticBits(ImplicitLocOpBuilder &b, const StochasticKey &key,
                         Value index, Value wideIndex);

/// Emits, before the loop, whether a linear index into a tensor of `type`
/// with dimension `sizes` (index values) may need more than 32 bits: null
/// for static shapes of at most 2^32 elements, else an i1 (a constant for
/// static shapes, a comparison of the element count for dynamic ones).
/// emitStochasticBits selects the index's high half with it, a
/// loop-invariant condition the CPU pipeline versions the loop on
/// (qopt-unswitch-invariant-selects): a dynamic shape's common version has
/// no 64-bit index lanes.
Value emitWideIndexCondition(ImplicitLocOpBuilder &b, ShapedType type,
                             ArrayRef<Value> sizes);

/// Returns `value` (f32) rounded to `format` with `rounding`. `randomBits`
/// (i32) is required for stochastic rounding and ignored otherwise.
Value emitQuantizeScalar(ImplicitLocOpBuilder &b, Value value,
                         FloatFormatAttr format, RoundingMode rounding,
                         Value randomBits = {});

/// True for formats with f32's exponent range and at least one mantissa bit
/// (bf16, tf32, e8mM, M >= 1), where emitF32RangeQuantizeScalar applies.
bool hasF32ExponentRange(FloatFormatAttr format);

/// emitQuantizeScalar for hasF32ExponentRange formats in fewer operations
/// (rounds the magnitude's bit pattern directly); bit-identical to it.
Value emitF32RangeQuantizeScalar(ImplicitLocOpBuilder &b, Value value,
                                 FloatFormatAttr format, RoundingMode rounding,
                                 Value randomBits = {});

/// Inside a linalg.generic body: the row-major linear index (i64) of the
/// current element, the counter of stochastic rounding's hash; `sizes` are
/// the loop's sizes (index values), empty for rank 0.
Value emitRowMajorIndex(ImplicitLocOpBuilder &b, ArrayRef<Value> sizes);

} // namespace qopt
} // namespace mlir

#endif // QOPT_CONVERSION_QOPTTOLINALG_QUANTIZEEMITTER_H
