//===- MasterProbe.cpp - what the theorems bound, compiled into the step --===//
//
// Part of the qopt project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "MasterProbe.h"

#include "qopt/Dialect/QOpt/IR/QOptOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/Interfaces/CallInterfaces.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "llvm/ADT/DenseSet.h"
#include "llvm/ADT/MapVector.h"

#include <cmath>
#include <limits>

using namespace mlir;
using namespace qoptrun;

/// An f32 constant.
static Value f32Constant(OpBuilder &b, Location loc, float value) {
  return arith::ConstantOp::create(b, loc, b.getF32FloatAttr(value));
}

/// Reduces every element of `inputs` (tensors of one shape) into
/// `numAccumulators` f32 scalars that start at `initial`; `combine` gets
/// the input elements and the accumulators and returns the new ones.
static SmallVector<Value>
reduceToScalars(OpBuilder &b, Location loc, ValueRange inputs,
                ArrayRef<float> initial,
                function_ref<SmallVector<Value>(OpBuilder &, Location,
                                                ValueRange, ValueRange)>
                    combine) {
  auto type = cast<RankedTensorType>(inputs.front().getType());
  int64_t rank = type.getRank();
  SmallVector<Value> inits;
  for (float value : initial) {
    Value empty =
        tensor::EmptyOp::create(b, loc, ArrayRef<int64_t>{}, b.getF32Type());
    inits.push_back(
        linalg::FillOp::create(b, loc, f32Constant(b, loc, value), empty)
            .getResult(0));
  }
  SmallVector<AffineMap> maps(inputs.size(), b.getMultiDimIdentityMap(rank));
  maps.append(initial.size(), AffineMap::get(rank, 0, {}, b.getContext()));
  SmallVector<utils::IteratorType> iterators(rank,
                                             utils::IteratorType::reduction);
  unsigned numInputs = inputs.size();
  auto generic = linalg::GenericOp::create(
      b, loc, ValueRange(inits).getTypes(), inputs, inits, maps, iterators,
      [&](OpBuilder &nested, Location nestedLoc, ValueRange args) {
        SmallVector<Value> next =
            combine(nested, nestedLoc, args.take_front(numInputs),
                    args.drop_front(numInputs));
        linalg::YieldOp::create(nested, nestedLoc, next);
      });
  SmallVector<Value> scalars;
  for (Value result : generic.getResults())
    scalars.push_back(
        tensor::ExtractOp::create(b, loc, result, ValueRange{}).getResult());
  return scalars;
}

Value qoptrun::buildEuclideanNorm(OpBuilder &b, Location loc,
                                  ValueRange tensors) {
  Value total = f32Constant(b, loc, 0.0f);
  for (Value tensor : tensors) {
    Value sum = reduceToScalars(
        b, loc, tensor, {0.0f},
        [](OpBuilder &nested, Location nestedLoc, ValueRange in,
           ValueRange acc) -> SmallVector<Value> {
          Value square = arith::MulFOp::create(nested, nestedLoc, in[0], in[0]);
          return {arith::AddFOp::create(nested, nestedLoc, acc[0], square)};
        })[0];
    total = arith::AddFOp::create(b, loc, total, sum);
  }
  return math::SqrtOp::create(b, loc, total);
}

/// Per quantize: max relative error, sum of squared relative errors, count
/// of values in the model, underflows to zero, overflows (see MasterProbe.h).
static SmallVector<Value> buildErrorStatistics(OpBuilder &b, Location loc,
                                               qopt::QuantizeOp quantize) {
  float largest = quantize.getFormat().getLargestFinite();
  return reduceToScalars(
      b, loc, ValueRange{quantize.getInput(), quantize.getResult()},
      {0.0f, 0.0f, 0.0f, 0.0f, 0.0f},
      [&](OpBuilder &nb, Location l, ValueRange in,
          ValueRange acc) -> SmallVector<Value> {
        using P = arith::CmpFPredicate;
        Value x = in[0], y = in[1];
        Value zero = f32Constant(nb, l, 0.0f);
        Value one = f32Constant(nb, l, 1.0f);
        Value f32Max = f32Constant(nb, l, std::numeric_limits<float>::max());
        Value ax = math::AbsFOp::create(nb, l, x);
        Value ay = math::AbsFOp::create(nb, l, y);
        // Ordered comparisons are false for NaN: a NaN input is outside
        // the model and counts nowhere.
        Value finiteX = arith::CmpFOp::create(nb, l, P::OLE, ax, f32Max);
        Value nonzero = arith::CmpFOp::create(nb, l, P::OGT, ax, zero);
        Value finiteY = arith::CmpFOp::create(nb, l, P::OLE, ay, f32Max);
        Value beyond = arith::CmpFOp::create(nb, l, P::OGT, ax,
                                             f32Constant(nb, l, largest));
        Value infiniteY = arith::XOrIOp::create(
            nb, l, finiteY,
            arith::ConstantIntOp::create(nb, l, nb.getI1Type(), 1));
        Value overflow = arith::AndIOp::create(
            nb, l, finiteX, arith::OrIOp::create(nb, l, infiniteY, beyond));
        Value yZero = arith::CmpFOp::create(nb, l, P::OEQ, ay, zero);
        Value underflow = arith::AndIOp::create(
            nb, l, arith::AndIOp::create(nb, l, finiteX, nonzero), yZero);
        Value inModel = arith::AndIOp::create(
            nb, l, arith::AndIOp::create(nb, l, finiteX, nonzero),
            arith::XOrIOp::create(
                nb, l, arith::OrIOp::create(nb, l, overflow, underflow),
                arith::ConstantIntOp::create(nb, l, nb.getI1Type(), 1)));
        Value diff =
            math::AbsFOp::create(nb, l, arith::SubFOp::create(nb, l, y, x));
        // The division is guarded: outside the model the error is 0.
        Value safeAx = arith::SelectOp::create(nb, l, inModel, ax, one);
        Value rel = arith::SelectOp::create(
            nb, l, inModel, arith::DivFOp::create(nb, l, diff, safeAx), zero);
        auto count = [&](Value flag) {
          return arith::SelectOp::create(nb, l, flag, one, zero).getResult();
        };
        return {arith::MaxNumFOp::create(nb, l, acc[0], rel),
                arith::AddFOp::create(nb, l, acc[1],
                                      arith::MulFOp::create(nb, l, rel, rel)),
                arith::AddFOp::create(nb, l, acc[2], count(inModel)),
                arith::AddFOp::create(nb, l, acc[3], count(underflow)),
                arith::AddFOp::create(nb, l, acc[4], count(overflow))};
      });
}

/// Short column prefix of a component.
static StringRef getShortName(qopt::Component component) {
  switch (component) {
  case qopt::Component::weight:
    return "w";
  case qopt::Component::grad:
    return "g";
  case qopt::Component::first_moment:
    return "m";
  case qopt::Component::second_moment:
    return "v";
  }
  return "x";
}

/// Appends `values` as results of `func` (returned by `returnOp`).
static void appendResults(func::FuncOp func, func::ReturnOp returnOp,
                          ValueRange values) {
  // insertResult keeps the result attributes (narrow storage sets some)
  // in step with the results.
  for (Value value : values)
    (void)func.insertResult(func.getNumResults(), value.getType(),
                            DictionaryAttr());
  returnOp.getOperandsMutable().append(values);
}

LogicalResult qoptrun::addMasterProbe(func::FuncOp func, unsigned numState,
                                      bool errorBudget, ProbeLayout &layout) {
  if (!func.getBody().hasOneBlock())
    return func.emitError("qopt-run: the master-weight probe needs a "
                          "@train_step with a single block");
  Block &body = func.getBody().front();
  auto returnOp = cast<func::ReturnOp>(body.getTerminator());
  if (returnOp.getNumOperands() <= numState)
    return func.emitError("qopt-run: @train_step returns no loss");
  Value loss = returnOp.getOperand(numState);

  // The weight quantizes to bypass, and the gradients as computed (before
  // their own quantization).
  IRMapping bypass;
  SmallVector<Value> grads;
  llvm::MapVector<qopt::Component, SmallVector<qopt::QuantizeOp>> tagged;
  for (Operation &op : body) {
    if (auto quantize = dyn_cast<qopt::QuantizeOp>(op)) {
      if (std::optional<qopt::Component> component = quantize.getComponent()) {
        tagged[*component].push_back(quantize);
        if (*component == qopt::Component::weight)
          bypass.map(quantize.getResult(), quantize.getInput());
      }
      continue;
    }
    Value grad;
    if (auto adam = dyn_cast<qopt::AdamUpdateOp>(op))
      grad = adam.getGrad();
    else if (auto muon = dyn_cast<qopt::MuonUpdateOp>(op))
      grad = muon.getGrad();
    else
      continue;
    if (auto quantize = grad.getDefiningOp<qopt::QuantizeOp>();
        quantize && quantize.getComponent() == qopt::Component::grad)
      grad = quantize.getInput();
    grads.push_back(grad);
  }

  // The ops that read a quantized weight, directly or through others.
  llvm::DenseSet<Value> tainted;
  for (Operation &op : body)
    if (auto quantize = dyn_cast<qopt::QuantizeOp>(op);
        quantize && bypass.contains(quantize.getResult()))
      tainted.insert(quantize.getResult());
  llvm::DenseSet<Operation *> taintedOps;
  for (Operation &op : body) {
    if (isa<qopt::QuantizeOp, qopt::AdamUpdateOp, qopt::MuonUpdateOp,
            func::ReturnOp>(op))
      continue;
    bool reads = false;
    op.walk([&](Operation *inner) {
      for (Value operand : inner->getOperands())
        reads |= tainted.contains(operand);
    });
    if (!reads)
      continue;
    taintedOps.insert(&op);
    for (Value result : op.getResults())
      tainted.insert(result);
  }
  // Of those, the ones the loss and the gradients need.
  llvm::DenseSet<Operation *> needed;
  SmallVector<Value> worklist(grads.begin(), grads.end());
  worklist.push_back(loss);
  while (!worklist.empty()) {
    Operation *def = worklist.pop_back_val().getDefiningOp();
    if (!def || !taintedOps.contains(def) || !needed.insert(def).second)
      continue;
    def->walk([&](Operation *inner) {
      for (Value operand : inner->getOperands())
        worklist.push_back(operand);
    });
  }
  SmallVector<Operation *> toClone;
  for (Operation &op : body)
    if (needed.contains(&op))
      toClone.push_back(&op);
  for (Operation *op : toClone) {
    // Calls were checked by qopt-insert-quantization: their callees compute
    // without updating parameters.
    if (isa<CallOpInterface>(op) || isMemoryEffectFree(op))
      continue;
    return op->emitError("qopt-run: the master-weight probe would run this "
                         "op a second time, and it has side effects");
  }

  MLIRContext *ctx = func.getContext();
  OpBuilder b(ctx);
  Location loc = func.getLoc();
  unsigned probeIndex = func.getNumArguments();
  (void)func.insertArgument(
      probeIndex, b.getI64Type(),
      b.getDictionaryAttr(b.getNamedAttr("qopt.probe", b.getUnitAttr())), loc);
  Value probeArg = func.getArgument(probeIndex);
  Type f32 = b.getF32Type();
  float nan = std::numeric_limits<float>::quiet_NaN();
  unsigned nextResult = returnOp.getNumOperands();

  layout.cloned = !toClone.empty();
  if (!layout.cloned) {
    // Nothing reads a quantized weight: the master values are the step's.
    layout.masterLoss = numState;
    layout.masterGradNorm = nextResult - 1; // the runner's gradient norm
    layout.gradGap = std::nullopt;          // zero: nothing is quantized
  } else {
    b.setInsertionPointAfter(toClone.back());
    Value zero = arith::ConstantIntOp::create(b, loc, b.getI64Type(), 0);
    Value probing =
        arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ne, probeArg, zero);
    auto ifOp = scf::IfOp::create(b, loc, TypeRange{f32, f32, f32}, probing,
                                  /*withElseRegion=*/true);
    OpBuilder thenBuilder = ifOp.getThenBodyBuilder();
    IRMapping mapping = bypass;
    for (Operation *op : toClone)
      thenBuilder.clone(*op, mapping);
    SmallVector<Value> masterGrads;
    for (Value grad : grads)
      masterGrads.push_back(mapping.lookupOrDefault(grad));
    Value masterNorm = buildEuclideanNorm(thenBuilder, loc, masterGrads);
    // ||grad f(Q_W(W)) - grad f(W)||: how far evaluating at the quantized
    // weights moves the gradient.
    SmallVector<Value> gaps;
    for (auto [worker, master] : llvm::zip(grads, masterGrads)) {
      auto type = cast<RankedTensorType>(worker.getType());
      Value empty = tensor::EmptyOp::create(thenBuilder, loc, type.getShape(),
                                            type.getElementType());
      SmallVector<AffineMap> maps(
          3, thenBuilder.getMultiDimIdentityMap(type.getRank()));
      SmallVector<utils::IteratorType> iterators(type.getRank(),
                                                 utils::IteratorType::parallel);
      gaps.push_back(
          linalg::GenericOp::create(
              thenBuilder, loc, TypeRange{type}, ValueRange{worker, master},
              ValueRange{empty}, maps, iterators,
              [](OpBuilder &nested, Location nestedLoc, ValueRange args) {
                linalg::YieldOp::create(
                    nested, nestedLoc,
                    arith::SubFOp::create(nested, nestedLoc, args[0], args[1])
                        .getResult());
              })
              .getResult(0));
    }
    Value gapNorm = buildEuclideanNorm(thenBuilder, loc, gaps);
    scf::YieldOp::create(
        thenBuilder, loc,
        ValueRange{mapping.lookupOrDefault(loss), masterNorm, gapNorm});
    OpBuilder elseBuilder = ifOp.getElseBodyBuilder();
    Value nanValue = f32Constant(elseBuilder, loc, nan);
    scf::YieldOp::create(elseBuilder, loc,
                         ValueRange{nanValue, nanValue, nanValue});
    layout.masterLoss = nextResult;
    layout.masterGradNorm = nextResult + 1;
    layout.gradGap = nextResult + 2;
    nextResult += 3;
    appendResults(func, returnOp, ifOp.getResults());
  }
  if (!errorBudget)
    return success();

  // The error budget, measured after every quantize has run.
  SmallVector<BudgetComponent> components;
  SmallVector<Type> types;
  for (auto &[component, quantizes] : tagged) {
    BudgetComponent entry;
    entry.name = qopt::stringifyComponent(component).str();
    entry.shortName = getShortName(component).str();
    for (qopt::QuantizeOp quantize : quantizes)
      entry.unit = std::max(
          entry.unit, std::ldexp(1.0, -int(quantize.getFormat().getManBits())));
    entry.relMax = nextResult;
    entry.relRms = nextResult + 1;
    entry.underflows = nextResult + 2;
    entry.overflows = nextResult + 3;
    nextResult += 4;
    components.push_back(entry);
    types.append(4, f32);
  }
  if (components.empty())
    return success();
  b.setInsertionPoint(returnOp);
  Value zero = arith::ConstantIntOp::create(b, loc, b.getI64Type(), 0);
  Value probing =
      arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ne, probeArg, zero);
  auto ifOp = scf::IfOp::create(b, loc, types, probing,
                                /*withElseRegion=*/true);
  OpBuilder tb = ifOp.getThenBodyBuilder();
  SmallVector<Value> values;
  for (auto &[component, quantizes] : tagged) {
    Value relMax = f32Constant(tb, loc, 0.0f), sumSq = relMax, count = relMax,
          underflows = relMax, overflows = relMax;
    for (qopt::QuantizeOp quantize : quantizes) {
      SmallVector<Value> s = buildErrorStatistics(tb, loc, quantize);
      relMax = arith::MaxNumFOp::create(tb, loc, relMax, s[0]);
      sumSq = arith::AddFOp::create(tb, loc, sumSq, s[1]);
      count = arith::AddFOp::create(tb, loc, count, s[2]);
      underflows = arith::AddFOp::create(tb, loc, underflows, s[3]);
      overflows = arith::AddFOp::create(tb, loc, overflows, s[4]);
    }
    Value atLeastOne =
        arith::MaxNumFOp::create(tb, loc, count, f32Constant(tb, loc, 1.0f));
    Value rms = math::SqrtOp::create(
        tb, loc, arith::DivFOp::create(tb, loc, sumSq, atLeastOne));
    values.append({relMax, rms, underflows, overflows});
  }
  scf::YieldOp::create(tb, loc, values);
  OpBuilder eb = ifOp.getElseBodyBuilder();
  Value nanValue = f32Constant(eb, loc, nan);
  scf::YieldOp::create(eb, loc, SmallVector<Value>(values.size(), nanValue));
  appendResults(func, returnOp, ifOp.getResults());
  layout.budget.assign(components.begin(), components.end());
  return success();
}
