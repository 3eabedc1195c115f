//===- NarrowStorage.cpp - the qopt-narrow-storage pass -------------------===//
//
// Part of the qopt project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Moves quantized optimizer state across the function boundary of a
// training step in the smallest container that holds its format exactly:
// the argument is decoded where the update reads it, the quantized new value
// encoded where the function returns it, and calls convert explicitly.
//
//===----------------------------------------------------------------------===//

#include "qopt/Dialect/QOpt/Transforms/Passes.h"

#include "qopt/Dialect/QOpt/IR/QOptOps.h"
#include "qopt/Dialect/QOpt/IR/Storage.h"

#include "mlir/AsmParser/AsmParser.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/SymbolTable.h"
#include "llvm/ADT/StringMap.h"

namespace mlir {
namespace qopt {
#define GEN_PASS_DEF_NARROWSTORAGEPASS
#include "qopt/Dialect/QOpt/Transforms/Passes.h.inc"
} // namespace qopt
} // namespace mlir

using namespace mlir;
using namespace mlir::qopt;

static constexpr llvm::StringLiteral kStorageAttr = "qopt.storage";

namespace {

/// One state that crosses the function boundary narrow.
struct NarrowState {
  BlockArgument arg;
  /// The f32 value the function returns (quantized new state).
  Value stored;
  unsigned resultIndex;
  FloatFormatAttr format;
  Type container;
  /// What the argument is to the update that reads it ("first_moment",
  /// "weight"), for diagnostics.
  StringRef role;
};

/// An (old state operand, new state result, component) pair of an update.
struct StatePair {
  Value operand;
  Value result;
  Component component;
};

class NarrowStoragePass
    : public qopt::impl::NarrowStoragePassBase<NarrowStoragePass> {
public:
  using NarrowStoragePassBase::NarrowStoragePassBase;

  void runOnOperation() override {
    if (failed(parseOptions()))
      return signalPassFailure();
    ModuleOp module = getOperation();
    for (auto func : llvm::to_vector(module.getOps<func::FuncOp>())) {
      if (func.isExternal())
        continue;
      if (quantizedWeights && failed(narrowWeightCopies(module, func)))
        return signalPassFailure();
      SmallVector<NarrowState> states;
      if (failed(collectStates(func, states)))
        return signalPassFailure();
      if (states.empty())
        continue;
      rewriteFunction(func, states);
      if (failed(rewriteCalls(module, func, states)))
        return signalPassFailure();
    }
  }

private:
  LogicalResult parseOptions();
  LogicalResult collectStates(func::FuncOp func,
                              SmallVectorImpl<NarrowState> &states);
  LogicalResult addState(func::FuncOp func, Operation *update,
                         const StatePair &pair,
                         SmallVectorImpl<NarrowState> &states);
  LogicalResult addMasterWeight(func::FuncOp func, Operation *update,
                                unsigned index,
                                SmallVectorImpl<NarrowState> &states);
  LogicalResult narrowWeightCopies(ModuleOp module, func::FuncOp func);
  void rewriteFunction(func::FuncOp func, ArrayRef<NarrowState> states);
  LogicalResult rewriteCalls(ModuleOp module, func::FuncOp func,
                             ArrayRef<NarrowState> states);

  /// Containers chosen by hand, per component.
  llvm::DenseMap<unsigned, Type> forcedContainers;
  FloatFormatAttr masterFormatAttr;
};

} // namespace

LogicalResult NarrowStoragePass::parseOptions() {
  MLIRContext *ctx = &getContext();
  for (const std::string &entry : containers) {
    auto [name, typeText] = StringRef(entry).split('=');
    std::optional<Component> component = symbolizeComponent(name.trim());
    if (!component || typeText.empty())
      return emitError(UnknownLoc::get(ctx))
             << "qopt-narrow-storage: bad containers entry '" << entry
             << "': expected component=type with a component among weight, "
                "grad, first_moment, second_moment";
    Type type = parseType(typeText.trim(), ctx);
    bool narrowFloat =
        type && isa<FloatType>(type) && type.getIntOrFloatBitWidth() <= 16;
    if (!type || !(narrowFloat || type.isSignlessInteger(8) ||
                   type.isSignlessInteger(16)))
      return emitError(UnknownLoc::get(ctx))
             << "qopt-narrow-storage: bad container type '" << typeText
             << "' in '" << entry
             << "': expected bf16, f16, an f8 type, i8 or i16";
    forcedContainers[static_cast<unsigned>(*component)] = type;
  }
  if (!masterFormat.empty()) {
    Attribute attr = parseAttribute("#qopt.format<" + masterFormat + ">", ctx);
    masterFormatAttr = dyn_cast_or_null<FloatFormatAttr>(attr);
    if (!masterFormatAttr)
      return emitError(UnknownLoc::get(ctx))
             << "qopt-narrow-storage: bad master-format '" << masterFormat
             << "'";
  }
  return success();
}

/// The argument of `func`'s entry block that carries the unit attribute
/// `name` (qopt.seed, qopt.step), or null.
static Value findMarkedArgument(func::FuncOp func, StringRef name) {
  for (unsigned i = 0; i < func.getNumArguments(); ++i)
    if (func.getArgAttr(i, name))
      return func.getArgument(i);
  return {};
}

/// The position at which `op`'s result is returned by `func` (its only use
/// must be the return), or nullopt.
static std::optional<unsigned> getReturnIndex(func::FuncOp func, Value value) {
  if (!value.hasOneUse())
    return std::nullopt;
  OpOperand &use = *value.getUses().begin();
  if (!isa<func::ReturnOp>(use.getOwner()) ||
      use.getOwner()->getParentOp() != func)
    return std::nullopt;
  return use.getOperandNumber();
}

/// Fails, on `update`, when `arg` already carries a state: each narrow
/// argument is decoded once, at the function's entry, and stored back through
/// one result, so an argument that feeds two state operands (two updates of
/// one weight, or one argument as both Adam moments) cannot be narrowed.
static LogicalResult checkUnclaimed(Operation *update, BlockArgument arg,
                                    StringRef role,
                                    ArrayRef<NarrowState> states) {
  for (const NarrowState &other : states) {
    if (other.arg != arg)
      continue;
    InFlightDiagnostic diag = update->emitError()
                              << "qopt-narrow-storage: state argument #"
                              << arg.getArgNumber() << " is ";
    if (other.role == role)
      diag << "the " << role << " of two optimizer updates";
    else
      diag << "both the " << other.role << " and the " << role;
    diag << "; narrow storage decodes a state argument once and stores it "
            "back through one result, so each state needs an argument of its "
            "own";
    return diag;
  }
  return success();
}

LogicalResult
NarrowStoragePass::addState(func::FuncOp func, Operation *update,
                            const StatePair &pair,
                            SmallVectorImpl<NarrowState> &states) {
  // Only quantized new state has a format to store.
  QuantizeOp quantize;
  for (Operation *user : pair.result.getUsers())
    if (auto q = dyn_cast<QuantizeOp>(user))
      quantize = q;
  if (!quantize)
    return success();
  StringRef component = stringifyComponent(pair.component);
  if (!pair.result.hasOneUse())
    return update->emitError()
           << "qopt-narrow-storage: the new " << component
           << " has uses besides its qopt.quantize; storing it narrow would "
              "need an f32 copy";
  bool returned = false;
  for (Operation *user : quantize.getResult().getUsers())
    returned |= isa<func::ReturnOp>(user);
  if (!returned)
    return success();
  std::optional<unsigned> resultIndex =
      getReturnIndex(func, quantize.getResult());
  if (!resultIndex)
    return quantize.emitError()
           << "qopt-narrow-storage: the quantized " << component
           << " is used by an op other than the return; storing it narrow "
              "would need an f32 copy";

  auto arg = dyn_cast<BlockArgument>(pair.operand);
  if (!arg || arg.getOwner() != &func.getBody().front())
    return success();
  FloatFormatAttr format = quantize.getFormat();
  StorageChoice choice = getStorageChoice(format);
  auto forced = forcedContainers.find(static_cast<unsigned>(pair.component));
  if (forced != forcedContainers.end()) {
    if (!getStorageLayout(format, forced->second))
      return quantize.emitError()
             << "qopt-narrow-storage: containers option asks for "
             << forced->second << " for the " << component
             << ", which cannot hold every value of " << format
             << " exactly (smallest exact container: " << choice.elementType
             << ")";
    choice.elementType = forced->second;
  }
  if (choice.elementType.isF32())
    return success();
  auto type = cast<RankedTensorType>(arg.getType());
  if (!type.hasStaticShape())
    return func.emitError()
           << "qopt-narrow-storage: state argument #" << arg.getArgNumber()
           << " (" << component << ") has the dynamic shape " << type
           << "; narrow storage needs static shapes (the runner and the "
              "storage report size buffers from the type)";
  for (Operation *user : arg.getUsers())
    if (user != update)
      return user->emitError()
             << "qopt-narrow-storage: state argument #" << arg.getArgNumber()
             << " (" << component << ") is also used by '" << user->getName()
             << "'; only the optimizer update may read narrow state (any "
                "other reader would need an f32 copy)";
  if (failed(checkUnclaimed(update, arg, component, states)))
    return failure();
  states.push_back({arg, quantize.getResult(), *resultIndex, format,
                    choice.elementType, component});
  return success();
}

LogicalResult
NarrowStoragePass::addMasterWeight(func::FuncOp func, Operation *update,
                                   unsigned index,
                                   SmallVectorImpl<NarrowState> &states) {
  Value weight = update->getOperand(0), newWeight = update->getResult(0);
  auto arg = dyn_cast<BlockArgument>(weight);
  if (!arg || arg.getOwner() != &func.getBody().front())
    return success();
  std::optional<unsigned> resultIndex = getReturnIndex(func, newWeight);
  if (!resultIndex)
    return update->emitError()
           << "qopt-narrow-storage: master-format needs the new weight to "
              "be used only by the return";
  auto type = cast<RankedTensorType>(arg.getType());
  if (!type.hasStaticShape())
    return func.emitError() << "qopt-narrow-storage: weight argument #"
                            << arg.getArgNumber() << " has the dynamic shape "
                            << type << "; narrow storage needs static shapes";
  if (failed(checkUnclaimed(update, arg, "weight", states)))
    return failure();
  StorageChoice choice = getStorageChoice(masterFormatAttr);
  if (!choice.isNarrow())
    return func.emitError()
           << "qopt-narrow-storage: master-format " << masterFormatAttr
           << " has more than 16 bits; nothing to narrow";
  Value seed = findMarkedArgument(func, "qopt.seed");
  Value step = findMarkedArgument(func, "qopt.step");
  if (!step)
    if (auto adam = dyn_cast<AdamUpdateOp>(update))
      step = adam.getStep();
  if (!seed || !step || !seed.getType().isInteger(64) ||
      !step.getType().isInteger(64))
    return func.emitError()
           << "qopt-narrow-storage: master-format rounds the weights "
              "stochastically and needs i64 arguments marked {qopt.seed} "
              "and {qopt.step}";
  OpBuilder b(update->getContext());
  b.setInsertionPointAfter(update);
  // A stream of its own, past any point --qopt-insert-quantization numbers.
  auto quantize = QuantizeOp::create(
      b, update->getLoc(), newWeight.getType(), newWeight, masterFormatAttr,
      RoundingModeAttr::get(b.getContext(), RoundingMode::stochastic),
      ComponentAttr(), seed, step,
      b.getI64IntegerAttr((int64_t(1) << 32) + int64_t(index)));
  newWeight.replaceAllUsesExcept(quantize.getResult(), quantize);
  states.push_back({arg, quantize.getResult(), *resultIndex, masterFormatAttr,
                    choice.elementType, "weight"});
  return success();
}

LogicalResult
NarrowStoragePass::collectStates(func::FuncOp func,
                                 SmallVectorImpl<NarrowState> &states) {
  SmallVector<Operation *> updates;
  func.walk([&](Operation *op) {
    if (isa<AdamUpdateOp, MuonUpdateOp>(op))
      updates.push_back(op);
  });
  for (auto [index, update] : llvm::enumerate(updates)) {
    SmallVector<StatePair> pairs;
    if (auto adam = dyn_cast<AdamUpdateOp>(update)) {
      pairs.push_back(
          {adam.getMoment1(), adam.getNewMoment1(), Component::first_moment});
      pairs.push_back(
          {adam.getMoment2(), adam.getNewMoment2(), Component::second_moment});
    } else {
      auto muon = cast<MuonUpdateOp>(update);
      pairs.push_back({muon.getMomentumBuffer(), muon.getNewMomentumBuffer(),
                       Component::first_moment});
    }
    for (const StatePair &pair : pairs)
      if (failed(addState(func, update, pair, states)))
        return failure();
    if (masterFormatAttr &&
        failed(addMasterWeight(func, update, index, states)))
      return failure();
  }
  return success();
}

LogicalResult NarrowStoragePass::narrowWeightCopies(ModuleOp module,
                                                    func::FuncOp func) {
  SmallVector<QuantizeOp> copies;
  func.walk([&](QuantizeOp op) {
    if (op.getComponent() == Component::weight)
      copies.push_back(op);
  });
  for (QuantizeOp copy : copies) {
    StorageChoice choice = getStorageChoice(copy.getFormat());
    if (!choice.isNarrow())
      continue;
    auto type = cast<RankedTensorType>(copy.getType());
    auto narrow = type.clone(choice.elementType);
    for (OpOperand &use : llvm::make_early_inc_range(copy->getUses())) {
      auto call = dyn_cast<func::CallOp>(use.getOwner());
      if (!call)
        continue;
      auto callee = module.lookupSymbol<func::FuncOp>(call.getCallee());
      std::optional<SymbolTable::UseRange> calleeUses =
          callee ? callee.getSymbolUses(module) : std::nullopt;
      if (!callee || callee.isExternal() || !callee.isPrivate() ||
          !calleeUses || llvm::range_size(*calleeUses) != 1)
        return call.emitError()
               << "qopt-narrow-storage: quantized-weights passes the Q_W "
                  "copy narrow, which needs a private callee with a body "
                  "called from this one place; @"
               << call.getCallee() << " is not";
      unsigned index = use.getOperandNumber();
      OpBuilder b(call);
      auto encode = EncodeOp::create(b, call.getLoc(), narrow, copy.getResult(),
                                     copy.getFormat());
      use.set(encode.getResult());
      // The callee reads the narrow copy and decodes it on entry.
      BlockArgument arg = callee.getArgument(index);
      OpBuilder cb = OpBuilder::atBlockBegin(&callee.getBody().front());
      auto decode =
          DecodeOp::create(cb, arg.getLoc(), type, arg, copy.getFormat());
      arg.replaceAllUsesExcept(decode.getResult(), decode);
      arg.setType(narrow);
      SmallVector<Type> inputs(callee.getArgumentTypes());
      inputs[index] = narrow;
      callee.setFunctionType(
          b.getFunctionType(inputs, callee.getResultTypes()));
      callee.setArgAttr(index, kStorageAttr, copy.getFormat());
    }
  }
  return success();
}

void NarrowStoragePass::rewriteFunction(func::FuncOp func,
                                        ArrayRef<NarrowState> states) {
  Block &entry = func.getBody().front();
  auto returnOp = cast<func::ReturnOp>(func.getBody().back().getTerminator());
  OpBuilder b(func.getContext());
  SmallVector<Type> argTypes(func.getArgumentTypes());
  SmallVector<Type> resultTypes(func.getResultTypes());
  for (const NarrowState &state : states) {
    BlockArgument arg = state.arg;
    auto type = cast<RankedTensorType>(arg.getType());
    auto narrow = type.clone(state.container);
    b.setInsertionPointToStart(&entry);
    auto decode = DecodeOp::create(b, arg.getLoc(), type, arg, state.format);
    arg.replaceAllUsesExcept(decode.getResult(), decode);
    arg.setType(narrow);
    argTypes[arg.getArgNumber()] = narrow;
    func.setArgAttr(arg.getArgNumber(), kStorageAttr, state.format);

    b.setInsertionPoint(returnOp);
    auto encode = EncodeOp::create(b, returnOp.getLoc(), narrow, state.stored,
                                   state.format);
    returnOp.setOperand(state.resultIndex, encode.getResult());
    resultTypes[state.resultIndex] = narrow;
    func.setResultAttr(state.resultIndex, kStorageAttr, state.format);
  }
  func.setFunctionType(b.getFunctionType(argTypes, resultTypes));
}

LogicalResult NarrowStoragePass::rewriteCalls(ModuleOp module,
                                              func::FuncOp func,
                                              ArrayRef<NarrowState> states) {
  std::optional<SymbolTable::UseRange> uses = func.getSymbolUses(module);
  if (!uses)
    return success();
  for (const SymbolTable::SymbolUse &use : *uses) {
    auto call = dyn_cast<func::CallOp>(use.getUser());
    if (!call)
      return use.getUser()->emitError()
             << "qopt-narrow-storage: @" << func.getSymName()
             << " is referenced by an op that is not a func.call; its "
                "narrow state types cannot be converted there";
    OpBuilder b(call);
    for (const NarrowState &state : states) {
      unsigned argIndex = state.arg.getArgNumber();
      Value operand = call.getOperand(argIndex);
      auto encode = EncodeOp::create(b, call.getLoc(), state.arg.getType(),
                                     operand, state.format);
      call->setOperand(argIndex, encode.getResult());
    }
    b.setInsertionPointAfter(call);
    for (const NarrowState &state : states) {
      Value result = call.getResult(state.resultIndex);
      Type f32Type = result.getType();
      result.setType(state.arg.getType());
      auto decode =
          DecodeOp::create(b, call.getLoc(), f32Type, result, state.format);
      result.replaceAllUsesExcept(decode.getResult(), decode);
    }
  }
  return success();
}
