// RUN: qopt-opt %s --split-input-file --qopt-split-blocks-at-loops | FileCheck %s

/// Each top-level scf op with regions ends its block; the ops between two
/// loops stay with the earlier one's successor, in order.
// CHECK-LABEL: func.func @two_loops
// CHECK: scf.for
// CHECK-NEXT: memref.store
// CHECK-NEXT: }
// CHECK-NEXT: cf.br ^[[BB1:.*]]
// CHECK-NEXT: ^[[BB1]]:
// CHECK-NEXT: %[[Y:.*]] = arith.addf
// CHECK-NEXT: scf.for
// CHECK-NEXT: memref.store %[[Y]]
// CHECK-NEXT: }
// CHECK-NEXT: cf.br ^[[BB2:.*]]
// CHECK-NEXT: ^[[BB2]]:
// CHECK-NEXT: %[[Z:.*]] = memref.load
// CHECK-NEXT: return %[[Z]]
func.func @two_loops(%m: memref<4xf32>, %x: f32) -> f32 {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  scf.for %i = %c0 to %c4 step %c1 {
    memref.store %x, %m[%i] : memref<4xf32>
  }
  %y = arith.addf %x, %x : f32
  scf.for %i = %c0 to %c4 step %c1 {
    memref.store %y, %m[%i] : memref<4xf32>
  }
  %z = memref.load %m[%c0] : memref<4xf32>
  return %z : f32
}

// -----

/// A loop right before the terminator, scf.if and scf.while: no split is
/// needed after the last one; the loop's body (one block) is not split.
// CHECK-LABEL: func.func @last_and_nested
// CHECK: scf.if
// CHECK: cf.br ^[[BB1:.*]]
// CHECK-NEXT: ^[[BB1]]:
// CHECK-NEXT: scf.for
// CHECK-NEXT: scf.for
// CHECK-NEXT: memref.store
// CHECK-NEXT: }
// CHECK-NEXT: memref.store
// CHECK-NEXT: }
// CHECK-NEXT: return
// CHECK-NOT: cf.br
func.func @last_and_nested(%m: memref<4xf32>, %x: f32, %b: i1) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  scf.if %b {
    memref.store %x, %m[%c0] : memref<4xf32>
  }
  scf.for %i = %c0 to %c4 step %c1 {
    scf.for %j = %c0 to %c4 step %c1 {
      memref.store %x, %m[%j] : memref<4xf32>
    }
    memref.store %x, %m[%i] : memref<4xf32>
  }
  return
}

// -----

/// Straight-line code is left alone.
// CHECK-LABEL: func.func @no_loops
// CHECK-NOT: cf.br
// CHECK: return
func.func @no_loops(%x: f32) -> f32 {
  %y = arith.addf %x, %x : f32
  return %y : f32
}
