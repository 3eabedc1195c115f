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

#include "qopt/Conversion/QOptToLinalg/QuantizeEmitter.h"
#include "qopt/Dialect/QOpt/IR/QOptOps.h"
#include "qopt/Numerics/StorageCodec.h"

#include <optional>

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

/// Returns the qopt.decode producing `operand` when the optimizer update
/// using it absorbs it (the update is its only user).
DecodeOp getAbsorbedDecode(Value operand);

/// Returns the qopt.encode that stores an optimizer update's `result` when
/// the update absorbs it: the encode is the result's only use, or the only
/// use of an absorbed quantize to the same format.
EncodeOp getAbsorbedEncode(Value result);

/// Finishes the rewrite of an optimizer update fused with its boundary
/// quantizations: `consumers[i]` (when absorbed: a quantize or an encode)
/// and the update's result i are replaced by `results[i]`, and the absorbed
/// producers of its operands and quantizes between it and an absorbed
/// encode, left without uses, are erased.
void replaceFusedUpdate(RewriterBase &rewriter, Operation *update,
                        ValueRange results, ArrayRef<Operation *> consumers);

/// What a fused loop does to one element at a boundary, in this order:
/// decode it from narrow storage (operands), round it (a quantize), encode
/// it into narrow storage (results). Each step is optional.
struct FusedQuantize {
  FloatFormatAttr format;
  RoundingMode rounding = RoundingMode::nearest_even;
  /// The loop-invariant stochastic-rounding key, stochastic only.
  StochasticKey key;
  /// Narrow storage the element is read from (operands) or written to
  /// (results), with its container element type.
  std::optional<StorageLayout> storage;
  Type container;
  bool decodes = false;
};

/// The operands of a fused elementwise loop: `ins` are read only; each
/// state is written to `outs[i]`, in place (the state itself is the out
/// operand) when the loop writes the type it reads, otherwise into a fresh
/// tensor with the state read from `ins`.
struct FusedLoopOperands {
  SmallVector<Value> ins, outs;
  SmallVector<Type> resultTypes;
  /// Block argument index of each state's old value (-1: none).
  SmallVector<int64_t> stateArg;
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

  /// If `result`'s sole consumer is an absorbed quantize and/or encode,
  /// records them and returns the last one, whose uses the caller
  /// replaces; otherwise returns null.
  Operation *absorbResult(Value result, FusedQuantize &fused);

  /// The type of the loop's result for a state of `type` whose new value
  /// is handled by `fused` (narrow when it is encoded).
  RankedTensorType getResultType(RankedTensorType type,
                                 const FusedQuantize &fused) const;

  /// Plans a loop reading `inputs` and updating `states`: pairs of the old
  /// value (may be null) and the result type.
  FusedLoopOperands planLoop(ValueRange inputs,
                             ArrayRef<std::pair<Value, Type>> states);

  /// Inside the loop body: decodes, rounds and encodes `value` as `fused`
  /// says (identity when it says nothing). The linear index is built once
  /// per body.
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
  RankedTensorType shapeType;
  /// Whether a linear index may need more than 32 bits
  /// (emitWideIndexCondition), emitted before the loop by the first
  /// stochastic quantize.
  Value wideIndex;
  bool wideIndexEmitted = false;
};

} // namespace qopt
} // namespace mlir

#endif // QOPT_LIB_CONVERSION_QOPTTOLINALG_BOUNDARYQUANTIZATION_H
