//===- DataParallel.cpp - the qopt-data-parallel pass ---------------------===//
//
// Part of the qopt project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Makes a training step the step of one rank of a data-parallel run: the
// batch dimension of the qopt.data arguments shrinks from B to B / ranks and
// is propagated through the step (linalg indexing maps, tensor.empty,
// elementwise ops), the optimizers' gradients become qopt.all_gather_sum of
// the ranks' (quantized) gradients (mode=allreduce) or their
// qopt.gather_sum at rank 0, with the weights the step computes with
// broadcast from rank 0 as Q_W(W) (mode=master-worker), and the scalar
// results are summed.
//
// The batch dimensions are found first, for the whole step, as a fixed
// point: a value's dimension once known to be the batch makes every op that
// defines or uses the value consistent with it (which may mark more values).
// Only then are types rewritten, so a step that cannot be sharded is left
// untouched with an error on the op that stops it.
//
//===----------------------------------------------------------------------===//

#include "qopt/Dialect/QOpt/Transforms/Passes.h"

#include "qopt/Dialect/QOpt/IR/QOptOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Transforms/Passes.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/SetVector.h"
#include "llvm/ADT/SmallBitVector.h"

namespace mlir {
namespace qopt {
#define GEN_PASS_DEF_DATAPARALLELPASS
#include "qopt/Dialect/QOpt/Transforms/Passes.h.inc"
} // namespace qopt
} // namespace mlir

using namespace mlir;
using namespace mlir::qopt;

namespace {

/// The batch dimensions of the tensors of one function.
class BatchAnalysis {
public:
  BatchAnalysis(func::FuncOp func, int64_t batch) : func(func), batch(batch) {}

  /// Marks dimension `dim` of `value` as the batch; `user` is the op that
  /// requires it (for the diagnostic).
  LogicalResult mark(Value value, unsigned dim, Operation *user);

  /// Propagates the marks to a fixed point.
  LogicalResult run();

  const llvm::MapVector<Value, llvm::SmallBitVector> &getDims() const {
    return dims;
  }

private:
  LogicalResult visit(Operation *op);
  LogicalResult visitLinalg(linalg::LinalgOp op);
  LogicalResult visitElementwise(Operation *op);
  bool isMarked(Value value, unsigned dim) const {
    auto it = dims.find(value);
    return it != dims.end() && it->second.test(dim);
  }

  func::FuncOp func;
  int64_t batch;
  llvm::MapVector<Value, llvm::SmallBitVector> dims;
  SmallVector<Value> worklist;
};

} // namespace

LogicalResult BatchAnalysis::mark(Value value, unsigned dim, Operation *user) {
  auto type = dyn_cast<RankedTensorType>(value.getType());
  if (!type || dim >= type.getRank())
    return user->emitOpError("qopt-data-parallel: internal error: no "
                             "dimension ")
           << dim << " in " << value.getType();
  llvm::SmallBitVector &bits = dims[value];
  if (bits.empty())
    bits.resize(type.getRank());
  if (bits.test(dim))
    return success();
  if (type.getDimSize(dim) != batch)
    return user->emitOpError("qopt-data-parallel: the batch (")
           << batch << " examples) would reach dimension " << dim << " of "
           << type << ", whose size is not the batch: cannot shard it";
  bits.set(dim);
  worklist.push_back(value);
  return success();
}

LogicalResult BatchAnalysis::run() {
  while (!worklist.empty()) {
    Value value = worklist.pop_back_val();
    if (auto arg = dyn_cast<BlockArgument>(value)) {
      Operation *owner = arg.getOwner()->getParentOp();
      if (owner != func.getOperation())
        return owner->emitOpError("qopt-data-parallel: cannot shard a block "
                                  "argument along the batch: only "
                                  "straight-line steps are supported");
      if (!func.getArgAttr(arg.getArgNumber(), "qopt.data"))
        return func.emitOpError("qopt-data-parallel: argument #")
               << arg.getArgNumber() << " (" << arg.getType()
               << ") is not marked qopt.data but would be sharded along the "
                  "batch";
      if (dims[value].count() != 1 || !dims[value].test(0))
        return func.emitOpError("qopt-data-parallel: the batch of qopt.data "
                                "argument #")
               << arg.getArgNumber()
               << " must be its dimension 0 only, but it reaches another "
                  "dimension of "
               << arg.getType();
    } else if (failed(visit(value.getDefiningOp()))) {
      return failure();
    }
    for (Operation *user : value.getUsers())
      if (failed(visit(user)))
        return failure();
  }
  return success();
}

LogicalResult BatchAnalysis::visit(Operation *op) {
  if (auto linalgOp = dyn_cast<linalg::LinalgOp>(op))
    return visitLinalg(linalgOp);
  if (auto empty = dyn_cast<tensor::EmptyOp>(op)) {
    if (!empty.getDynamicSizes().empty())
      return op->emitOpError("qopt-data-parallel: cannot shard a tensor.empty "
                             "with dynamic sizes");
    return success();
  }
  if (auto constant = dyn_cast<arith::ConstantOp>(op)) {
    auto value = dyn_cast<SplatElementsAttr>(constant.getValue());
    if (!value)
      return op->emitOpError("qopt-data-parallel: cannot shard a constant "
                             "along the batch unless it is a splat");
    return success();
  }
  if (isa<func::ReturnOp>(op))
    return op->emitOpError("qopt-data-parallel: the step returns a tensor "
                           "along the batch; only reductions over the batch "
                           "can leave a data-parallel step");
  if (op->hasTrait<OpTrait::Elementwise>() ||
      op->hasTrait<OpTrait::SameOperandsAndResultShape>() ||
      isa<QuantizeOp>(op))
    return visitElementwise(op);
  return op->emitOpError("qopt-data-parallel: cannot shard the batch "
                         "dimension through this operation (supported: "
                         "linalg ops, tensor.empty, elementwise ops, splat "
                         "constants)");
}

LogicalResult BatchAnalysis::visitElementwise(Operation *op) {
  // Every tensor operand and result has the same shape: a batch dimension
  // of one is that dimension of all.
  SmallVector<Value> tensors;
  for (Value v : llvm::concat<Value>(op->getOperands(), op->getResults()))
    if (isa<RankedTensorType>(v.getType()))
      tensors.push_back(v);
  for (Value v : tensors)
    if (cast<RankedTensorType>(v.getType()).getShape() !=
        cast<RankedTensorType>(tensors.front().getType()).getShape())
      return op->emitOpError("qopt-data-parallel: cannot shard an op whose "
                             "tensors have different shapes");
  SmallVector<unsigned> batchDims;
  for (Value v : tensors)
    if (auto it = dims.find(v); it != dims.end())
      for (unsigned d : it->second.set_bits())
        batchDims.push_back(d);
  for (Value v : tensors)
    for (unsigned d : batchDims)
      if (failed(mark(v, d, op)))
        return failure();
  return success();
}

LogicalResult BatchAnalysis::visitLinalg(linalg::LinalgOp op) {
  // The batch loops: those that index a batch dimension of some operand or
  // result.
  llvm::SmallBitVector loops(op.getNumLoops());
  auto collect = [&](Value value, AffineMap map) -> LogicalResult {
    auto it = dims.find(value);
    if (it == dims.end())
      return success();
    for (unsigned d : it->second.set_bits()) {
      auto expr = dyn_cast<AffineDimExpr>(map.getResult(d));
      if (!expr)
        return op->emitOpError("qopt-data-parallel: the batch dimension ")
               << d << " of " << value.getType()
               << " is indexed by an expression, not a loop: cannot shard it";
      loops.set(expr.getPosition());
    }
    return success();
  };
  for (OpOperand &operand : op->getOpOperands())
    if (failed(collect(operand.get(), op.getMatchingIndexingMap(&operand))))
      return failure();
  for (OpResult result : op->getResults())
    if (failed(collect(result, op.getIndexingMapMatchingResult(result))))
      return failure();
  if (loops.none())
    return success();
  // A batch loop's index would be the shard's, not the global batch's.
  WalkResult indexed = op->walk([&](linalg::IndexOp index) {
    if (index.getDim() < loops.size() && loops.test(index.getDim()))
      return WalkResult::interrupt();
    return WalkResult::advance();
  });
  if (indexed.wasInterrupted())
    return op->emitOpError("qopt-data-parallel: reads the index of a batch "
                           "loop (linalg.index): its value would change with "
                           "the sharding");
  // Every dimension a batch loop indexes is a batch dimension.
  auto propagate = [&](Value value, AffineMap map) -> LogicalResult {
    for (auto [d, result] : llvm::enumerate(map.getResults())) {
      if (auto expr = dyn_cast<AffineDimExpr>(result)) {
        if (loops.test(expr.getPosition()) && failed(mark(value, d, op)))
          return failure();
        continue;
      }
      for (unsigned loop : loops.set_bits())
        if (result.isFunctionOfDim(loop))
          return op->emitOpError("qopt-data-parallel: dimension ")
                 << d << " of " << value.getType()
                 << " is indexed by an expression of a batch loop: cannot "
                    "shard it";
    }
    return success();
  };
  for (OpOperand &operand : op->getOpOperands())
    if (isa<RankedTensorType>(operand.get().getType()) &&
        failed(propagate(operand.get(), op.getMatchingIndexingMap(&operand))))
      return failure();
  for (OpResult result : op->getResults())
    if (failed(propagate(result, op.getIndexingMapMatchingResult(result))))
      return failure();
  return success();
}

/// `type` with the dimensions set in `bits` divided by `ranks`.
static RankedTensorType shardedType(RankedTensorType type,
                                    const llvm::SmallBitVector &bits,
                                    int64_t ranks) {
  SmallVector<int64_t> shape(type.getShape());
  for (unsigned d : bits.set_bits())
    shape[d] /= ranks;
  return type.clone(shape);
}

namespace {

struct DataParallelPass : qopt::impl::DataParallelPassBase<DataParallelPass> {
  using DataParallelPassBase::DataParallelPassBase;

  void runOnOperation() override;

  LogicalResult shard(func::FuncOp func);
  void insertExchanges(func::FuncOp func, bool masterWorker);
  void insertWeightBroadcasts(func::FuncOp func);
};

} // namespace

LogicalResult DataParallelPass::shard(func::FuncOp func) {
  // The data arguments and their global batch.
  SmallVector<BlockArgument> data;
  for (BlockArgument arg : func.getArguments())
    if (func.getArgAttr(arg.getArgNumber(), "qopt.data"))
      data.push_back(arg);
  if (data.empty())
    return func.emitOpError("qopt-data-parallel: no argument is marked "
                            "qopt.data: there is no batch to shard");
  int64_t batch = ShapedType::kDynamic;
  for (BlockArgument arg : data) {
    auto type = dyn_cast<RankedTensorType>(arg.getType());
    if (!type || type.getRank() < 1 || type.isDynamicDim(0))
      return func.emitOpError("qopt-data-parallel: qopt.data argument #")
             << arg.getArgNumber() << " (" << arg.getType()
             << ") needs a static batch dimension 0";
    if (batch == ShapedType::kDynamic)
      batch = type.getDimSize(0);
    if (type.getDimSize(0) != batch)
      return func.emitOpError("qopt-data-parallel: the qopt.data arguments "
                              "have different batches: ")
             << batch << " and " << type.getDimSize(0);
  }
  if (batch % int64_t(ranks) != 0)
    return func.emitOpError("qopt-data-parallel: the global batch of ")
           << batch << " examples is not divisible by " << int64_t(ranks)
           << " ranks";

  BatchAnalysis analysis(func, batch);
  for (BlockArgument arg : data)
    if (failed(analysis.mark(arg, 0, func)))
      return failure();
  if (failed(analysis.run()))
    return failure();

  // The analysis succeeded: rewrite every batch tensor's type.
  for (const auto &[batchValue, bits] : analysis.getDims()) {
    Value value = batchValue;
    auto type =
        shardedType(cast<RankedTensorType>(value.getType()), bits, ranks);
    if (auto constant = value.getDefiningOp<arith::ConstantOp>()) {
      auto splat = cast<SplatElementsAttr>(constant.getValue());
      constant.setValueAttr(
          DenseElementsAttr::get(type, splat.getSplatValue<Attribute>()));
    }
    value.setType(type);
  }
  func.setType(FunctionType::get(func.getContext(),
                                 func.front().getArgumentTypes(),
                                 func.getFunctionType().getResults()));
  return success();
}

void DataParallelPass::insertExchanges(func::FuncOp func, bool masterWorker) {
  OpBuilder b(func.getContext());
  IntegerAttr ranksAttr = b.getI64IntegerAttr(ranks);
  // The G boundary: each distinct gradient the updates read is summed once,
  // on every rank (allreduce) or on the master only (master-worker).
  DenseMap<Value, Value> summed;
  auto exchange = [&](OpOperand &grad, Operation *update) {
    Value value = grad.get();
    Value &sum = summed[value];
    if (!sum) {
      FloatFormatAttr format;
      if (auto quantize = value.getDefiningOp<QuantizeOp>())
        if (quantize.getComponent() == Component::grad)
          format = quantize.getFormat();
      b.setInsertionPoint(update);
      if (masterWorker)
        sum = GatherSumOp::create(b, update->getLoc(), value.getType(), value,
                                  format, ranksAttr);
      else
        sum = AllGatherSumOp::create(b, update->getLoc(), value.getType(),
                                     value, format, ranksAttr);
    }
    grad.set(sum);
  };
  func.walk([&](Operation *op) {
    if (auto adam = dyn_cast<AdamUpdateOp>(op))
      exchange(adam.getGradMutable(), op);
    else if (auto muon = dyn_cast<MuonUpdateOp>(op))
      exchange(muon.getGradMutable(), op);
  });
  // The scalar results (the loss): each rank's share, summed in f32.
  auto returnOp = cast<func::ReturnOp>(func.front().getTerminator());
  b.setInsertionPoint(returnOp);
  Location loc = returnOp.getLoc();
  for (OpOperand &operand : returnOp->getOpOperands()) {
    if (!operand.get().getType().isF32())
      continue;
    auto scalar = RankedTensorType::get({}, b.getF32Type());
    Value tensor =
        tensor::FromElementsOp::create(b, loc, scalar, operand.get());
    Value sum = AllGatherSumOp::create(b, loc, scalar, tensor,
                                       FloatFormatAttr(), ranksAttr);
    operand.set(tensor::ExtractOp::create(b, loc, sum, ValueRange()));
  }
}

void DataParallelPass::insertWeightBroadcasts(func::FuncOp func) {
  OpBuilder b(func.getContext());
  IntegerAttr ranksAttr = b.getI64IntegerAttr(ranks);
  // The weights the optimizers update, in walk order (the order of the
  // broadcasts, the same on every rank).
  llvm::SetVector<Value> weights;
  func.walk([&](Operation *op) {
    if (auto adam = dyn_cast<AdamUpdateOp>(op))
      weights.insert(adam.getWeight());
    else if (auto muon = dyn_cast<MuonUpdateOp>(op))
      weights.insert(muon.getWeight());
  });
  // Each value broadcast once, right after its definition.
  DenseMap<Value, Value> sent;
  auto broadcast = [&](Value value, FloatFormatAttr format) -> Value {
    Value &result = sent[value];
    if (!result) {
      b.setInsertionPointAfterValue(value);
      result = BroadcastOp::create(b, value.getLoc(), value.getType(), value,
                                   format, ranksAttr);
    }
    return result;
  };
  // The W boundary: what the forward and backward read of a weight is rank
  // 0's. A weight read through its qopt.quantize (component weight) is
  // sent as the codes of that format, Q_W(W); a weight read directly is
  // sent in f32. The updates keep reading the rank's own weight: only the
  // master's updates count (the workers' gradient sums are zeros, their
  // state is never read).
  for (Value weight : weights) {
    for (OpOperand &use : llvm::make_early_inc_range(weight.getUses())) {
      Operation *user = use.getOwner();
      if (isa<AdamUpdateOp, MuonUpdateOp, BroadcastOp>(user))
        continue;
      auto quantize = dyn_cast<QuantizeOp>(user);
      if (quantize && quantize.getComponent() == Component::weight) {
        Value quantized = quantize.getResult();
        Value received = broadcast(quantized, quantize.getFormat());
        quantized.replaceAllUsesExcept(received, received.getDefiningOp());
        continue;
      }
      use.set(broadcast(weight, FloatFormatAttr()));
    }
  }
}

void DataParallelPass::runOnOperation() {
  ModuleOp module = getOperation();
  if (ranks < 1) {
    module.emitError("qopt-data-parallel: ranks must be at least 1, got ")
        << int64_t(ranks);
    return signalPassFailure();
  }
  bool masterWorker = mode == "master-worker";
  if (!masterWorker && mode != "allreduce") {
    module.emitError("qopt-data-parallel: unknown mode '")
        << mode << "' (allreduce, master-worker)";
    return signalPassFailure();
  }
  auto func = module.lookupSymbol<func::FuncOp>(function);
  if (!func || func.isExternal()) {
    module.emitError("qopt-data-parallel: no function @")
        << function << " with a body";
    return signalPassFailure();
  }
  if (!func.getBody().hasOneBlock()) {
    func.emitOpError("qopt-data-parallel: the step must have one block");
    return signalPassFailure();
  }
  // The batch flows through calls (forward, backward): inline them so that
  // the step's shapes change without touching functions that others
  // (@evaluate) call with the global batch.
  if (!func.getBody().getOps<func::CallOp>().empty()) {
    OpPassManager inliner(ModuleOp::getOperationName());
    inliner.addPass(createInlinerPass());
    if (failed(runPipeline(inliner, module)))
      return signalPassFailure();
  }
  if (failed(shard(func)))
    return signalPassFailure();
  insertExchanges(func, masterWorker);
  if (masterWorker)
    insertWeightBroadcasts(func);
  // An exchange the op's verifier refuses (a dynamic gradient, a size that
  // overflows) is reported here, on the op, rather than as a broken IR
  // after the pass.
  if (failed(verify(func)))
    return signalPassFailure();
}
