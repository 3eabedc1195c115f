// RUN: qopt-opt %s --qopt-data-parallel="ranks=2" -split-input-file -verify-diagnostics
// RUN: not qopt-opt %s --qopt-data-parallel="ranks=0" -split-input-file 2>&1 | FileCheck %s --check-prefix=RANKS
// RUN: not qopt-opt %s --qopt-data-parallel="mode=ring" -split-input-file 2>&1 | FileCheck %s --check-prefix=MODE
// RUN: not qopt-opt %s --qopt-data-parallel="function=missing" -split-input-file 2>&1 | FileCheck %s --check-prefix=FUNC

/// One case per guard of --qopt-data-parallel.
// RANKS: qopt-data-parallel: ranks must be at least 1, got 0
// MODE: qopt-data-parallel: unknown mode 'ring' (allreduce, master-worker)
// FUNC: qopt-data-parallel: no function @missing with a body

/// Nothing to shard.
// expected-error @+1 {{qopt-data-parallel: no argument is marked qopt.data: there is no batch to shard}}
func.func @train_step(%w: tensor<3xf32>) -> tensor<3xf32> {
  return %w : tensor<3xf32>
}

// -----

// expected-error @+1 {{qopt-data-parallel: the global batch of 3 examples is not divisible by 2 ranks}}
func.func @train_step(%x: tensor<3x2xf32> {qopt.data = "images"}) -> f32 {
  %c = arith.constant 0.0 : f32
  return %c : f32
}

// -----

// expected-error @+1 {{qopt-data-parallel: the qopt.data arguments have different batches: 4 and 6}}
func.func @train_step(%x: tensor<4x2xf32> {qopt.data = "images"},
                      %y: tensor<6x2xf32> {qopt.data = "labels"}) -> f32 {
  %c = arith.constant 0.0 : f32
  return %c : f32
}

// -----

/// The batch reaching a weight: its rows would be sharded.
// expected-error @+1 {{qopt-data-parallel: argument #1 ('tensor<4x2xf32>') is not marked qopt.data but would be sharded along the batch}}
func.func @train_step(%x: tensor<4x2xf32> {qopt.data = "images"}, %w: tensor<4x2xf32>)
    -> tensor<4x2xf32> {
  %s = arith.addf %x, %w : tensor<4x2xf32>
  %e = tensor.empty() : tensor<f32>
  %z = arith.constant 0.0 : f32
  %r = linalg.fill ins(%z : f32) outs(%e : tensor<f32>) -> tensor<f32>
  %t = linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> ()>],
                       iterator_types = ["reduction", "reduction"]}
      ins(%s : tensor<4x2xf32>) outs(%r : tensor<f32>) {
  ^bb0(%a: f32, %acc: f32):
    %n = arith.addf %a, %acc : f32
    linalg.yield %n : f32
  } -> tensor<f32>
  return %w : tensor<4x2xf32>
}

// -----

/// Per-example values cannot leave the step.
func.func @train_step(%x: tensor<4x2xf32> {qopt.data = "images"}) -> tensor<4x2xf32> {
  // expected-error @+1 {{'func.return' op qopt-data-parallel: the step returns a tensor along the batch; only reductions over the batch can leave a data-parallel step}}
  return %x : tensor<4x2xf32>
}

// -----

/// The size of the batch read back would be the shard's.
func.func @train_step(%x: tensor<4x2xf32> {qopt.data = "images"}) -> index {
  %c0 = arith.constant 0 : index
  // expected-error @+1 {{'tensor.dim' op qopt-data-parallel: cannot shard the batch dimension through this operation}}
  %d = tensor.dim %x, %c0 : tensor<4x2xf32>
  return %d : index
}

// -----

/// The index of the batch loop would be the shard's.
func.func @train_step(%x: tensor<4x2xf32> {qopt.data = "images"}) -> f32 {
  %z = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<f32>
  %r = linalg.fill ins(%z : f32) outs(%e : tensor<f32>) -> tensor<f32>
  // expected-error @+1 {{'linalg.generic' op qopt-data-parallel: reads the index of a batch loop (linalg.index): its value would change with the sharding}}
  %t = linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> ()>],
                       iterator_types = ["reduction", "reduction"]}
      ins(%x : tensor<4x2xf32>) outs(%r : tensor<f32>) {
  ^bb0(%a: f32, %acc: f32):
    %i = linalg.index 0 : index
    %ii = arith.index_cast %i : index to i32
    %f = arith.sitofp %ii : i32 to f32
    %m = arith.mulf %a, %f : f32
    %n = arith.addf %m, %acc : f32
    linalg.yield %n : f32
  } -> tensor<f32>
  %s = tensor.extract %t[] : tensor<f32>
  return %s : f32
}

// -----

/// A batch loop that also walks a dimension of another size (4 rows
/// against 4 + 1 columns through an expression).
func.func @train_step(%x: tensor<4x2xf32> {qopt.data = "images"}, %w: tensor<5x2xf32>) -> f32 {
  %z = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<f32>
  %r = linalg.fill ins(%z : f32) outs(%e : tensor<f32>) -> tensor<f32>
  // expected-error @+1 {{'linalg.generic' op qopt-data-parallel: dimension 0 of 'tensor<5x2xf32>' is indexed by an expression of a batch loop: cannot shard it}}
  %t = linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (i + 1, j)>, affine_map<(i, j) -> ()>],
                       iterator_types = ["reduction", "reduction"]}
      ins(%x, %w : tensor<4x2xf32>, tensor<5x2xf32>) outs(%r : tensor<f32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %m = arith.mulf %a, %b : f32
    %n = arith.addf %m, %acc : f32
    linalg.yield %n : f32
  } -> tensor<f32>
  %s = tensor.extract %t[] : tensor<f32>
  return %s : f32
}

// -----

/// A non-splat constant along the batch.
func.func @train_step(%x: tensor<4xf32> {qopt.data = "images"}) -> f32 {
  // expected-error @+1 {{'arith.constant' op qopt-data-parallel: cannot shard a constant along the batch unless it is a splat}}
  %c = arith.constant dense<[1.0, 2.0, 3.0, 4.0]> : tensor<4xf32>
  %s = arith.addf %x, %c : tensor<4xf32>
  %z = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<f32>
  %r = linalg.fill ins(%z : f32) outs(%e : tensor<f32>) -> tensor<f32>
  %t = linalg.generic {indexing_maps = [affine_map<(i) -> (i)>, affine_map<(i) -> ()>],
                       iterator_types = ["reduction"]}
      ins(%s : tensor<4xf32>) outs(%r : tensor<f32>) {
  ^bb0(%a: f32, %acc: f32):
    %n = arith.addf %a, %acc : f32
    linalg.yield %n : f32
  } -> tensor<f32>
  %v = tensor.extract %t[] : tensor<f32>
  return %v : f32
}

// -----

/// A gradient of dynamic shape cannot be exchanged (the bytes are fixed at
/// compile time): the exchange's verifier says so, on the op.
func.func @train_step(%w: tensor<?xf32>, %m: tensor<?xf32>, %v: tensor<?xf32>,
                      %g: tensor<?xf32>, %x: tensor<4xf32> {qopt.data = "images"},
                      %t: i64) -> (tensor<?xf32>, tensor<?xf32>, tensor<?xf32>) {
  // expected-error @+1 {{'qopt.all_gather_sum' op needs a static shape (the bytes exchanged are fixed at compile time), got 'tensor<?xf32>'}}
  %w1, %m1, %v1 = qopt.adam_update %w, %g, %m, %v, %t {lr = 1.0e-3 : f32} : tensor<?xf32>
  return %w1, %m1, %v1 : tensor<?xf32>, tensor<?xf32>, tensor<?xf32>
}
