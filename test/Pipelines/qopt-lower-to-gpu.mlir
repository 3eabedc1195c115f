// RUN: qopt-opt %s --qopt-lower-to-gpu | FileCheck %s
// RUN: qopt-opt %s --qopt-lower-to-gpu="block-size=128" | FileCheck %s --check-prefix=BLOCK
// RUN: qopt-opt %s --qopt-lower-to-gpu="chip=sm_80 features=+ptx70" | FileCheck %s --check-prefix=CHIP
// RUN: qopt-opt %s --qopt-lower-to-gpu="opt-level=1" | FileCheck %s --check-prefix=OPT

/// --qopt-lower-to-gpu stops before NVVM: host code with gpu.launch_func
/// and an outlined gpu.module carrying the NVVM target its options describe.
/// Each option gets its own RUN line (docs/Pipelines.md lists them).

// CHECK-LABEL: func.func @quantize
// CHECK-SAME: (%[[X:.*]]: memref<1024xf32>, %[[Y:.*]]: memref<1024xf32>)
// CHECK-NOT: qopt.
// CHECK-NOT: linalg.
// CHECK-DAG: %[[C256:.*]] = arith.constant 256 : index
// CHECK-DAG: %[[C4:.*]] = arith.constant 4 : index
// CHECK: gpu.launch_func @[[MOD:[a-z_]+]]::@{{[a-z_]+}} blocks in (%[[C4]], %{{.*}}, %{{.*}}) threads in (%[[C256]], %{{.*}}, %{{.*}}) args({{.*}}%[[X]] : memref<1024xf32>, %[[Y]] : memref<1024xf32>)
// CHECK-NEXT: return
// CHECK: gpu.module @[[MOD]] [#nvvm.target<O = 3, chip = "sm_90", features = "+ptx80">]
// CHECK: gpu.func @{{.*}} kernel

/// block-size: threads per block (and so the number of blocks).
// BLOCK-LABEL: func.func @quantize
// BLOCK-DAG: %[[C128:.*]] = arith.constant 128 : index
// BLOCK-DAG: %[[C8:.*]] = arith.constant 8 : index
// BLOCK: gpu.launch_func @{{.*}} blocks in (%[[C8]], %{{.*}}, %{{.*}}) threads in (%[[C128]], %{{.*}}, %{{.*}})

/// chip and features go to the target attribute (and so to NVPTX).
// CHIP: gpu.module @{{.*}} [#nvvm.target<O = 3, chip = "sm_80", features = "+ptx70">]

/// opt-level: NVPTX's optimisation level.
// OPT: gpu.module @{{.*}} [#nvvm.target<O = 1, chip = "sm_90", features = "+ptx80">]

func.func @quantize(%x: memref<1024xf32>, %y: memref<1024xf32>) {
  %t = bufferization.to_tensor %x restrict : memref<1024xf32> to tensor<1024xf32>
  %q = qopt.quantize %t to <bf16> : tensor<1024xf32>
  bufferization.materialize_in_destination %q in restrict writable %y
      : (tensor<1024xf32>, memref<1024xf32>) -> ()
  return
}
