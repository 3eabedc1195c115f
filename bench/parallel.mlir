// The kernels of the thread-scaling figures, compiled with
// --qopt-lower-to-llvm="num-threads=0" (OpenMP, thread count from the
// runtime): the fused quantized AdamW step of adam-step.mlir and the
// standalone bf16 quantizations of quantize.mlir (nearest-even and
// stochastic, into a destination). qopt-bench calls each with
// omp_set_num_threads(1) and omp_set_num_threads(N) alternately.
func.func @mt_adam_fused_bf16(%w: memref<?xf32>, %g: memref<?xf32>,
                              %m: memref<?xf32>, %v: memref<?xf32>, %t: i64)
    attributes {llvm.emit_c_interface} {
  %wt = bufferization.to_tensor %w restrict writable : memref<?xf32> to tensor<?xf32>
  %gt = bufferization.to_tensor %g restrict : memref<?xf32> to tensor<?xf32>
  %mt = bufferization.to_tensor %m restrict writable : memref<?xf32> to tensor<?xf32>
  %vt = bufferization.to_tensor %v restrict writable : memref<?xf32> to tensor<?xf32>
  %gq = qopt.quantize %gt to <bf16> component <grad> : tensor<?xf32>
  %w1, %m1, %v1 = qopt.adam_update %wt, %gq, %mt, %vt, %t
      {lr = 1.0e-3 : f32, weight_decay = 1.0e-2 : f32} : tensor<?xf32>
  %wq = qopt.quantize %w1 to <bf16> component <weight> : tensor<?xf32>
  %mq = qopt.quantize %m1 to <bf16> component <first_moment> : tensor<?xf32>
  %vq = qopt.quantize %v1 to <bf16> component <second_moment> : tensor<?xf32>
  bufferization.materialize_in_destination %wq in restrict writable %w
      : (tensor<?xf32>, memref<?xf32>) -> ()
  bufferization.materialize_in_destination %mq in restrict writable %m
      : (tensor<?xf32>, memref<?xf32>) -> ()
  bufferization.materialize_in_destination %vq in restrict writable %v
      : (tensor<?xf32>, memref<?xf32>) -> ()
  return
}

func.func @mt_quantize_bf16_ne(%x: memref<?xf32>, %y: memref<?xf32>)
    attributes {llvm.emit_c_interface} {
  %xt = bufferization.to_tensor %x restrict : memref<?xf32> to tensor<?xf32>
  %q = qopt.quantize %xt to <bf16> : tensor<?xf32>
  bufferization.materialize_in_destination %q in restrict writable %y
      : (tensor<?xf32>, memref<?xf32>) -> ()
  return
}

func.func @mt_quantize_bf16_sr(%x: memref<?xf32>, %y: memref<?xf32>,
                               %seed: i64, %step: i64)
    attributes {llvm.emit_c_interface} {
  %xt = bufferization.to_tensor %x restrict : memref<?xf32> to tensor<?xf32>
  %q = qopt.quantize %xt to <bf16> rounding <stochastic> seed %seed step %step
      stream 3 : tensor<?xf32>
  bufferization.materialize_in_destination %q in restrict writable %y
      : (tensor<?xf32>, memref<?xf32>) -> ()
  return
}

// The Muon step of muon-step.mlir (1024x1024): compute-bound, its
// Newton-Schulz matmuls run their 64-row tiles on the threads.
func.func @mt_muon_1024(%w: memref<1024x1024xf32>, %g: memref<1024x1024xf32>,
                        %b: memref<1024x1024xf32>)
    attributes {llvm.emit_c_interface} {
  %wt = bufferization.to_tensor %w restrict writable
      : memref<1024x1024xf32> to tensor<1024x1024xf32>
  %gt = bufferization.to_tensor %g restrict
      : memref<1024x1024xf32> to tensor<1024x1024xf32>
  %bt = bufferization.to_tensor %b restrict writable
      : memref<1024x1024xf32> to tensor<1024x1024xf32>
  %w1, %b1 = qopt.muon_update %wt, %gt, %bt {lr = 2.0e-2 : f32}
      : tensor<1024x1024xf32>
  bufferization.materialize_in_destination %w1 in restrict writable %w
      : (tensor<1024x1024xf32>, memref<1024x1024xf32>) -> ()
  bufferization.materialize_in_destination %b1 in restrict writable %b
      : (tensor<1024x1024xf32>, memref<1024x1024xf32>) -> ()
  return
}
