//===- BufferDeallocation.cpp - linear-time deallocation ------------------===//
//
// Part of the qopt project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Frees the buffers of straight-line functions directly, and hands the other
// functions to upstream's buffer-deallocation-pipeline (see Passes.td).
// Upstream's pipeline compares the buffers of one function pairwise, which
// made deallocation quadratic in the number of tensors of a training step.
//
//===----------------------------------------------------------------------===//

#include "qopt/Pipelines/Passes.h"

#include "mlir/Dialect/Bufferization/Pipelines/Passes.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Interfaces/CallInterfaces.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/ADT/DenseSet.h"

namespace mlir {
namespace qopt {
#define GEN_PASS_DEF_QOPTBUFFERDEALLOCATIONPASS
#include "qopt/Pipelines/Passes.h.inc"
} // namespace qopt
} // namespace mlir

using namespace mlir;

namespace {
/// What deallocating a straight-line function takes.
struct StraightLinePlan {
  /// Allocations the function frees itself (not returned).
  SmallVector<memref::AllocOp> freed;
  /// Operand numbers of the return whose value must be returned as a copy.
  SmallVector<unsigned> copied;
};
} // namespace

/// True when `op` may hand out a reference to an operand it receives: a
/// terminator, or an op with a buffer or tensor result (a view, a cast, a
/// loop carrying it, a call returning it).
static bool mayForward(Operation *op) {
  if (op->hasTrait<OpTrait::IsTerminator>())
    return true;
  return llvm::any_of(op->getResultTypes(),
                      llvm::IsaPred<BaseMemRefType, TensorType>);
}

/// True when `value` may be returned as a copy of itself: a ranked buffer
/// with the identity layout, so a fresh allocation of its type can hold it.
static bool isCopyable(Value value) {
  auto type = dyn_cast<MemRefType>(value.getType());
  return type && type.getLayout().isIdentity();
}

/// Returns the plan for `func`, or failure when it is not straight-line (see
/// the pass description) and upstream's pipeline must handle it.
static FailureOr<StraightLinePlan> planStraightLine(func::FuncOp func) {
  Region &body = func.getBody();
  if (!body.hasOneBlock())
    return failure();
  Block &block = body.front();
  auto ret = dyn_cast<func::ReturnOp>(block.getTerminator());
  if (!ret)
    return failure();

  SmallVector<memref::AllocOp> allocs;
  WalkResult walk = func.walk([&](Operation *op) {
    if (op == func.getOperation())
      return WalkResult::advance();
    // Frees of its own: upstream's pass rejects them, and they could free
    // what this pass would free again.
    if (hasEffect<MemoryEffects::Free>(op))
      return WalkResult::interrupt();
    if (auto alloc = dyn_cast<memref::AllocOp>(op)) {
      if (op->getBlock() != &block)
        return WalkResult::interrupt();
      allocs.push_back(alloc);
      return WalkResult::advance();
    }
    if (isa<memref::AllocaOp>(op))
      return WalkResult::advance();
    // Any other op that produces a buffer it may own (a call, a clone, a
    // realloc) hands this function a buffer to free.
    for (Value result : op->getResults()) {
      if (!isa<BaseMemRefType>(result.getType()))
        continue;
      if (isa<CallOpInterface>(op) ||
          hasEffect<MemoryEffects::Allocate>(op, result))
        return WalkResult::interrupt();
    }
    return WalkResult::advance();
  });
  if (walk.wasInterrupted())
    return failure();

  // Every use of an allocation is the return or an op that does not pass
  // the buffer on: allocations never alias one another or anything else.
  llvm::DenseSet<Value> returnedAllocs;
  for (memref::AllocOp alloc : allocs)
    for (Operation *user : alloc->getUsers())
      if (user != ret && mayForward(user))
        return failure();

  StraightLinePlan plan;
  for (OpOperand &operand : ret->getOpOperands()) {
    Value value = operand.get();
    if (!isa<BaseMemRefType>(value.getType()))
      continue;
    if (auto alloc = value.getDefiningOp<memref::AllocOp>()) {
      // The caller owns the first; a second return of the same buffer
      // needs a buffer of its own.
      if (returnedAllocs.insert(value).second)
        continue;
    } else if (!isa<BlockArgument>(value)) {
      // A global, a stack buffer, a view: left to upstream.
      return failure();
    }
    // A returned argument or repeated allocation: the caller frees what it
    // gets, so it gets a copy (as upstream's bufferization.clone).
    if (!isCopyable(value))
      return failure();
    plan.copied.push_back(operand.getOperandNumber());
  }
  for (memref::AllocOp alloc : allocs)
    if (!returnedAllocs.contains(alloc.getResult()))
      plan.freed.push_back(alloc);
  return plan;
}

/// Frees and copies as `plan` says.
static void applyPlan(func::FuncOp func, const StraightLinePlan &plan) {
  Block &block = func.getBody().front();
  OpBuilder builder(func.getContext());
  for (memref::AllocOp alloc : plan.freed) {
    // A buffer whose address is taken as an integer (the data-parallel
    // exchange passes addresses to its runtime call) may be used by any
    // later op through that integer: it lives until the return.
    if (llvm::any_of(alloc->getUsers(),
                     llvm::IsaPred<memref::ExtractAlignedPointerAsIndexOp>)) {
      builder.setInsertionPoint(block.getTerminator());
      memref::DeallocOp::create(builder, alloc.getLoc(), alloc.getResult());
      continue;
    }
    // After the op of the block that uses the buffer last.
    Operation *last = alloc;
    for (Operation *user : alloc->getUsers()) {
      Operation *ancestor = block.findAncestorOpInBlock(*user);
      if (last->isBeforeInBlock(ancestor))
        last = ancestor;
    }
    builder.setInsertionPointAfter(last);
    memref::DeallocOp::create(builder, alloc.getLoc(), alloc.getResult());
  }

  Operation *ret = block.getTerminator();
  builder.setInsertionPoint(ret);
  for (unsigned number : plan.copied) {
    Value source = ret->getOperand(number);
    auto type = cast<MemRefType>(source.getType());
    SmallVector<Value> sizes;
    for (auto [dim, size] : llvm::enumerate(type.getShape()))
      if (ShapedType::isDynamic(size))
        sizes.push_back(
            memref::DimOp::create(builder, ret->getLoc(), source, dim));
    Value copy = memref::AllocOp::create(builder, ret->getLoc(), type, sizes);
    memref::CopyOp::create(builder, ret->getLoc(), source, copy);
    ret->setOperand(number, copy);
  }
}

namespace {
struct QOptBufferDeallocationPass
    : public qopt::impl::QOptBufferDeallocationPassBase<
          QOptBufferDeallocationPass> {
  using Base::Base;

  /// Upstream's pipeline, for the functions that are not straight-line.
  static void buildFallback(OpPassManager &pm) {
    bufferization::buildBufferDeallocationPipeline(pm);
  }

  void getDependentDialects(DialectRegistry &registry) const override {
    Base::getDependentDialects(registry);
    OpPassManager pm(ModuleOp::getOperationName());
    buildFallback(pm);
    pm.getDependentDialects(registry);
  }

  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<func::FuncOp> handled;
    bool needsFallback = false;
    for (Operation &op : *module.getBody()) {
      auto func = dyn_cast<func::FuncOp>(op);
      if (!func) {
        // Other functions and nested modules: upstream's pipeline.
        needsFallback |= op.getNumRegions() != 0;
        continue;
      }
      if (func.isExternal())
        continue;
      FailureOr<StraightLinePlan> plan = planStraightLine(func);
      if (failed(plan)) {
        needsFallback = true;
        continue;
      }
      applyPlan(func, *plan);
      handled.push_back(func);
    }
    if (!needsFallback)
      return;

    // Hide the functions handled above from upstream's pipeline, which
    // rejects their frees: detach their bodies (a body-less function must
    // be private) while it runs.
    struct Hidden {
      func::FuncOp func;
      std::unique_ptr<Region> body;
      std::optional<StringRef> visibility;
    };
    SmallVector<Hidden> hidden;
    for (func::FuncOp func : handled) {
      Hidden h{func, std::make_unique<Region>(), std::nullopt};
      h.body->takeBody(func.getBody());
      if (auto visibility = func.getSymVisibility())
        h.visibility = *visibility;
      func.setPrivate();
      hidden.push_back(std::move(h));
    }
    OpPassManager pm(ModuleOp::getOperationName());
    buildFallback(pm);
    LogicalResult result = runPipeline(pm, module);
    for (Hidden &h : hidden) {
      h.func.getBody().takeBody(*h.body);
      if (h.visibility)
        h.func.setSymVisibility(*h.visibility);
      else
        h.func.removeSymVisibilityAttr();
    }
    if (failed(result))
      signalPassFailure();
  }
};
} // namespace
