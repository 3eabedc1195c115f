// RUN: qopt-opt %s --qopt-gpu-host-to-kernels -split-input-file | FileCheck %s

/// A copy bufferization left on the host becomes a linalg.copy (a kernel
/// once parallel loops are mapped); a reduction to a scalar, which has no
/// parallel loop, runs in a one-thread launch; parallel linalg ops stay.
// CHECK-LABEL: func.func @copy_and_reduce
// CHECK-SAME: (%[[A:.*]]: memref<16x40xf32>, %[[B:.*]]: memref<16x40xf32>, %[[ROWS:.*]]: memref<16xf32>, %[[SUM:.*]]: memref<f32>)
// CHECK-DAG: %[[C1:.*]] = arith.constant 1 : index
// CHECK-NOT: memref.copy
// CHECK: linalg.copy ins(%[[A]] : memref<16x40xf32>) outs(%[[B]] : memref<16x40xf32>)
// CHECK: linalg.generic {{.*}} iterator_types = ["parallel", "reduction"]
// CHECK: gpu.launch blocks({{.*}}) in ({{.*}} = %[[C1]], {{.*}} = %[[C1]], {{.*}} = %[[C1]]) threads({{.*}}) in ({{.*}} = %[[C1]], {{.*}} = %[[C1]], {{.*}} = %[[C1]])
// CHECK-NEXT: linalg.fill ins(%{{.*}} : f32) outs(%[[SUM]] : memref<f32>)
// CHECK-NEXT: gpu.terminator
// CHECK: gpu.launch
// CHECK-NEXT: linalg.generic {{.*}} iterator_types = ["reduction"]
// CHECK-SAME: ins(%[[ROWS]] : memref<16xf32>) outs(%[[SUM]] : memref<f32>)
#id2 = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d0)>
#id1 = affine_map<(d0) -> (d0)>
#scalar = affine_map<(d0) -> ()>
func.func @copy_and_reduce(%a: memref<16x40xf32>, %b: memref<16x40xf32>,
                           %rows: memref<16xf32>, %sum: memref<f32>) {
  %zero = arith.constant 0.0 : f32
  memref.copy %a, %b : memref<16x40xf32> to memref<16x40xf32>
  linalg.generic {indexing_maps = [#id2, #row], iterator_types = ["parallel", "reduction"]}
      ins(%b : memref<16x40xf32>) outs(%rows : memref<16xf32>) {
  ^bb0(%x: f32, %acc: f32):
    %s = arith.addf %acc, %x : f32
    linalg.yield %s : f32
  }
  linalg.fill ins(%zero : f32) outs(%sum : memref<f32>)
  linalg.generic {indexing_maps = [#id1, #scalar], iterator_types = ["reduction"]}
      ins(%rows : memref<16xf32>) outs(%sum : memref<f32>) {
  ^bb0(%x: f32, %acc: f32):
    %s = arith.addf %acc, %x : f32
    linalg.yield %s : f32
  }
  return
}

// -----

/// Work already inside a kernel is left alone.
// CHECK-LABEL: func.func @in_kernel
// CHECK: gpu.launch
// CHECK-NEXT: memref.copy
// CHECK-NOT: gpu.launch
func.func @in_kernel(%a: memref<4xf32>, %b: memref<4xf32>) {
  %c1 = arith.constant 1 : index
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c1, %sy = %c1, %sz = %c1) {
    memref.copy %a, %b : memref<4xf32> to memref<4xf32>
    gpu.terminator
  }
  return
}
