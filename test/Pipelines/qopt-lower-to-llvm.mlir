// RUN: qopt-opt %s --qopt-lower-to-llvm | FileCheck %s
// RUN: qopt-opt %s --qopt-lower-to-llvm="deallocate=false" | FileCheck %s --check-prefix=NODEALLOC

/// The CPU pipeline takes qopt IR on tensors all the way to the LLVM dialect:
/// nothing of qopt, linalg, tensor, memref, scf or cf is left.

// CHECK-NOT: qopt.
// CHECK-NOT: linalg.
// CHECK-NOT: tensor.
// CHECK-NOT: memref.
// CHECK-NOT: scf.
// CHECK-NOT: cf.
// CHECK-LABEL: llvm.func @quantize_then_print
// CHECK: llvm.call @malloc
// CHECK: llvm.bitcast %{{.*}} : f32 to i32
// CHECK: llvm.call @printMemrefF32
/// The temporary buffer is freed once printed (buffer-deallocation-pipeline).
// CHECK: llvm.call @free

// NODEALLOC-LABEL: llvm.func @quantize_then_print
// NODEALLOC: llvm.call @printMemrefF32
// NODEALLOC-NOT: llvm.call @free
func.func private @printMemrefF32(tensor<*xf32>)
func.func @quantize_then_print(%x: tensor<?xf32>, %seed: i64, %step: i64) {
  %q = qopt.quantize %x to <e4m3, subnormals = flush> rounding <stochastic> seed %seed step %step : tensor<?xf32>
  %u = tensor.cast %q : tensor<?xf32> to tensor<*xf32>
  call @printMemrefF32(%u) : (tensor<*xf32>) -> ()
  return
}
