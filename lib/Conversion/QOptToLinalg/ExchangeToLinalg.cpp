//===- ExchangeToLinalg.cpp - qopt.all_gather_sum to a runtime call -------===//
//
// Part of the qopt project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Lowers the exchange of a data-parallel step. MLIR's `mpi` dialect has
// send/recv and an allreduce with MPI's built-in operations, but no
// all-gather, and MPI's SUM cannot add the codes of a narrow format: the
// codes are gathered as bytes by qopt's runtime (libqopt_dp_runtime.so) and
// decoded and summed here, in rank order, so the result is deterministic.
//
//   %c = qopt.encode %x as F                        (skipped for f32)
//   %send = bufferization.to_buffer %c read_only
//   %recv = memref.alloc() : memref<ranks x shape x container>
//   call @qopt_dp_all_gather(ptr(%send), ptr(%recv), bytes, elements, ranks)
//   %all = bufferization.to_tensor %recv restrict
//   %sum = linalg.generic (r, i...) {reduction, parallel...}
//            sum over r of decode(%all[r, i...]), from -0.0
//
// The call takes the buffers as addresses (i64), so one C signature serves
// every shape and container; it has unknown side effects, so nothing moves
// a read of %recv above it.
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

static constexpr llvm::StringLiteral kAllGather = "qopt_dp_all_gather";

namespace {

struct AllGatherSumLowering : OpConversionPattern<AllGatherSumOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(AllGatherSumOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Operation *symbolTable = SymbolTable::getNearestSymbolTable(op);
    if (!symbolTable)
      return op.emitOpError("needs an enclosing symbol table for the "
                            "declaration of ")
             << kAllGather;
    ImplicitLocOpBuilder b(op.getLoc(), rewriter);
    Type i64 = b.getI64Type();
    auto calleeType = b.getFunctionType({i64, i64, i64, i64, i64}, {});
    auto callee = dyn_cast_or_null<func::FuncOp>(
        SymbolTable::lookupSymbolIn(symbolTable, kAllGather));
    if (!callee) {
      OpBuilder::InsertionGuard guard(rewriter);
      rewriter.setInsertionPointToStart(&symbolTable->getRegion(0).front());
      callee =
          func::FuncOp::create(rewriter, op.getLoc(), kAllGather, calleeType);
      callee.setPrivate();
    } else if (callee.getFunctionType() != calleeType) {
      return op.emitOpError("@")
             << kAllGather
             << " is declared with another type: " << callee.getFunctionType();
    }

    RankedTensorType type = op.getInput().getType();
    int64_t ranks = op.getRanks();
    std::optional<FloatFormatAttr> format = op.getFormat();
    Type container = b.getF32Type();
    std::optional<StorageLayout> layout;
    unsigned bytes = 4;
    Value codes = adaptor.getInput();
    if (format) {
      StorageChoice choice = getStorageChoice(*format);
      if (choice.isNarrow()) {
        container = choice.elementType;
        layout = choice.layout;
        bytes = choice.bytes;
        codes = EncodeOp::create(b, type.clone(container), codes, *format);
      }
    }
    int64_t elements = type.getNumElements();
    auto sendType = MemRefType::get(type.getShape(), container);
    SmallVector<int64_t> gatheredShape = {ranks};
    llvm::append_range(gatheredShape, type.getShape());
    auto recvType = MemRefType::get(gatheredShape, container);

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
                                    constant(elements * bytes),
                                    constant(elements), constant(ranks)});
    auto gatheredType = RankedTensorType::get(gatheredShape, container);
    Value gathered = bufferization::ToTensorOp::create(
        b, gatheredType, recv, /*restrict=*/true, /*writable=*/false);

    // sum_r decode(gathered[r, i...]) in rank order: the rank loop is the
    // outermost (a reduction), so each element's sum runs r = 0, 1, ...
    // from -0.0 (the identity of addition, which keeps a lone -0.0).
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
    Value sum =
        linalg::GenericOp::create(
            b, TypeRange{type}, ValueRange{gathered}, ValueRange{filled},
            ArrayRef<AffineMap>{all, drop}, iterators,
            [&](OpBuilder &nested, Location loc, ValueRange args) {
              ImplicitLocOpBuilder bb(loc, nested);
              Value value =
                  layout ? emitDecodeScalar(bb, args[0], *layout) : args[0];
              linalg::YieldOp::create(
                  bb, Value(arith::AddFOp::create(bb, args[1], value)));
            })
            .getResult(0);
    rewriter.replaceOp(op, sum);
    return success();
  }
};

} // namespace

void mlir::qopt::populateExchangeToLinalgPatterns(RewritePatternSet &patterns) {
  patterns.add<AllGatherSumLowering>(patterns.getContext());
}
