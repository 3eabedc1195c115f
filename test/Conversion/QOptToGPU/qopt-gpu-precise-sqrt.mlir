// RUN: qopt-opt %s --pass-pipeline="builtin.module(gpu.module(qopt-gpu-precise-sqrt))" | FileCheck %s

/// f32 square roots in GPU kernels become the IEEE NVVM intrinsic.
module attributes {gpu.container_module} {
  // CHECK-LABEL: gpu.module @kernels
  gpu.module @kernels {
    // CHECK-LABEL: gpu.func @scalar_f32
    // CHECK-SAME: (%[[X:[^:]*]]: f32,
    // CHECK: llvm.call_intrinsic "llvm.nvvm.sqrt.rn.f"(%[[X]]) : (f32) -> f32
    // CHECK-NOT: math.sqrt
    gpu.func @scalar_f32(%x: f32, %out: memref<f32>) kernel {
      %r = math.sqrt %x : f32
      memref.store %r, %out[] : memref<f32>
      gpu.return
    }
    /// Other types keep math.sqrt (and the libdevice lowering).
    // CHECK-LABEL: gpu.func @negative_f64
    // CHECK: math.sqrt %{{.*}} : f64
    gpu.func @negative_f64(%x: f64, %out: memref<f64>) kernel {
      %r = math.sqrt %x : f64
      memref.store %r, %out[] : memref<f64>
      gpu.return
    }
    // CHECK-LABEL: gpu.func @negative_vector
    // CHECK: math.sqrt %{{.*}} : vector<4xf32>
    gpu.func @negative_vector(%x: vector<4xf32>, %out: memref<vector<4xf32>>) kernel {
      %r = math.sqrt %x : vector<4xf32>
      memref.store %r, %out[] : memref<vector<4xf32>>
      gpu.return
    }
  }
}
