//===- QOptOps.td - qopt operations -----------------------*- tablegen -*-===//
//
// Part of the qopt project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#ifndef QOPT_DIALECT_QOPT_IR_QOPTOPS_TD
#define QOPT_DIALECT_QOPT_IR_QOPTOPS_TD

include "qopt/Dialect/QOpt/IR/QOptDialect.td"
include "qopt/Dialect/QOpt/IR/QOptAttrs.td"
include "mlir/Interfaces/SideEffectInterfaces.td"
include "mlir/IR/CommonAttrConstraints.td"
include "mlir/IR/CommonTypeConstraints.td"

/// Tensors the qopt ops compute on: ranked, f32 storage.
def QOpt_F32Tensor : RankedTensorOf<[F32]>;

class QOpt_Op<string mnemonic, list<Trait> traits = []>
    : Op<QOpt_Dialect, mnemonic, traits>;

/// Optimizer updates: elementwise-shaped state, pure (they return new state).
class QOpt_OptimizerOp<string mnemonic, list<Trait> traits = []>
    : QOpt_Op<mnemonic, !listconcat(traits, [Pure])> {
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// QuantizeOp
//===----------------------------------------------------------------------===//

def QOpt_QuantizeOp : QOpt_Op<"quantize", [
    Pure, AttrSizedOperandSegments, AllTypesMatch<["input", "result"]>]> {
  let summary = "round an f32 tensor to the values of a narrower float format";
  let description = [{
    The `qopt.quantize` operation returns a tensor of the same type as
    `input` whose every element is the input element rounded to the nearest
    value of the floating-point `format` under the `rounding` mode (simulated
    quantization: the result is stored as f32, sign and exponent are kept,
    the mantissa is rounded to `man_bits` bits).

    Semantics, element by element:

    * zeros keep their sign; NaN gives a quiet NaN of the same sign;
    * infinities stay infinities in an `ieee` format, become NaN in an `fn`
      format, and become the largest finite magnitude under `saturate`;
    * a finite value is rounded with a quantum of 2^(max(e, emin) - M), where
      e is its exponent, emin the format's smallest normal exponent and M its
      mantissa bits, so values below the normal range are rounded to the
      format's subnormals (then flushed to zero under `subnormals = flush`);
    * a rounded magnitude beyond the largest finite value overflows as the
      format's `overflow` policy says.

    `rounding` defaults to `nearest_even`. `stochastic` rounding needs the
    `seed` and `step` operands (i64): the random bits for the element at
    linear (row-major) index i are a counter-based hash of (seed, step,
    stream, i) (docs/StochasticRounding.md gives it exactly), so a result is
    a pure function of its operands and attributes and is reproducible on
    every target; `seed`, `step` and `stream` are rejected with the other
    modes.

    The optional `stream` (i64) keys the quantization point: two stochastic
    quantizes with the same seed and step but different streams make
    independent up/down decisions at the same index; with the same stream
    they make the same ones (ask for that by writing the same `stream`).
    `--qopt-insert-quantization` and `--qopt-narrow-storage` give every
    point they create its own stream; `--qopt-assign-streams` (run by
    `convert-qopt-to-linalg` and by the pipelines) gives each stochastic
    quantize written without one the smallest value not yet taken in the
    module, in walk order, so hand-written quantizes are not correlated
    either.

    The optional `component` tag says which quantization point of a training
    step this is (`weight`, `grad`, `first_moment`, `second_moment`); passes
    such as `--qopt-assign-precision` choose the format of tagged ops.

    Example:

    ```mlir
    %0 = qopt.quantize %x to <bf16> : tensor<4x8xf32>
    %1 = qopt.quantize %g to <fp8_e5m2> rounding <toward_zero> component <grad>
           : tensor<16xf32>
    %2 = qopt.quantize %w to <e8m3> rounding <stochastic> seed %seed step %t
           : tensor<?xf32>
    %3 = qopt.quantize %m to <e8m3> rounding <stochastic> seed %seed step %t
           stream 1 : tensor<?xf32>
    ```
  }];
  let arguments = (ins
    QOpt_F32Tensor:$input,
    QOpt_FloatFormatAttr:$format,
    DefaultValuedAttr<QOpt_RoundingModeAttr,
                      "::mlir::qopt::RoundingMode::nearest_even">:$rounding,
    OptionalAttr<QOpt_ComponentAttr>:$component,
    Optional<I64>:$seed,
    Optional<I64>:$step,
    OptionalAttr<I64Attr>:$stream
  );
  let results = (outs QOpt_F32Tensor:$result);
  let assemblyFormat = [{
    $input `to` $format (`rounding` $rounding^)? (`component` $component^)?
    (`seed` $seed^)? (`step` $step^)? (`stream` $stream^)? attr-dict `:`
    type($input)
  }];
  let extraClassDeclaration = [{
    /// The stream that keys stochastic rounding; 0 when absent (the
    /// lowering runs --qopt-assign-streams first, so absent is rare).
    uint64_t getStreamOrZero() {
      std::optional<int64_t> stream = getStream();
      return stream ? static_cast<uint64_t>(*stream) : 0;
    }
  }];
  let hasVerifier = 1;
  let hasFolder = 1;
}

//===----------------------------------------------------------------------===//
// EncodeOp / DecodeOp
//===----------------------------------------------------------------------===//

/// Element types of narrow storage: MLIR's small float types and 8- or
/// 16-bit codes.
def QOpt_StorageTensor : RankedTensorOf<[BF16, F16, F8E5M2, F8E4M3FN,
                                         F8E4M3, F8E3M4, I8, I16]>;

def QOpt_EncodeOp : QOpt_Op<"encode", [Pure, SameOperandsAndResultShape]> {
  let summary = "store the values of a float format in a narrow container";
  let description = [{
    The `qopt.encode` operation returns, element by element, the code of
    `input` in a narrow container of the values of `format`. Each element is
    first rounded to `format` with `nearest_even` (so an input produced by a
    `qopt.quantize` to the same format, in any rounding mode, is stored
    exactly), then stored as:

    * the element type's own encoding when the container is one of MLIR's
      float types (`bf16`, `f16`, `f8E5M2`, `f8E4M3FN`, `f8E4M3`, `f8E3M4`);
      the verifier checks that every value of `format` is a value of that
      type (range, subnormals, infinity and NaN);
    * the format's own bit encoding in the low bits of an `i8` or `i16`:
      sign | exponent (bias 2^(exp_bits-1) - 1) | mantissa, subnormals with
      a zero exponent field, infinity and NaN as the format's `encoding`
      says (NaN is written as the quiet pattern of the input's sign); an
      `ieee` format without mantissa bits has no NaN pattern, so its code
      has one more bit above the sign, set for NaN. The format must fit:
      1 + exp_bits + man_bits bits (plus that NaN bit) at most the
      container's width.

    `qopt.decode` is the inverse: `decode(encode(x)) == quantize(x)` for
    nearest-even rounding, bit for bit (NaN as a quiet NaN of its sign).
    `--qopt-narrow-storage` puts these ops at the function boundary of a
    training step, and the optimizer lowerings fuse them into their loops.

    Example:

    ```mlir
    %c = qopt.encode %m as <e8m3> : tensor<64xf32> to tensor<64xbf16>
    %d = qopt.encode %v as <e5m2, subnormals = flush> : tensor<64xf32> to tensor<64xf8E5M2>
    %e = qopt.encode %v as <e4m2> : tensor<64xf32> to tensor<64xi8>
    ```
  }];
  let arguments = (ins QOpt_F32Tensor:$input, QOpt_FloatFormatAttr:$format);
  let results = (outs QOpt_StorageTensor:$result);
  let assemblyFormat = [{
    $input `as` $format attr-dict `:` type($input) `to` type($result)
  }];
  let hasVerifier = 1;
}

def QOpt_DecodeOp : QOpt_Op<"decode", [Pure, SameOperandsAndResultShape]> {
  let summary = "read the values of a float format from a narrow container";
  let description = [{
    The `qopt.decode` operation returns, element by element, the f32 value
    of each code of `input`, a narrow container of the values of `format`
    laid out as `qopt.encode` describes. Every value comes back exactly; NaN
    codes give a quiet NaN of the code's sign. Container bits above the
    format's width are ignored.

    Example:

    ```mlir
    %m = qopt.decode %c as <e8m3> : tensor<64xbf16> to tensor<64xf32>
    %v = qopt.decode %e as <e4m2> : tensor<64xi8> to tensor<64xf32>
    ```
  }];
  let arguments = (ins QOpt_StorageTensor:$input, QOpt_FloatFormatAttr:$format);
  let results = (outs QOpt_F32Tensor:$result);
  let assemblyFormat = [{
    $input `as` $format attr-dict `:` type($input) `to` type($result)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Data-parallel exchanges
//===----------------------------------------------------------------------===//

// The exchanges of a data-parallel step (--qopt-data-parallel): an f32
// tensor in, an f32 tensor of the same type out, travelling as the codes of
// `format` (f32 without one) between `ranks` MPI processes. They
// communicate: every rank must run the same exchanges in the same order.
class QOpt_ExchangeOp<string mnemonic> : QOpt_Op<mnemonic, [
    AllTypesMatch<["input", "result"]>,
    MemoryEffects<[MemRead, MemWrite]>]> {
  let arguments = (ins QOpt_F32Tensor:$input,
                       OptionalAttr<QOpt_FloatFormatAttr>:$format,
                       I64Attr:$ranks);
  let results = (outs QOpt_F32Tensor:$result);
  let assemblyFormat = [{
    $input (`as` $format^)? `ranks` $ranks attr-dict `:` type($input)
  }];
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// AllGatherSumOp
//===----------------------------------------------------------------------===//

def QOpt_AllGatherSumOp : QOpt_ExchangeOp<"all_gather_sum"> {
  let summary = "sum a tensor over the ranks of a data-parallel run, "
                "exchanged as the codes of a float format";
  let description = [{
    The `qopt.all_gather_sum` operation is the exchange of a data-parallel
    training step (`--qopt-data-parallel`, docs/DataParallel.md). Each of
    the `ranks` processes (the MPI ranks of `MPI_COMM_WORLD`, which must
    number exactly `ranks` at run time) contributes its `input`; every
    process gets the same `result`:

    ```
    result = (((-0.0 + x_0) + x_1) + ...) + x_(ranks-1)
    ```

    element by element in f32, where x_r is rank r's input rounded to
    `format` (nearest-even; an input that a `qopt.quantize` already rounded
    to `format` is exact). Without `format` the inputs travel as f32. The
    sum runs in rank order on every rank, so all ranks compute the same
    result bit for bit, and a run is reproducible for a given number of
    ranks; with one rank the result is the input (rounded to `format`).

    What crosses the network is each rank's input as the codes of
    `format` in the smallest container that holds the format exactly (see
    `qopt.encode`: 1 byte per element for fp8 formats, 2 for bf16): an
    all-gather of codes, decoded and summed locally, because MPI's built-in
    reductions cannot add codes. The op has side effects (it communicates):
    every rank must execute the same exchanges in the same order.

    The CPU lowering (`--convert-qopt-to-linalg`) encodes the input, calls
    `qopt_dp_all_gather` of qopt's MPI runtime (`libqopt_dp_runtime.so`)
    and sums the decoded codes with a `linalg.generic` whose outer loop runs
    over the ranks.

    Example:

    ```mlir
    %sum = qopt.all_gather_sum %g as <fp8_e5m2> ranks 4 : tensor<784x128xf32>
    %loss = qopt.all_gather_sum %l ranks 4 : tensor<f32>
    ```
  }];
}

//===----------------------------------------------------------------------===//
// GatherSumOp
//===----------------------------------------------------------------------===//

def QOpt_GatherSumOp : QOpt_ExchangeOp<"gather_sum"> {
  let summary = "sum a tensor over the ranks of a data-parallel run at rank "
                "0 (the master), exchanged as the codes of a float format";
  let description = [{
    The `qopt.gather_sum` operation is the G boundary of a master/worker
    data-parallel step (`--qopt-data-parallel="mode=master-worker"`,
    docs/DataParallel.md): every one of the `ranks` processes sends its
    `input` to rank 0, which gets

    ```
    result = (((-0.0 + x_0) + x_1) + ...) + x_(ranks-1)
    ```

    element by element in f32, in rank order, where x_r is rank r's input
    rounded to `format` (nearest-even; exact for an input a `qopt.quantize`
    already rounded to `format`); without `format` the inputs travel as
    f32. The sum is the one `qopt.all_gather_sum` computes, bit for bit.
    On every other rank the result is +0.0 everywhere: the workers do not
    receive the sum (the master updates, then sends the weights back with
    `qopt.broadcast`).

    What crosses the network is each worker's input as the codes of
    `format` (the containers of `qopt.encode`), to rank 0 only. The op
    communicates: every rank must execute the same exchanges in the same
    order.

    The CPU lowering (`--convert-qopt-to-linalg`) encodes the input, calls
    `qopt_dp_gather` of qopt's MPI runtime (`libqopt_dp_runtime.so`; rank
    0 receives ranks x the codes, the other ranks zeros) and sums the
    decoded codes with a `linalg.generic` whose outer loop runs over the
    ranks.

    Example:

    ```mlir
    %sum = qopt.gather_sum %g as <fp8_e5m2> ranks 4 : tensor<784x128xf32>
    ```
  }];
}

//===----------------------------------------------------------------------===//
// BroadcastOp
//===----------------------------------------------------------------------===//

def QOpt_BroadcastOp : QOpt_ExchangeOp<"broadcast"> {
  let summary = "send rank 0's tensor to every rank of a data-parallel run, "
                "as the codes of a float format";
  let description = [{
    The `qopt.broadcast` operation is the W boundary of a master/worker
    data-parallel step (`--qopt-data-parallel="mode=master-worker"`,
    docs/DataParallel.md): rank 0 (the master) sends its `input` rounded
    to `format` (nearest-even; exact for an input a `qopt.quantize`
    already rounded to `format`, such as Q_W(W)) to the other `ranks` - 1
    processes, and every rank, rank 0 included, gets that value as
    `result`. The other ranks' inputs are ignored. Without `format` the
    input travels as f32. With one rank the result is the input (rounded
    to `format`).

    What crosses the network is rank 0's input as the codes of `format`
    (the containers of `qopt.encode`: 1 byte per element for fp8 formats,
    2 for bf16). The op communicates: every rank must execute the same
    exchanges in the same order.

    The CPU lowering (`--convert-qopt-to-linalg`) encodes the input, calls
    `qopt_dp_broadcast` of qopt's MPI runtime (`libqopt_dp_runtime.so`)
    and decodes the received codes (`qopt.decode`).

    Example:

    ```mlir
    %wq = qopt.quantize %w to <fp8_e4m3> component <weight> : tensor<784x128xf32>
    %w0 = qopt.broadcast %wq as <fp8_e4m3> ranks 4 : tensor<784x128xf32>
    ```
  }];
}

//===----------------------------------------------------------------------===//
// AdamUpdateOp
//===----------------------------------------------------------------------===//

def QOpt_AdamUpdateOp : QOpt_OptimizerOp<"adam_update", [
    AttrSizedOperandSegments,
    AllTypesMatch<["weight", "grad", "moment1", "moment2",
                   "new_weight", "new_moment1", "new_moment2"]>]> {
  let summary = "one Adam / AdamW step on a weight tensor";
  let description = [{
    The `qopt.adam_update` operation computes one step of Adam with decoupled
    weight decay (AdamW; `weight_decay = 0` is plain Adam), element by element,
    from the weight `w`, its gradient `g`, the first and second moments `m`
    and `v`, and the 1-based iteration number `step` (i64):

    ```
    m' = beta1 * m + (1 - beta1) * g
    v' = beta2 * v + (1 - beta2) * g * g
    m_hat = m' / (1 - beta1^step)
    v_hat = v' / (1 - beta2^step)
    w' = w - lr * m_hat / (sqrt(v_hat) + epsilon) - lr * weight_decay * w
    ```

    It returns `w'`, `m'` and `v'`. The four operands and the three results
    have one ranked f32 tensor type. `lr` is required and must be finite and
    non-negative; `beta1` (default 0.9) and `beta2` (default 0.999) must lie in
    [0, 1); `epsilon` (default 1e-8) must be positive; `weight_decay`
    (default 0) must be finite and non-negative. `step` must be at least 1 at
    run time (step 0 divides by zero in the bias correction).

    Three flags select the variants that frameworks implement (the defaults
    give the formulas above):

    * `bias_correction` (default true): false uses `m_hat = m'` and
      `v_hat = v'` (no division; `step` is then not read);
    * `epsilon_inside_sqrt` (default false): true divides by
      `sqrt(v_hat + epsilon)` instead of `sqrt(v_hat) + epsilon`;
    * `decoupled_weight_decay` (default true): false is Adam's L2
      regularisation, the decay added to the gradient before the moments,
      `g~ = g + weight_decay * w`, with `g~` in place of `g` in `m'` and `v'`
      and no decay term in `w'`.

    Hyper-parameters that change during training (a learning-rate schedule,
    betas or a weight decay fed to the step) are given as f32 operands
    instead: `lr(%x)`, `beta1(%x)`, `beta2(%x)`, `epsilon(%x)` and
    `weight_decay(%x)` after `step` replace the attribute of the same name,
    which must then be absent or hold its default (giving both is an error;
    `lr` is required one way or the other). An operand's value is not checked: the ranges above
    are preconditions at run time, and with a dynamic beta the bias
    correction computes `1 - beta^step` with `math.powf` at run time.

    Quantization of the training step is expressed around the op: a
    `qopt.quantize` on `g` (component `grad`) and on the results `m'`, `v'`
    (components `first_moment`, `second_moment`); the op itself computes in
    f32.

    Example:

    ```mlir
    %w1, %m1, %v1 = qopt.adam_update %w, %g, %m, %v, %step
        {lr = 1.0e-3 : f32, beta2 = 0.99 : f32} : tensor<128xf32>
    // torch.optim.Adam(weight_decay=0.01): L2 regularisation.
    %w2, %m2, %v2 = qopt.adam_update %w, %g, %m, %v, %step
        {lr = 1.0e-3 : f32, weight_decay = 0.01 : f32,
         decoupled_weight_decay = false} : tensor<128xf32>
    // A scheduled learning rate and beta2 as operands (%lr, %b2: f32).
    %w3, %m3, %v3 = qopt.adam_update %w, %g, %m, %v, %step lr(%lr)
        beta2(%b2) {weight_decay = 0.01 : f32} : tensor<128xf32>
    ```
  }];
  let arguments = (ins
    QOpt_F32Tensor:$weight,
    QOpt_F32Tensor:$grad,
    QOpt_F32Tensor:$moment1,
    QOpt_F32Tensor:$moment2,
    I64:$step,
    Optional<F32>:$dynamic_lr,
    Optional<F32>:$dynamic_beta1,
    Optional<F32>:$dynamic_beta2,
    Optional<F32>:$dynamic_epsilon,
    Optional<F32>:$dynamic_weight_decay,
    OptionalAttr<F32Attr>:$lr,
    DefaultValuedAttr<F32Attr, "0.9f">:$beta1,
    DefaultValuedAttr<F32Attr, "0.999f">:$beta2,
    DefaultValuedAttr<F32Attr, "1.0e-8f">:$epsilon,
    DefaultValuedAttr<F32Attr, "0.0f">:$weight_decay,
    DefaultValuedAttr<BoolAttr, "true">:$bias_correction,
    DefaultValuedAttr<BoolAttr, "false">:$epsilon_inside_sqrt,
    DefaultValuedAttr<BoolAttr, "true">:$decoupled_weight_decay
  );
  let results = (outs
    QOpt_F32Tensor:$new_weight,
    QOpt_F32Tensor:$new_moment1,
    QOpt_F32Tensor:$new_moment2
  );
  let assemblyFormat = [{
    $weight `,` $grad `,` $moment1 `,` $moment2 `,` $step
    (`lr` `(` $dynamic_lr^ `)`)?
    (`beta1` `(` $dynamic_beta1^ `)`)?
    (`beta2` `(` $dynamic_beta2^ `)`)?
    (`epsilon` `(` $dynamic_epsilon^ `)`)?
    (`weight_decay` `(` $dynamic_weight_decay^ `)`)?
    attr-dict `:` type($weight)
  }];
}

//===----------------------------------------------------------------------===//
// MuonUpdateOp
//===----------------------------------------------------------------------===//

def QOpt_MuonUpdateOp : QOpt_OptimizerOp<"muon_update", [
    AttrSizedOperandSegments,
    AllTypesMatch<["weight", "grad", "momentum_buffer",
                   "new_weight", "new_momentum_buffer"]>]> {
  let summary = "one Muon step on a 2-D weight";
  let description = [{
    The `qopt.muon_update` operation computes one step of Muon on a 2-D
    weight `W` (rows x cols) from its gradient `G` and momentum buffer `B`:

    ```
    B' = momentum * B + G
    U  = nesterov ? G + momentum * B' : B'
    X  = U / (||U||_F + epsilon)
    repeat ns_steps times (on X^T when rows > cols):
      A = X X^T
      X = a X + (b A + c A A) X          with (a, b, c) = ns_coeffs
    W' = W - lr * s * X - lr * weight_decay * W,  s = sqrt(max(1, rows / cols))
    ```

    It returns `W'` and `B'`. Weight, gradient, buffer and results share one
    2-D ranked f32 tensor type. `lr` is required, finite and non-negative;
    `momentum` (default 0.95) lies in [0, 1); `nesterov` defaults to true;
    `ns_steps` (default 5) lies in [1, 100]; `ns_coeffs` holds exactly three
    finite numbers (default 3.4445, -4.7750, 2.0315, the quintic iteration of
    the common reference implementation); `epsilon` (default 1e-7) is positive;
    `weight_decay` (default 0) is finite and non-negative.

    `lr(%x)` and `weight_decay(%x)`, f32 operands after the momentum buffer,
    replace the attribute of the same name (a learning-rate schedule); the
    attribute must then be absent (or hold its default), and `lr` is
    required one way or the other. An operand's value is a precondition at run time, not checked.

    Example:

    ```mlir
    %w1, %b1 = qopt.muon_update %w, %g, %b
        {lr = 2.0e-2 : f32, nesterov = false} : tensor<64x32xf32>
    // The learning rate of a schedule (%lr: f32).
    %w2, %b2 = qopt.muon_update %w, %g, %b lr(%lr) : tensor<64x32xf32>
    ```
  }];
  let arguments = (ins
    QOpt_F32Tensor:$weight,
    QOpt_F32Tensor:$grad,
    QOpt_F32Tensor:$momentum_buffer,
    Optional<F32>:$dynamic_lr,
    Optional<F32>:$dynamic_weight_decay,
    OptionalAttr<F32Attr>:$lr,
    DefaultValuedAttr<F32Attr, "0.95f">:$momentum,
    DefaultValuedAttr<BoolAttr, "true">:$nesterov,
    DefaultValuedAttr<I64Attr, "5">:$ns_steps,
    DefaultValuedAttr<DenseF32ArrayAttr, "{3.4445f, -4.7750f, 2.0315f}">:$ns_coeffs,
    DefaultValuedAttr<F32Attr, "1.0e-7f">:$epsilon,
    DefaultValuedAttr<F32Attr, "0.0f">:$weight_decay
  );
  let results = (outs
    QOpt_F32Tensor:$new_weight,
    QOpt_F32Tensor:$new_momentum_buffer
  );
  let assemblyFormat = [{
    $weight `,` $grad `,` $momentum_buffer
    (`lr` `(` $dynamic_lr^ `)`)?
    (`weight_decay` `(` $dynamic_weight_decay^ `)`)?
    attr-dict `:` type($weight)
  }];
}

#endif // QOPT_DIALECT_QOPT_IR_QOPTOPS_TD
