// RUN: qopt-opt %s --qopt-gpu-launch-to-loops -split-input-file -verify-diagnostics

/// Threads that synchronise cannot run one after the other.
func.func @barrier(%buf: memref<?xf32>) {
  %c1 = arith.constant 1 : index
  // expected-error @+1 {{cannot run this launch as host loops: its body uses 'gpu.barrier'}}
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c1, %sy = %c1, %sz = %c1) {
    gpu.barrier
    gpu.terminator
  }
  return
}

// -----

/// Asynchronous launches are left to the GPU.
func.func @async(%buf: memref<?xf32>) {
  %c1 = arith.constant 1 : index
  // expected-error @+1 {{cannot run this launch as host loops: it is asynchronous}}
  %token = gpu.launch async blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c1, %sy = %c1, %sz = %c1) {
    gpu.terminator
  }
  return
}

// -----

/// Workgroup (shared) memory is shared between threads.
func.func @workgroup(%buf: memref<?xf32>) {
  %c1 = arith.constant 1 : index
  // expected-error @+1 {{cannot run this launch as host loops: it has workgroup or private attributions}}
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1)
             threads(%tx, %ty, %tz) in (%sx = %c1, %sy = %c1, %sz = %c1)
             workgroup(%shared : memref<32xf32, #gpu.address_space<workgroup>>) {
    gpu.terminator
  }
  return
}
