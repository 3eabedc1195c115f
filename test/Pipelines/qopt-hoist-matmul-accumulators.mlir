// RUN: qopt-opt %s --split-input-file --qopt-hoist-matmul-accumulators | FileCheck %s

#lhs = affine_map<(d0, d1, d2) -> (d0, d2)>
#rhs = affine_map<(d0, d1, d2) -> (d2, d1)>
#acc = affine_map<(d0, d1, d2) -> (d0, d1)>

/// The accumulator tile is read once before the K loop, carried as a vector
/// and written once after it.
// CHECK-LABEL: func.func @hoisted
// CHECK-SAME: (%[[X:.*]]: vector<4x1xf32>, %[[Y:.*]]: vector<1x16xf32>, %[[C:.*]]: tensor<4x16xf32>)
// CHECK: %[[INIT:.*]] = vector.transfer_read %[[C]]
// CHECK: %[[LOOP:.*]]:2 = scf.for {{.*}} iter_args(%[[T:.*]] = %[[C]], %[[V:.*]] = %[[INIT]]) -> (tensor<4x16xf32>, vector<4x16xf32>)
// CHECK-NOT: vector.transfer_
// CHECK: %[[U:.*]] = vector.contract {{.*}} %[[X]], %[[Y]], %[[V]]
// CHECK-NOT: vector.transfer_
// CHECK: scf.yield %[[T]], %[[U]]
// CHECK: %[[R:.*]] = vector.transfer_write %[[LOOP]]#1, %[[LOOP]]#0
// CHECK: return %[[R]]
func.func @hoisted(%x: vector<4x1xf32>, %y: vector<1x16xf32>,
                   %c: tensor<4x16xf32>) -> tensor<4x16xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c256 = arith.constant 256 : index
  %pad = arith.constant 0.0 : f32
  %r = scf.for %k = %c0 to %c256 step %c1 iter_args(%a = %c) -> tensor<4x16xf32> {
    %t = vector.transfer_read %a[%c0, %c0], %pad {in_bounds = [true, true]}
        : tensor<4x16xf32>, vector<4x16xf32>
    %u = vector.contract {indexing_maps = [#lhs, #rhs, #acc],
                          iterator_types = ["parallel", "parallel", "reduction"],
                          kind = #vector.kind<add>} %x, %y, %t
        : vector<4x1xf32>, vector<1x16xf32> into vector<4x16xf32>
    %w = vector.transfer_write %u, %a[%c0, %c0] {in_bounds = [true, true]}
        : vector<4x16xf32>, tensor<4x16xf32>
    scf.yield %w : tensor<4x16xf32>
  }
  return %r : tensor<4x16xf32>
}

// -----

#lhs = affine_map<(d0, d1, d2) -> (d0, d2)>
#rhs = affine_map<(d0, d1, d2) -> (d2, d1)>
#acc = affine_map<(d0, d1, d2) -> (d0, d1)>

/// The register tile is a slice of a bigger tile: the slice pair leaves the
/// loop first, then the transfer pair on the slice.
// CHECK-LABEL: func.func @hoisted_through_slice
// CHECK-SAME: (%{{.*}}: vector<4x1xf32>, %{{.*}}: vector<1x16xf32>, %[[C:.*]]: tensor<8x16xf32>, %[[I:.*]]: index)
// CHECK: %[[S:.*]] = tensor.extract_slice %[[C]][%[[I]], 0] [4, 16] [1, 1]
// CHECK: %[[INIT:.*]] = vector.transfer_read %[[S]]
// CHECK: %[[LOOP:.*]]:3 = scf.for {{.*}} iter_args({{.*}} = %[[C]], {{.*}} = %[[S]], %[[V:.*]] = %[[INIT]])
// CHECK-NOT: tensor.
// CHECK-NOT: vector.transfer_
// CHECK: vector.contract {{.*}}, %[[V]]
// CHECK: scf.yield
// CHECK: %[[W:.*]] = vector.transfer_write %[[LOOP]]#2, %[[LOOP]]#1
// CHECK: %[[R:.*]] = tensor.insert_slice %[[W]] into %[[LOOP]]#0[%[[I]], 0] [4, 16] [1, 1]
// CHECK: return %[[R]]
func.func @hoisted_through_slice(%x: vector<4x1xf32>, %y: vector<1x16xf32>,
                                 %c: tensor<8x16xf32>, %i: index)
    -> tensor<8x16xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c256 = arith.constant 256 : index
  %pad = arith.constant 0.0 : f32
  %r = scf.for %k = %c0 to %c256 step %c1 iter_args(%a = %c) -> tensor<8x16xf32> {
    %s = tensor.extract_slice %a[%i, 0] [4, 16] [1, 1]
        : tensor<8x16xf32> to tensor<4x16xf32>
    %t = vector.transfer_read %s[%c0, %c0], %pad {in_bounds = [true, true]}
        : tensor<4x16xf32>, vector<4x16xf32>
    %u = vector.contract {indexing_maps = [#lhs, #rhs, #acc],
                          iterator_types = ["parallel", "parallel", "reduction"],
                          kind = #vector.kind<add>} %x, %y, %t
        : vector<4x1xf32>, vector<1x16xf32> into vector<4x16xf32>
    %w = vector.transfer_write %u, %s[%c0, %c0] {in_bounds = [true, true]}
        : vector<4x16xf32>, tensor<4x16xf32>
    %n = tensor.insert_slice %w into %a[%i, 0] [4, 16] [1, 1]
        : tensor<4x16xf32> into tensor<8x16xf32>
    scf.yield %n : tensor<8x16xf32>
  }
  return %r : tensor<8x16xf32>
}

// -----

#lhs = affine_map<(d0, d1, d2) -> (d0, d2)>
#rhs = affine_map<(d0, d1, d2) -> (d2, d1)>
#acc = affine_map<(d0, d1, d2) -> (d0, d1)>

/// negative: the tile moves with the induction variable (an M loop, not a
/// K loop), so its transfers stay in the loop.
// CHECK-LABEL: func.func @negative_varying_tile
// CHECK: scf.for %[[IV:.*]] = {{.*}} iter_args(%[[A:.*]] = %{{.*}}) -> (tensor<8x16xf32>)
// CHECK: vector.transfer_read %[[A]][%[[IV]], %{{.*}}]
// CHECK: vector.contract
// CHECK: vector.transfer_write %{{.*}}, %[[A]][%[[IV]], %{{.*}}]
// CHECK: scf.yield
func.func @negative_varying_tile(%x: vector<4x1xf32>, %y: vector<1x16xf32>,
                                 %c: tensor<8x16xf32>) -> tensor<8x16xf32> {
  %c0 = arith.constant 0 : index
  %c4 = arith.constant 4 : index
  %c8 = arith.constant 8 : index
  %pad = arith.constant 0.0 : f32
  %r = scf.for %i = %c0 to %c8 step %c4 iter_args(%a = %c) -> tensor<8x16xf32> {
    %t = vector.transfer_read %a[%i, %c0], %pad {in_bounds = [true, true]}
        : tensor<8x16xf32>, vector<4x16xf32>
    %u = vector.contract {indexing_maps = [#lhs, #rhs, #acc],
                          iterator_types = ["parallel", "parallel", "reduction"],
                          kind = #vector.kind<add>} %x, %y, %t
        : vector<4x1xf32>, vector<1x16xf32> into vector<4x16xf32>
    %w = vector.transfer_write %u, %a[%i, %c0] {in_bounds = [true, true]}
        : vector<4x16xf32>, tensor<8x16xf32>
    scf.yield %w : tensor<8x16xf32>
  }
  return %r : tensor<8x16xf32>
}
