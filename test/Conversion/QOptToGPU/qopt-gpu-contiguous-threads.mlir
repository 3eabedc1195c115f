// RUN: qopt-opt %s --qopt-gpu-contiguous-threads -split-input-file | FileCheck %s

/// A 2-D parallel loop runs its contiguous (last) dimension first, so it is
/// the one tiled by the block size and mapped to thread x; the body indexes
/// the buffer exactly as before.
// CHECK-LABEL: func.func @elementwise_2d
// CHECK-SAME: (%[[A:.*]]: memref<?x?xf32>, %[[M:.*]]: index, %[[N:.*]]: index)
// CHECK: scf.parallel (%[[J:.*]], %[[I:.*]]) = (%{{.*}}, %{{.*}}) to (%[[N]], %[[M]])
// CHECK: %[[X:.*]] = memref.load %[[A]][%[[I]], %[[J]]]
// CHECK: memref.store %{{.*}}, %[[A]][%[[I]], %[[J]]]
func.func @elementwise_2d(%a: memref<?x?xf32>, %m: index, %n: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  scf.parallel (%i, %j) = (%c0, %c0) to (%m, %n) step (%c1, %c1) {
    %x = memref.load %a[%i, %j] : memref<?x?xf32>
    %y = arith.addf %x, %x : f32
    memref.store %y, %a[%i, %j] : memref<?x?xf32>
  }
  return
}

// -----

/// 1-D loops and loops with reductions are left as they are.
// CHECK-LABEL: func.func @unchanged
// CHECK: scf.parallel (%[[I:.*]]) = (%{{.*}}) to (%{{.*}})
// CHECK: scf.parallel (%[[P:.*]], %[[Q:.*]]) = (%{{.*}}, %{{.*}}) to (%[[M:.*]], %[[N:.*]]) step (%{{.*}}, %{{.*}}) init
func.func @unchanged(%a: memref<?xf32>, %b: memref<?x?xf32>, %m: index, %n: index) -> f32 {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %zero = arith.constant 0.0 : f32
  scf.parallel (%i) = (%c0) to (%m) step (%c1) {
    memref.store %zero, %a[%i] : memref<?xf32>
  }
  %sum = scf.parallel (%p, %q) = (%c0, %c0) to (%m, %n) step (%c1, %c1) init (%zero) -> f32 {
    %x = memref.load %b[%p, %q] : memref<?x?xf32>
    scf.reduce(%x : f32) {
    ^bb0(%l: f32, %r: f32):
      %s = arith.addf %l, %r : f32
      scf.reduce.return %s : f32
    }
  }
  return %sum : f32
}
