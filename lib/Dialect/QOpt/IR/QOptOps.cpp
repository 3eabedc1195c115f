//===- QOptOps.cpp - qopt operations --------------------------------------===//
//
// Part of the qopt project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "qopt/Dialect/QOpt/IR/QOptOps.h"
#include "qopt/Dialect/QOpt/IR/Storage.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/OpImplementation.h"
#include "llvm/ADT/DenseSet.h"
#include "llvm/Support/CheckedArithmetic.h"

#include <cmath>
#include <cstdio>
#include <string>

using namespace mlir;
using namespace mlir::qopt;

#define GET_OP_CLASSES
#include "qopt/Dialect/QOpt/IR/QOptOps.cpp.inc"

//===----------------------------------------------------------------------===//
// Hyper-parameter checks shared by the optimizer ops
//===----------------------------------------------------------------------===//

/// Prints a hyper-parameter the way a user wrote it (0.1, not 1.000000e-01).
static std::string formatValue(float value) {
  char buffer[32];
  std::snprintf(buffer, sizeof(buffer), "%g", static_cast<double>(value));
  return buffer;
}

/// Checks 0 <= value < 1, the range of Adam's betas and Muon's momentum.
static LogicalResult verifyUnitInterval(Operation *op, StringRef name,
                                        float value) {
  if (!(value >= 0.0f && value < 1.0f))
    return op->emitOpError()
           << "expects " << name << " in [0, 1), got " << formatValue(value);
  return success();
}

/// Checks a finite, non-negative value (learning rate, weight decay).
static LogicalResult verifyNonNegative(Operation *op, StringRef name,
                                       float value) {
  if (!std::isfinite(value) || value < 0.0f)
    return op->emitOpError()
           << "expects " << name << " to be finite and non-negative, got "
           << formatValue(value);
  return success();
}

/// Checks a finite, strictly positive value (the epsilons).
static LogicalResult verifyPositive(Operation *op, StringRef name,
                                    float value) {
  if (!std::isfinite(value) || value <= 0.0f)
    return op->emitOpError()
           << "expects " << name << " to be finite and positive, got "
           << formatValue(value);
  return success();
}

//===----------------------------------------------------------------------===//
// QuantizeOp
//===----------------------------------------------------------------------===//

LogicalResult QuantizeOp::verify() {
  bool stochastic = getRounding() == RoundingMode::stochastic;
  if (stochastic && (!getSeed() || !getStep()))
    return emitOpError("stochastic rounding needs both 'seed' and 'step' "
                       "operands");
  if (!stochastic && (getSeed() || getStep()))
    return emitOpError("'seed' and 'step' are only allowed with stochastic "
                       "rounding, got rounding ")
           << stringifyRoundingMode(getRounding());
  if (!stochastic && getStream())
    return emitOpError("'stream' is only allowed with stochastic rounding, "
                       "got rounding ")
           << stringifyRoundingMode(getRounding());
  return success();
}

unsigned mlir::qopt::assignQuantizeStreams(Operation *root) {
  llvm::DenseSet<int64_t> taken;
  SmallVector<QuantizeOp> unkeyed;
  root->walk([&](QuantizeOp op) {
    if (std::optional<int64_t> stream = op.getStream())
      taken.insert(*stream);
    else if (op.getRounding() == RoundingMode::stochastic)
      unkeyed.push_back(op);
  });
  int64_t next = 0;
  for (QuantizeOp op : unkeyed) {
    while (taken.contains(next))
      ++next;
    op.setStream(next++);
  }
  return unkeyed.size();
}

OpFoldResult QuantizeOp::fold(FoldAdaptor adaptor) {
  // Quantizing to f32 itself is not folded away: it turns a signalling NaN
  // into a quiet one, as the semantics say.
  // Values already in the format are representable, so every rounding mode
  // returns them unchanged: quantize(quantize(x, F), F) == quantize(x, F).
  if (auto producer = getInput().getDefiningOp<QuantizeOp>())
    if (producer.getFormat() == getFormat())
      return getInput();
  return {};
}

//===----------------------------------------------------------------------===//
// EncodeOp / DecodeOp
//===----------------------------------------------------------------------===//

/// Checks that `container` (a tensor type) holds every value of `format`.
static LogicalResult verifyContainer(Operation *op, FloatFormatAttr format,
                                     Type container) {
  Type element = cast<RankedTensorType>(container).getElementType();
  if (getStorageLayout(format, element))
    return success();
  InFlightDiagnostic diag = op->emitOpError()
                            << "container element type " << element
                            << " cannot hold every value of " << format;
  if (isa<IntegerType>(element))
    diag << ": the format needs " << getFormatLayout(format).bits() << " bits";
  else
    diag << " (range, precision, subnormals, infinity or NaN)";
  StorageChoice choice = getStorageChoice(format);
  diag << "; smallest exact container: " << choice.elementType;
  return diag;
}

LogicalResult EncodeOp::verify() {
  return verifyContainer(getOperation(), getFormat(), getResult().getType());
}

LogicalResult DecodeOp::verify() {
  return verifyContainer(getOperation(), getFormat(), getInput().getType());
}

//===----------------------------------------------------------------------===//
// AllGatherSumOp
//===----------------------------------------------------------------------===//

/// The checks of an exchange of `input` over `ranks` ranks whose receive
/// buffer holds `gathered` copies of the codes.
static LogicalResult verifyExchange(Operation *op, RankedTensorType type,
                                    std::optional<FloatFormatAttr> format,
                                    int64_t ranks, int64_t gathered) {
  if (ranks < 1)
    return op->emitOpError() << "needs at least one rank, got " << ranks;
  if (!type.hasStaticShape())
    return op->emitOpError() << "needs a static shape (the bytes exchanged "
                                "are fixed at compile time), got "
                             << type;
  // The receive buffer holds `gathered` copies of the codes: its size must
  // fit.
  unsigned bytes = format ? getStorageChoice(*format).bytes : 4;
  int64_t total = gathered;
  for (int64_t size : type.getShape()) {
    std::optional<int64_t> product = llvm::checkedMul(total, size);
    if (!product)
      return op->emitOpError() << "exchanges too many bytes: " << ranks
                               << " ranks of " << type << " overflow";
    total = *product;
  }
  if (!llvm::checkedMul(total, int64_t(bytes)))
    return op->emitOpError() << "exchanges too many bytes: " << ranks
                             << " ranks of " << type << " overflow";
  return success();
}

LogicalResult AllGatherSumOp::verify() {
  return verifyExchange(*this, getInput().getType(), getFormat(), getRanks(),
                        getRanks());
}

//===----------------------------------------------------------------------===//
// GatherSumOp
//===----------------------------------------------------------------------===//

LogicalResult GatherSumOp::verify() {
  return verifyExchange(*this, getInput().getType(), getFormat(), getRanks(),
                        getRanks());
}

//===----------------------------------------------------------------------===//
// BroadcastOp
//===----------------------------------------------------------------------===//

LogicalResult BroadcastOp::verify() {
  return verifyExchange(*this, getInput().getType(), getFormat(), getRanks(),
                        /*gathered=*/1);
}

//===----------------------------------------------------------------------===//
// AdamUpdateOp
//===----------------------------------------------------------------------===//

/// Checks that a hyper-parameter is not given both as the attribute `attr`
/// and as the operand `operand`. An attribute with a default always holds a
/// value: there, only one other than `def` counts as given.
static LogicalResult verifyAttrOrOperand(Operation *op, StringRef name,
                                         FloatAttr attr, Value operand,
                                         std::optional<float> def = {}) {
  if (attr && def && attr.getValue().convertToFloat() == *def)
    return success();
  if (attr && operand)
    return op->emitOpError()
           << "has '" << name
           << "' both as an attribute and as an operand: give one";
  return success();
}

/// Checks that the learning rate is given, as an attribute or an operand.
static LogicalResult verifyLrGiven(Operation *op, FloatAttr attr,
                                   Value operand) {
  if (!attr && !operand)
    return op->emitOpError()
           << "requires 'lr', as an attribute or as an operand `lr(%x)`";
  return verifyAttrOrOperand(op, "lr", attr, operand);
}

/// The checks of a hyper-parameter's attribute, when it is one (an operand
/// is a precondition at run time).
static LogicalResult
verifyIfAttr(Attribute attr,
             llvm::function_ref<LogicalResult(float)> verifyValue) {
  auto f = dyn_cast_if_present<FloatAttr>(attr);
  return f ? verifyValue(f.getValue().convertToFloat()) : success();
}

LogicalResult AdamUpdateOp::verify() {
  Operation *op = getOperation();
  if (failed(verifyLrGiven(op, getLrAttr(), getDynamicLr())) ||
      failed(verifyAttrOrOperand(op, "beta1", getBeta1Attr(), getDynamicBeta1(),
                                 0.9f)) ||
      failed(verifyAttrOrOperand(op, "beta2", getBeta2Attr(), getDynamicBeta2(),
                                 0.999f)) ||
      failed(verifyAttrOrOperand(op, "epsilon", getEpsilonAttr(),
                                 getDynamicEpsilon(), 1.0e-8f)) ||
      failed(verifyAttrOrOperand(op, "weight_decay", getWeightDecayAttr(),
                                 getDynamicWeightDecay(), 0.0f)))
    return failure();
  auto nonNegative = [&](StringRef name) {
    return [=](float v) { return verifyNonNegative(op, name, v); };
  };
  auto unitInterval = [&](StringRef name) {
    return [=](float v) { return verifyUnitInterval(op, name, v); };
  };
  if (failed(verifyIfAttr(getLrAttr(), nonNegative("lr"))) ||
      failed(verifyIfAttr(getBeta1Attr(), unitInterval("beta1"))) ||
      failed(verifyIfAttr(getBeta2Attr(), unitInterval("beta2"))) ||
      failed(verifyIfAttr(
          getEpsilonAttr(),
          [&](float v) { return verifyPositive(op, "epsilon", v); })) ||
      failed(verifyIfAttr(getWeightDecayAttr(), nonNegative("weight_decay"))))
    return failure();
  return success();
}

//===----------------------------------------------------------------------===//
// MuonUpdateOp
//===----------------------------------------------------------------------===//

/// Upper bound on Newton-Schulz steps: each is three matmuls, and five
/// already orthogonalise well; more is almost certainly a typo.
static constexpr int64_t kMaxNewtonSchulzSteps = 100;

LogicalResult MuonUpdateOp::verify() {
  Operation *op = getOperation();
  auto type = cast<RankedTensorType>(getWeight().getType());
  if (type.getRank() != 2)
    return emitOpError("expects a 2-D weight (Muon orthogonalises matrices), "
                       "got rank ")
           << type.getRank();
  if (failed(verifyLrGiven(op, getLrAttr(), getDynamicLr())) ||
      failed(verifyAttrOrOperand(op, "weight_decay", getWeightDecayAttr(),
                                 getDynamicWeightDecay(), 0.0f)))
    return failure();
  auto nonNegative = [&](StringRef name) {
    return [=](float v) { return verifyNonNegative(op, name, v); };
  };
  if (failed(verifyIfAttr(getLrAttr(), nonNegative("lr"))) ||
      failed(
          verifyUnitInterval(op, "momentum", getMomentum().convertToFloat())) ||
      failed(verifyPositive(op, "epsilon", getEpsilon().convertToFloat())) ||
      failed(verifyIfAttr(getWeightDecayAttr(), nonNegative("weight_decay"))))
    return failure();
  if (getNsSteps() < 1 || getNsSteps() > kMaxNewtonSchulzSteps)
    return emitOpError("expects ns_steps in [1, ")
           << kMaxNewtonSchulzSteps << "], got " << getNsSteps();
  ArrayRef<float> coeffs = getNsCoeffs();
  if (coeffs.size() != 3)
    return emitOpError("expects 3 Newton-Schulz coefficients (a, b, c), got ")
           << coeffs.size();
  if (!llvm::all_of(coeffs, [](float c) { return std::isfinite(c); }))
    return emitOpError("expects finite Newton-Schulz coefficients");
  return success();
}
