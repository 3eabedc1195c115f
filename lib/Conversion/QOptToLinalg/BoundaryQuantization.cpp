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

#include <cstring>

using namespace mlir;
using namespace mlir::qopt;

static uint32_t floatBits(float value) {
  uint32_t bits;
  std::memcpy(&bits, &value, sizeof(bits));
  return bits;
}

/// qopt.quantize for formats with f32's exponent range and at least one
/// mantissa bit (bf16, tf32, e8mM with M >= 1), bit-identical to
/// emitQuantizeScalar's general path (test/Integration/fused-quantize-
/// equivalence.mlir checks it). There the number of dropped bits d = 23 - M
/// is a constant, the path below the subnormal range is unreachable, and
/// because (be' - 1) << 23 is a multiple of the quantum (and bit d < 23 is a
/// mantissa bit), rounding the magnitude's bit pattern directly equals
/// rounding the significand and re-adding the exponent. The fused optimizer
/// loops reach memory speed only with this shorter form.
static Value emitF32RangeQuantize(ImplicitLocOpBuilder &b, Value value,
                                  FloatFormatAttr format, RoundingMode rounding,
                                  Value randomBits) {
  using P = arith::CmpIPredicate;
  auto c32 = [&](uint32_t v) -> Value {
    return arith::ConstantIntOp::create(b, b.getI32Type(),
                                        static_cast<int32_t>(v));
  };
  auto band = [&](Value x, Value y) -> Value {
    return arith::AndIOp::create(b, x, y);
  };
  auto add = [&](Value x, Value y) -> Value {
    return arith::AddIOp::create(b, x, y);
  };
  auto select = [&](P predicate, Value x, uint32_t bound, uint32_t then,
                    Value otherwise) -> Value {
    return arith::SelectOp::create(
        b, arith::CmpIOp::create(b, predicate, x, c32(bound)), c32(then),
        otherwise);
  };
  const int drop = 23 - static_cast<int>(format.getManBits());
  const bool saturate = format.getOverflow() == OverflowPolicy::saturate;
  const uint32_t kSignMask = 0x80000000u, kInfBits = 0x7f800000u;
  const uint32_t kQuietNaN = 0x7fc00000u;
  const uint32_t maxFiniteBits = floatBits(format.getLargestFinite());
  const uint32_t minNormalBits = floatBits(format.getSmallestNormal());

  Value bits = arith::BitcastOp::create(b, b.getI32Type(), value);
  Value sign = band(bits, c32(kSignMask));
  Value abs = band(bits, c32(~kSignMask));
  Value magnitude = abs;
  if (drop > 0) {
    const uint32_t unit = 1u << drop, lowMask = unit - 1u;
    switch (rounding) {
    case RoundingMode::toward_zero:
      magnitude = band(abs, c32(~lowMask));
      break;
    case RoundingMode::nearest_even: {
      // Adding half - 1 plus the kept LSB carries exactly when the
      // remainder is above half, or equal to it with an odd kept part.
      Value keptLsb = band(arith::ShRUIOp::create(b, abs, c32(drop)), c32(1));
      Value biased = add(abs, add(c32((unit >> 1) - 1u), keptLsb));
      magnitude = band(biased, c32(~lowMask));
      break;
    }
    case RoundingMode::stochastic:
      magnitude = band(add(abs, band(randomBits, c32(lowMask))), c32(~lowMask));
      break;
    }
  }
  if (format.getSubnormals() == SubnormalPolicy::flush)
    magnitude = select(P::ult, magnitude, minNormalBits, 0, magnitude);
  // Overflow and infinities. With the default `inf` policy nothing needs
  // doing: every result is a multiple of the quantum, so a rounded finite
  // value beyond the largest finite one is exactly the infinity pattern
  // (rounding toward zero never gets there), and an infinite input stays
  // infinite. `saturate` clamps both to the largest finite value.
  if (saturate) {
    magnitude =
        select(P::ugt, magnitude, maxFiniteBits, maxFiniteBits, magnitude);
    magnitude = select(P::eq, abs, kInfBits, maxFiniteBits, magnitude);
  }
  magnitude = select(P::ugt, abs, kInfBits, kQuietNaN, magnitude);
  return arith::BitcastOp::create(b, b.getF32Type(),
                                  arith::OrIOp::create(b, sign, magnitude));
}

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
    if (!linearIndex) {
      // Row-major linear index, the counter of qopt.quantize's hash.
      Value linear = rank == 0
                         ? arith::ConstantIndexOp::create(bb, 0).getResult()
                         : linalg::IndexOp::create(bb, 0).getResult();
      for (int64_t dim = 1; dim < rank; ++dim)
        linear = arith::AddIOp::create(
            bb, arith::MulIOp::create(bb, linear, sizes[dim]),
            linalg::IndexOp::create(bb, dim));
      linearIndex = arith::IndexCastUIOp::create(bb, bb.getI64Type(), linear);
    }
    randomBits = emitStochasticBits(bb, fused.key, linearIndex);
  }
  if (fused.format.getExpBits() == 8 && fused.format.getManBits() >= 1)
    return emitF32RangeQuantize(bb, value, fused.format, fused.rounding,
                                randomBits);
  return emitQuantizeScalar(bb, value, fused.format, fused.rounding,
                            randomBits);
}
