// RUN: qopt-opt %s --convert-elementwise-to-linalg --qopt-lower-to-llvm \
// RUN: | mlir-runner -e main -entry-point-result=void \
// RUN:     -shared-libs=%mlir_runner_utils -shared-libs=%mlir_c_runner_utils \
// RUN: | FileCheck %s

/// qopt.encode into bf16 and f16 containers gives the codes of upstream
/// arith.truncf (round to nearest-even, the encode's own rounding), and
/// qopt.decode gives back arith.extf's values, bit for bit, on the 147
/// inputs of quantize-vs-truncf.mlir (ties, overflow thresholds, f32 and
/// target subnormals, signed zeros, infinities, NaN, random patterns). NaN
/// codes are compared as a class with their sign: qopt writes the canonical
/// quiet NaN, truncf may keep payload bits.

func.func private @printMemrefI32(tensor<*xi32>)
func.func private @printMemrefF32(tensor<*xf32>)

/// Prints the codes of `c` as integers, every NaN code replaced by the
/// quiet NaN of its sign.
func.func @print_bf16_codes(%c: tensor<147xbf16>) {
  %init = tensor.empty() : tensor<147xi32>
  %codes = linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>, affine_map<(d0) -> (d0)>], iterator_types = ["parallel"]}
      ins(%c : tensor<147xbf16>) outs(%init : tensor<147xi32>) {
  ^bb0(%in: bf16, %out: i32):
    %b16 = arith.bitcast %in : bf16 to i16
    %b = arith.extui %b16 : i16 to i32
    %abs_mask = arith.constant 32767 : i32
    %sign_mask = arith.constant 32768 : i32
    %inf = arith.constant 32640 : i32
    %quiet = arith.constant 32704 : i32
    %abs = arith.andi %b, %abs_mask : i32
    %sign = arith.andi %b, %sign_mask : i32
    %isnan = arith.cmpi ugt, %abs, %inf : i32
    %qnan = arith.ori %sign, %quiet : i32
    %r = arith.select %isnan, %qnan, %b : i32
    linalg.yield %r : i32
  } -> tensor<147xi32>
  %u = tensor.cast %codes : tensor<147xi32> to tensor<*xi32>
  call @printMemrefI32(%u) : (tensor<*xi32>) -> ()
  return
}

/// Prints the codes of `c` as integers, every NaN code replaced by the
/// quiet NaN of its sign.
func.func @print_f16_codes(%c: tensor<147xf16>) {
  %init = tensor.empty() : tensor<147xi32>
  %codes = linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>, affine_map<(d0) -> (d0)>], iterator_types = ["parallel"]}
      ins(%c : tensor<147xf16>) outs(%init : tensor<147xi32>) {
  ^bb0(%in: f16, %out: i32):
    %b16 = arith.bitcast %in : f16 to i16
    %b = arith.extui %b16 : i16 to i32
    %abs_mask = arith.constant 32767 : i32
    %sign_mask = arith.constant 32768 : i32
    %inf = arith.constant 31744 : i32
    %quiet = arith.constant 32256 : i32
    %abs = arith.andi %b, %abs_mask : i32
    %sign = arith.andi %b, %sign_mask : i32
    %isnan = arith.cmpi ugt, %abs, %inf : i32
    %qnan = arith.ori %sign, %quiet : i32
    %r = arith.select %isnan, %qnan, %b : i32
    linalg.yield %r : i32
  } -> tensor<147xi32>
  %u = tensor.cast %codes : tensor<147xi32> to tensor<*xi32>
  call @printMemrefI32(%u) : (tensor<*xi32>) -> ()
  return
}

/// Prints the bits of `x`, every NaN replaced by the quiet NaN of its sign.
func.func @print_bits(%x: tensor<147xf32>) {
  %init = tensor.empty() : tensor<147xi32>
  %bits = linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>, affine_map<(d0) -> (d0)>], iterator_types = ["parallel"]}
      ins(%x : tensor<147xf32>) outs(%init : tensor<147xi32>) {
  ^bb0(%in: f32, %out: i32):
    %isnan = arith.cmpf uno, %in, %in : f32
    %b = arith.bitcast %in : f32 to i32
    %sign_mask = arith.constant -2147483648 : i32
    %quiet = arith.constant 2143289344 : i32
    %sign = arith.andi %b, %sign_mask : i32
    %nan = arith.ori %sign, %quiet : i32
    %r = arith.select %isnan, %nan, %b : i32
    linalg.yield %r : i32
  } -> tensor<147xi32>
  %u = tensor.cast %bits : tensor<147xi32> to tensor<*xi32>
  call @printMemrefI32(%u) : (tensor<*xi32>) -> ()
  return
}

func.func @main() {
  %x = arith.constant dense<[
      0x00000000, 0x80000000, 0x7F800000, 0xFF800000, 0x7FC00000, 0xFFC00000, 0x7F800001, 0x7FA00000,
      0x00000001, 0x80000001, 0x00000100, 0x00400000, 0x007FFFFF, 0x807FFFFF, 0x00800000, 0x00800001,
      0x00FFFFFF, 0x3F808000, 0x3F808002, 0x3F807FFE, 0x3F818000, 0x3F801000, 0x3F801002, 0x3F800FFE,
      0x3F803000, 0x3F818000, 0x3F818002, 0x3F817FFE, 0x3F828000, 0x3F811000, 0x3F811002, 0x3F810FFE,
      0x3F813000, 0xBF7F0000, 0xBF7EFFFC, 0xBF7F0004, 0xBF7D0000, 0xBF7FE000, 0xBF7FDFFC, 0xBF7FE004,
      0xBF7FA000, 0x40404000, 0x40404001, 0x40403FFF, 0x4040C000, 0x40400800, 0x40400801, 0x404007FF,
      0x40401800, 0x3F80A000, 0x3F80A002, 0x3F809FFE, 0x3F81A000, 0x3F803000, 0x3F803002, 0x3F802FFE,
      0x3F805000, 0x7F7F0000, 0xFF7F0000, 0x7F7F7FFF, 0x7F7F8000, 0x7F7F8001, 0x7F7FFFFF, 0xFF7FFFFF,
      0x477FE000, 0x477FEF00, 0x477FEFFF, 0x477FF000, 0xC77FF000, 0x47800000, 0x47C35000, 0x38800000,
      0x387FC000, 0x33800000, 0x33000000, 0x33400000, 0x33000100, 0x33C00000, 0xB2800000, 0x2EDBE6FF,
      0x36A7C5AC, 0x00800000, 0x00404000, 0x00010000, 0x00008000, 0x0000C000, 0x00008010, 0xD837115F,
      0xEA8FF5F8, 0x026F4C84, 0x50A74CFF, 0x73E1D036, 0x8F8DE0E9, 0x3EB459C8, 0xF11FC8DE, 0x0977E471,
      0x856980BB, 0x658EF30D, 0x2E7ABED5, 0xAB3E1D35, 0x7AD367D4, 0xC3C79558, 0xF99E6AE5, 0x1F99F50D,
      0x4C1D5C6A, 0xF1217709, 0x9FDDB5FE, 0x73D9C869, 0xD7BFC82D, 0xC059F534, 0x0DD6A32C, 0xDEFDA9AA,
      0x9C86269B, 0xE6F6DABF, 0xD9F0B7C0, 0xA2729D41, 0xC1ACE0D9, 0x4FA930D7, 0xDD1C84E4, 0xA380626B,
      0xDAAF6EC4, 0xBE06F2FD, 0x0B1F3790, 0x06744FFA, 0x9E19CFDF, 0x48ECF042, 0xEA3D9D20, 0x42340181,
      0x41521E94, 0x41C0E9B1, 0xC24EC6F3, 0xC14F7423, 0x42C1E905, 0x425F7ABD, 0xC1CEA97B, 0x421DD804,
      0x424A472F, 0x4264A9E8, 0xC2C037AA, 0x424920DD, 0xC20C4E94, 0x41BB64BE, 0xC13DA337, 0xC0EE2D82,
      0x42239F06, 0xC28BC440, 0xC18977AF
  ]> : tensor<147xf32>

  // CHECK: data =
  // CHECK-NEXT: [[BF16:\[.*\]]]
  %tb = arith.truncf %x : tensor<147xf32> to tensor<147xbf16>
  call @print_bf16_codes(%tb) : (tensor<147xbf16>) -> ()
  // CHECK: data =
  // CHECK-NEXT: [[BF16]]
  %cb = qopt.encode %x as <bf16> : tensor<147xf32> to tensor<147xbf16>
  call @print_bf16_codes(%cb) : (tensor<147xbf16>) -> ()

  // CHECK: data =
  // CHECK-NEXT: [[BF16X:\[.*\]]]
  %eb = arith.extf %tb : tensor<147xbf16> to tensor<147xf32>
  call @print_bits(%eb) : (tensor<147xf32>) -> ()
  // CHECK: data =
  // CHECK-NEXT: [[BF16X]]
  %db = qopt.decode %tb as <bf16> : tensor<147xbf16> to tensor<147xf32>
  call @print_bits(%db) : (tensor<147xf32>) -> ()

  // CHECK: data =
  // CHECK-NEXT: [[F16:\[.*\]]]
  %th = arith.truncf %x : tensor<147xf32> to tensor<147xf16>
  call @print_f16_codes(%th) : (tensor<147xf16>) -> ()
  // CHECK: data =
  // CHECK-NEXT: [[F16]]
  %ch = qopt.encode %x as <fp16> : tensor<147xf32> to tensor<147xf16>
  call @print_f16_codes(%ch) : (tensor<147xf16>) -> ()

  // CHECK: data =
  // CHECK-NEXT: [[F16X:\[.*\]]]
  %eh = arith.extf %th : tensor<147xf16> to tensor<147xf32>
  call @print_bits(%eh) : (tensor<147xf32>) -> ()
  // CHECK: data =
  // CHECK-NEXT: [[F16X]]
  %dh = qopt.decode %th as <fp16> : tensor<147xf16> to tensor<147xf32>
  call @print_bits(%dh) : (tensor<147xf32>) -> ()
  return
}
