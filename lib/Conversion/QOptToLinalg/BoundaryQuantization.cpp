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
#include "qopt/Conversion/QOptToLinalg/StorageEmitter.h"
#include "qopt/Dialect/QOpt/IR/Storage.h"

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

DecodeOp mlir::qopt::getAbsorbedDecode(Value operand) {
  auto decode = operand.getDefiningOp<DecodeOp>();
  if (!decode || !decode.getResult().hasOneUse() ||
      !isOptimizerUpdate(*decode->getUsers().begin()))
    return {};
  return decode;
}

EncodeOp mlir::qopt::getAbsorbedEncode(Value result) {
  if (!isOptimizerUpdate(result.getDefiningOp()) || !result.hasOneUse())
    return {};
  Operation *user = *result.getUsers().begin();
  if (auto encode = dyn_cast<EncodeOp>(user))
    return encode;
  QuantizeOp quantize = getAbsorbedConsumer(result);
  if (!quantize || !quantize.getResult().hasOneUse())
    return {};
  auto encode = dyn_cast<EncodeOp>(*quantize->getUsers().begin());
  // Another format would need a second rounding: left to encode alone.
  if (!encode || encode.getFormat() != quantize.getFormat())
    return {};
  return encode;
}

bool mlir::qopt::isAbsorbedByOptimizerUpdate(Operation *op) {
  if (auto quantize = dyn_cast<QuantizeOp>(op))
    return getAbsorbedConsumer(quantize.getInput()) == quantize ||
           getAbsorbedProducer(quantize.getResult()) == quantize;
  if (auto decode = dyn_cast<DecodeOp>(op))
    return getAbsorbedDecode(decode.getResult()) == decode;
  if (auto encode = dyn_cast<EncodeOp>(op)) {
    Value input = encode.getInput();
    if (auto quantize = input.getDefiningOp<QuantizeOp>())
      input = quantize.getInput();
    return getAbsorbedEncode(input) == encode;
  }
  return false;
}

void mlir::qopt::replaceFusedUpdate(RewriterBase &rewriter, Operation *update,
                                    ValueRange results,
                                    ArrayRef<Operation *> consumers) {
  // Collect the absorbed producers before the update, their only user, goes.
  SmallVector<Operation *> producers;
  for (Value operand : update->getOperands()) {
    if (QuantizeOp producer = getAbsorbedProducer(operand))
      producers.push_back(producer);
    else if (DecodeOp decode = getAbsorbedDecode(operand))
      producers.push_back(decode);
  }
  // Absorbed consumers now read the fused loop's results directly; a
  // quantize between the update and an absorbed encode goes with it.
  SmallVector<Operation *> between;
  for (auto [consumer, result] : llvm::zip(consumers, results)) {
    if (!consumer)
      continue;
    if (auto encode = dyn_cast<EncodeOp>(consumer))
      if (auto quantize = encode.getInput().getDefiningOp<QuantizeOp>())
        between.push_back(quantize);
    rewriter.replaceOp(consumer, result);
  }
  for (Operation *op : between)
    rewriter.eraseOp(op);
  rewriter.replaceOp(update, results);
  for (Operation *producer : producers)
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
  shapeType = type;
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
  if (fused.rounding == RoundingMode::stochastic) {
    fused.key =
        emitStochasticKey(b, op.getSeed(), op.getStep(), op.getStreamOrZero());
    if (!wideIndexEmitted) {
      wideIndex = emitWideIndexCondition(b, shapeType, sizes);
      wideIndexEmitted = true;
    }
  }
  return fused;
}

/// Records narrow storage of `format` in `container` on `fused`.
static void prepareStorage(FusedQuantize &fused, FloatFormatAttr format,
                           Type container) {
  fused.storage = getStorageLayout(format, container);
  assert(fused.storage && "the verifier checked the container");
  fused.container = container;
}

Value BoundaryQuantization::absorbOperand(Value operand, FusedQuantize &fused) {
  if (DecodeOp decode = getAbsorbedDecode(operand)) {
    prepareStorage(fused, decode.getFormat(),
                   decode.getInput().getType().getElementType());
    fused.decodes = true;
    return decode.getInput();
  }
  QuantizeOp producer = getAbsorbedProducer(operand);
  if (!producer)
    return operand;
  fused = prepare(producer);
  return producer.getInput();
}

Operation *BoundaryQuantization::absorbResult(Value result,
                                              FusedQuantize &fused) {
  QuantizeOp consumer = getAbsorbedConsumer(result);
  if (consumer)
    fused = prepare(consumer);
  EncodeOp encode = getAbsorbedEncode(result);
  if (!encode)
    return consumer;
  // An encode on its own rounds to nearest-even first (its semantics).
  if (!consumer)
    fused.format = encode.getFormat();
  prepareStorage(fused, encode.getFormat(),
                 encode.getResult().getType().getElementType());
  return encode;
}

RankedTensorType
BoundaryQuantization::getResultType(RankedTensorType type,
                                    const FusedQuantize &fused) const {
  if (fused.storage && !fused.decodes)
    return type.clone(fused.container);
  return type;
}

FusedLoopOperands
BoundaryQuantization::planLoop(ValueRange inputs,
                               ArrayRef<std::pair<Value, Type>> states) {
  FusedLoopOperands plan;
  plan.ins.assign(inputs.begin(), inputs.end());
  for (auto [old, resultType] : states) {
    plan.resultTypes.push_back(resultType);
    if (old && old.getType() == resultType) {
      plan.outs.push_back(old);
      plan.stateArg.push_back(-1);
      continue;
    }
    plan.stateArg.push_back(old ? static_cast<int64_t>(plan.ins.size()) : -1);
    if (old)
      plan.ins.push_back(old);
    auto type = cast<RankedTensorType>(resultType);
    plan.outs.push_back(tensor::EmptyOp::create(
        b, type.getShape(), type.getElementType(), dynamicSizes));
  }
  // In-place states are read from their out operand.
  for (auto [index, arg] : llvm::enumerate(plan.stateArg))
    if (arg < 0 && states[index].first)
      arg = static_cast<int64_t>(plan.ins.size() + index);
  return plan;
}

Value BoundaryQuantization::apply(ImplicitLocOpBuilder &bb,
                                  const FusedQuantize &fused, Value value) {
  // A decoded operand only feeds the update's arithmetic, which quiets any
  // NaN: the decode need not.
  if (fused.decodes)
    return emitDecodeScalar(bb, value, *fused.storage, /*quietNaN=*/false);
  if (!fused.format)
    return value;
  Value randomBits;
  if (fused.rounding == RoundingMode::stochastic) {
    if (!linearIndex)
      linearIndex = emitRowMajorIndex(bb, sizes);
    randomBits = emitStochasticBits(bb, fused.key, linearIndex, wideIndex);
  }
  // The fused optimizer loops reach memory speed only with the shorter form.
  Value rounded = hasF32ExponentRange(fused.format)
                      ? emitF32RangeQuantizeScalar(bb, value, fused.format,
                                                   fused.rounding, randomBits)
                      : emitQuantizeScalar(bb, value, fused.format,
                                           fused.rounding, randomBits);
  if (fused.storage)
    return emitEncodeScalar(bb, rounded, *fused.storage, fused.container);
  return rounded;
}
