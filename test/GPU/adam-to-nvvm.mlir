// RUN: qopt-opt %s --qopt-lower-to-gpu | FileCheck %s --check-prefix=GPU
// REQUIRES: ptxas
// RUN: qopt-opt %s --qopt-lower-to-nvvm > %t.mlir
// RUN: %python %qopt_src/utils/extract-ptx.py %t.mlir %t.ptx
// RUN: %ptxas -arch=sm_90 %t.ptx -o %t.cubin
// RUN: FileCheck %s --check-prefix=PTX --input-file=%t.ptx

/// The fused quantized Adam step, in place on device buffers, becomes one
/// kernel: one read of w, g, m, v and one write of w, m, v per element, with
/// the gradient and moment quantization inside; no host allocation is left.

// GPU-LABEL: func.func @adam_step
// GPU-NOT: memref.alloc
// GPU: gpu.launch_func @[[MOD:[a-z0-9_]*]]::@{{[a-z0-9_]*}} blocks
// GPU-NOT: gpu.launch_func
// GPU: gpu.module @[[MOD]]
// GPU: gpu.func @{{.*}} kernel
/// bf16 rounding of g and m (16 dropped bits), fp16 of v (its largest finite
/// value 65504 is 0x477FE000).
// GPU: arith.constant 1199562752 : i32
// GPU-COUNT-4: memref.load
// GPU: math.sqrt
// GPU-COUNT-3: memref.store
// GPU: gpu.return

/// The square root is the IEEE one (qopt-gpu-precise-sqrt), not libdevice's
/// approximation, so GPU and CPU agree bit for bit.
// PTX: .visible .entry adam_step_kernel(
// PTX-NOT: sqrt.approx
// PTX: sqrt.rn.f32
// PTX-NOT: sqrt.approx
func.func @adam_step(%w: memref<?xf32>, %g: memref<?xf32>, %m: memref<?xf32>,
                     %v: memref<?xf32>, %step: i64) {
  %tw = bufferization.to_tensor %w restrict writable : memref<?xf32> to tensor<?xf32>
  %tg = bufferization.to_tensor %g restrict : memref<?xf32> to tensor<?xf32>
  %tm = bufferization.to_tensor %m restrict writable : memref<?xf32> to tensor<?xf32>
  %tv = bufferization.to_tensor %v restrict writable : memref<?xf32> to tensor<?xf32>
  %gq = qopt.quantize %tg to <bf16> component <grad> : tensor<?xf32>
  %w1, %m1, %v1 = qopt.adam_update %tw, %gq, %tm, %tv, %step
      {lr = 1.0e-3 : f32, weight_decay = 1.0e-2 : f32} : tensor<?xf32>
  %mq = qopt.quantize %m1 to <bf16> component <first_moment> : tensor<?xf32>
  %vq = qopt.quantize %v1 to <fp16> component <second_moment> : tensor<?xf32>
  bufferization.materialize_in_destination %w1 in restrict writable %w
      : (tensor<?xf32>, memref<?xf32>) -> ()
  bufferization.materialize_in_destination %mq in restrict writable %m
      : (tensor<?xf32>, memref<?xf32>) -> ()
  bufferization.materialize_in_destination %vq in restrict writable %v
      : (tensor<?xf32>, memref<?xf32>) -> ()
  return
}
