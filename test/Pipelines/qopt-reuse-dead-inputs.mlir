// RUN: qopt-opt %s --split-input-file --pass-pipeline="builtin.module(func.func(qopt-reuse-dead-inputs))" | FileCheck %s

#id = affine_map<(d0) -> (d0)>

/// The input is dead after the generic (its only other use is a shape
/// query): the result is written into it.
// CHECK-LABEL: func.func @dead_input
// CHECK-SAME: (%[[X:.*]]: tensor<?xf32>)
// CHECK-NOT: tensor.empty
// CHECK: linalg.generic
// CHECK-SAME: ins(%[[X]] : tensor<?xf32>) outs(%[[X]] : tensor<?xf32>)
func.func @dead_input(%x: tensor<?xf32>) {
  %c0 = arith.constant 0 : index
  %n = tensor.dim %x, %c0 : tensor<?xf32>
  %e = tensor.empty(%n) : tensor<?xf32>
  %q = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]}
      ins(%x : tensor<?xf32>) outs(%e : tensor<?xf32>) {
  ^bb0(%in: f32, %out: f32):
    %r = arith.negf %in : f32
    linalg.yield %r : f32
  } -> tensor<?xf32>
  %u = tensor.cast %q : tensor<?xf32> to tensor<*xf32>
  call @print(%u) : (tensor<*xf32>) -> ()
  return
}
func.func private @print(tensor<*xf32>)

// -----

#id = affine_map<(d0) -> (d0)>

/// The input is read again after the generic: it must stay intact.
// CHECK-LABEL: func.func @negative_input_still_used
// CHECK: %[[E:.*]] = tensor.empty
// CHECK: linalg.generic
// CHECK-SAME: outs(%[[E]] : tensor<16xf32>)
func.func @negative_input_still_used(%x: tensor<16xf32>) {
  %e = tensor.empty() : tensor<16xf32>
  %q = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]}
      ins(%x : tensor<16xf32>) outs(%e : tensor<16xf32>) {
  ^bb0(%in: f32, %out: f32):
    %r = arith.negf %in : f32
    linalg.yield %r : f32
  } -> tensor<16xf32>
  %u = tensor.cast %q : tensor<16xf32> to tensor<*xf32>
  %v = tensor.cast %x : tensor<16xf32> to tensor<*xf32>
  call @print(%u) : (tensor<*xf32>) -> ()
  call @print(%v) : (tensor<*xf32>) -> ()
  return
}
func.func private @print(tensor<*xf32>)

// -----

#id = affine_map<(d0) -> (d0)>

/// A read-only view: bufferization could not write there.
// CHECK-LABEL: func.func @negative_read_only_view
// CHECK: %[[E:.*]] = tensor.empty
// CHECK: linalg.generic
// CHECK-SAME: outs(%[[E]] : tensor<16xf32>)
func.func @negative_read_only_view(%x: memref<16xf32>, %y: memref<16xf32>) {
  %t = bufferization.to_tensor %x restrict : memref<16xf32> to tensor<16xf32>
  %e = tensor.empty() : tensor<16xf32>
  %q = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]}
      ins(%t : tensor<16xf32>) outs(%e : tensor<16xf32>) {
  ^bb0(%in: f32, %out: f32):
    %r = arith.negf %in : f32
    linalg.yield %r : f32
  } -> tensor<16xf32>
  bufferization.materialize_in_destination %q in restrict writable %y
      : (tensor<16xf32>, memref<16xf32>) -> ()
  return
}

// -----

#id = affine_map<(d0) -> (d0)>

/// An argument of a function that returns tensors: the returned argument
/// buffer would be copied out again.
// CHECK-LABEL: func.func @negative_returned
// CHECK: %[[E:.*]] = tensor.empty
// CHECK: linalg.generic
// CHECK-SAME: outs(%[[E]] : tensor<16xf32>)
func.func @negative_returned(%x: tensor<16xf32>) -> tensor<16xf32> {
  %e = tensor.empty() : tensor<16xf32>
  %q = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]}
      ins(%x : tensor<16xf32>) outs(%e : tensor<16xf32>) {
  ^bb0(%in: f32, %out: f32):
    %r = arith.negf %in : f32
    linalg.yield %r : f32
  } -> tensor<16xf32>
  return %q : tensor<16xf32>
}

// -----

#id = affine_map<(d0) -> (d0)>
#bcast = affine_map<(d0) -> (0)>

/// The body reads the output, the input is broadcast, or its type differs:
/// no input can hold the result.
// CHECK-LABEL: func.func @negative_not_elementwise
// CHECK-COUNT-3: outs(%{{.*}} : tensor<16xf32>)
// CHECK-NOT: outs(%arg
func.func @negative_not_elementwise(%x: tensor<16xf32>, %y: tensor<1xf32>,
                                    %z: tensor<16xi32>) {
  %e = tensor.empty() : tensor<16xf32>
  %a = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]}
      ins(%x : tensor<16xf32>) outs(%e : tensor<16xf32>) {
  ^bb0(%in: f32, %out: f32):
    %r = arith.addf %in, %out : f32
    linalg.yield %r : f32
  } -> tensor<16xf32>
  %b = linalg.generic {indexing_maps = [#bcast, #id], iterator_types = ["parallel"]}
      ins(%y : tensor<1xf32>) outs(%e : tensor<16xf32>) {
  ^bb0(%in: f32, %out: f32):
    linalg.yield %in : f32
  } -> tensor<16xf32>
  %c = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]}
      ins(%z : tensor<16xi32>) outs(%e : tensor<16xf32>) {
  ^bb0(%in: i32, %out: f32):
    %r = arith.sitofp %in : i32 to f32
    linalg.yield %r : f32
  } -> tensor<16xf32>
  %u = tensor.cast %a : tensor<16xf32> to tensor<*xf32>
  %v = tensor.cast %b : tensor<16xf32> to tensor<*xf32>
  %s = tensor.cast %c : tensor<16xf32> to tensor<*xf32>
  call @print(%u) : (tensor<*xf32>) -> ()
  call @print(%v) : (tensor<*xf32>) -> ()
  call @print(%s) : (tensor<*xf32>) -> ()
  return
}
func.func private @print(tensor<*xf32>)
