// RUN: qopt-opt %s --split-input-file --qopt-unswitch-invariant-selects | FileCheck %s

/// A select on a condition computed before the loop: the loop is copied into
/// both branches of an scf.if, each copy using the operand its branch picks.
// CHECK-LABEL: func.func @invariant_select
// CHECK-SAME: (%[[M:.*]]: memref<?xi32>, %[[N:.*]]: index, %[[WIDE:.*]]: i1, %[[HIGH:.*]]: i32)
// CHECK: %[[ZERO:.*]] = arith.constant 0 : i32
// CHECK: scf.if %[[WIDE]] {
// CHECK-NEXT: scf.for
// CHECK-NOT: arith.select
// CHECK: memref.store %[[HIGH]], %[[M]]
// CHECK: } else {
// CHECK-NEXT: scf.for
// CHECK-NOT: arith.select
// CHECK: memref.store %[[ZERO]], %[[M]]
// CHECK-NEXT: }
// CHECK-NEXT: }
// CHECK-NEXT: return
func.func @invariant_select(%m: memref<?xi32>, %n: index, %wide: i1, %high: i32) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %zero = arith.constant 0 : i32
  scf.for %i = %c0 to %n step %c1 {
    %h = arith.select %wide, %high, %zero : i32
    memref.store %h, %m[%i] : memref<?xi32>
  }
  return
}

// -----

/// The same for an scf.parallel (the loops the OpenMP lowering runs).
// CHECK-LABEL: func.func @invariant_select_parallel
// CHECK: scf.if %{{.*}} {
// CHECK-NEXT: scf.parallel
// CHECK-NOT: arith.select
// CHECK: } else {
// CHECK-NEXT: scf.parallel
// CHECK-NOT: arith.select
// CHECK: return
func.func @invariant_select_parallel(%m: memref<?xi32>, %n: index, %wide: i1, %high: i32) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %zero = arith.constant 0 : i32
  scf.parallel (%i) = (%c0) to (%n) step (%c1) {
    %h = arith.select %wide, %high, %zero : i32
    memref.store %h, %m[%i] : memref<?xi32>
  }
  return
}

// -----

/// Left alone: a condition computed in the loop, a loop with results, and
/// the outer loop of a nest (its inner loop is versioned instead).
// CHECK-LABEL: func.func @not_unswitched
// CHECK-NOT: scf.if
// CHECK: scf.for
// CHECK: arith.select
// CHECK: scf.for {{.*}} iter_args
// CHECK: arith.select
// CHECK: scf.for
// CHECK-NEXT: scf.if
// CHECK-NEXT: scf.for
// CHECK: } else {
// CHECK-NEXT: scf.for
// CHECK: return
func.func @not_unswitched(%m: memref<?xi32>, %n: index, %wide: i1, %high: i32) -> i32 {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %zero = arith.constant 0 : i32
  scf.for %i = %c0 to %n step %c1 {
    %v = memref.load %m[%i] : memref<?xi32>
    %c = arith.cmpi eq, %v, %zero : i32
    %h = arith.select %c, %high, %v : i32
    memref.store %h, %m[%i] : memref<?xi32>
  }
  %sum = scf.for %i = %c0 to %n step %c1 iter_args(%acc = %zero) -> i32 {
    %h = arith.select %wide, %high, %zero : i32
    %next = arith.addi %acc, %h : i32
    scf.yield %next : i32
  }
  scf.for %i = %c0 to %n step %c1 {
    scf.for %j = %c0 to %n step %c1 {
      %h = arith.select %wide, %high, %zero : i32
      memref.store %h, %m[%j] : memref<?xi32>
    }
  }
  return %sum : i32
}

// -----

/// A constant condition is folded by the canonicalizer, not versioned.
// CHECK-LABEL: func.func @constant_condition
// CHECK-NOT: scf.if
// CHECK: arith.select
func.func @constant_condition(%m: memref<?xi32>, %n: index, %high: i32) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %true = arith.constant true
  %zero = arith.constant 0 : i32
  scf.for %i = %c0 to %n step %c1 {
    %h = arith.select %true, %high, %zero : i32
    memref.store %h, %m[%i] : memref<?xi32>
  }
  return
}
