//===- BoundaryQuantization.cpp - quantize ops fused into loops -----------===//
//
// Part of the qopt project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "BoundaryQuantization.h"

#include "qopt/Conversion/QOptToLinalg/OptimizerToLinalg.h"
#include "qopt/Conversion/QOptToLinalg/QuantizeEmitter.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;
using namespace mlir::qopt;

static bool isOptimizerUpdate(Operation *op) {
  return isa_and_nonnull<AdamUpdateOp, MuonUpdateOp>(op);
}

/// True when `value` is available right before `op`: a block argument or
/// the result of an op earlier in a block enclosing `op`.
static bool isAvailableBefore(Value value, Operation *op) {
  Block *block = value.getParentBlock();
  Operation *ancestor = block ? block->findAncestorOpInBlock(*op) : nullptr;
  if (!ancestor)
    return false;
  if (isa<BlockArgument>(value))
    return true;
  return value.getDefiningOp()->isBeforeInBlock(ancestor);
}

QuantizeOp mlir::qopt::getAbsorbedConsumer(Value result) {
  if (!isOptimizerUpdate(result.getDefiningOp()) || !result.hasOneUse())
    return {};
  auto quantize = dyn_cast<QuantizeOp>(*result.getUsers().begin());
  if (!quantize)
    return {};
  // The key of stochastic rounding is computed before the fused loop.
  Operation *update = result.getDefiningOp();
  for (Value operand : {quantize.getSeed(), quantize.getStep()})
    if (operand && !isAvailableBefore(operand, update))
      return {};
  return quantize;
}

QuantizeOp mlir::qopt::getAbsorbedProducer(Value operand) {
  auto quantize = operand.getDefiningOp<QuantizeOp>();
  if (!quantize || !quantize.getResult().hasOneUse() ||
      !isOptimizerUpdate(*quantize->getUsers().begin()))
    return {};
  // Between two updates the quantize belongs to the one that produces its
  // input, so it is absorbed (and erased) exactly once.
  if (getAbsorbedConsumer(quantize.getInput()))
    return {};
  return quantize;
}

bool mlir::qopt::isAbsorbedByOptimizerUpdate(QuantizeOp op) {
  return getAbsorbedConsumer(op.getInput()) == op ||
         getAbsorbedProducer(op.getResult()) == op;
}

void mlir::qopt::replaceFusedUpdate(RewriterBase &rewriter, Operation *update,
                                    ValueRange results,
                                    ArrayRef<QuantizeOp> consumers) {
  // Collect the absorbed producers before the update, their only user, goes.
  SmallVector<QuantizeOp> producers;
  for (Value operand : update->getOperands())
    if (QuantizeOp producer = getAbsorbedProducer(operand))
      producers.push_back(producer);
  // Absorbed consumers now read the fused loop's results directly.
  for (auto [consumer, result] : llvm::zip(consumers, results))
    if (consumer)
      rewriter.replaceOp(consumer, result);
  rewriter.replaceOp(update, results);
  for (QuantizeOp producer : producers)
    rewriter.eraseOp(producer);
}

BoundaryQuantization::BoundaryQuantization(ImplicitLocOpBuilder &b,
                                           Value shapeSource)
    : b(b) {
  // Read sizes from below an absorbed quantize (same type), so that the
  // tensor.dim ops add no use to it.
  while (auto quantize = shapeSource.getDefiningOp<QuantizeOp>())
    shapeSource = quantize.getInput();
  auto type = cast<RankedTensorType>(shapeSource.getType());
  rank = type.getRank();
  for (int64_t dim = 0; dim < rank; ++dim) {
    if (type.isDynamicDim(dim)) {
      Value size = tensor::DimOp::create(b, shapeSource, dim);
      dynamicSizes.push_back(size);
      sizes.push_back(size);
    } else {
      sizes.push_back(arith::ConstantIndexOp::create(b, type.getDimSize(dim)));
    }
  }
}

FusedQuantize BoundaryQuantization::prepare(QuantizeOp op) {
  FusedQuantize fused;
  fused.format = op.getFormat();
  fused.rounding = op.getRounding();
  // Loop-invariant part of the hash, as the standalone lowering computes it.
  if (fused.rounding == RoundingMode::stochastic)
    fused.key = emitStochasticKey(b, op.getSeed(), op.getStep());
  return fused;
}

Value BoundaryQuantization::absorbOperand(Value operand, FusedQuantize &fused) {
  QuantizeOp producer = getAbsorbedProducer(operand);
  if (!producer)
    return operand;
  fused = prepare(producer);
  return producer.getInput();
}

QuantizeOp BoundaryQuantization::absorbResult(Value result,
                                              FusedQuantize &fused) {
  QuantizeOp consumer = getAbsorbedConsumer(result);
  if (consumer)
    fused = prepare(consumer);
  return consumer;
}

Value BoundaryQuantization::apply(ImplicitLocOpBuilder &bb,
                                  const FusedQuantize &fused, Value value) {
  if (!fused)
    return value;
  Value randomBits;
  if (fused.rounding == RoundingMode::stochastic) {
    if (!linearIndex)
      linearIndex = emitRowMajorIndex(bb, sizes);
    randomBits = emitStochasticBits(bb, fused.key, linearIndex);
  }
  // The fused optimizer loops reach memory speed only with the shorter form.
  if (hasF32ExponentRange(fused.format))
    return emitF32RangeQuantizeScalar(bb, value, fused.format, fused.rounding,
                                      randomBits);
  return emitQuantizeScalar(bb, value, fused.format, fused.rounding,
                            randomBits);
}
