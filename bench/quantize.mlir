// The standalone quantizations the benchmark times, bf16 on 64M floats:
// into a destination (read x, write y: the traffic of a copy loop) with
// nearest-even and with rounding toward zero, and nearest-even in place.
// The CPU pipeline writes each result straight into its destination
// buffer (no temporary, no copy).
func.func @quantize_bf16_ne(%x: memref<?xf32>, %y: memref<?xf32>)
    attributes {llvm.emit_c_interface} {
  %xt = bufferization.to_tensor %x restrict : memref<?xf32> to tensor<?xf32>
  %q = qopt.quantize %xt to <bf16> : tensor<?xf32>
  bufferization.materialize_in_destination %q in restrict writable %y
      : (tensor<?xf32>, memref<?xf32>) -> ()
  return
}

func.func @quantize_bf16_tz(%x: memref<?xf32>, %y: memref<?xf32>)
    attributes {llvm.emit_c_interface} {
  %xt = bufferization.to_tensor %x restrict : memref<?xf32> to tensor<?xf32>
  %q = qopt.quantize %xt to <bf16> rounding <toward_zero> : tensor<?xf32>
  bufferization.materialize_in_destination %q in restrict writable %y
      : (tensor<?xf32>, memref<?xf32>) -> ()
  return
}

func.func @quantize_bf16_ne_in_place(%x: memref<?xf32>)
    attributes {llvm.emit_c_interface} {
  %xt = bufferization.to_tensor %x restrict writable
      : memref<?xf32> to tensor<?xf32>
  %q = qopt.quantize %xt to <bf16> : tensor<?xf32>
  bufferization.materialize_in_destination %q in restrict writable %x
      : (tensor<?xf32>, memref<?xf32>) -> ()
  return
}

// Stochastic rounding to bf16 into a destination: 32 random bits per element
// from the counter hash (32-bit arithmetic only, so it vectorizes).
func.func @quantize_bf16_sr(%x: memref<?xf32>, %y: memref<?xf32>, %seed: i64,
                            %step: i64) attributes {llvm.emit_c_interface} {
  %xt = bufferization.to_tensor %x restrict : memref<?xf32> to tensor<?xf32>
  %q = qopt.quantize %xt to <bf16> rounding <stochastic> seed %seed step %step
      stream 3 : tensor<?xf32>
  bufferization.materialize_in_destination %q in restrict writable %y
      : (tensor<?xf32>, memref<?xf32>) -> ()
  return
}
