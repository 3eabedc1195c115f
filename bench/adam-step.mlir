// The quantized Adam step the benchmark times: AdamW with all four
// quantization points (gradient in, weight, first and second moment out),
// nearest-even, bf16. The state is updated in place: the memrefs come in as
// writable tensors and the results are materialized back into them, so the
// compiled loop reads w, g, m, v once and writes w, m, v once.
func.func @adam_fused_bf16(%w: memref<?xf32>, %g: memref<?xf32>,
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
