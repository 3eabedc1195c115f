// RUN: qopt-opt %s --split-input-file --qopt-prefetch-streams | FileCheck %s
// RUN: qopt-opt %s --split-input-file --qopt-prefetch-streams="block=256 distance=512 min-iterations=1000" | FileCheck %s --check-prefix=SMALL
// RUN: qopt-opt %s --split-input-file --qopt-prefetch-streams="distance=0" | FileCheck %s --check-prefix=OFF

/// A loop of dynamic length streaming through two 1-D arrays: blocks of 1024
/// iterations, each preceded by one prefetch per 64-byte line (16 f32, 64
/// i8) of the elements 2048 iterations ahead, within the loop's range. The
/// array only written is not prefetched.
// CHECK-LABEL: func.func @dynamic
// CHECK-SAME: (%[[X:.*]]: memref<?xf32>, %[[C:.*]]: memref<?xi8>, %[[Y:.*]]: memref<?xf32>, %[[N:.*]]: index)
// CHECK-DAG: %[[C0:.*]] = arith.constant 0 : index
// CHECK-DAG: %[[B:.*]] = arith.constant 1024 : index
// CHECK-DAG: %[[D:.*]] = arith.constant 2048 : index
// CHECK: scf.for %[[BLOCK:.*]] = %[[C0]] to %[[N]] step %[[B]] {
// CHECK-NEXT: %[[BE:.*]] = arith.addi %[[BLOCK]], %[[B]] : index
// CHECK-NEXT: %[[END:.*]] = arith.minsi %[[BE]], %[[N]] : index
// CHECK-NEXT: %[[PB:.*]] = arith.addi %[[BLOCK]], %[[D]] : index
// CHECK-NEXT: %[[PE0:.*]] = arith.addi %[[END]], %[[D]] : index
// CHECK-NEXT: %[[PE:.*]] = arith.minsi %[[PE0]], %[[N]] : index
// CHECK-NEXT: %[[L16:.*]] = arith.constant 16 : index
// CHECK-NEXT: scf.for %[[P:.*]] = %[[PB]] to %[[PE]] step %[[L16]] {
// CHECK-NEXT: memref.prefetch %[[X]][%[[P]]], read, locality<3>, data : memref<?xf32>
// CHECK-NEXT: }
// CHECK-NEXT: %[[L64:.*]] = arith.constant 64 : index
// CHECK-NEXT: scf.for %[[P2:.*]] = %[[PB]] to %[[PE]] step %[[L64]] {
// CHECK-NEXT: memref.prefetch %[[C]][%[[P2]]], read, locality<3>, data : memref<?xi8>
// CHECK-NEXT: }
// CHECK-NEXT: scf.for %[[I:.*]] = %[[BLOCK]] to %[[END]] step %{{.*}} {
// CHECK-NEXT: memref.load %[[X]][%[[I]]]
// CHECK-NEXT: memref.load %[[C]][%[[I]]]
// CHECK-NOT: prefetch
// CHECK: return
// SMALL-LABEL: func.func @dynamic
// SMALL: arith.constant 256 : index
// SMALL: arith.constant 512 : index
// SMALL: memref.prefetch
// OFF-LABEL: func.func @dynamic
// OFF-NOT: memref.prefetch
// OFF: return
func.func @dynamic(%x: memref<?xf32>, %codes: memref<?xi8>, %y: memref<?xf32>, %n: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  scf.for %i = %c0 to %n step %c1 {
    %v = memref.load %x[%i] : memref<?xf32>
    %c = memref.load %codes[%i] : memref<?xi8>
    %e = arith.sitofp %c : i8 to f32
    %s = arith.addf %v, %e : f32
    memref.store %s, %y[%i] : memref<?xf32>
  }
  return
}

// -----

/// A static loop shorter than min-iterations (65536 by default) is left
/// alone; with min-iterations=1000 it is prefetched.
// CHECK-LABEL: func.func @short_static
// CHECK-NOT: memref.prefetch
// CHECK: return
// SMALL-LABEL: func.func @short_static
// SMALL: memref.prefetch
func.func @short_static(%x: memref<4096xf32>, %y: memref<4096xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4096 = arith.constant 4096 : index
  scf.for %i = %c0 to %c4096 step %c1 {
    %v = memref.load %x[%i] : memref<4096xf32>
    memref.store %v, %y[%i] : memref<4096xf32>
  }
  return
}

// -----

/// Left alone: a 2-D array, a load at another index than the induction
/// variable, a step other than 1, a strided view, an outer loop, a loop with
/// results.
// CHECK-LABEL: func.func @not_streams
// CHECK-NOT: memref.prefetch
// CHECK: return
func.func @not_streams(%m: memref<?x?xf32>, %x: memref<?xf32>, %s: memref<?xf32, strided<[2]>>, %y: memref<?xf32>, %n: index) -> f32 {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %zero = arith.constant 0.0 : f32
  scf.for %i = %c0 to %n step %c1 {
    %v = memref.load %m[%c0, %i] : memref<?x?xf32>
    %j = arith.addi %i, %c1 : index
    %w = memref.load %x[%j] : memref<?xf32>
    %t = memref.load %s[%i] : memref<?xf32, strided<[2]>>
    %a = arith.addf %v, %w : f32
    %b = arith.addf %a, %t : f32
    memref.store %b, %y[%i] : memref<?xf32>
  }
  scf.for %i = %c0 to %n step %c2 {
    %v = memref.load %x[%i] : memref<?xf32>
    memref.store %v, %y[%i] : memref<?xf32>
  }
  scf.for %i = %c0 to %n step %c1 {
    %v = memref.load %x[%i] : memref<?xf32>
    scf.for %k = %c0 to %n step %c1 {
      memref.store %v, %y[%k] : memref<?xf32>
    }
  }
  %sum = scf.for %i = %c0 to %n step %c1 iter_args(%acc = %zero) -> f32 {
    %v = memref.load %x[%i] : memref<?xf32>
    %next = arith.addf %acc, %v : f32
    scf.yield %next : f32
  }
  return %sum : f32
}
