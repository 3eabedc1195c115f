//===- ExchangeToLinalg.cpp - data-parallel exchanges to runtime calls ----===//
//
// Part of the qopt project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Lowers the exchanges of a data-parallel step (qopt.all_gather_sum,
// qopt.gather_sum, qopt.broadcast). MLIR's `mpi` dialect has send/recv and
// an allreduce with MPI's built-in operations, but no all-gather, gather or
// broadcast, and MPI's SUM cannot add the codes of a narrow format: the
// codes travel as bytes through qopt's runtime (libqopt_dp_runtime.so) and
// are decoded (and summed, in rank order, so the result is deterministic)
// here.
//
//   %c = qopt.encode %x as F                        (skipped for f32)
//   %send = bufferization.to_buffer %c read_only
//   %recv = memref.alloc() : memref<[ranks x] shape x container>
//   call @qopt_dp_<exchange>(ptr(%send), ptr(%recv), bytes, elements, ranks)
//   %all = bufferization.to_tensor %recv restrict
//   sums:      %sum = linalg.generic (r, i...) {reduction, parallel...}
//                       sum over r of decode(%all[r, i...]), from -0.0
//   broadcast: %w = qopt.decode %all as F           (skipped for f32)
//
// The call takes the buffers as addresses (i64), so one C signature serves
// every shape and container; it has unknown side effects, so nothing moves
// a read of %recv above it (and qopt-buffer-deallocation keeps buffers
// whose address is taken alive until the return).
//
//===----------------------------------------------------------------------===//

#include "qopt/Conversion/QOptToLinalg/QOptToLinalg.h"
#include "qopt/Conversion/QOptToLinalg/StorageEmitter.h"
#include "qopt/Dialect/QOpt/IR/QOptOps.h"
#include "qopt/Dialect/QOpt/IR/Storage.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/ImplicitLocOpBuilder.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Transforms/DialectConversion.h"

using namespace mlir;
using namespace mlir::qopt;

namespace {

/// The codes of an exchanged tensor: its format's container and layout.
struct Wire {
  Type container;
  std::optional<StorageLayout> layout;
  unsigned bytes = 4;
};

/// The container the codes of `format` travel in (f32 without a format or
/// for a format no narrower container holds).
Wire getWire(Builder &b, std::optional<FloatFormatAttr> format) {
  Wire wire{b.getF32Type(), std::nullopt, 4};
  if (format) {
    StorageChoice choice = getStorageChoice(*format);
    if (choice.isNarrow())
      wire = {choice.elementType, choice.layout, choice.bytes};
  }
  return wire;
}

/// Encodes `input` (of `type`) in `wire`, calls the runtime's `name` with
/// a receive buffer of `gathered` x the codes (`gathered` = 0: the shape of
/// the input itself) and returns the received codes as a tensor.
FailureOr<Value> emitExchangeCall(Operation *op, ConversionPatternRewriter &rw,
                                  StringRef name, Value input,
                                  RankedTensorType type,
                                  std::optional<FloatFormatAttr> format,
                                  const Wire &wire, int64_t ranks,
                                  std::optional<int64_t> gathered) {
  Operation *symbolTable = SymbolTable::getNearestSymbolTable(op);
  if (!symbolTable)
    return op->emitOpError("needs an enclosing symbol table for the "
                           "declaration of ")
           << name;
  ImplicitLocOpBuilder b(op->getLoc(), rw);
  Type i64 = b.getI64Type();
  auto calleeType = b.getFunctionType({i64, i64, i64, i64, i64}, {});
  auto callee = dyn_cast_or_null<func::FuncOp>(
      SymbolTable::lookupSymbolIn(symbolTable, name));
  if (!callee) {
    OpBuilder::InsertionGuard guard(rw);
    rw.setInsertionPointToStart(&symbolTable->getRegion(0).front());
    callee = func::FuncOp::create(rw, op->getLoc(), name, calleeType);
    callee.setPrivate();
  } else if (callee.getFunctionType() != calleeType) {
    return op->emitOpError("@")
           << name
           << " is declared with another type: " << callee.getFunctionType();
  }

  Value codes = input;
  if (wire.layout)
    codes = EncodeOp::create(b, type.clone(wire.container), codes, *format);
  int64_t elements = type.getNumElements();
  auto sendType = MemRefType::get(type.getShape(), wire.container);
  SmallVector<int64_t> recvShape;
  if (gathered)
    recvShape.push_back(*gathered);
  llvm::append_range(recvShape, type.getShape());
  auto recvType = MemRefType::get(recvShape, wire.container);

  Value send = bufferization::ToBufferOp::create(b, sendType, codes,
                                                 /*readOnly=*/true);
  Value recv = memref::AllocOp::create(b, recvType, b.getI64IntegerAttr(64));
  auto address = [&](Value buffer) -> Value {
    Value index = memref::ExtractAlignedPointerAsIndexOp::create(b, buffer);
    return arith::IndexCastOp::create(b, i64, index);
  };
  auto constant = [&](int64_t value) -> Value {
    return arith::ConstantIntOp::create(b, i64, value);
  };
  func::CallOp::create(b, callee,
                       ValueRange{address(send), address(recv),
                                  constant(elements * wire.bytes),
                                  constant(elements), constant(ranks)});
  return Value(bufferization::ToTensorOp::create(
      b, RankedTensorType::get(recvShape, wire.container), recv,
      /*restrict=*/true, /*writable=*/false));
}

/// sum_r decode(gathered[r, i...]) in rank order: the rank loop is the
/// outermost (a reduction), so each element's sum runs r = 0, 1, ... from
/// -0.0 (the identity of addition, which keeps a lone -0.0).
Value emitRankOrderSum(ImplicitLocOpBuilder &b, Value gathered,
                       RankedTensorType type, const Wire &wire) {
  int64_t rank = type.getRank();
  Value zero = arith::ConstantOp::create(b, b.getF32FloatAttr(-0.0f));
  Value init = tensor::EmptyOp::create(b, type.getShape(), b.getF32Type());
  Value filled = linalg::FillOp::create(b, zero, init).getResult(0);
  AffineMap all = b.getMultiDimIdentityMap(rank + 1);
  AffineMap drop =
      AffineMap::get(rank + 1, 0,
                     llvm::to_vector(llvm::map_range(
                         llvm::seq<unsigned>(1, rank + 1),
                         [&](unsigned d) { return b.getAffineDimExpr(d); })),
                     b.getContext());
  SmallVector<utils::IteratorType> iterators(rank + 1,
                                             utils::IteratorType::parallel);
  iterators[0] = utils::IteratorType::reduction;
  return linalg::GenericOp::create(
             b, TypeRange{type}, ValueRange{gathered}, ValueRange{filled},
             ArrayRef<AffineMap>{all, drop}, iterators,
             [&](OpBuilder &nested, Location loc, ValueRange args) {
               ImplicitLocOpBuilder bb(loc, nested);
               Value value = wire.layout
                                 ? emitDecodeScalar(bb, args[0], *wire.layout)
                                 : args[0];
               linalg::YieldOp::create(
                   bb, Value(arith::AddFOp::create(bb, args[1], value)));
             })
      .getResult(0);
}

/// qopt.all_gather_sum and qopt.gather_sum: every rank's codes gathered
/// (on every rank, or on rank 0), then summed in rank order.
template <typename OpTy>
struct SumExchangeLowering : OpConversionPattern<OpTy> {
  SumExchangeLowering(MLIRContext *context, StringRef runtimeName)
      : OpConversionPattern<OpTy>(context), runtimeName(runtimeName) {}

  LogicalResult
  matchAndRewrite(OpTy op, typename OpTy::Adaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    RankedTensorType type = op.getInput().getType();
    Wire wire = getWire(rewriter, op.getFormat());
    FailureOr<Value> gathered =
        emitExchangeCall(op, rewriter, runtimeName, adaptor.getInput(), type,
                         op.getFormat(), wire, op.getRanks(), op.getRanks());
    if (failed(gathered))
      return failure();
    ImplicitLocOpBuilder b(op.getLoc(), rewriter);
    rewriter.replaceOp(op, emitRankOrderSum(b, *gathered, type, wire));
    return success();
  }

  StringRef runtimeName;
};

/// qopt.broadcast: rank 0's codes on every rank, decoded.
struct BroadcastLowering : OpConversionPattern<BroadcastOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(BroadcastOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    RankedTensorType type = op.getInput().getType();
    Wire wire = getWire(rewriter, op.getFormat());
    FailureOr<Value> received = emitExchangeCall(
        op, rewriter, "qopt_dp_broadcast", adaptor.getInput(), type,
        op.getFormat(), wire, op.getRanks(), std::nullopt);
    if (failed(received))
      return failure();
    Value result = *received;
    if (wire.layout)
      result = DecodeOp::create(rewriter, op.getLoc(), type, result,
                                *op.getFormat());
    rewriter.replaceOp(op, result);
    return success();
  }
};

} // namespace

void mlir::qopt::populateExchangeToLinalgPatterns(RewritePatternSet &patterns) {
  MLIRContext *context = patterns.getContext();
  patterns.add<SumExchangeLowering<AllGatherSumOp>>(context,
                                                    "qopt_dp_all_gather");
  patterns.add<SumExchangeLowering<GatherSumOp>>(context, "qopt_dp_gather");
  patterns.add<BroadcastLowering>(context);
}
