//===- Passes.td - qopt conversion passes -----------------*- tablegen -*-===//
//
// Part of the qopt project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#ifndef QOPT_CONVERSION_PASSES_TD
#define QOPT_CONVERSION_PASSES_TD

include "mlir/Pass/PassBase.td"

def ConvertQOptToLinalgPass : Pass<"convert-qopt-to-linalg"> {
  let summary = "lower qopt ops on tensors to linalg.generic and arith";
  let description = [{
    Rewrites every `qopt.quantize` into one elementwise `linalg.generic` on
    tensors whose body computes the rounding with integer arithmetic on the
    f32 bit pattern (sign, exponent and mantissa kept apart, the mantissa
    rounded to the format's width with a quantum that follows the exponent,
    subnormals, overflow, zeros, infinities and NaN handled as the format's
    policies say). Stochastic rounding hashes (seed, step, stream, linear
    index) with the counter-based hash of `qopt/Numerics/CounterHash.h`: a
    64-bit key per quantize, computed once before the loop, and 32-bit
    multiply-xorshift rounds per element, so the loop vectorizes on targets
    without 64-bit vector multiplies. Stochastic quantizes without a
    `stream` first get one, as `--qopt-assign-streams` gives it, distinct
    within the operation the pass runs on (run it on the module).

    `qopt.adam_update` becomes one fused elementwise `linalg.generic` that
    updates w, m and v in place and absorbs the `qopt.quantize` ops on its
    four boundaries (g and w read, m' and v' stored), so each element is read
    and written once. `qopt.muon_update` becomes a fused momentum loop, a
    Frobenius-norm reduction, the Newton-Schulz iteration on `linalg.matmul`
    in an `scf.for` (on the transpose when rows > cols) and a fused update
    loop; quantization of w, g and the buffer is absorbed into the
    elementwise loops.

    `qopt.all_gather_sum` (the exchange of a data-parallel step) becomes
    `qopt.encode` of its input, a call of `qopt_dp_all_gather` (qopt's MPI
    runtime, declared in the module) on the addresses of the codes and of
    a `ranks` x shape buffer, and a `linalg.generic` that decodes and sums
    the codes in rank order (docs/DataParallel.md).

    Precondition: qopt ops on ranked f32 tensors (static or dynamic shapes;
    Muon and the exchange need static shapes and say so). Afterwards: no
    qopt op remains; the IR uses linalg, tensor, arith, math and scf (and,
    for the exchange, func, memref and bufferization), ready for
    bufferization.

    Example:

    ```mlir
    // Before
    %q = qopt.quantize %x to <bf16> : tensor<8xf32>
    // After
    %e = tensor.empty() : tensor<8xf32>
    %q = linalg.generic {indexing_maps = [#id, #id],
                         iterator_types = ["parallel"]}
        ins(%x : tensor<8xf32>) outs(%e : tensor<8xf32>) {
    ^bb0(%in: f32, %out: f32):
      %bits = arith.bitcast %in : f32 to i32
      ...
      linalg.yield %r : f32
    } -> tensor<8xf32>
    ```
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::linalg::LinalgDialect",
    "::mlir::math::MathDialect",
    "::mlir::scf::SCFDialect",
    "::mlir::tensor::TensorDialect",
  ];
}

def QOptGPUPreciseSqrtPass : Pass<"qopt-gpu-precise-sqrt",
                                  "::mlir::gpu::GPUModuleOp"> {
  let summary = "use the correctly rounded f32 square root in GPU kernels";
  let description = [{
    Rewrites `math.sqrt` on f32 inside a `gpu.module` into a call of the
    NVVM intrinsic `llvm.nvvm.sqrt.rn.f`. The upstream GPU-to-NVVM
    conversion would otherwise call libdevice's `__nv_sqrtf`, which NVVM
    reflection compiles to the approximate `sqrt.approx.f32`; the intrinsic
    is the IEEE `sqrt.rn.f32`. This keeps the Adam update on the GPU bit-identical to
    the CPU lowering (which uses the correctly rounded square root too).

    Precondition: a `gpu.module` before `convert-gpu-to-nvvm`. Afterwards:
    no f32 `math.sqrt` is left in it (other element types are untouched).

    Example:

    ```mlir
    // Before
    %r = math.sqrt %x : f32
    // After
    %r = llvm.call_intrinsic "llvm.nvvm.sqrt.rn.f"(%x) : (f32) -> f32
    ```
  }];
  let dependentDialects = ["::mlir::LLVM::LLVMDialect"];
}

def QOptGPUMapMatmulPass : Pass<"qopt-gpu-map-matmul",
                                "::mlir::func::FuncOp"> {
  let summary = "map linalg.matmul on buffers to a register-blocked GPU kernel";
  let description = [{
    Rewrites every `linalg.matmul` with buffer semantics and the default
    indexing maps (C += A B, f32) into a `gpu.launch` in which each block
    computes a `tile` x `tile` tile of C and each thread a `thread-tile` x
    `thread-tile` sub-tile (rows and columns `tile / thread-tile` apart, so
    neighbouring threads load and store neighbouring columns: coalesced),
    accumulated in registers over the K loop: every
    value loaded from A is used `thread-tile` times and every value from B
    as often, instead of one thread per output element with no reuse. Edges
    are handled with clamped loads and guarded stores, so any M, N, K work.
    The Newton-Schulz iteration of `qopt.muon_update` is three such matmuls
    a step.

    Precondition: bufferized IR (memrefs). Afterwards: no such
    `linalg.matmul` remains; the launches are outlined by
    `gpu-kernel-outlining` like the rest of the GPU pipeline.

    Example:

    ```mlir
    // Before
    linalg.matmul ins(%a, %b : memref<?x?xf32>, memref<?x?xf32>)
                  outs(%c : memref<?x?xf32>)
    // After (tile = 64, thread-tile = 4)
    gpu.launch blocks(%bx, %by, %bz) in (%gx = ceil(N/64), %gy = ceil(M/64), %gz = 1)
               threads(%tx, %ty, %tz) in (%sx = 16, %sy = 16, %sz = 1) {
      // 16 accumulators, scf.for over K loading 4 values of A and 4 of B
      ...
      gpu.terminator
    }
    ```
  }];
  let options = [
    Option<"tile", "tile", "int64_t", /*default=*/"64",
           "Rows and columns of C computed by one block">,
    Option<"threadTile", "thread-tile", "int64_t", /*default=*/"4",
           "Rows and columns of C computed by one thread (registers)">,
  ];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::gpu::GPUDialect",
    "::mlir::memref::MemRefDialect",
    "::mlir::scf::SCFDialect",
  ];
}

def QOptGPULaunchToLoopsPass : Pass<"qopt-gpu-launch-to-loops",
                                    "::mlir::func::FuncOp"> {
  let summary = "run gpu.launch bodies as host loops (GPU kernels on a CPU)";
  let description = [{
    Replaces every `gpu.launch` by a nest of `scf.for` loops over its grid
    and block (z, y, x for blocks, then for threads) whose body is the
    launch body, with the block and thread ids, grid and block sizes bound
    to the loop variables and launch operands. The kernels qopt generates
    (elementwise loops, register-blocked matmuls) use no barriers, shuffles
    or shared memory, so running their threads one after the other computes
    exactly what the GPU computes, with the same index mapping, edge guards
    and arithmetic. `--qopt-lower-to-gpu-emulation` uses this to check the
    GPU lowering bit for bit on machines without a GPU
    (`qopt-gpu-check --emulate`).

    A launch that cannot be emulated this way (asynchronous, clustered,
    with workgroup or private attributions, several blocks, or GPU ops in
    its body such as `gpu.barrier`) is reported as an error.

    Example:

    ```mlir
    // Before
    gpu.launch blocks(%bx, %by, %bz) in (%gx = %n, %gy = %c1, %gz = %c1)
               threads(%tx, %ty, %tz) in (%sx = %c256, %sy = %c1, %sz = %c1) {
      ... uses of %bx and %tx ...
      gpu.terminator
    }
    // After
    scf.for %bz = %c0 to %c1 step %c1 {
      scf.for %by = %c0 to %c1 step %c1 {
        scf.for %bx = %c0 to %n step %c1 {
          // the same three loops over threads, then the body
        }
      }
    }
    ```
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::scf::SCFDialect",
  ];
}

def QOptGPUHostToKernelsPass : Pass<"qopt-gpu-host-to-kernels",
                                    "::mlir::func::FuncOp"> {
  let summary = "move the array work bufferization leaves on the host into "
                "kernels";
  let description = [{
    On the GPU path every buffer a function touches lives in device memory,
    so no array work may stay in host code. After bufferization two kinds
    would: `memref.copy` (copies bufferization inserts) and linalg ops
    without a parallel loop (a `linalg.fill` of a 0-d buffer, a reduction
    to a scalar such as the last stage of Muon's Frobenius norm), which
    the parallel-loop mapping leaves as host loops. This pass rewrites each
    `memref.copy` outside a `gpu.launch` into a `linalg.copy` (mapped to
    threads like any elementwise op) and wraps each such serial linalg op
    into a `gpu.launch` of one thread.

    Precondition: bufferized IR, before `convert-linalg-to-parallel-loops`.

    Example:

    ```mlir
    // Before
    memref.copy %a, %b : memref<16x40xf32> to memref<16x40xf32>
    linalg.generic {iterator_types = ["reduction"], ...}
        ins(%rows : memref<16xf32>) outs(%sum : memref<f32>) {...}
    // After
    linalg.copy ins(%a : memref<16x40xf32>) outs(%b : memref<16x40xf32>)
    gpu.launch blocks(...) in (%gx = %c1, %gy = %c1, %gz = %c1)
               threads(...) in (%sx = %c1, %sy = %c1, %sz = %c1) {
      linalg.generic {iterator_types = ["reduction"], ...} ...
      gpu.terminator
    }
    ```
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::gpu::GPUDialect",
    "::mlir::linalg::LinalgDialect",
  ];
}

def QOptGPUDeviceBuffersPass : Pass<"qopt-gpu-device-buffers",
                                    "::mlir::func::FuncOp"> {
  let summary = "allocate the temporaries of GPU kernels in device memory";
  let description = [{
    Replaces each `memref.alloc` of host code (a temporary that bufferization
    created, e.g. Muon's normalised matrix and Newton-Schulz products) by a
    `gpu.alloc` in device memory and frees it with `gpu.dealloc` at the end
    of the block that allocates it; both in the asynchronous form the
    `gpu-to-llvm` lowering expects, each waited for at once (kernel launches
    are synchronous). Checks on the way that host code touches no buffer
    contents (loads, stores, copies, linalg or vector ops outside
    `gpu.launch`), which would read device memory from the CPU, and that no
    temporary escapes its block; either is reported as an error.

    With `host-memory`, allocations stay `memref.alloc` and are freed with
    `memref.dealloc` (the emulation of GPU kernels on the CPU).

    Precondition: after `convert-parallel-loops-to-gpu`, before outlining.

    Example:

    ```mlir
    // Before
    %x = memref.alloc() : memref<16x40xf32>
    gpu.launch ... { ... %x ... }
    return
    // After
    %t0 = gpu.wait async
    %x, %t1 = gpu.alloc async [%t0] () : memref<16x40xf32>
    gpu.wait [%t1]
    gpu.launch ... { ... %x ... }
    %t2 = gpu.wait async
    %t3 = gpu.dealloc async [%t2] %x : memref<16x40xf32>
    gpu.wait [%t3]
    return
    ```
  }];
  let options = [
    Option<"hostMemory", "host-memory", "bool", /*default=*/"false",
           "Keep temporaries in host memory (memref.alloc/dealloc)">,
  ];
  let dependentDialects = [
    "::mlir::gpu::GPUDialect",
    "::mlir::memref::MemRefDialect",
  ];
}

def QOptGPUCheckSupportedPass : Pass<"qopt-gpu-check-supported",
                                      "::mlir::ModuleOp"> {
  let summary = "reject, with a diagnostic, IR the GPU pipelines cannot map";
  let description = [{
    The second pass of `--qopt-lower-to-gpu`, `--qopt-lower-to-nvvm` and
    `--qopt-lower-to-gpu-emulation`, after `qopt-check-supported` (what no
    qopt pipeline lowers). It changes nothing; it reports, on the
    op concerned, what the GPU pipelines do not support, before an upstream
    pass deep inside them fails with a message about its own internals
    ("failed to legalize ..."):

    * an `scf.parallel` with reductions (init values and `scf.reduce`):
      the pipelines map parallel loops to threads without a cross-thread
      reduction; write the reduction as a `linalg` reduction (it runs as a
      kernel per output element) instead;
    * a value of a float type that NVVM has no register type for (`tf32`,
      the 6- and 4-bit float types, the FNUZ f8 types and f8E8M0FNU) in any
      operand or result, tensors and memrefs included: keep such data in
      f32 with a `qopt.quantize` to the format (e.g. `<tf32>`), or in a
      narrow container through `qopt.encode` (f8E5M2, f8E4M3FN, f8E4M3,
      f8E3M4, bf16 and f16 are loaded and stored as codes);
    * arithmetic (anything but `arith.bitcast`, constants, loads, stores and
      copies) on 8-bit float values, which the NVVM lowering cannot emit.

    Example:

    ```mlir
    // error: qopt GPU pipelines: a parallel loop with reductions is not
    // mapped to GPU threads
    %r = scf.parallel (%i) = (%c0) to (%n) step (%c1) init (%zero) -> f32 {
      ...
    }
    ```
  }];
}

def QOptGPUContiguousThreadsPass : Pass<"qopt-gpu-contiguous-threads",
                                        "::mlir::func::FuncOp"> {
  let summary = "order multi-dimensional parallel loops innermost first, so "
                "thread x walks contiguous memory";
  let description = [{
    `scf-parallel-loop-tiling` tiles the first dimensions of an
    `scf.parallel` and `gpu-map-parallel-loops` maps the first dimension of
    the tile to thread x. For a row-major 2-D elementwise loop (Muon's
    momentum, normalisation and update) that puts consecutive threads of a
    warp on consecutive rows, a whole row apart in memory, and every load
    and store becomes 32 transactions. This pass reverses the dimensions of
    each `scf.parallel` with two or more dimensions and no reductions, so
    the last (contiguous) dimension comes first and is tiled by the block
    size and mapped to thread x: a warp reads 32 consecutive floats at once.
    The iteration space and the body are unchanged.

    Example:

    ```mlir
    // Before
    scf.parallel (%i, %j) = (%c0, %c0) to (%m, %n) step (%c1, %c1) {
      %x = memref.load %a[%i, %j] : memref<?x?xf32>
      ...
    }
    // After
    scf.parallel (%j, %i) = (%c0, %c0) to (%n, %m) step (%c1, %c1) {
      %x = memref.load %a[%i, %j] : memref<?x?xf32>
      ...
    }
    ```
  }];
  let dependentDialects = ["::mlir::scf::SCFDialect"];
}

#endif // QOPT_CONVERSION_PASSES_TD
