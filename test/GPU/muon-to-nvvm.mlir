// REQUIRES: ptxas
// RUN: qopt-opt %s --qopt-lower-to-gpu | FileCheck %s
// RUN: qopt-opt %s --qopt-lower-to-nvvm > %t.mlir
// RUN: %python %qopt_src/utils/extract-ptx.py %t.mlir %t.ptx --ptxas %ptxas --arch sm_90 | FileCheck %s --check-prefix=PTXAS

/// A whole Muon step on the GPU: every stage is a kernel on device memory.
/// Temporaries are allocated on the device once, outside the Newton-Schulz
/// loop, and freed at the end; the last stage of the norm (a sum of the row
/// sums) is a one-thread kernel; host code touches no buffer contents.

// CHECK-LABEL: func.func @muon_tall
// CHECK-NOT: memref.alloc
// CHECK-NOT: memref.load
// CHECK: gpu.alloc async
// CHECK: gpu.launch_func
// CHECK: gpu.launch_func {{.*}} blocks in (%[[ONE:.*]], %[[ONE]], %[[ONE]]) threads in (%[[ONE]], %[[ONE]], %[[ONE]]) args({{.*}} : memref<40xf32>, {{.*}} : memref<f32>)
// CHECK: cf.cond_br
// CHECK-NOT: gpu.alloc
// CHECK: gpu.launch_func
// CHECK: gpu.dealloc async
// CHECK-NOT: memref.load
// CHECK: return

// PTXAS: ptxas: {{[0-9]+}} PTX modules assembled for sm_90
func.func @muon_tall(%w: memref<40x24xf32>, %g: memref<40x24xf32>, %b: memref<40x24xf32>) {
  %tw = bufferization.to_tensor %w restrict writable : memref<40x24xf32> to tensor<40x24xf32>
  %tg = bufferization.to_tensor %g restrict : memref<40x24xf32> to tensor<40x24xf32>
  %tb = bufferization.to_tensor %b restrict writable : memref<40x24xf32> to tensor<40x24xf32>
  %w1, %b1 = qopt.muon_update %tw, %tg, %tb {lr = 2.0e-2 : f32} : tensor<40x24xf32>
  bufferization.materialize_in_destination %w1 in restrict writable %w : (tensor<40x24xf32>, memref<40x24xf32>) -> ()
  bufferization.materialize_in_destination %b1 in restrict writable %b : (tensor<40x24xf32>, memref<40x24xf32>) -> ()
  return
}
