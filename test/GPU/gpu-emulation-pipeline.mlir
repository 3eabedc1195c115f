// RUN: qopt-opt %s --qopt-lower-to-gpu-emulation | FileCheck %s
// RUN: qopt-opt %s --qopt-lower-to-gpu-emulation="block-size=128" | FileCheck %s --check-prefix=BLOCK128

/// --qopt-lower-to-gpu-emulation runs the kernels of the GPU path on the host:
/// no GPU op is left, the function is plain LLVM dialect whose loops are the
/// grid (blocks of 256 threads) around the quantize arithmetic.

// CHECK-NOT: gpu.
// CHECK-LABEL: llvm.func @quantize_bf16
// CHECK: llvm.mlir.constant(256 : index)
// CHECK: llvm.bitcast %{{.*}} : f32 to i32
// CHECK: llvm.bitcast %{{.*}} : i32 to f32
// CHECK: llvm.store
// CHECK-NOT: gpu.

// BLOCK128-LABEL: llvm.func @quantize_bf16
// BLOCK128: llvm.mlir.constant(128 : index)
func.func @quantize_bf16(%x: memref<?xf32>, %y: memref<?xf32>) {
  %t = bufferization.to_tensor %x restrict : memref<?xf32> to tensor<?xf32>
  %q = qopt.quantize %t to <bf16> : tensor<?xf32>
  bufferization.materialize_in_destination %q in restrict writable %y : (tensor<?xf32>, memref<?xf32>) -> ()
  return
}
