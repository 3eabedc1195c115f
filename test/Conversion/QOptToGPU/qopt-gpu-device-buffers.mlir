// RUN: qopt-opt %s --qopt-gpu-device-buffers -split-input-file | FileCheck %s
// RUN: qopt-opt %s --qopt-gpu-device-buffers=host-memory -split-input-file | FileCheck %s --check-prefix=HOST

/// A temporary of host code moves to device memory (asynchronous alloc and
/// dealloc, each waited for), freed at the end of its block, also inside a
/// loop body; with host-memory it stays a memref.alloc and gets a dealloc.
// CHECK-LABEL: func.func @temporaries
// CHECK-SAME: (%[[N:.*]]: index)
// CHECK: %[[T0:.*]] = gpu.wait async
// CHECK: %[[X:.*]], %[[T1:.*]] = gpu.alloc async [%[[T0]]] (%[[N]]) : memref<?xf32>
// CHECK: gpu.wait [%[[T1]]]
// CHECK: scf.for
// CHECK: gpu.alloc async
// CHECK: gpu.launch
// CHECK: gpu.dealloc async
// CHECK: }
// CHECK: gpu.launch
// CHECK: %[[T2:.*]] = gpu.wait async
// CHECK: %[[T3:.*]] = gpu.dealloc async [%[[T2]]] %[[X]] : memref<?xf32>
// CHECK: gpu.wait [%[[T3]]]
// CHECK-NEXT: return

// HOST-LABEL: func.func @temporaries
// HOST: %[[X:.*]] = memref.alloc(%{{.*}}) : memref<?xf32>
// HOST: scf.for
// HOST: memref.alloc
// HOST: memref.dealloc
// HOST: memref.dealloc %[[X]]
// HOST-NEXT: return
// HOST-NOT: gpu.alloc
func.func @temporaries(%n: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %x = memref.alloc(%n) : memref<?xf32>
  scf.for %i = %c0 to %c4 step %c1 {
    %y = memref.alloc() : memref<8xf32>
    gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1)
               threads(%tx, %ty, %tz) in (%sx = %c1, %sy = %c1, %sz = %c1) {
      %v = memref.load %x[%tx] : memref<?xf32>
      memref.store %v, %y[%tx] : memref<8xf32>
      gpu.terminator
    }
  }
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c1, %sy = %c1, %sz = %c1) {
    %zero = arith.constant 0.0 : f32
    memref.store %zero, %x[%tx] : memref<?xf32>
    gpu.terminator
  }
  return
}
