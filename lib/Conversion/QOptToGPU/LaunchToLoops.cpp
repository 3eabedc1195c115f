//===- LaunchToLoops.cpp - GPU kernels run as host loops ------------------===//
//
// Part of the qopt project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Emulates gpu.launch on the host: the threads of a kernel without
// barriers, shuffles or shared memory are independent, so running them one
// after the other in loops computes what the GPU computes. This lets
// machines without a GPU check the GPU lowering's index mapping, edge guards
// and arithmetic against the CPU lowering.
//
//===----------------------------------------------------------------------===//

#include "qopt/Conversion/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir {
namespace qopt {
#define GEN_PASS_DEF_QOPTGPULAUNCHTOLOOPSPASS
#include "qopt/Conversion/Passes.h.inc"
} // namespace qopt
} // namespace mlir

using namespace mlir;

namespace {

/// Returns why `launch` cannot run as sequential loops, or an empty string.
std::string whyNotEmulatable(gpu::LaunchOp launch) {
  if (launch.getAsyncToken() || !launch.getAsyncDependencies().empty())
    return "it is asynchronous";
  if (launch.hasClusterSize())
    return "it has thread-block clusters";
  if (launch.getDynamicSharedMemorySize())
    return "it uses dynamic shared memory";
  if (!launch.getWorkgroupAttributions().empty() ||
      !launch.getPrivateAttributions().empty())
    return "it has workgroup or private attributions";
  if (!launch.getBody().hasOneBlock())
    return "its body has several blocks";
  std::string reason;
  launch.getBody().walk([&](Operation *op) {
    if (isa<gpu::TerminatorOp>(op) || !isa<gpu::GPUDialect>(op->getDialect()))
      return WalkResult::advance();
    // Barriers, shuffles, thread ids from ops: threads would not be
    // independent, or their ids would not be the loop variables.
    reason = ("its body uses '" + op->getName().getStringRef() + "'").str();
    return WalkResult::interrupt();
  });
  return reason;
}

/// gpu.launch -> six nested scf.for loops (blocks z, y, x, then threads
/// z, y, x) around the launch body.
struct LaunchToLoopsPattern : OpRewritePattern<gpu::LaunchOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(gpu::LaunchOp launch,
                                PatternRewriter &rewriter) const override {
    if (!whyNotEmulatable(launch).empty())
      return rewriter.notifyMatchFailure(launch, "not emulatable");
    Location loc = launch.getLoc();
    gpu::KernelDim3 grid = launch.getGridSizeOperandValues();
    gpu::KernelDim3 block = launch.getBlockSizeOperandValues();
    SmallVector<Value> upperBounds = {grid.z,  grid.y,  grid.x,
                                      block.z, block.y, block.x};
    Value zero = arith::ConstantIndexOp::create(rewriter, loc, 0);
    Value one = arith::ConstantIndexOp::create(rewriter, loc, 1);
    SmallVector<Value> lowerBounds(upperBounds.size(), zero);
    SmallVector<Value> steps(upperBounds.size(), one);
    scf::LoopNest nest =
        scf::buildLoopNest(rewriter, loc, lowerBounds, upperBounds, steps);
    auto iv = [&](int index) { return nest.loops[index].getInductionVar(); };

    // The launch body's arguments, bound to loop variables and sizes.
    Block &body = launch.getBody().front();
    DenseMap<Value, Value> binding;
    auto bind = [&](gpu::KernelDim3 from, gpu::KernelDim3 to) {
      binding[from.x] = to.x;
      binding[from.y] = to.y;
      binding[from.z] = to.z;
    };
    bind(launch.getBlockIds(), {iv(2), iv(1), iv(0)});
    bind(launch.getThreadIds(), {iv(5), iv(4), iv(3)});
    bind(launch.getGridSize(), grid);
    bind(launch.getBlockSize(), block);
    SmallVector<Value> arguments;
    for (BlockArgument argument : body.getArguments())
      arguments.push_back(binding.lookup(argument));

    Operation *terminator = body.getTerminator();
    Block *innermost = nest.loops.back().getBody();
    rewriter.inlineBlockBefore(&body, innermost->getTerminator(), arguments);
    rewriter.eraseOp(terminator);
    rewriter.eraseOp(launch);
    return success();
  }
};

struct QOptGPULaunchToLoopsPass
    : qopt::impl::QOptGPULaunchToLoopsPassBase<QOptGPULaunchToLoopsPass> {
  using Base::Base;

  void runOnOperation() override {
    bool emulatable = true;
    getOperation().walk([&](gpu::LaunchOp launch) {
      std::string reason = whyNotEmulatable(launch);
      if (reason.empty())
        return;
      launch.emitError() << "qopt-gpu-launch-to-loops: cannot run this "
                            "launch as host loops: "
                         << reason;
      emulatable = false;
    });
    if (!emulatable)
      return signalPassFailure();
    RewritePatternSet patterns(&getContext());
    patterns.add<LaunchToLoopsPattern>(&getContext());
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
