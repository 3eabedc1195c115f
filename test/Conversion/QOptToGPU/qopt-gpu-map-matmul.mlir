// RUN: qopt-opt %s --qopt-gpu-map-matmul -split-input-file | FileCheck %s
// RUN: qopt-opt %s --qopt-gpu-map-matmul="tile=32 thread-tile=2" -split-input-file | FileCheck %s --check-prefix=SMALL

/// A Newton-Schulz matmul becomes a register-blocked kernel: 64x64 tiles of C
/// per block, 4x4 per thread (16x16 threads), the K loop carrying 16
/// accumulators and loading 4 values of A and 4 of B per step.
// CHECK-LABEL: func.func @matmul
// CHECK-SAME: (%[[A:[^:]*]]: memref<?x?xf32>, %[[B:[^:]*]]: memref<?x?xf32>, %[[C:[^:]*]]: memref<?x?xf32>)
// CHECK-NOT: linalg.matmul
// CHECK-DAG: %[[C16:.*]] = arith.constant 16 : index
// CHECK-DAG: %[[C64:.*]] = arith.constant 64 : index
// CHECK: %[[GX:.*]] = arith.ceildivui %{{.*}}, %[[C64]] : index
// CHECK: %[[GY:.*]] = arith.ceildivui %{{.*}}, %[[C64]] : index
// CHECK: gpu.launch blocks({{.*}}) in ({{.*}} = %[[GX]], {{.*}} = %[[GY]], {{.*}}) threads({{.*}}) in ({{.*}} = %[[C16]], {{.*}} = %[[C16]], {{.*}})
// CHECK-COUNT-16: memref.load %[[C]]
// CHECK: scf.for %[[K:.*]] = %{{.*}} to %{{.*}} step %{{.*}} iter_args(
// CHECK-COUNT-4: memref.load %[[A]][%{{.*}}, %[[K]]]
// CHECK-COUNT-4: memref.load %[[B]][%[[K]], %{{.*}}]
// CHECK-COUNT-16: arith.mulf
// CHECK: scf.yield
// CHECK-COUNT-16: memref.store %{{.*}}, %[[C]]
// CHECK: gpu.terminator

// SMALL-LABEL: func.func @matmul
// SMALL: arith.constant 32 : index
// SMALL: gpu.launch
// SMALL-COUNT-4: memref.load
// SMALL: scf.for
// SMALL-COUNT-2: memref.load %{{.*}}[%{{.*}}, %{{.*}}]
func.func @matmul(%a: memref<?x?xf32>, %b: memref<?x?xf32>, %c: memref<?x?xf32>) {
  linalg.matmul ins(%a, %b : memref<?x?xf32>, memref<?x?xf32>) outs(%c : memref<?x?xf32>)
  return
}

// -----

/// Tensors (before bufferization) are left alone.
// CHECK-LABEL: func.func @negative_tensor
// CHECK: linalg.matmul
// CHECK-NOT: gpu.launch
func.func @negative_tensor(%a: tensor<8x8xf32>, %b: tensor<8x8xf32>, %c: tensor<8x8xf32>) -> tensor<8x8xf32> {
  %r = linalg.matmul ins(%a, %b : tensor<8x8xf32>, tensor<8x8xf32>) outs(%c : tensor<8x8xf32>) -> tensor<8x8xf32>
  return %r : tensor<8x8xf32>
}

// -----

/// Matmuls with user-defined (transposing) maps are left alone.
// CHECK-LABEL: func.func @negative_transposed
// CHECK: linalg.matmul
// CHECK-NOT: gpu.launch
func.func @negative_transposed(%a: memref<8x8xf32>, %b: memref<8x8xf32>, %c: memref<8x8xf32>) {
  linalg.matmul indexing_maps = [affine_map<(d0, d1, d2) -> (d2, d0)>,
                                 affine_map<(d0, d1, d2) -> (d2, d1)>,
                                 affine_map<(d0, d1, d2) -> (d0, d1)>]
      ins(%a, %b : memref<8x8xf32>, memref<8x8xf32>) outs(%c : memref<8x8xf32>)
  return
}

// -----

/// f16 matmuls are left alone.
// CHECK-LABEL: func.func @negative_f16
// CHECK: linalg.matmul
func.func @negative_f16(%a: memref<8x8xf16>, %b: memref<8x8xf16>, %c: memref<8x8xf16>) {
  linalg.matmul ins(%a, %b : memref<8x8xf16>, memref<8x8xf16>) outs(%c : memref<8x8xf16>)
  return
}
