// The quantized AdamW steps of the narrow-storage benchmark. Each is the
// step of adam-step.mlir (AdamW, gradient and weight quantized to bf16,
// nearest-even) with other formats for the moments:
//  * @adam_state_f32_<name>: M and V quantized but kept in f32 memory, the
//    simulation layout (28 bytes moved per parameter);
//  * @adam_narrow_<name>: the same step with M and V stored in their narrow
//    containers, as --qopt-narrow-storage writes the boundary: the state is
//    decoded where the update reads it and the quantized new state encoded
//    where it is stored; the optimizer lowering fuses both into its loop and
//    updates the containers in place (16-bit: 20 bytes, 8-bit: 16 bytes).
// Formats: bf16 (M, V in bf16), f8 (M fp8_e4m3 in f8E4M3FN, V fp8_e5m2 in
// f8E5M2) and i8 (M, V <e5m2, encoding = fn>, no native type: own codes in
// i8).

func.func @adam_state_f32_f8(%w: memref<?xf32>, %g: memref<?xf32>,
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
  %mq = qopt.quantize %m1 to <fp8_e4m3> component <first_moment> : tensor<?xf32>
  %vq = qopt.quantize %v1 to <fp8_e5m2> component <second_moment> : tensor<?xf32>
  bufferization.materialize_in_destination %wq in restrict writable %w
      : (tensor<?xf32>, memref<?xf32>) -> ()
  bufferization.materialize_in_destination %mq in restrict writable %m
      : (tensor<?xf32>, memref<?xf32>) -> ()
  bufferization.materialize_in_destination %vq in restrict writable %v
      : (tensor<?xf32>, memref<?xf32>) -> ()
  return
}

func.func @adam_state_f32_i8(%w: memref<?xf32>, %g: memref<?xf32>,
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
  %mq = qopt.quantize %m1 to <e5m2, encoding = fn> component <first_moment> : tensor<?xf32>
  %vq = qopt.quantize %v1 to <e5m2, encoding = fn> component <second_moment> : tensor<?xf32>
  bufferization.materialize_in_destination %wq in restrict writable %w
      : (tensor<?xf32>, memref<?xf32>) -> ()
  bufferization.materialize_in_destination %mq in restrict writable %m
      : (tensor<?xf32>, memref<?xf32>) -> ()
  bufferization.materialize_in_destination %vq in restrict writable %v
      : (tensor<?xf32>, memref<?xf32>) -> ()
  return
}

func.func @adam_narrow_bf16(%w: memref<?xf32>, %g: memref<?xf32>,
                            %m: memref<?xbf16>, %v: memref<?xbf16>, %t: i64)
    attributes {llvm.emit_c_interface} {
  %wt = bufferization.to_tensor %w restrict writable : memref<?xf32> to tensor<?xf32>
  %gt = bufferization.to_tensor %g restrict : memref<?xf32> to tensor<?xf32>
  %mc = bufferization.to_tensor %m restrict writable : memref<?xbf16> to tensor<?xbf16>
  %vc = bufferization.to_tensor %v restrict writable : memref<?xbf16> to tensor<?xbf16>
  %mt = qopt.decode %mc as <bf16> : tensor<?xbf16> to tensor<?xf32>
  %vt = qopt.decode %vc as <bf16> : tensor<?xbf16> to tensor<?xf32>
  %gq = qopt.quantize %gt to <bf16> component <grad> : tensor<?xf32>
  %w1, %m1, %v1 = qopt.adam_update %wt, %gq, %mt, %vt, %t
      {lr = 1.0e-3 : f32, weight_decay = 1.0e-2 : f32} : tensor<?xf32>
  %wq = qopt.quantize %w1 to <bf16> component <weight> : tensor<?xf32>
  %mq = qopt.quantize %m1 to <bf16> component <first_moment> : tensor<?xf32>
  %vq = qopt.quantize %v1 to <bf16> component <second_moment> : tensor<?xf32>
  %me = qopt.encode %mq as <bf16> : tensor<?xf32> to tensor<?xbf16>
  %ve = qopt.encode %vq as <bf16> : tensor<?xf32> to tensor<?xbf16>
  bufferization.materialize_in_destination %wq in restrict writable %w
      : (tensor<?xf32>, memref<?xf32>) -> ()
  bufferization.materialize_in_destination %me in restrict writable %m
      : (tensor<?xbf16>, memref<?xbf16>) -> ()
  bufferization.materialize_in_destination %ve in restrict writable %v
      : (tensor<?xbf16>, memref<?xbf16>) -> ()
  return
}

func.func @adam_narrow_f8(%w: memref<?xf32>, %g: memref<?xf32>,
                          %m: memref<?xf8E4M3FN>, %v: memref<?xf8E5M2>,
                          %t: i64)
    attributes {llvm.emit_c_interface} {
  %wt = bufferization.to_tensor %w restrict writable : memref<?xf32> to tensor<?xf32>
  %gt = bufferization.to_tensor %g restrict : memref<?xf32> to tensor<?xf32>
  %mc = bufferization.to_tensor %m restrict writable : memref<?xf8E4M3FN> to tensor<?xf8E4M3FN>
  %vc = bufferization.to_tensor %v restrict writable : memref<?xf8E5M2> to tensor<?xf8E5M2>
  %mt = qopt.decode %mc as <fp8_e4m3> : tensor<?xf8E4M3FN> to tensor<?xf32>
  %vt = qopt.decode %vc as <fp8_e5m2> : tensor<?xf8E5M2> to tensor<?xf32>
  %gq = qopt.quantize %gt to <bf16> component <grad> : tensor<?xf32>
  %w1, %m1, %v1 = qopt.adam_update %wt, %gq, %mt, %vt, %t
      {lr = 1.0e-3 : f32, weight_decay = 1.0e-2 : f32} : tensor<?xf32>
  %wq = qopt.quantize %w1 to <bf16> component <weight> : tensor<?xf32>
  %mq = qopt.quantize %m1 to <fp8_e4m3> component <first_moment> : tensor<?xf32>
  %vq = qopt.quantize %v1 to <fp8_e5m2> component <second_moment> : tensor<?xf32>
  %me = qopt.encode %mq as <fp8_e4m3> : tensor<?xf32> to tensor<?xf8E4M3FN>
  %ve = qopt.encode %vq as <fp8_e5m2> : tensor<?xf32> to tensor<?xf8E5M2>
  bufferization.materialize_in_destination %wq in restrict writable %w
      : (tensor<?xf32>, memref<?xf32>) -> ()
  bufferization.materialize_in_destination %me in restrict writable %m
      : (tensor<?xf8E4M3FN>, memref<?xf8E4M3FN>) -> ()
  bufferization.materialize_in_destination %ve in restrict writable %v
      : (tensor<?xf8E5M2>, memref<?xf8E5M2>) -> ()
  return
}

func.func @adam_narrow_i8(%w: memref<?xf32>, %g: memref<?xf32>,
                          %m: memref<?xi8>, %v: memref<?xi8>, %t: i64)
    attributes {llvm.emit_c_interface} {
  %wt = bufferization.to_tensor %w restrict writable : memref<?xf32> to tensor<?xf32>
  %gt = bufferization.to_tensor %g restrict : memref<?xf32> to tensor<?xf32>
  %mc = bufferization.to_tensor %m restrict writable : memref<?xi8> to tensor<?xi8>
  %vc = bufferization.to_tensor %v restrict writable : memref<?xi8> to tensor<?xi8>
  %mt = qopt.decode %mc as <e5m2, encoding = fn> : tensor<?xi8> to tensor<?xf32>
  %vt = qopt.decode %vc as <e5m2, encoding = fn> : tensor<?xi8> to tensor<?xf32>
  %gq = qopt.quantize %gt to <bf16> component <grad> : tensor<?xf32>
  %w1, %m1, %v1 = qopt.adam_update %wt, %gq, %mt, %vt, %t
      {lr = 1.0e-3 : f32, weight_decay = 1.0e-2 : f32} : tensor<?xf32>
  %wq = qopt.quantize %w1 to <bf16> component <weight> : tensor<?xf32>
  %mq = qopt.quantize %m1 to <e5m2, encoding = fn> component <first_moment> : tensor<?xf32>
  %vq = qopt.quantize %v1 to <e5m2, encoding = fn> component <second_moment> : tensor<?xf32>
  %me = qopt.encode %mq as <e5m2, encoding = fn> : tensor<?xf32> to tensor<?xi8>
  %ve = qopt.encode %vq as <e5m2, encoding = fn> : tensor<?xf32> to tensor<?xi8>
  bufferization.materialize_in_destination %wq in restrict writable %w
      : (tensor<?xf32>, memref<?xf32>) -> ()
  bufferization.materialize_in_destination %me in restrict writable %m
      : (tensor<?xi8>, memref<?xi8>) -> ()
  bufferization.materialize_in_destination %ve in restrict writable %v
      : (tensor<?xi8>, memref<?xi8>) -> ()
  return
}
