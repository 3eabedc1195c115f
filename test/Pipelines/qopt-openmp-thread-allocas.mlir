// RUN: qopt-opt %s --qopt-openmp-thread-allocas -split-input-file | FileCheck %s

/// A static alloca of the loop body moves before the omp.wsloop (one buffer
/// per thread); the scope is inlined.

// CHECK-LABEL: func.func @static_alloca
// CHECK: omp.parallel {
// CHECK-NEXT: %[[A:.*]] = memref.alloca() : memref<64xf32>
// CHECK-NEXT: omp.wsloop {
// CHECK-NEXT: omp.loop_nest (%[[I:.*]]) : index
// CHECK-NOT: memref.alloca_scope
// CHECK: memref.store %{{.*}}, %[[A]]
// CHECK: omp.yield
func.func @static_alloca(%n: index, %v: f32) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  omp.parallel {
    omp.wsloop {
      omp.loop_nest (%i) : index = (%c0) to (%n) step (%c1) {
        memref.alloca_scope {
          %a = memref.alloca() : memref<64xf32>
          memref.store %v, %a[%c0] : memref<64xf32>
        }
        omp.yield
      }
    }
    omp.terminator
  }
  return
}

// -----

/// A body without allocas: the scope is inlined.

// CHECK-LABEL: func.func @no_alloca
// CHECK-NOT: memref.alloca_scope
// CHECK: memref.store
func.func @no_alloca(%n: index, %v: f32, %m: memref<?xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  omp.parallel {
    omp.wsloop {
      omp.loop_nest (%i) : index = (%c0) to (%n) step (%c1) {
        memref.alloca_scope {
          memref.store %v, %m[%i] : memref<?xf32>
        }
        omp.yield
      }
    }
    omp.terminator
  }
  return
}

// -----

/// negative: a dynamic alloca must be freed on every iteration: the scope
/// stays.

// CHECK-LABEL: func.func @negative_dynamic_alloca
// CHECK: omp.loop_nest
// CHECK-NEXT: memref.alloca_scope
// CHECK-NEXT: memref.alloca(%{{.*}}) : memref<?xf32>
func.func @negative_dynamic_alloca(%n: index, %v: f32) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  omp.parallel {
    omp.wsloop {
      omp.loop_nest (%i) : index = (%c0) to (%n) step (%c1) {
        memref.alloca_scope {
          %a = memref.alloca(%i) : memref<?xf32>
          memref.store %v, %a[%c0] : memref<?xf32>
        }
        omp.yield
      }
    }
    omp.terminator
  }
  return
}
