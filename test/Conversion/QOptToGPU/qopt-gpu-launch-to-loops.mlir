// RUN: qopt-opt %s --qopt-gpu-launch-to-loops -split-input-file | FileCheck %s

/// A launch becomes loops over blocks (z, y, x) then threads (z, y, x); the
/// body sees the loop variables as its ids and the launch operands as its
/// sizes.
// CHECK-LABEL: func.func @elementwise
// CHECK-SAME: (%[[BUF:.*]]: memref<?xf32>, %[[N:.*]]: index)
// CHECK-DAG: %[[C0:.*]] = arith.constant 0 : index
// CHECK-DAG: %[[C1:.*]] = arith.constant 1 : index
// CHECK-DAG: %[[C256:.*]] = arith.constant 256 : index
// CHECK-NOT: gpu.launch
// CHECK: scf.for %{{.*}} = %[[C0]] to %[[C1]] step %[[C1]] {
// CHECK: scf.for %{{.*}} = %[[C0]] to %[[C1]] step %[[C1]] {
// CHECK: scf.for %[[BX:.*]] = %[[C0]] to %[[N]] step %[[C1]] {
// CHECK: scf.for %{{.*}} = %[[C0]] to %[[C1]] step %[[C1]] {
// CHECK: scf.for %{{.*}} = %[[C0]] to %[[C1]] step %[[C1]] {
// CHECK: scf.for %[[TX:.*]] = %[[C0]] to %[[C256]] step %[[C1]] {
// CHECK: %[[BASE:.*]] = arith.muli %[[BX]], %[[C256]] : index
// CHECK: %[[I:.*]] = arith.addi %[[BASE]], %[[TX]] : index
// CHECK: memref.store %{{.*}}, %[[BUF]][%[[I]]]
// CHECK-NOT: gpu.terminator
func.func @elementwise(%buf: memref<?xf32>, %n: index) {
  %c1 = arith.constant 1 : index
  %c256 = arith.constant 256 : index
  %zero = arith.constant 0.0 : f32
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %n, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c256, %sy = %c1, %sz = %c1) {
    %base = arith.muli %bx, %sx : index
    %i = arith.addi %base, %tx : index
    memref.store %zero, %buf[%i] : memref<?xf32>
    gpu.terminator
  }
  return
}

// -----

/// Two-dimensional grids and blocks (the register-blocked matmuls): y ids
/// are the second loops of each triple.
// CHECK-LABEL: func.func @two_dimensional
// CHECK: scf.for
// CHECK: scf.for %[[BY:.*]] =
// CHECK: scf.for %[[BX:.*]] =
// CHECK: scf.for
// CHECK: scf.for %[[TY:.*]] =
// CHECK: scf.for %[[TX:.*]] =
// CHECK: memref.store %{{.*}}, %{{.*}}[%[[BY]], %[[BX]], %[[TY]], %[[TX]]]
func.func @two_dimensional(%buf: memref<?x?x16x16xf32>, %m: index, %n: index) {
  %c1 = arith.constant 1 : index
  %c16 = arith.constant 16 : index
  %zero = arith.constant 0.0 : f32
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %n, %gy = %m, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c16, %sy = %c16, %sz = %c1) {
    memref.store %zero, %buf[%by, %bx, %ty, %tx] : memref<?x?x16x16xf32>
    gpu.terminator
  }
  return
}
