// REQUIRES: ptxas
// RUN: qopt-opt %s --qopt-lower-to-nvvm > %t.mlir
// RUN: %python %qopt_src/utils/extract-ptx.py %t.mlir %t.ptx
// RUN: %ptxas -arch=sm_90 %t.ptx -o %t.cubin
// RUN: FileCheck %s --input-file=%t.ptx

/// The PTX qopt produces for quantize (nearest-even, toward-zero and
/// stochastic, the latter with its counter hash) assembles for sm_90.

// CHECK: .target sm_90
// CHECK-DAG: .visible .entry quantize_fp8_e4m3_kernel(
// CHECK-DAG: .visible .entry quantize_stochastic_kernel(
/// The kernel's part of the counter hash is two 32-bit multiplies (lowbias32
/// constants 0x7FEB352D and 0x846CA68B); the 64-bit key is computed on the
/// host, before the launch.
// CHECK-DAG: mul.lo.s32 {{.*}}, 2146121005;
// CHECK-DAG: mul.lo.s32 {{.*}}, -2073254261;
// CHECK-NOT: mul.lo.s64
func.func @quantize_fp8_e4m3(%x: memref<1024x64xf32>, %y: memref<1024x64xf32>) {
  %tx = bufferization.to_tensor %x restrict : memref<1024x64xf32> to tensor<1024x64xf32>
  %q = qopt.quantize %tx to <fp8_e4m3> : tensor<1024x64xf32>
  bufferization.materialize_in_destination %q in restrict writable %y
      : (tensor<1024x64xf32>, memref<1024x64xf32>) -> ()
  return
}

/// Two quantizations in a row fuse into one kernel.
func.func @quantize_stochastic(%z: memref<?xf32>, %s: memref<?xf32>,
                               %seed: i64, %step: i64) {
  %tz = bufferization.to_tensor %z restrict : memref<?xf32> to tensor<?xf32>
  %r = qopt.quantize %tz to <fp8_e5m2, subnormals = flush> rounding <toward_zero> : tensor<?xf32>
  %st = qopt.quantize %r to <e8m3> rounding <stochastic> seed %seed step %step : tensor<?xf32>
  bufferization.materialize_in_destination %st in restrict writable %s
      : (tensor<?xf32>, memref<?xf32>) -> ()
  return
}
