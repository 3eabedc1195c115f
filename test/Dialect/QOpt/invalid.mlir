// RUN: qopt-opt %s -split-input-file -verify-diagnostics

/// One case per verifier and parser rule of the qopt dialect.

func.func @format_exp_bits_too_large(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{exponent bits must be in [2, 8], got 9}}
  %0 = qopt.quantize %x to <e9m3> : tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @format_exp_bits_too_small(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{exponent bits must be in [2, 8], got 1}}
  %0 = qopt.quantize %x to <e1m3> : tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @format_man_bits_too_large(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{mantissa bits must be in [0, 23], got 24}}
  %0 = qopt.quantize %x to <e8m24> : tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @format_fn_without_mantissa(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{an 'fn' encoding needs at least 1 mantissa bit}}
  %0 = qopt.quantize %x to <e4m0, encoding = fn> : tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @format_fn_with_8_exponent_bits(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{an 'fn' encoding needs at most 7 exponent bits}}
  %0 = qopt.quantize %x to <e8m3, encoding = fn> : tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @format_unknown_name(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{expected a format name (fp32, tf32, bf16, fp16, fp8_e4m3, fp8_e5m2) or 'e<exp_bits>m<man_bits>', got 'fp12'}}
  %0 = qopt.quantize %x to <fp12> : tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @format_unknown_policy(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{unknown format policy 'denormals' (expected subnormals, overflow or encoding)}}
  %0 = qopt.quantize %x to <bf16, denormals = flush> : tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @format_bad_policy_value(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{invalid value 'wrap' for format policy 'overflow'}}
  %0 = qopt.quantize %x to <bf16, overflow = wrap> : tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @bad_rounding_keyword(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+2 {{expected ::mlir::qopt::RoundingMode to be one of: nearest_even, toward_zero, stochastic}}
  // expected-error @+1 {{failed to parse QOpt_RoundingModeAttr parameter 'value' which is to be a `::mlir::qopt::RoundingMode`}}
  %0 = qopt.quantize %x to <bf16> rounding <nearest_odd> : tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @bad_component_keyword(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+2 {{expected ::mlir::qopt::Component to be one of: weight, grad, first_moment, second_moment}}
  // expected-error @+1 {{failed to parse QOpt_ComponentAttr parameter 'value' which is to be a `::mlir::qopt::Component`}}
  %0 = qopt.quantize %x to <bf16> component <activation> : tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @stochastic_without_seed(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{stochastic rounding needs both 'seed' and 'step' operands}}
  %0 = qopt.quantize %x to <bf16> rounding <stochastic> : tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @stochastic_without_step(%x: tensor<4xf32>, %s: i64) -> tensor<4xf32> {
  // expected-error @+1 {{stochastic rounding needs both 'seed' and 'step' operands}}
  %0 = qopt.quantize %x to <bf16> rounding <stochastic> seed %s : tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @seed_with_nearest(%x: tensor<4xf32>, %s: i64, %t: i64) -> tensor<4xf32> {
  // expected-error @+1 {{'seed' and 'step' are only allowed with stochastic rounding, got rounding nearest_even}}
  %0 = qopt.quantize %x to <bf16> seed %s step %t : tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @stream_with_toward_zero(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{'stream' is only allowed with stochastic rounding, got rounding toward_zero}}
  %0 = qopt.quantize %x to <bf16> rounding <toward_zero> stream 3 : tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @stream_not_i64(%x: tensor<4xf32>, %s: i64, %t: i64) -> tensor<4xf32> {
  // expected-error @+1 {{attribute 'stream' failed to satisfy constraint: 64-bit signless integer attribute}}
  %0 = "qopt.quantize"(%x, %s, %t) <{format = #qopt.format<bf16>, rounding = #qopt.rounding<stochastic>, stream = 3 : i32, operandSegmentSizes = array<i32: 1, 1, 1>}> : (tensor<4xf32>, i64, i64) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @seed_not_i64(%x: tensor<4xf32>, %s: i32, %t: i64) -> tensor<4xf32> {
  // expected-error @+1 {{operand #1 must be 64-bit signless integer, but got 'i32'}}
  %0 = "qopt.quantize"(%x, %s, %t) <{format = #qopt.format<bf16>, rounding = #qopt.rounding<stochastic>, operandSegmentSizes = array<i32: 1, 1, 1>}> : (tensor<4xf32>, i32, i64) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @quantize_f16_tensor(%x: tensor<4xf16>) -> tensor<4xf16> {
  // expected-error @+1 {{operand #0 must be ranked tensor of 32-bit float values, but got 'tensor<4xf16>'}}
  %0 = qopt.quantize %x to <bf16> : tensor<4xf16>
  return %0 : tensor<4xf16>
}

// -----

func.func @quantize_unranked(%x: tensor<*xf32>) -> tensor<*xf32> {
  // expected-error @+1 {{invalid kind of type specified: expected builtin.tensor, but found 'tensor<*xf32>'}}
  %0 = qopt.quantize %x to <bf16> : tensor<*xf32>
  return %0 : tensor<*xf32>
}

// -----

func.func @quantize_result_type_mismatch(%x: tensor<4xf32>) -> tensor<8xf32> {
  // expected-error @+1 {{failed to verify that all of {input, result} have same type}}
  %0 = "qopt.quantize"(%x) <{format = #qopt.format<bf16>, operandSegmentSizes = array<i32: 1, 0, 0>}> : (tensor<4xf32>) -> tensor<8xf32>
  return %0 : tensor<8xf32>
}

// -----

func.func @quantize_missing_format(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{requires attribute 'format'}}
  %0 = "qopt.quantize"(%x) <{operandSegmentSizes = array<i32: 1, 0, 0>}> : (tensor<4xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @quantize_missing_target(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{expected 'to'}}
  %0 = qopt.quantize %x <bf16> : tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @adam_shape_mismatch(%w: tensor<4xf32>, %g: tensor<8xf32>, %m: tensor<4xf32>, %v: tensor<4xf32>, %t: i64) {
  // expected-error @+1 {{failed to verify that all of {weight, grad, moment1, moment2, new_weight, new_moment1, new_moment2} have same type}}
  %a:3 = "qopt.adam_update"(%w, %g, %m, %v, %t) <{lr = 1.0e-3 : f32, operandSegmentSizes = array<i32: 1, 1, 1, 1, 1, 0, 0, 0, 0, 0>}> : (tensor<4xf32>, tensor<8xf32>, tensor<4xf32>, tensor<4xf32>, i64) -> (tensor<4xf32>, tensor<4xf32>, tensor<4xf32>)
  return
}

// -----

func.func @adam_element_type_mismatch(%w: tensor<4xf32>, %g: tensor<4xf32>, %m: tensor<4xf32>, %v: tensor<4xbf16>, %t: i64) {
  // expected-error @+1 {{operand #3 must be ranked tensor of 32-bit float values, but got 'tensor<4xbf16>'}}
  %a:3 = "qopt.adam_update"(%w, %g, %m, %v, %t) <{lr = 1.0e-3 : f32, operandSegmentSizes = array<i32: 1, 1, 1, 1, 1, 0, 0, 0, 0, 0>}> : (tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xbf16>, i64) -> (tensor<4xf32>, tensor<4xf32>, tensor<4xf32>)
  return
}

// -----

func.func @adam_step_not_integer(%w: tensor<4xf32>, %t: f32) {
  // expected-error @+1 {{operand #4 must be 64-bit signless integer, but got 'f32'}}
  %a:3 = "qopt.adam_update"(%w, %w, %w, %w, %t) <{lr = 1.0e-3 : f32, operandSegmentSizes = array<i32: 1, 1, 1, 1, 1, 0, 0, 0, 0, 0>}> : (tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, f32) -> (tensor<4xf32>, tensor<4xf32>, tensor<4xf32>)
  return
}

// -----

func.func @adam_beta1_is_one(%w: tensor<4xf32>, %t: i64) {
  // expected-error @+1 {{expects beta1 in [0, 1), got 1}}
  %a:3 = qopt.adam_update %w, %w, %w, %w, %t {lr = 1.0e-3 : f32, beta1 = 1.0 : f32} : tensor<4xf32>
  return
}

// -----

func.func @adam_beta2_negative(%w: tensor<4xf32>, %t: i64) {
  // expected-error @+1 {{expects beta2 in [0, 1), got -0.1}}
  %a:3 = qopt.adam_update %w, %w, %w, %w, %t {lr = 1.0e-3 : f32, beta2 = -0.1 : f32} : tensor<4xf32>
  return
}

// -----

func.func @adam_beta2_nan(%w: tensor<4xf32>, %t: i64) {
  // expected-error @+1 {{expects beta2 in [0, 1), got nan}}
  %a:3 = qopt.adam_update %w, %w, %w, %w, %t {lr = 1.0e-3 : f32, beta2 = 0x7FC00000 : f32} : tensor<4xf32>
  return
}

// -----

func.func @adam_epsilon_zero(%w: tensor<4xf32>, %t: i64) {
  // expected-error @+1 {{expects epsilon to be finite and positive, got 0}}
  %a:3 = qopt.adam_update %w, %w, %w, %w, %t {lr = 1.0e-3 : f32, epsilon = 0.0 : f32} : tensor<4xf32>
  return
}

// -----

func.func @adam_lr_negative(%w: tensor<4xf32>, %t: i64) {
  // expected-error @+1 {{expects lr to be finite and non-negative, got -0.001}}
  %a:3 = qopt.adam_update %w, %w, %w, %w, %t {lr = -1.0e-3 : f32} : tensor<4xf32>
  return
}

// -----

func.func @adam_lr_infinite(%w: tensor<4xf32>, %t: i64) {
  // expected-error @+1 {{expects lr to be finite and non-negative, got inf}}
  %a:3 = qopt.adam_update %w, %w, %w, %w, %t {lr = 0x7F800000 : f32} : tensor<4xf32>
  return
}

// -----

func.func @adam_weight_decay_negative(%w: tensor<4xf32>, %t: i64) {
  // expected-error @+1 {{expects weight_decay to be finite and non-negative, got -0.5}}
  %a:3 = qopt.adam_update %w, %w, %w, %w, %t {lr = 1.0e-3 : f32, weight_decay = -0.5 : f32} : tensor<4xf32>
  return
}

// -----

func.func @adam_missing_lr(%w: tensor<4xf32>, %t: i64) {
  // expected-error @+1 {{requires 'lr', as an attribute or as an operand `lr(%x)`}}
  %a:3 = qopt.adam_update %w, %w, %w, %w, %t : tensor<4xf32>
  return
}

// -----

func.func @adam_lr_wrong_type(%w: tensor<4xf32>, %t: i64) {
  // expected-error @+1 {{attribute 'lr' failed to satisfy constraint: 32-bit float attribute}}
  %a:3 = qopt.adam_update %w, %w, %w, %w, %t {lr = 1 : i32} : tensor<4xf32>
  return
}

// -----

func.func @muon_rank_3(%w: tensor<2x3x4xf32>) {
  // expected-error @+1 {{expects a 2-D weight (Muon orthogonalises matrices), got rank 3}}
  %a:2 = qopt.muon_update %w, %w, %w {lr = 2.0e-2 : f32} : tensor<2x3x4xf32>
  return
}

// -----

func.func @muon_rank_1(%w: tensor<4xf32>) {
  // expected-error @+1 {{expects a 2-D weight (Muon orthogonalises matrices), got rank 1}}
  %a:2 = qopt.muon_update %w, %w, %w {lr = 2.0e-2 : f32} : tensor<4xf32>
  return
}

// -----

func.func @muon_shape_mismatch(%w: tensor<4x4xf32>, %g: tensor<4x8xf32>) {
  // expected-error @+1 {{failed to verify that all of {weight, grad, momentum_buffer, new_weight, new_momentum_buffer} have same type}}
  %a:2 = "qopt.muon_update"(%w, %g, %w) <{lr = 2.0e-2 : f32, operandSegmentSizes = array<i32: 1, 1, 1, 0, 0>}> : (tensor<4x4xf32>, tensor<4x8xf32>, tensor<4x4xf32>) -> (tensor<4x4xf32>, tensor<4x4xf32>)
  return
}

// -----

func.func @muon_momentum_out_of_range(%w: tensor<4x4xf32>) {
  // expected-error @+1 {{expects momentum in [0, 1), got 1.5}}
  %a:2 = qopt.muon_update %w, %w, %w {lr = 2.0e-2 : f32, momentum = 1.5 : f32} : tensor<4x4xf32>
  return
}

// -----

func.func @muon_zero_ns_steps(%w: tensor<4x4xf32>) {
  // expected-error @+1 {{expects ns_steps in [1, 100], got 0}}
  %a:2 = qopt.muon_update %w, %w, %w {lr = 2.0e-2 : f32, ns_steps = 0} : tensor<4x4xf32>
  return
}

// -----

func.func @muon_two_coefficients(%w: tensor<4x4xf32>) {
  // expected-error @+1 {{expects 3 Newton-Schulz coefficients (a, b, c), got 2}}
  %a:2 = qopt.muon_update %w, %w, %w {lr = 2.0e-2 : f32, ns_coeffs = array<f32: 1.5, -0.5>} : tensor<4x4xf32>
  return
}

// -----

func.func @muon_epsilon_negative(%w: tensor<4x4xf32>) {
  // expected-error @+1 {{expects epsilon to be finite and positive, got -1}}
  %a:2 = qopt.muon_update %w, %w, %w {lr = 2.0e-2 : f32, epsilon = -1.0 : f32} : tensor<4x4xf32>
  return
}

// -----

func.func @muon_weight_decay_negative(%w: tensor<4x4xf32>) {
  // expected-error @+1 {{expects weight_decay to be finite and non-negative, got -1}}
  %a:2 = qopt.muon_update %w, %w, %w {lr = 2.0e-2 : f32, weight_decay = -1.0 : f32} : tensor<4x4xf32>
  return
}

// -----

func.func @muon_missing_lr(%w: tensor<4x4xf32>) {
  // expected-error @+1 {{requires 'lr', as an attribute or as an operand `lr(%x)`}}
  %a:2 = qopt.muon_update %w, %w, %w : tensor<4x4xf32>
  return
}

// -----

/// fp16 values beyond 2^8 are not bf16 values (7 mantissa bits).
func.func @encode_container_too_coarse(%x: tensor<4xf32>) -> tensor<4xbf16> {
  // expected-error @+1 {{container element type 'bf16' cannot hold every value of #qopt.format<fp16> (range, precision, subnormals, infinity or NaN); smallest exact container: 'f16'}}
  %0 = qopt.encode %x as <fp16> : tensor<4xf32> to tensor<4xbf16>
  return %0 : tensor<4xbf16>
}

// -----

/// An ieee e4m3 has infinities; f8E4M3FN has none.
func.func @encode_container_without_infinity(%x: tensor<4xf32>) -> tensor<4xf8E4M3FN> {
  // expected-error @+1 {{container element type 'f8E4M3FN' cannot hold every value of #qopt.format<e4m3>}}
  %0 = qopt.encode %x as <e4m3> : tensor<4xf32> to tensor<4xf8E4M3FN>
  return %0 : tensor<4xf8E4M3FN>
}

// -----

func.func @encode_code_too_wide(%x: tensor<4xf32>) -> tensor<4xi8> {
  // expected-error @+1 {{container element type 'i8' cannot hold every value of #qopt.format<e5m3>: the format needs 9 bits; smallest exact container: 'bf16'}}
  %0 = qopt.encode %x as <e5m3> : tensor<4xf32> to tensor<4xi8>
  return %0 : tensor<4xi8>
}

// -----

/// The NaN flag of an ieee format without mantissa makes e7m0 9 bits.
func.func @decode_nan_flag_does_not_fit(%c: tensor<4xi8>) -> tensor<4xf32> {
  // expected-error @+1 {{container element type 'i8' cannot hold every value of #qopt.format<e7m0>: the format needs 9 bits}}
  %0 = qopt.decode %c as <e7m0> : tensor<4xi8> to tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @encode_f32_container(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{result #0 must be ranked tensor of bfloat16 type or 16-bit float or f8E5M2 type or f8E4M3FN type or f8E4M3 type or f8E3M4 type or 8-bit signless integer or 16-bit signless integer values, but got 'tensor<4xf32>'}}
  %0 = qopt.encode %x as <bf16> : tensor<4xf32> to tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @encode_shape_mismatch(%x: tensor<4xf32>) -> tensor<8xbf16> {
  // expected-error @+1 {{requires the same shape for all operands and results}}
  %0 = qopt.encode %x as <bf16> : tensor<4xf32> to tensor<8xbf16>
  return %0 : tensor<8xbf16>
}

// -----

func.func @decode_signed_integer(%c: tensor<4xsi8>) -> tensor<4xf32> {
  // expected-error @+1 {{operand #0 must be ranked tensor of}}
  %0 = qopt.decode %c as <e4m3> : tensor<4xsi8> to tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @decode_missing_format(%c: tensor<4xi8>) -> tensor<4xf32> {
  // expected-error @+1 {{expected 'as'}}
  %0 = qopt.decode %c : tensor<4xi8> to tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @adam_lr_attribute_and_operand(%w: tensor<4xf32>, %t: i64, %lr: f32) {
  // expected-error @+1 {{has 'lr' both as an attribute and as an operand: give one}}
  %a:3 = qopt.adam_update %w, %w, %w, %w, %t lr(%lr) {lr = 1.0e-3 : f32} : tensor<4xf32>
  return
}

// -----

func.func @adam_beta2_attribute_and_operand(%w: tensor<4xf32>, %t: i64, %lr: f32, %b2: f32) {
  // expected-error @+1 {{has 'beta2' both as an attribute and as an operand: give one}}
  %a:3 = qopt.adam_update %w, %w, %w, %w, %t lr(%lr) beta2(%b2) {beta2 = 0.99 : f32} : tensor<4xf32>
  return
}

// -----

func.func @adam_weight_decay_attribute_and_operand(%w: tensor<4xf32>, %t: i64, %wd: f32) {
  // expected-error @+1 {{has 'weight_decay' both as an attribute and as an operand: give one}}
  %a:3 = qopt.adam_update %w, %w, %w, %w, %t weight_decay(%wd) {lr = 1.0e-3 : f32, weight_decay = 0.01 : f32} : tensor<4xf32>
  return
}

// -----

// expected-note @+1 {{prior use here}}
func.func @adam_operand_not_f32(%w: tensor<4xf32>, %t: i64, %lr: f64) {
  // expected-error @+1 {{use of value '%lr' expects different type than prior uses: 'f32' vs 'f64'}}
  %a:3 = qopt.adam_update %w, %w, %w, %w, %t lr(%lr) : tensor<4xf32>
  return
}

// -----

func.func @adam_only_beta_operands(%w: tensor<4xf32>, %t: i64, %b1: f32) {
  // expected-error @+1 {{requires 'lr', as an attribute or as an operand `lr(%x)`}}
  %a:3 = qopt.adam_update %w, %w, %w, %w, %t beta1(%b1) : tensor<4xf32>
  return
}

// -----

func.func @muon_lr_attribute_and_operand(%w: tensor<4x4xf32>, %lr: f32) {
  // expected-error @+1 {{has 'lr' both as an attribute and as an operand: give one}}
  %a:2 = qopt.muon_update %w, %w, %w lr(%lr) {lr = 2.0e-2 : f32} : tensor<4x4xf32>
  return
}

// -----

func.func @muon_weight_decay_attribute_and_operand(%w: tensor<4x4xf32>, %wd: f32) {
  // expected-error @+1 {{has 'weight_decay' both as an attribute and as an operand: give one}}
  %a:2 = qopt.muon_update %w, %w, %w weight_decay(%wd) {lr = 2.0e-2 : f32, weight_decay = 0.1 : f32} : tensor<4x4xf32>
  return
}

// -----

func.func @all_gather_sum_no_ranks(%g: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{'qopt.all_gather_sum' op needs at least one rank, got 0}}
  %0 = qopt.all_gather_sum %g ranks 0 : tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @all_gather_sum_dynamic(%g: tensor<?xf32>) -> tensor<?xf32> {
  // expected-error @+1 {{'qopt.all_gather_sum' op needs a static shape (the bytes exchanged are fixed at compile time), got 'tensor<?xf32>'}}
  %0 = qopt.all_gather_sum %g ranks 2 : tensor<?xf32>
  return %0 : tensor<?xf32>
}

// -----

func.func @all_gather_sum_overflow(%g: tensor<4611686018427387904xf32>) -> tensor<4611686018427387904xf32> {
  // expected-error @+1 {{'qopt.all_gather_sum' op exchanges too many bytes: 4 ranks of 'tensor<4611686018427387904xf32>' overflow}}
  %0 = qopt.all_gather_sum %g ranks 4 : tensor<4611686018427387904xf32>
  return %0 : tensor<4611686018427387904xf32>
}

// -----

func.func @gather_sum_no_ranks(%g: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{'qopt.gather_sum' op needs at least one rank, got 0}}
  %0 = qopt.gather_sum %g ranks 0 : tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @gather_sum_overflow(%g: tensor<4611686018427387904xf32>) -> tensor<4611686018427387904xf32> {
  // expected-error @+1 {{'qopt.gather_sum' op exchanges too many bytes: 4 ranks of 'tensor<4611686018427387904xf32>' overflow}}
  %0 = qopt.gather_sum %g ranks 4 : tensor<4611686018427387904xf32>
  return %0 : tensor<4611686018427387904xf32>
}

// -----

func.func @broadcast_dynamic(%w: tensor<?xf32>) -> tensor<?xf32> {
  // expected-error @+1 {{'qopt.broadcast' op needs a static shape (the bytes exchanged are fixed at compile time), got 'tensor<?xf32>'}}
  %0 = qopt.broadcast %w ranks 2 : tensor<?xf32>
  return %0 : tensor<?xf32>
}

// -----

/// A broadcast receives one copy: 2^60 f32 values fit in int64 bytes on
/// any number of ranks, but 2^62 do not.
func.func @broadcast_overflow(%w: tensor<4611686018427387904xf32>) -> tensor<4611686018427387904xf32> {
  // expected-error @+1 {{'qopt.broadcast' op exchanges too many bytes: 4 ranks of 'tensor<4611686018427387904xf32>' overflow}}
  %0 = qopt.broadcast %w ranks 4 : tensor<4611686018427387904xf32>
  return %0 : tensor<4611686018427387904xf32>
}
