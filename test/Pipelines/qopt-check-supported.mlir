// RUN: qopt-opt %s --qopt-check-supported -split-input-file -verify-diagnostics | FileCheck %s
// RUN: not qopt-opt %s --qopt-lower-to-llvm -split-input-file 2>&1 | FileCheck %s --check-prefix=PIPELINE
// RUN: not qopt-opt %s --qopt-lower-to-gpu -split-input-file 2>&1 | FileCheck %s --check-prefix=PIPELINE
// RUN: not qopt-opt %s --qopt-lower-to-nvvm -split-input-file 2>&1 | FileCheck %s --check-prefix=PIPELINE
// RUN: not qopt-opt %s --qopt-lower-to-gpu-emulation -split-input-file 2>&1 | FileCheck %s --check-prefix=PIPELINE

/// One case per rule of --qopt-check-supported, the first pass of every qopt
/// pipeline: verifier-valid IR that an upstream pass or LLVM's code
/// generation inside the pipelines would crash on, hang on or stop in with
/// "LLVM ERROR" gets a qopt diagnostic instead (fuzzer findings).
// PIPELINE: error: qopt pipelines: 'func.func' has the vector type 'vector<8192xf32>' of more than 4096 elements
// PIPELINE: error: qopt pipelines: 'func.func' has the vector type 'vector<5000xf32>' of more than 4096 elements
// PIPELINE: error: qopt pipelines: 'vector.broadcast' has the vector type 'vector<1x9223372036854775807xf32>' of more than 4096 elements
// PIPELINE: error: qopt pipelines: 'gpu.func' has the vector type 'vector<1000000007xf32>' of more than 4096 elements
// PIPELINE: error: qopt pipelines: 'tensor.dim' at the constant index -1, which is not a dimension of 'tensor<?xf32>' (rank 1)
// PIPELINE: error: qopt pipelines: 'memref.dim' at the constant index 2, which is not a dimension of 'memref<4x?xf32>' (rank 2)
// PIPELINE-NOT: LLVM ERROR
// PIPELINE-NOT: Stack dump

/// A vector nested in a memref type, in a function's signature: the
/// function reports once, its body is not looked into.
// expected-error @+1 {{qopt pipelines: 'func.func' has the vector type 'vector<8192xf32>' of more than 4096 elements, the most the pipelines lower (LLVM's code generation does not finish on much larger vectors); keep bulk data in tensors or memrefs}}
func.func @memref_of_vector(%x: vector<8192xf32>, %out: memref<vector<8192xf32>>) {
  %r = math.sqrt %x : vector<8192xf32>
  memref.store %r, %out[] : memref<vector<8192xf32>>
  return
}

// -----

/// A declaration: the type is only in the function_type attribute.
// expected-error @+1 {{qopt pipelines: 'func.func' has the vector type 'vector<5000xf32>' of more than 4096 elements}}
func.func private @declaration(vector<5000xf32>) -> f32

// -----

/// An element count that overflows int64_t.
func.func @overflowing_count(%f: f32) {
  // expected-error @+1 {{qopt pipelines: 'vector.broadcast' has the vector type 'vector<1x9223372036854775807xf32>' of more than 4096 elements}}
  %v = vector.broadcast %f : f32 to vector<1x9223372036854775807xf32>
  return
}

// -----

/// A kernel argument (the NVPTX back end does not finish on it).
module attributes {gpu.container_module} {
  gpu.module @kernels {
    // expected-error @+1 {{qopt pipelines: 'gpu.func' has the vector type 'vector<1000000007xf32>' of more than 4096 elements}}
    gpu.func @big(%x: vector<1000000007xf32>, %out: memref<vector<1000000007xf32>>) kernel {
      %r = math.sqrt %x : vector<1000000007xf32>
      memref.store %r, %out[] : memref<vector<1000000007xf32>>
      gpu.return
    }
  }
}

// -----

/// A negative constant dimension index verifies; the GPU pipelines'
/// canonicalization crashed on it.
#id = affine_map<(d0) -> (d0)>
func.func @negative_dim_index(%w: tensor<?xf32>) -> tensor<?xf32> {
  %c = arith.constant -1 : index
  // expected-error @+1 {{qopt pipelines: 'tensor.dim' at the constant index -1, which is not a dimension of 'tensor<?xf32>' (rank 1); its result is undefined and the pipelines cannot lower it}}
  %n = tensor.dim %w, %c : tensor<?xf32>
  %e = tensor.empty(%n) : tensor<?xf32>
  %r = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]}
      ins(%w : tensor<?xf32>) outs(%e : tensor<?xf32>) {
  ^bb0(%wi: f32, %o: f32):
    %s = math.sqrt %wi : f32
    linalg.yield %s : f32
  } -> tensor<?xf32>
  return %r : tensor<?xf32>
}

// -----

/// An index past the rank.
func.func @dim_index_past_rank(%m: memref<4x?xf32>) -> index {
  %c = arith.constant 2 : index
  // expected-error @+1 {{qopt pipelines: 'memref.dim' at the constant index 2, which is not a dimension of 'memref<4x?xf32>' (rank 2)}}
  %n = memref.dim %m, %c : memref<4x?xf32>
  return %n : index
}

// -----

/// At the limits: a vector of exactly 4096 elements and an index in range
/// pass unchanged.
// CHECK-LABEL: func.func @at_the_limits
// CHECK: tensor.dim %{{.*}}, %{{.*}} : tensor<?xf32>
// CHECK: return %{{.*}}, %{{.*}} : vector<64x64xf32>, index
func.func @at_the_limits(%x: vector<64x64xf32>, %w: tensor<?xf32>) -> (vector<64x64xf32>, index) {
  %c0 = arith.constant 0 : index
  %n = tensor.dim %w, %c0 : tensor<?xf32>
  return %x, %n : vector<64x64xf32>, index
}
