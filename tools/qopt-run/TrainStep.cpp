//===- TrainStep.cpp - the contract between qopt-run and a step -----------===//
//
// Part of the qopt project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "TrainStep.h"

#include "MasterProbe.h"

#include "qopt/Dialect/QOpt/IR/QOptOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Builders.h"
#include "llvm/Support/MathExtras.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <limits>

using namespace mlir;
using namespace qoptrun;

/// Checks the element type of tensor argument `i` of `func` and, for a
/// narrow state of @train_step, finds the layout of its codes.
static LogicalResult analyzeStorage(func::FuncOp func, unsigned i,
                                    RankedTensorType type, bool isState,
                                    bool isTrainStep,
                                    StepSignature &signature) {
  Type element = type.getElementType();
  Attribute storage = func.getArgAttr(i, "qopt.storage");
  signature.storageFormats.back() = nullptr;
  signature.storageLayouts.back() = std::nullopt;
  if (!storage) {
    if (element.isF32())
      return success();
    if (isState && isTrainStep)
      return func.emitError()
             << "qopt-run: state argument #" << i << " is a tensor of "
             << qopt::getContainerName(element)
             << " without qopt.storage: a state is f32, or a narrow "
                "container with its format in qopt.storage";
    return func.emitError()
           << "qopt-run: argument #" << i << " of @" << func.getSymName()
           << " must be an f32 tensor, got " << type;
  }
  if (!isState || !isTrainStep)
    return func.emitError()
           << "qopt-run: argument #" << i << " of @" << func.getSymName()
           << " has qopt.storage: only state arguments of "
              "@train_step may be stored narrow";
  auto format = dyn_cast<qopt::FloatFormatAttr>(storage);
  if (!format)
    return func.emitError()
           << "qopt-run: state argument #" << i
           << " has qopt.storage = " << storage << "; expected a #qopt.format";
  signature.storageFormats.back() = format;
  // A format kept in f32 is f32 storage.
  if (element.isF32())
    return success();
  std::optional<qopt::StorageLayout> layout =
      qopt::getStorageLayout(format, element);
  if (!layout)
    return func.emitError()
           << "qopt-run: state argument #" << i << " is stored in "
           << qopt::getContainerName(element) << ", which cannot hold every "
           << "value of its qopt.storage format " << format;
  signature.storageLayouts.back() = layout;
  return success();
}

/// The argument attributes the runner reads; any other `qopt.*` argument
/// attribute is a typo or belongs to another tool, and is refused.
static constexpr StringLiteral kArgAttrs[] = {"qopt.init",    "qopt.data",
                                              "qopt.step",    "qopt.seed",
                                              "qopt.storage", "qopt.probe"};

/// Checks the `qopt.*` attributes of argument `i` against its type.
static LogicalResult checkArgumentAttributes(func::FuncOp func, unsigned i,
                                             bool isTrainStep) {
  Type type = func.getArgument(i).getType();
  bool isTensor = isa<RankedTensorType>(type);
  DictionaryAttr attrs = func.getArgAttrDict(i);
  for (NamedAttribute attr :
       attrs ? attrs.getValue() : ArrayRef<NamedAttribute>()) {
    StringRef name = attr.getName().getValue();
    if (!name.starts_with("qopt."))
      continue;
    if (!llvm::is_contained(kArgAttrs, name))
      return func.emitError()
             << "qopt-run: argument #" << i << " of @" << func.getSymName()
             << " has the unknown attribute " << name
             << " (the runner reads qopt.init, qopt.data, qopt.step, "
                "qopt.seed, qopt.storage and qopt.probe)";
    if (name == "qopt.step" || name == "qopt.seed" || name == "qopt.probe") {
      if (!type.isInteger(64))
        return func.emitError()
               << "qopt-run: argument #" << i << " of @" << func.getSymName()
               << " is marked " << name << " but is " << type << ", not an i64";
      if (!isa<UnitAttr>(attr.getValue()))
        return func.emitError()
               << "qopt-run: " << name << " of argument #" << i
               << " is a marker without a value, got " << attr.getValue();
      continue;
    }
    if (!isTensor)
      return func.emitError()
             << "qopt-run: argument #" << i << " of @" << func.getSymName()
             << " (" << type << ") has " << name << ", which only a tensor "
             << "argument may have";
    if (name == "qopt.data" && !isa<StringAttr>(attr.getValue()))
      return func.emitError() << "qopt-run: argument #" << i
                              << " has qopt.data = " << attr.getValue()
                              << "; expected \"images\", \"labels\" or "
                                 "\"tokens\"";
  }
  if (func.getArgAttr(i, "qopt.step") && func.getArgAttr(i, "qopt.seed"))
    return func.emitError() << "qopt-run: argument #" << i
                            << " is marked both qopt.step and qopt.seed";
  if (func.getArgAttr(i, "qopt.data") &&
      (func.getArgAttr(i, "qopt.init") || func.getArgAttr(i, "qopt.storage")))
    return func.emitError()
           << "qopt-run: data argument #" << i
           << " has qopt.init or qopt.storage, which only state has";
  if (!isTrainStep && func.getArgAttr(i, "qopt.init"))
    return func.emitError()
           << "qopt-run: argument #" << i << " of @" << func.getSymName()
           << " has qopt.init: @evaluate reads the state "
              "of @train_step";
  return success();
}

LogicalResult qoptrun::analyzeStepFunction(func::FuncOp func, bool isTrainStep,
                                           StepSignature &signature) {
  if (func.isExternal())
    return func.emitError() << "qopt-run: @" << func.getSymName()
                            << " is a declaration without a body";
  if (!func.getBody().hasOneBlock() ||
      !isa<func::ReturnOp>(func.getBody().front().getTerminator()))
    return func.emitError() << "qopt-run: @" << func.getSymName()
                            << " must have a single block ending in "
                               "func.return";
  FunctionType type = func.getFunctionType();
  unsigned unmarkedI64 = 0, numStep = 0, numSeed = 0, numProbe = 0;
  std::optional<unsigned> images, labels, tokens;
  for (unsigned i = 0; i < type.getNumInputs(); ++i) {
    Type argType = type.getInput(i);
    if (failed(checkArgumentAttributes(func, i, isTrainStep)))
      return failure();
    auto tensorType = dyn_cast<RankedTensorType>(argType);
    signature.argTypes.push_back(tensorType);
    signature.initAttrs.push_back(func.getArgAttr(i, "qopt.init"));
    signature.storageFormats.push_back(nullptr);
    signature.storageLayouts.push_back(std::nullopt);
    if (tensorType) {
      if (!tensorType.hasStaticShape() || tensorType.getRank() > 4)
        return func.emitError() << "qopt-run: argument #" << i
                                << " must be a static tensor of rank at "
                                   "most 4, got "
                                << argType;
      auto data = func.getArgAttrOfType<StringAttr>(i, "qopt.data");
      if (!data) {
        signature.args.push_back(ArgKind::State);
        signature.stateArgs.push_back(i);
      } else if (data.getValue() == "images" || data.getValue() == "labels") {
        bool isImages = data.getValue() == "images";
        std::optional<unsigned> &slot = isImages ? images : labels;
        if (slot)
          return func.emitError()
                 << "qopt-run: arguments #" << *slot << " and #" << i << " of @"
                 << func.getSymName() << " are both qopt.data = \""
                 << data.getValue() << "\"";
        slot = i;
        if (tensorType.getRank() != 2 || tensorType.getDimSize(0) < 1 ||
            tensorType.getDimSize(1) < 1)
          return func.emitError()
                 << "qopt-run: the " << data.getValue() << " argument #" << i
                 << " of @" << func.getSymName() << " must be a tensor<B x "
                 << (isImages ? "pixels" : "classes") << " x f32> with B and "
                 << (isImages ? "pixels" : "classes") << " at least 1, got "
                 << argType;
        signature.args.push_back(isImages ? ArgKind::Images : ArgKind::Labels);
      } else if (data.getValue() == "tokens") {
        if (!isTrainStep)
          return func.emitError()
                 << "qopt-run: @evaluate takes no qopt.data = \"tokens\" "
                    "argument (argument #"
                 << i << ")";
        if (tokens)
          return func.emitError()
                 << "qopt-run: arguments #" << *tokens << " and #" << i
                 << " of @" << func.getSymName()
                 << " are both qopt.data = \"tokens\"";
        tokens = i;
        if (tensorType.getRank() != 2 || tensorType.getDimSize(0) < 1 ||
            tensorType.getDimSize(1) < 2)
          return func.emitError()
                 << "qopt-run: the tokens argument #" << i << " of @"
                 << func.getSymName()
                 << " must be a tensor<B x L x f32> with B at least 1 and L "
                    "at least 2 (a window of L bytes: T inputs and their T "
                    "next tokens), got "
                 << argType;
        signature.args.push_back(ArgKind::Tokens);
      } else {
        return func.emitError()
               << "qopt-run: argument #" << i << " has qopt.data = \""
               << data.getValue()
               << "\"; expected \"images\", \"labels\" or \"tokens\"";
      }
      if (failed(analyzeStorage(func, i, tensorType, /*isState=*/!data,
                                isTrainStep, signature)))
        return failure();
      continue;
    }
    if (!argType.isInteger(64))
      return func.emitError()
             << "qopt-run: argument #" << i
             << " must be an f32 tensor or an i64, got " << argType;
    if (!isTrainStep)
      return func.emitError()
             << "qopt-run: argument #" << i << " of @" << func.getSymName()
             << " is an i64: @evaluate takes the state and a batch of data, "
                "no iteration or seed";
    if (func.getArgAttr(i, "qopt.seed")) {
      signature.args.push_back(ArgKind::Seed);
      ++numSeed;
    } else if (func.getArgAttr(i, "qopt.probe")) {
      signature.args.push_back(ArgKind::Probe);
      ++numProbe;
    } else {
      signature.args.push_back(ArgKind::Step);
      ++numStep;
      if (!func.getArgAttr(i, "qopt.step"))
        ++unmarkedI64;
    }
  }
  if (unmarkedI64 > 1 || (unmarkedI64 == 1 && numStep > 1))
    return func.emitError() << "qopt-run: several i64 arguments; mark the "
                               "iteration with qopt.step and the seed with "
                               "qopt.seed";
  if (numProbe > 1)
    return func.emitError()
           << "qopt-run: @" << func.getSymName() << " has " << numProbe
           << " qopt.probe arguments; at most one is allowed";
  if (numStep > 1 || numSeed > 1)
    return func.emitError() << "qopt-run: @" << func.getSymName() << " has "
                            << (numStep > 1 ? numStep : numSeed)
                            << (numStep > 1 ? " qopt.step" : " qopt.seed")
                            << " arguments; at most one is allowed";
  if (images.has_value() != labels.has_value())
    return func.emitError()
           << "qopt-run: @" << func.getSymName() << " has a qopt.data = \""
           << (images ? "images" : "labels") << "\" argument but no \""
           << (images ? "labels" : "images") << "\" one: the data set feeds "
           << "both";
  if (tokens && images)
    return func.emitError() << "qopt-run: @" << func.getSymName()
                            << " takes both tokens (argument #" << *tokens
                            << ") and images (argument #" << *images
                            << "): a step reads one data set";
  if (images && signature.argTypes[*images].getDimSize(0) !=
                    signature.argTypes[*labels].getDimSize(0))
    return func.emitError()
           << "qopt-run: the images (" << type.getInput(*images)
           << ") and labels (" << type.getInput(*labels) << ") of @"
           << func.getSymName() << " have different batch sizes";
  if (!isTrainStep && !images)
    return func.emitError() << "qopt-run: @evaluate takes no qopt.data "
                               "arguments: it must take a batch of images "
                               "and labels";

  unsigned numState = isTrainStep ? signature.stateArgs.size() : 0;
  if (type.getNumResults() < numState + 1)
    return func.emitError()
           << "qopt-run: @" << func.getSymName() << " must return "
           << (isTrainStep ? "its " + std::to_string(numState) +
                                 " state results, then an f32 loss"
                           : std::string("an f32"))
           << "; got " << type.getNumResults() << " results";
  for (unsigned i = 0; i < numState; ++i)
    if (type.getResult(i) != type.getInput(signature.stateArgs[i]))
      return func.emitError()
             << "qopt-run: result #" << i << " (" << type.getResult(i)
             << ") must have the type of state argument #"
             << signature.stateArgs[i];
  for (unsigned i = numState; i < type.getNumResults(); ++i)
    if (!type.getResult(i).isF32())
      return func.emitError() << "qopt-run: result #" << i
                              << " must be an f32 scalar (loss or metric), "
                                 "got "
                              << type.getResult(i);
  signature.numScalarResults = type.getNumResults() - numState;
  if (!isTrainStep && signature.numScalarResults != 1)
    return func.emitError() << "qopt-run: @evaluate must return one f32 (the "
                               "number of correct examples), got "
                            << signature.numScalarResults << " results";
  return success();
}

LogicalResult qoptrun::addGradientNormResult(func::FuncOp func) {
  SmallVector<Value> grads;
  func.walk([&](Operation *op) {
    if (auto adam = dyn_cast<qopt::AdamUpdateOp>(op))
      grads.push_back(adam.getGrad());
    else if (auto muon = dyn_cast<qopt::MuonUpdateOp>(op))
      grads.push_back(muon.getGrad());
  });
  if (grads.empty())
    return func.emitError("qopt-run: @train_step has no qopt.adam_update or "
                          "qopt.muon_update: nothing to train");
  auto returnOp = cast<func::ReturnOp>(func.getBody().back().getTerminator());
  OpBuilder b(returnOp);
  Location loc = returnOp.getLoc();
  Type f32 = b.getF32Type();
  for (Value grad : grads)
    if (grad.getParentBlock() != returnOp->getBlock())
      return func.emitError("qopt-run: the optimizer updates must sit in the "
                            "body of @train_step, not in a nested region");
  Value norm = buildEuclideanNorm(b, loc, grads);
  returnOp.getOperandsMutable().append(norm);
  SmallVector<Type> results(func.getFunctionType().getResults());
  results.push_back(f32);
  func.setFunctionType(
      b.getFunctionType(func.getFunctionType().getInputs(), results));
  return success();
}

void qoptrun::addSeedAndStepArguments(func::FuncOp func, bool needSeed,
                                      bool needStep) {
  bool hasSeed = false, hasStep = false;
  for (unsigned i = 0; i < func.getNumArguments(); ++i) {
    if (!func.getArgument(i).getType().isInteger(64))
      continue;
    if (func.getArgAttr(i, "qopt.seed"))
      hasSeed = true;
    else
      hasStep = true;
  }
  OpBuilder b(func.getContext());
  auto append = [&](StringRef marker) {
    unsigned index = func.getNumArguments();
    (void)func.insertArgument(
        index, b.getI64Type(),
        b.getDictionaryAttr(b.getNamedAttr(marker, b.getUnitAttr())),
        func.getLoc());
  };
  if (needStep && !hasStep)
    append("qopt.step");
  if (needSeed && !hasSeed)
    append("qopt.seed");
}

void MemRefDescriptor::appendArgs(std::vector<void *> &args) {
  args.push_back(&allocated);
  args.push_back(&aligned);
  args.push_back(&offset);
  for (unsigned i = 0; i < 2 * rank; ++i)
    args.push_back(&sizesAndStrides[i]);
}

unsigned qoptrun::getElementBytes(Type elementType) {
  return std::max<unsigned>(elementType.getIntOrFloatBitWidth() / 8, 1);
}

std::optional<int64_t> qoptrun::getTensorBytes(ArrayRef<int64_t> shape,
                                               unsigned elementBytes) {
  int64_t bytes = elementBytes;
  for (int64_t size : shape)
    if (size < 0 || llvm::MulOverflow(bytes, size, bytes))
      return std::nullopt;
  return bytes;
}

std::optional<MemRefDescriptor>
MemRefDescriptor::allocate(ArrayRef<int64_t> shape, unsigned elementBytes) {
  std::optional<int64_t> bytes = getTensorBytes(shape, elementBytes);
  if (!bytes || uint64_t(*bytes) > std::numeric_limits<size_t>::max())
    return std::nullopt;
  MemRefDescriptor d;
  d.rank = shape.size();
  d.elementBytes = elementBytes;
  int64_t stride = 1;
  for (int i = static_cast<int>(d.rank) - 1; i >= 0; --i) {
    d.sizesAndStrides[i] = shape[i];
    d.sizesAndStrides[d.rank + i] = stride;
    stride *= shape[i];
  }
  d.allocated = std::malloc(std::max<size_t>(*bytes, 1));
  if (!d.allocated)
    return std::nullopt;
  d.aligned = d.allocated;
  return d;
}

void MemRefDescriptor::release() {
  std::free(allocated);
  allocated = aligned = nullptr;
}

ResultLayout ResultLayout::get(FunctionType type) {
  ResultLayout layout;
  size_t offset = 0;
  for (Type result : type.getResults()) {
    if (auto tensor = dyn_cast<RankedTensorType>(result)) {
      offset = llvm::alignTo(offset, 8);
      layout.offsets.push_back(offset);
      layout.ranks.push_back(tensor.getRank());
      layout.isScalar.push_back(false);
      layout.elementBytes.push_back(getElementBytes(tensor.getElementType()));
      offset += 8 * (3 + 2 * tensor.getRank());
    } else {
      offset = llvm::alignTo(offset, 4);
      layout.offsets.push_back(offset);
      layout.ranks.push_back(0);
      layout.isScalar.push_back(true);
      layout.elementBytes.push_back(4);
      offset += 4;
    }
  }
  layout.size = llvm::alignTo(offset, 8);
  return layout;
}

MemRefDescriptor ResultLayout::readMemRef(const uint8_t *storage,
                                          unsigned index) const {
  MemRefDescriptor d;
  d.rank = ranks[index];
  d.elementBytes = elementBytes[index];
  const uint8_t *p = storage + offsets[index];
  std::memcpy(&d.allocated, p, 8);
  std::memcpy(&d.aligned, p + 8, 8);
  std::memcpy(&d.offset, p + 16, 8);
  std::memcpy(d.sizesAndStrides, p + 24, 16 * d.rank);
  return d;
}

float ResultLayout::readScalar(const uint8_t *storage, unsigned index) const {
  float value;
  std::memcpy(&value, storage + offsets[index], 4);
  return value;
}
