// RUN: qopt-opt %s --qopt-buffer-deallocation -split-input-file | FileCheck %s

/// Straight-line: the temporary is freed after its last user; the returned
/// allocation is the caller's; a returned argument and a second return of
/// the same buffer are returned as copies (the caller frees every result).

// CHECK-LABEL: func.func @straight_line
// CHECK-SAME: (%[[A:.*]]: memref<4xf32>)
// CHECK: %[[T:.*]] = memref.alloc() : memref<4xf32>
// CHECK: %[[R:.*]] = memref.alloc() : memref<4xf32>
// CHECK: linalg.copy ins(%[[A]] : memref<4xf32>) outs(%[[T]] : memref<4xf32>)
// CHECK: linalg.copy ins(%[[T]] : memref<4xf32>) outs(%[[R]] : memref<4xf32>)
// CHECK-NEXT: memref.dealloc %[[T]] : memref<4xf32>
// CHECK-NEXT: %[[CA:.*]] = memref.alloc() : memref<4xf32>
// CHECK-NEXT: memref.copy %[[A]], %[[CA]]
// CHECK-NEXT: %[[CR:.*]] = memref.alloc() : memref<4xf32>
// CHECK-NEXT: memref.copy %[[R]], %[[CR]]
// CHECK-NEXT: return %[[R]], %[[CA]], %[[CR]]
// CHECK-NOT: bufferization.dealloc
func.func @straight_line(%a: memref<4xf32>)
    -> (memref<4xf32>, memref<4xf32>, memref<4xf32>) {
  %t = memref.alloc() : memref<4xf32>
  %r = memref.alloc() : memref<4xf32>
  linalg.copy ins(%a : memref<4xf32>) outs(%t : memref<4xf32>)
  linalg.copy ins(%t : memref<4xf32>) outs(%r : memref<4xf32>)
  return %r, %a, %r : memref<4xf32>, memref<4xf32>, memref<4xf32>
}

// -----

/// A use inside a loop counts at the loop; a dynamic argument is copied
/// with its sizes; an unused allocation is freed at once.

// CHECK-LABEL: func.func @loop_and_dynamic
// CHECK-SAME: (%[[A:.*]]: memref<?xf32>, %[[N:.*]]: index)
// CHECK: %[[U:.*]] = memref.alloc() : memref<8xf32>
// CHECK-NEXT: memref.dealloc %[[U]]
// CHECK: %[[T:.*]] = memref.alloc(%[[N]]) : memref<?xf32>
// CHECK: scf.for
// CHECK: memref.load %[[T]]
// CHECK: }
// CHECK-NEXT: memref.dealloc %[[T]]
// CHECK: %[[D:.*]] = memref.dim %[[A]], %{{.*}} : memref<?xf32>
// CHECK-NEXT: %[[C:.*]] = memref.alloc(%[[D]]) : memref<?xf32>
// CHECK-NEXT: memref.copy %[[A]], %[[C]]
// CHECK-NEXT: return %[[C]]
func.func @loop_and_dynamic(%a: memref<?xf32>, %n: index) -> memref<?xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %u = memref.alloc() : memref<8xf32>
  %t = memref.alloc(%n) : memref<?xf32>
  scf.for %i = %c0 to %n step %c1 {
    %x = memref.load %t[%i] : memref<?xf32>
    memref.store %x, %a[%i] : memref<?xf32>
  }
  return %a : memref<?xf32>
}

// -----

/// Not straight-line (a cast of an allocation): upstream's
/// buffer-deallocation-pipeline frees it (its canonicalization folds the
/// cast), while the straight-line function
/// next to it keeps its own frees and its public visibility.

// CHECK-LABEL: func.func @cast_of_alloc
// CHECK: %[[T:.*]] = memref.alloc() : memref<4xf32>
// CHECK: memref.copy %[[T]]
// CHECK: memref.dealloc %[[T]]
// CHECK: return
func.func @cast_of_alloc(%a: memref<?xf32>) {
  %t = memref.alloc() : memref<4xf32>
  %v = memref.cast %t : memref<4xf32> to memref<?xf32>
  memref.copy %v, %a : memref<?xf32> to memref<?xf32>
  return
}

// CHECK-LABEL: func.func @next_to_it
// CHECK-SAME: -> memref<4xf32>
// CHECK: %[[T:.*]] = memref.alloc() : memref<4xf32>
// CHECK-NEXT: %[[R:.*]] = memref.alloc() : memref<4xf32>
// CHECK-NEXT: linalg.copy
// CHECK-NEXT: memref.dealloc %[[T]]
// CHECK-NEXT: return %[[R]]
func.func @next_to_it() -> memref<4xf32> {
  %t = memref.alloc() : memref<4xf32>
  %r = memref.alloc() : memref<4xf32>
  linalg.copy ins(%t : memref<4xf32>) outs(%r : memref<4xf32>)
  return %r : memref<4xf32>
}

// -----

/// Control flow: upstream's pipeline.

// CHECK-LABEL: func.func @branches
// CHECK: memref.copy
// CHECK: memref.dealloc
func.func @branches(%c: i1, %x: f32, %out: memref<4xf32>) {
  %c0 = arith.constant 0 : index
  %t = memref.alloc() : memref<4xf32>
  cf.cond_br %c, ^a, ^b
^a:
  memref.store %x, %t[%c0] : memref<4xf32>
  cf.br ^b
^b:
  memref.copy %t, %out : memref<4xf32> to memref<4xf32>
  return
}

// -----

/// A buffer whose address escapes as an integer (the data-parallel
/// exchange hands addresses to its runtime) is freed before the return,
/// not after the op that takes the address: the call uses it later.

// CHECK-LABEL: func.func @address_taken
// CHECK: %[[S:.*]] = memref.alloc() : memref<4xf32>
// CHECK: %[[R:.*]] = memref.alloc() : memref<2x4xf32>
// CHECK: memref.extract_aligned_pointer_as_index %[[S]]
// CHECK: memref.extract_aligned_pointer_as_index %[[R]]
// CHECK-NOT: memref.dealloc
// CHECK: call @exchange
// CHECK: memref.load %[[R]]
// CHECK-NEXT: memref.dealloc %[[S]]
// CHECK-NEXT: memref.dealloc %[[R]]
// CHECK-NEXT: return
func.func private @exchange(i64, i64)
func.func @address_taken(%x: f32) -> f32 {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %s = memref.alloc() : memref<4xf32>
  %r = memref.alloc() : memref<2x4xf32>
  memref.store %x, %s[%c0] : memref<4xf32>
  %ps = memref.extract_aligned_pointer_as_index %s : memref<4xf32> -> index
  %pr = memref.extract_aligned_pointer_as_index %r : memref<2x4xf32> -> index
  %is = arith.index_cast %ps : index to i64
  %ir = arith.index_cast %pr : index to i64
  call @exchange(%is, %ir) : (i64, i64) -> ()
  %y = memref.load %r[%c1, %c0] : memref<2x4xf32>
  return %y : f32
}
