//===- LowerToNVVM.cpp - qopt pipelines for NVIDIA GPUs -------------------===//
//
// Part of the qopt project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// The GPU path reuses the CPU path's front half (qopt -> linalg on tensors,
// bufferization) and then maps parallel loops to blocks and threads with
// upstream passes. Functions are expected in destination-passing style on
// memrefs, so elementwise kernels write straight into the caller's (device)
// buffers and no host allocation is created.
//
//===----------------------------------------------------------------------===//

#include "qopt/Conversion/Passes.h"
#include "qopt/Pipelines/GPUPipelines.h"
#include "qopt/Pipelines/Passes.h"
#include "qopt/Pipelines/Pipelines.h"

#include "mlir/Conversion/Passes.h"
#include "mlir/Dialect/Bufferization/Transforms/Passes.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/Pipelines/Passes.h"
#include "mlir/Dialect/GPU/Transforms/Passes.h"
#include "mlir/Dialect/Linalg/Passes.h"
#include "mlir/Dialect/SCF/Transforms/Passes.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;
using namespace mlir::qopt;

/// qopt IR to gpu.launch ops in host functions; temporaries in device
/// memory unless `hostMemory` (the emulation).
static void buildLaunchesPipeline(OpPassManager &pm,
                                  const LowerToGPUOptions &options,
                                  bool hostMemory) {
  // Unsupported IR gets a qopt diagnostic before any lowering: first what
  // no qopt pipeline lowers, then what the GPU cannot map.
  pm.addPass(createQOptCheckSupportedPass());
  pm.addPass(createQOptGPUCheckSupportedPass());
  buildQOptToLinalgPipeline(pm);

  // Write results into the destination buffers instead of fresh allocations
  // (which would be host memory).
  pm.addPass(bufferization::createEmptyTensorEliminationPass());
  pm.addPass(createQOptBufferizePass());
  pm.addPass(createCanonicalizerPass());

  // Matmuls (Newton-Schulz) get register-blocked kernels of their own.
  pm.addNestedPass<func::FuncOp>(createQOptGPUMapMatmulPass());
  // Copies and serial reductions (Muon's norm) become kernels too: every
  // buffer is device memory.
  pm.addNestedPass<func::FuncOp>(createQOptGPUHostToKernelsPass());

  // Parallel loops -> blocks x threads. Tiling the contiguous dimension
  // (moved first) by the block size with a fixed inner trip count (no
  // min/max bounds) gives kernels with a static block size, coalesced
  // accesses and an in-bounds guard.
  OpPassManager &funcPm = pm.nest<func::FuncOp>();
  funcPm.addPass(createConvertLinalgToParallelLoopsPass());
  funcPm.addPass(createQOptGPUContiguousThreadsPass());
  funcPm.addPass(createParallelLoopTilingPass(
      {static_cast<int64_t>(options.blockSize)}, /*noMinMaxBounds=*/true));
  funcPm.addPass(createGpuMapParallelLoopsPass());
  funcPm.addPass(createConvertParallelLoopToGpuPass());

  // Temporaries (Muon's) are allocated once outside the Newton-Schulz loop,
  // in device memory, and freed at the end.
  funcPm.addPass(bufferization::createBufferLoopHoistingPass());
  QOptGPUDeviceBuffersPassOptions buffers;
  buffers.hostMemory = hostMemory;
  funcPm.addPass(createQOptGPUDeviceBuffersPass(buffers));
}

void mlir::qopt::buildLowerToGPULaunchesPipeline(
    OpPassManager &pm, const LowerToGPUOptions &options) {
  buildLaunchesPipeline(pm, options, /*hostMemory=*/false);
}

void mlir::qopt::buildLowerToGPUPipeline(OpPassManager &pm,
                                         const LowerToGPUOptions &options) {
  buildLowerToGPULaunchesPipeline(pm, options);
  pm.addPass(createGpuLaunchSinkIndexComputationsPass());
  pm.addPass(createGpuKernelOutliningPass());
  pm.addPass(createLowerAffinePass());
  pm.addPass(createSCFToControlFlowPass());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());

  GpuNVVMAttachTargetOptions target;
  target.chip = options.chip;
  target.features = options.features;
  target.optLevel = options.optLevel;
  pm.addPass(createGpuNVVMAttachTarget(target));
}

void mlir::qopt::buildLowerToNVVMPipeline(OpPassManager &pm,
                                          const LowerToGPUOptions &options) {
  buildLowerToGPUPipeline(pm, options);
  // IEEE sqrt (not libdevice's approximate one): GPU results match the CPU.
  pm.addNestedPass<gpu::GPUModuleOp>(createQOptGPUPreciseSqrtPass());
  gpu::GPUToNVVMPipelineOptions nvvm;
  nvvm.cubinChip = options.chip;
  nvvm.cubinFeatures = options.features;
  nvvm.cubinFormat = options.format;
  nvvm.optLevel = options.optLevel;
  gpu::buildLowerToNVVMPassPipeline(pm, nvvm);
}

void mlir::qopt::buildLowerToGPUEmulationPipeline(
    OpPassManager &pm, const LowerToGPUOptions &options) {
  buildLaunchesPipeline(pm, options, /*hostMemory=*/true);
  // The very kernels of the GPU path, their threads run one after the other.
  pm.addNestedPass<func::FuncOp>(createQOptGPULaunchToLoopsPass());
  pm.addPass(createCanonicalizerPass());
  buildLoopsToLLVMPipeline(pm);
}

void mlir::qopt::registerQOptGPUPipelines() {
  PassPipelineRegistration<LowerToGPUOptions>(
      "qopt-lower-to-gpu",
      "Lower qopt IR to host code launching outlined GPU kernels with an "
      "NVVM target attached (the first half of --qopt-lower-to-nvvm)",
      buildLowerToGPUPipeline);
  PassPipelineRegistration<LowerToGPUOptions>(
      "qopt-lower-to-nvvm",
      "Lower qopt IR to NVVM kernels serialised for an NVIDIA chip (PTX by "
      "default) and host code in the LLVM dialect",
      buildLowerToNVVMPipeline);
  PassPipelineRegistration<LowerToGPUOptions>(
      "qopt-lower-to-gpu-emulation",
      "Lower qopt IR like --qopt-lower-to-gpu, then run the kernels' threads "
      "as host loops and lower to the LLVM dialect for the CPU: checks the GPU "
      "kernels on a machine without a GPU (chip options are ignored)",
      buildLowerToGPUEmulationPipeline);
}
