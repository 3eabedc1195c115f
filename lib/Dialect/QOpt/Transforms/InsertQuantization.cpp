//===- InsertQuantization.cpp - the qopt-insert-quantization pass ---------===//
//
// Part of the qopt project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Puts a component-tagged qopt.quantize at the four boundaries of every
// training step (weights read by forward/backward, the gradient, the stored
// first and second moments) around qopt.adam_update and qopt.muon_update.
//
//===----------------------------------------------------------------------===//

#include "qopt/Dialect/QOpt/Transforms/Passes.h"

#include "qopt/Dialect/QOpt/IR/QOptOps.h"

#include "mlir/AsmParser/AsmParser.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/Dominance.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Interfaces/CallInterfaces.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/SmallPtrSet.h"

namespace mlir {
namespace qopt {
#define GEN_PASS_DEF_INSERTQUANTIZATIONPASS
#include "qopt/Dialect/QOpt/Transforms/Passes.h.inc"
} // namespace qopt
} // namespace mlir

using namespace mlir;
using namespace mlir::qopt;

/// Names of the function-argument attributes that provide the seed and step
/// of stochastic rounding.
static constexpr llvm::StringLiteral kSeedArgAttr = "qopt.seed";
static constexpr llvm::StringLiteral kStepArgAttr = "qopt.step";

/// True when `op` is a qopt.quantize tagged with `component`.
static bool isTaggedQuantize(Operation *op, Component component) {
  auto quantize = dyn_cast_or_null<QuantizeOp>(op);
  return quantize && quantize.getComponent() == component;
}

/// True when `callable` is a callable with a non-empty body.
static bool hasBody(Operation *callable) {
  auto callableOp = dyn_cast_or_null<CallableOpInterface>(callable);
  return callableOp && callableOp.getCallableRegion() &&
         !callableOp.getCallableRegion()->empty();
}

/// True when `callable` has a body that contains no optimizer update,
/// directly or through the functions it calls. `visiting` breaks recursion
/// (a recursive callee is judged by the rest of its body).
static bool isPureComputation(Operation *callable, SymbolTableCollection &table,
                              llvm::SmallPtrSetImpl<Operation *> &visiting) {
  if (!hasBody(callable))
    return false;
  auto callableOp = cast<CallableOpInterface>(callable);
  if (!visiting.insert(callable).second)
    return true;
  WalkResult result = callableOp.getCallableRegion()->walk([&](Operation *op) {
    if (isa<AdamUpdateOp, MuonUpdateOp>(op))
      return WalkResult::interrupt();
    if (auto call = dyn_cast<CallOpInterface>(op)) {
      Operation *callee = call.resolveCallableInTable(&table);
      if (!callee || !isPureComputation(callee, table, visiting))
        return WalkResult::interrupt();
    }
    return WalkResult::advance();
  });
  return !result.wasInterrupted();
}

namespace {
/// Inserts the quantizes of one function. Holds what the options resolved to
/// and the state of stochastic rounding (seed, step, point counter).
class FunctionQuantizer {
public:
  FunctionQuantizer(FunctionOpInterface func, FloatFormatAttr format,
                    RoundingMode rounding, SymbolTableCollection &table)
      : func(func), format(format), rounding(rounding), table(table) {}

  /// Checks the guards of `update` (weight `weight`) that do not depend on
  /// the enabled components.
  LogicalResult checkWeightUses(Operation *update, Value weight);

  /// Quantizes every use of `value` except `keep` and existing quantizes;
  /// new quantize after the definition of `value`.
  LogicalResult quantizeUses(Value value, Component component, Operation *keep,
                             Operation *update);

  /// Replaces operand `operand` of `update` by its quantization.
  LogicalResult quantizeOperand(OpOperand &operand, Component component,
                                Operation *update);

private:
  /// Creates the quantize of `input` at the builder's insertion point.
  FailureOr<Value> createQuantize(OpBuilder &builder, Location loc, Value input,
                                  Component component, Operation *update);
  /// The (seed, step) values of a stochastic quantize of `update`'s step.
  FailureOr<std::pair<Value, Value>> resolveSeedAndStep(Operation *update);
  /// The function argument that carries `attrName`, or null.
  Value findMarkedArgument(StringRef attrName);

  FunctionOpInterface func;
  FloatFormatAttr format;
  RoundingMode rounding;
  SymbolTableCollection &table;
  /// The last quantize of a block argument put at the top of each block.
  llvm::DenseMap<Block *, Operation *> topOfBlock;
  /// Index of the next stochastic point, its stream.
  int64_t nextPoint = 0;
};
} // namespace

Value FunctionQuantizer::findMarkedArgument(StringRef attrName) {
  for (unsigned i = 0, e = func.getNumArguments(); i < e; ++i)
    if (func.getArgAttr(i, attrName))
      return func.getArgument(i);
  return {};
}

FailureOr<std::pair<Value, Value>>
FunctionQuantizer::resolveSeedAndStep(Operation *update) {
  Value seed = findMarkedArgument(kSeedArgAttr);
  if (!seed || !seed.getType().isInteger(64))
    return update->emitOpError()
           << "needs an i64 argument of '" << func.getName() << "' marked {"
           << kSeedArgAttr
           << "} to seed the stochastic rounding of its quantization points";
  Value step = findMarkedArgument(kStepArgAttr);
  if (!step)
    if (auto adam = dyn_cast<AdamUpdateOp>(update))
      step = adam.getStep();
  if (!step || !step.getType().isInteger(64))
    return update->emitOpError()
           << "needs an i64 argument of '" << func.getName() << "' marked {"
           << kStepArgAttr
           << "} as the step of stochastic rounding (only Adam has a step "
              "operand to fall back on)";
  return std::make_pair(seed, step);
}

FailureOr<Value> FunctionQuantizer::createQuantize(OpBuilder &builder,
                                                   Location loc, Value input,
                                                   Component component,
                                                   Operation *update) {
  MLIRContext *ctx = builder.getContext();
  auto roundingAttr = RoundingModeAttr::get(ctx, rounding);
  auto componentAttr = ComponentAttr::get(ctx, component);
  if (rounding != RoundingMode::stochastic)
    return QuantizeOp::create(builder, loc, input.getType(), input, format,
                              roundingAttr, componentAttr, /*seed=*/Value(),
                              /*step=*/Value(), /*stream=*/IntegerAttr())
        .getResult();

  FailureOr<std::pair<Value, Value>> seedAndStep = resolveSeedAndStep(update);
  if (failed(seedAndStep))
    return failure();
  // Distinct points get distinct streams, so their random bits are
  // independent though they share the seed and step.
  return QuantizeOp::create(builder, loc, input.getType(), input, format,
                            roundingAttr, componentAttr, seedAndStep->first,
                            seedAndStep->second,
                            builder.getI64IntegerAttr(nextPoint++))
      .getResult();
}

LogicalResult FunctionQuantizer::checkWeightUses(Operation *update,
                                                 Value weight) {
  for (OpOperand &use : weight.getUses()) {
    Operation *user = use.getOwner();
    if (user == update || isa<QuantizeOp>(user))
      continue;
    if (isa<AdamUpdateOp, MuonUpdateOp>(user) && use.getOperandNumber() == 0) {
      InFlightDiagnostic diag =
          user->emitOpError()
          << "updates a weight that another optimizer op also updates; "
             "qopt-insert-quantization expects one master weight per update";
      diag.attachNote(update->getLoc()) << "other update here";
      return diag;
    }
    if (auto call = dyn_cast<CallOpInterface>(user)) {
      Operation *callee = call.resolveCallableInTable(&table);
      llvm::SmallPtrSet<Operation *, 4> visiting;
      if (!callee || !isPureComputation(callee, table, visiting)) {
        InFlightDiagnostic diag =
            user->emitOpError()
            << "receives a weight updated by a qopt optimizer op, but its "
               "callee "
            << (hasBody(callee) ? "updates parameters itself"
                                : "has no body to inspect")
            << "; qopt-insert-quantization cannot tell whether it must see "
               "the quantized or the master weight (inline the call first)";
        diag.attachNote(update->getLoc()) << "weight updated here";
        return diag;
      }
    }
  }
  return success();
}

LogicalResult FunctionQuantizer::quantizeUses(Value value, Component component,
                                              Operation *keep,
                                              Operation *update) {
  SmallVector<OpOperand *> uses;
  Value existing;
  for (OpOperand &use : value.getUses()) {
    Operation *user = use.getOwner();
    if (isTaggedQuantize(user, component) && !existing)
      existing = user->getResult(0);
    // The update keeps the master value; an explicit quantize is already a
    // boundary.
    if (user == keep || isa<QuantizeOp>(user))
      continue;
    uses.push_back(&use);
  }
  if (uses.empty())
    return success();

  Value quantized = existing;
  if (!quantized) {
    OpBuilder builder(value.getContext());
    // Quantizes of block arguments go at the top of the block, after those
    // already put there, so they appear in argument-processing order.
    auto arg = dyn_cast<BlockArgument>(value);
    if (arg && topOfBlock.count(arg.getOwner()))
      builder.setInsertionPointAfter(topOfBlock[arg.getOwner()]);
    else if (arg)
      builder.setInsertionPointToStart(arg.getOwner());
    else
      builder.setInsertionPointAfter(value.getDefiningOp());
    // A stochastic quantize also reads the step, which may be defined after
    // `value` (Adam's step operand): place it after both.
    if (rounding == RoundingMode::stochastic) {
      FailureOr<std::pair<Value, Value>> seedAndStep =
          resolveSeedAndStep(update);
      if (failed(seedAndStep))
        return failure();
      Operation *stepDef = seedAndStep->second.getDefiningOp();
      if (stepDef && stepDef->getBlock() == builder.getInsertionBlock() &&
          (builder.getInsertionPoint() == builder.getInsertionBlock()->end() ||
           !stepDef->isBeforeInBlock(&*builder.getInsertionPoint())))
        builder.setInsertionPointAfter(stepDef);
    }
    FailureOr<Value> created =
        createQuantize(builder, value.getLoc(), value, component, update);
    if (failed(created))
      return failure();
    quantized = *created;
    if (arg && quantized.getParentBlock() == arg.getOwner())
      topOfBlock[arg.getOwner()] = quantized.getDefiningOp();
  }
  // Every use must come after the quantize (the step may be defined after a
  // use of the weight, or in another block).
  DominanceInfo dominance(func);
  for (OpOperand *use : uses) {
    if (!dominance.properlyDominates(quantized, use->getOwner())) {
      InFlightDiagnostic diag =
          use->getOwner()->emitOpError()
          << "uses a value that must be quantized, but the quantize (with its "
             "stochastic step) cannot be placed before this use; mark an i64 "
             "argument {"
          << kStepArgAttr << "}";
      diag.attachNote(update->getLoc()) << "optimizer update here";
      return diag;
    }
  }
  for (OpOperand *use : uses)
    use->set(quantized);
  return success();
}

LogicalResult FunctionQuantizer::quantizeOperand(OpOperand &operand,
                                                 Component component,
                                                 Operation *update) {
  if (isTaggedQuantize(operand.get().getDefiningOp(), component))
    return success();
  OpBuilder builder(update);
  FailureOr<Value> created = createQuantize(builder, update->getLoc(),
                                            operand.get(), component, update);
  if (failed(created))
    return failure();
  operand.set(*created);
  return success();
}

namespace {
struct InsertQuantizationPass
    : qopt::impl::InsertQuantizationPassBase<InsertQuantizationPass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    MLIRContext *ctx = &getContext();

    // Resolve the options once; bad values are errors, not silent defaults.
    // The attribute parser's own message (at an unknown location) is folded
    // into one error on the module.
    std::string parseMessage;
    FloatFormatAttr parsed;
    {
      ScopedDiagnosticHandler capture(ctx, [&](Diagnostic &diag) {
        parseMessage = diag.str();
        return success();
      });
      parsed = dyn_cast_or_null<FloatFormatAttr>(
          parseAttribute("#qopt.format<" + format + ">", ctx));
    }
    if (!parsed) {
      module.emitError() << "qopt-insert-quantization: invalid format '"
                         << format << "': " << parseMessage;
      return signalPassFailure();
    }
    std::optional<RoundingMode> roundingMode = symbolizeRoundingMode(rounding);
    if (!roundingMode) {
      module.emitError() << "qopt-insert-quantization: invalid rounding '"
                         << rounding
                         << "' (expected nearest_even, toward_zero or "
                            "stochastic)";
      return signalPassFailure();
    }
    bool enabled[4] = {components.empty(), components.empty(),
                       components.empty(), components.empty()};
    for (const std::string &name : components) {
      std::optional<Component> component = symbolizeComponent(name);
      if (!component) {
        module.emitError() << "qopt-insert-quantization: unknown component '"
                           << name
                           << "' (expected weight, grad, first_moment or "
                              "second_moment)";
        return signalPassFailure();
      }
      enabled[static_cast<unsigned>(*component)] = true;
    }
    auto on = [&](Component c) { return enabled[static_cast<unsigned>(c)]; };

    SymbolTableCollection table;
    bool anyUpdate = false;
    for (auto func : module.getOps<FunctionOpInterface>()) {
      SmallVector<Operation *> updates;
      func.walk([&](Operation *op) {
        if (isa<AdamUpdateOp, MuonUpdateOp>(op))
          updates.push_back(op);
      });
      anyUpdate |= !updates.empty();
      FunctionQuantizer quantizer(func, parsed, *roundingMode, table);
      for (Operation *update : updates) {
        Value weight = update->getOperand(0);
        if (failed(quantizer.checkWeightUses(update, weight)))
          return signalPassFailure();
      }
      for (Operation *update : updates) {
        Value weight = update->getOperand(0);
        if (on(Component::weight) &&
            failed(quantizer.quantizeUses(weight, Component::weight, update,
                                          update)))
          return signalPassFailure();
        if (on(Component::grad) &&
            failed(quantizer.quantizeOperand(update->getOpOperand(1),
                                             Component::grad, update)))
          return signalPassFailure();
        // Results: Adam (w', m', v'), Muon (W', B'). Each new quantize goes
        // right after the update, so the second moment is done first to
        // leave the moments in order.
        if (on(Component::second_moment) && isa<AdamUpdateOp>(update) &&
            failed(quantizer.quantizeUses(update->getResult(2),
                                          Component::second_moment, nullptr,
                                          update)))
          return signalPassFailure();
        if (on(Component::first_moment) &&
            failed(quantizer.quantizeUses(update->getResult(1),
                                          Component::first_moment, nullptr,
                                          update)))
          return signalPassFailure();
      }
    }
    // Silence here would let a framework-written optimizer (plain linalg)
    // pass through unquantized without anyone noticing.
    if (!anyUpdate)
      module.emitWarning()
          << "qopt-insert-quantization: no qopt.adam_update or "
             "qopt.muon_update in the module, so nothing was quantized; an "
             "optimizer written as plain linalg/arith must be raised to qopt "
             "ops first";
  }
};
} // namespace
