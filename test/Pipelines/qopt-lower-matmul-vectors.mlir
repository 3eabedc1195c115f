// RUN: qopt-opt %s --split-input-file --qopt-lower-matmul-vectors | FileCheck %s

#lhs = affine_map<(d0, d1, d2) -> (d0, d2)>
#rhs = affine_map<(d0, d1, d2) -> (d2, d1)>
#acc = affine_map<(d0, d1, d2) -> (d0, d1)>

/// A micro-kernel on buffers: the accumulator's transfers leave the K loop,
/// the contraction becomes one broadcast + vector.fma per row of the 4 x 16
/// tile, and the 1-D read of A's packed column a vector.load.
// CHECK-LABEL: func.func @micro_kernel
// CHECK-SAME: (%[[A:.*]]: memref<16x4xf32>, %[[B:.*]]: memref<16x16xf32>, %[[C:.*]]: memref<4x16xf32>)
// CHECK: %[[INIT:.*]] = vector.transfer_read %[[C]]
// CHECK: %[[R:.*]] = scf.for {{.*}} iter_args(%[[T:.*]] = %[[INIT]]) -> (vector<4x16xf32>)
// CHECK-NOT: vector.contract
// CHECK: %[[COL:.*]] = vector.load %[[A]]{{.*}} : memref<16x4xf32>, vector<4xf32>
// CHECK: %[[ROWB:.*]] = vector.extract %{{.*}}[0] : vector<16xf32> from vector<1x16xf32>
// CHECK: %[[A0:.*]] = vector.extract %[[COL]][0] : f32 from vector<4xf32>
// CHECK: %[[BC0:.*]] = vector.broadcast %[[A0]] : f32 to vector<16xf32>
// CHECK: %[[C0:.*]] = vector.extract %[[T]][0] : vector<16xf32> from vector<4x16xf32>
// CHECK: vector.fma %[[BC0]], %[[ROWB]], %[[C0]] : vector<16xf32>
// CHECK-COUNT-3: vector.fma
// CHECK-NOT: vector.contract
// CHECK-NOT: vector.transfer_write
// CHECK: scf.yield
// CHECK: vector.transfer_write %[[R]], %[[C]]
// CHECK: return
func.func @micro_kernel(%a: memref<16x4xf32>, %b: memref<16x16xf32>,
                        %c: memref<4x16xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c16 = arith.constant 16 : index
  %pad = arith.constant 0.0 : f32
  scf.for %k = %c0 to %c16 step %c1 {
    %x = vector.transfer_read %a[%k, %c0], %pad {in_bounds = [true]}
        : memref<16x4xf32>, vector<4xf32>
    %x2 = vector.shape_cast %x : vector<4xf32> to vector<4x1xf32>
    %y = vector.transfer_read %b[%k, %c0], %pad {in_bounds = [true, true]}
        : memref<16x16xf32>, vector<1x16xf32>
    %t = vector.transfer_read %c[%c0, %c0], %pad {in_bounds = [true, true]}
        : memref<4x16xf32>, vector<4x16xf32>
    %u = vector.contract {indexing_maps = [#lhs, #rhs, #acc],
                          iterator_types = ["parallel", "parallel", "reduction"],
                          kind = #vector.kind<add>} %x2, %y, %t
        : vector<4x1xf32>, vector<1x16xf32> into vector<4x16xf32>
    vector.transfer_write %u, %c[%c0, %c0] {in_bounds = [true, true]}
        : vector<4x16xf32>, memref<4x16xf32>
  }
  return
}

// -----

/// negative: scalar code is not touched.
// CHECK-LABEL: func.func @negative_scalar
// CHECK-NEXT: memref.load
// CHECK-NEXT: arith.mulf
// CHECK-NEXT: memref.store
// CHECK-NEXT: return
func.func @negative_scalar(%m: memref<4xf32>, %i: index) {
  %x = memref.load %m[%i] : memref<4xf32>
  %y = arith.mulf %x, %x : f32
  memref.store %y, %m[%i] : memref<4xf32>
  return
}

// -----

/// No vectors: the pass returns without running its rewrite driver, so it
/// does not even fold (the canonicalization after it does).

// CHECK-LABEL: func.func @no_vectors
// CHECK: %[[SUM:.*]] = arith.addf %{{.*}}, %{{.*}} : f32
// CHECK: memref.store %[[SUM]]
func.func @no_vectors(%m: memref<4xf32>) {
  %c0 = arith.constant 0 : index
  %one = arith.constant 1.0 : f32
  %sum = arith.addf %one, %one : f32
  memref.store %sum, %m[%c0] : memref<4xf32>
  return
}
