//===- BoundaryQuantization.h - quantize ops fused into loops ---*- C++ -*-===//
//
// Part of the qopt project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// The optimizer lowerings absorb the qopt.quantize ops that sit on their
// tensor operands (producers) and on their results (sole consumers) into
// their own elementwise loops. This header decides which quantize ops are
// absorbed (the conversion target asks the same question, so it leaves them
// alone) and emits the rounding inside a loop body with exactly the
// arithmetic, hash and linear index of a standalone qopt.quantize.
//
//===----------------------------------------------------------------------===//

#ifndef QOPT_LIB_CONVERSION_QOPTTOLINALG_BOUNDARYQUANTIZATION_H
#define QOPT_LIB_CONVERSION_QOPTTOLINALG_BOUNDARYQUANTIZATION_H

#include "qopt/Dialect/QOpt/IR/QOptOps.h"

#include "mlir/IR/ImplicitLocOpBuilder.h"
#include "mlir/IR/PatternMatch.h"

namespace mlir {
namespace qopt {

/// Returns the qopt.quantize producing `operand` when the optimizer update
/// using it absorbs it: its result has that single use, and it is not
/// already absorbed as the consumer of another update.
QuantizeOp getAbsorbedProducer(Value operand);

/// Returns the qopt.quantize consuming `result` (an optimizer update's
/// result) when the update absorbs it: it is the result's only use and its
/// seed and step are available before the update.
QuantizeOp getAbsorbedConsumer(Value result);

/// Finishes the rewrite of an optimizer update fused with its boundary
/// quantizations: `consumers[i]` (when absorbed) and the update's result i
/// are replaced by `results[i]`, and the absorbed producers of its operands,
/// left without uses, are erased.
void replaceFusedUpdate(RewriterBase &rewriter, Operation *update,
                        ValueRange results, ArrayRef<QuantizeOp> consumers);

/// One absorbed quantization, ready to be emitted in a loop body.
struct FusedQuantize {
  FloatFormatAttr format;
  RoundingMode rounding = RoundingMode::nearest_even;
  /// The loop-invariant stochastic-rounding key (i64), stochastic only.
  Value key;
  explicit operator bool() const { return static_cast<bool>(format); }
};

/// Shapes the elementwise loop of an optimizer update and the quantizations
/// absorbed into it.
class BoundaryQuantization {
public:
  /// `shapeSource` is a tensor of the loop's type whose sizes give the
  /// row-major linear index of stochastic rounding.
  BoundaryQuantization(ImplicitLocOpBuilder &b, Value shapeSource);

  /// The sizes of the loop, one index value per dimension.
  ArrayRef<Value> getSizes() const { return sizes; }
  /// The dynamic sizes, for tensor.empty.
  ArrayRef<Value> getDynamicSizes() const { return dynamicSizes; }

  /// If `operand` comes from an absorbed quantize, records it (emitting its
  /// key before the loop) and returns the unquantized tensor the loop reads;
  /// otherwise returns `operand` and records nothing.
  Value absorbOperand(Value operand, FusedQuantize &fused);

  /// If `result`'s sole consumer is an absorbed quantize, records it and
  /// returns the quantize op, whose uses the caller replaces; otherwise
  /// returns null.
  QuantizeOp absorbResult(Value result, FusedQuantize &fused);

  /// Inside the loop body: rounds `value` as `fused` says (identity when
  /// `fused` is empty). The linear index is built once per body.
  Value apply(ImplicitLocOpBuilder &bb, const FusedQuantize &fused,
              Value value);

  /// Starts a new loop body (forgets the cached linear index).
  void beginBody() { linearIndex = {}; }

private:
  FusedQuantize prepare(QuantizeOp op);

  ImplicitLocOpBuilder &b;
  int64_t rank;
  SmallVector<Value> sizes;
  SmallVector<Value> dynamicSizes;
  Value linearIndex;
};

} // namespace qopt
} // namespace mlir

#endif // QOPT_LIB_CONVERSION_QOPTTOLINALG_BOUNDARYQUANTIZATION_H
