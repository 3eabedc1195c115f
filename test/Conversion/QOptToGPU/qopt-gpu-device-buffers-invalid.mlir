// RUN: qopt-opt %s --qopt-gpu-device-buffers -split-input-file -verify-diagnostics

/// Host code reading a buffer would read device memory from the CPU.
func.func @host_load(%x: memref<4xf32>) -> f32 {
  %c0 = arith.constant 0 : index
  // expected-error @+1 {{qopt-gpu-device-buffers: host code would access the contents of a buffer}}
  %v = memref.load %x[%c0] : memref<4xf32>
  return %v : f32
}

// -----

/// A temporary returned from the function cannot be freed at its end.
func.func @escapes() -> memref<4xf32> {
  // expected-error @+1 {{qopt-gpu-device-buffers: this temporary is used after the block that allocates it}}
  %x = memref.alloc() : memref<4xf32>
  return %x : memref<4xf32>
}

// -----

/// Host copies are rejected too (qopt-gpu-host-to-kernels turns them into
/// kernels first in the pipelines).
func.func @host_copy(%a: memref<4xf32>, %b: memref<4xf32>) {
  // expected-error @+1 {{host code would access the contents of a buffer}}
  memref.copy %a, %b : memref<4xf32> to memref<4xf32>
  return
}
