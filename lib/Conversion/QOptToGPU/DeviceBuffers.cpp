//===- DeviceBuffers.cpp - GPU temporaries in device memory ---------------===//
//
// Part of the qopt project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Kernels can only read device memory, so the temporaries bufferization
// allocates on the host move to the device; host code must not touch the
// contents of any buffer, which is checked here too.
//
//===----------------------------------------------------------------------===//

#include "qopt/Conversion/Passes.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/PatternMatch.h"

namespace mlir {
namespace qopt {
#define GEN_PASS_DEF_QOPTGPUDEVICEBUFFERSPASS
#include "qopt/Conversion/Passes.h.inc"
} // namespace qopt
} // namespace mlir

using namespace mlir;

namespace {

/// Whether `op` reads or writes the contents of a buffer.
bool touchesBufferContents(Operation *op) {
  return isa<memref::LoadOp, memref::StoreOp, memref::CopyOp, linalg::LinalgOp>(
             op) ||
         isa<vector::VectorDialect>(op->getDialect());
}

/// Returns the op of `block` that holds `user` (itself or an ancestor), or
/// null if `user` is outside `block`.
Operation *ancestorIn(Block *block, Operation *user) {
  return block->findAncestorOpInBlock(*user);
}

/// `gpu.wait async`, then `build` with the token, then `gpu.wait` on the
/// token it returns: one synchronous device operation.
template <typename Build>
void synchronously(RewriterBase &rewriter, Location loc, Build build) {
  Type tokenType = gpu::AsyncTokenType::get(rewriter.getContext());
  Value start = gpu::WaitOp::create(rewriter, loc, tokenType, ValueRange{})
                    .getAsyncToken();
  Value done = build(tokenType, start);
  gpu::WaitOp::create(rewriter, loc, Type(), ValueRange{done});
}

struct QOptGPUDeviceBuffersPass
    : qopt::impl::QOptGPUDeviceBuffersPassBase<QOptGPUDeviceBuffersPass> {
  using Base::Base;

  void runOnOperation() override {
    bool ok = true;
    SmallVector<memref::AllocOp> allocs;
    getOperation().walk<WalkOrder::PreOrder>([&](Operation *op) {
      if (op->getParentOfType<gpu::LaunchOp>())
        return WalkResult::skip();
      if (isa<gpu::LaunchOp>(op))
        return WalkResult::skip();
      if (touchesBufferContents(op)) {
        op->emitError() << "qopt-gpu-device-buffers: host code would access "
                           "the contents of a buffer, which live in device "
                           "memory on the GPU path; only kernels may";
        ok = false;
      } else if (auto alloc = dyn_cast<memref::AllocOp>(op)) {
        allocs.push_back(alloc);
      }
      return WalkResult::advance();
    });

    IRRewriter rewriter(&getContext());
    for (memref::AllocOp alloc : allocs) {
      Block *block = alloc->getBlock();
      Operation *terminator = block->getTerminator();
      bool escapes = llvm::any_of(alloc->getUsers(), [&](Operation *user) {
        Operation *holder = ancestorIn(block, user);
        return !holder || holder == terminator;
      });
      if (escapes) {
        alloc.emitError() << "qopt-gpu-device-buffers: this temporary is "
                             "used after the block that allocates it, so it "
                             "cannot be freed at the block's end";
        ok = false;
        continue;
      }
      Location loc = alloc.getLoc();
      Value buffer = alloc.getResult();
      if (!hostMemory) {
        rewriter.setInsertionPoint(alloc);
        synchronously(rewriter, loc, [&](Type tokenType, Value start) {
          auto device = gpu::AllocOp::create(
              rewriter, loc, alloc.getType(), tokenType, ValueRange{start},
              alloc.getDynamicSizes(), alloc.getSymbolOperands(),
              /*hostShared=*/false);
          buffer = device.getMemref();
          return device.getAsyncToken();
        });
        rewriter.replaceOp(alloc, buffer);
      }
      rewriter.setInsertionPoint(terminator);
      if (hostMemory) {
        memref::DeallocOp::create(rewriter, loc, buffer);
        continue;
      }
      synchronously(rewriter, loc, [&](Type tokenType, Value start) {
        return gpu::DeallocOp::create(rewriter, loc, tokenType,
                                      ValueRange{start}, buffer)
            .getAsyncToken();
      });
    }
    if (!ok)
      signalPassFailure();
  }
};

} // namespace
