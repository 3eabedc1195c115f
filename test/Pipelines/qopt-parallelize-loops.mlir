// RUN: qopt-opt %s --qopt-parallelize-loops -split-input-file | FileCheck %s
// RUN: qopt-opt %s --qopt-parallelize-loops="min-iterations=1" -split-input-file | FileCheck %s --check-prefix=MIN1

/// An elementwise op on a dynamic 1-D buffer: its one loop is parallel.

// CHECK-LABEL: func.func @elementwise_dynamic
// CHECK: scf.parallel (%[[I:.*]]) =
// CHECK: %[[A:.*]] = affine.apply #{{.*}}(%[[I]])
// CHECK: memref.load %{{.*}}[%[[A]]]
// CHECK: arith.mulf
// CHECK: memref.store
// CHECK-NOT: linalg.generic
func.func @elementwise_dynamic(%x: memref<?xf32>, %y: memref<?xf32>) {
  linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>,
                                   affine_map<(d0) -> (d0)>],
                  iterator_types = ["parallel"]}
      ins(%x : memref<?xf32>) outs(%y : memref<?xf32>) {
  ^bb0(%in: f32, %out: f32):
    %s = arith.mulf %in, %in : f32
    linalg.yield %s : f32
  }
  return
}

// -----

/// 2-D: only the rows are parallel; the columns stay an scf.for inside, so
/// LLVM vectorises it.

// CHECK-LABEL: func.func @elementwise_2d
// CHECK-DAG: %[[C512:.*]] = arith.constant 512 : index
// CHECK-DAG: %[[C256:.*]] = arith.constant 256 : index
// CHECK: scf.parallel (%[[I:.*]]) = (%{{.*}}) to (%[[C512]])
// CHECK-NEXT: scf.for %[[J:.*]] = %{{.*}} to %[[C256]]
// CHECK: %[[A:.*]] = affine.apply #{{.*}}(%[[I]])
// CHECK: %[[B:.*]] = affine.apply #{{.*}}(%[[J]])
// CHECK: memref.load %{{.*}}[%[[A]], %[[B]]]
func.func @elementwise_2d(%x: memref<512x256xf32>, %y: memref<512x256xf32>) {
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>,
                                   affine_map<(d0, d1) -> (d0, d1)>],
                  iterator_types = ["parallel", "parallel"]}
      ins(%x : memref<512x256xf32>) outs(%y : memref<512x256xf32>) {
  ^bb0(%in: f32, %out: f32):
    %s = arith.addf %in, %in : f32
    linalg.yield %s : f32
  }
  return
}

// -----

/// A unit outer dimension: the parallel loop is the next one.

// CHECK-LABEL: func.func @unit_rows
// CHECK: scf.for
// CHECK-NEXT: scf.parallel
func.func @unit_rows(%x: memref<1x65536xf32>, %y: memref<1x65536xf32>) {
  linalg.copy ins(%x : memref<1x65536xf32>) outs(%y : memref<1x65536xf32>)
  return
}

// -----

/// A row-wise sum: rows in parallel, each row summed in order by one
/// thread.

// CHECK-LABEL: func.func @row_sums
// CHECK: scf.parallel
// CHECK-NEXT: scf.for
// CHECK: arith.addf
func.func @row_sums(%x: memref<512x128xf32>, %y: memref<512xf32>) {
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>,
                                   affine_map<(d0, d1) -> (d0)>],
                  iterator_types = ["parallel", "reduction"]}
      ins(%x : memref<512x128xf32>) outs(%y : memref<512xf32>) {
  ^bb0(%in: f32, %out: f32):
    %s = arith.addf %in, %out : f32
    linalg.yield %s : f32
  }
  return
}

// -----

/// negative: a full reduction (a norm) stays sequential (a linalg op for
/// --convert-linalg-to-loops), so its sum is added in one order whatever
/// the thread count.

// CHECK-LABEL: func.func @negative_reduction
// CHECK-NOT: scf.parallel
// CHECK: linalg.generic
// CHECK-NOT: scf.parallel
func.func @negative_reduction(%x: memref<?xf32>, %y: memref<f32>) {
  linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>,
                                   affine_map<(d0) -> ()>],
                  iterator_types = ["reduction"]}
      ins(%x : memref<?xf32>) outs(%y : memref<f32>) {
  ^bb0(%in: f32, %out: f32):
    %s = arith.addf %in, %out : f32
    linalg.yield %s : f32
  }
  return
}

// -----

/// negative: below min-iterations (32768 by default) forking costs more
/// than the loop; MIN1 lowers it to a parallel loop anyway.

// CHECK-LABEL: func.func @negative_small
// CHECK-NOT: scf.parallel
// CHECK: linalg.generic
// MIN1-LABEL: func.func @negative_small
// MIN1: scf.parallel
func.func @negative_small(%x: memref<4x8xf32>, %y: memref<4x8xf32>) {
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>,
                                   affine_map<(d0, d1) -> (d0, d1)>],
                  iterator_types = ["parallel", "parallel"]}
      ins(%x : memref<4x8xf32>) outs(%y : memref<4x8xf32>) {
  ^bb0(%in: f32, %out: f32):
    %s = arith.addf %in, %in : f32
    linalg.yield %s : f32
  }
  return
}

// -----

/// negative: an op already inside a parallel loop stays a linalg op (for
/// --convert-linalg-to-loops): no nested parallelism.

// CHECK-LABEL: func.func @negative_nested
// CHECK: scf.parallel
// CHECK-NOT: scf.parallel
// CHECK: linalg.copy
func.func @negative_nested(%x: memref<8x65536xf32>, %y: memref<8x65536xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  scf.parallel (%i) = (%c0) to (%c8) step (%c1) {
    linalg.copy ins(%x : memref<8x65536xf32>) outs(%y : memref<8x65536xf32>)
    scf.reduce
  }
  return
}

// -----

/// negative: tensors (not yet bufferized) are left alone.

// CHECK-LABEL: func.func @negative_tensor
// CHECK: linalg.copy
// CHECK-NOT: scf.parallel
func.func @negative_tensor(%x: tensor<65536xf32>, %y: tensor<65536xf32>) -> tensor<65536xf32> {
  %r = linalg.copy ins(%x : tensor<65536xf32>) outs(%y : tensor<65536xf32>) -> tensor<65536xf32>
  return %r : tensor<65536xf32>
}
