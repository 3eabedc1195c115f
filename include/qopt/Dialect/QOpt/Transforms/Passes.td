//===- Passes.td - qopt dialect transformations -----------*- tablegen -*-===//
//
// Part of the qopt project, under the Apache License v2.0 with LLVM
// Exceptions. See LICENSE for license information.
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#ifndef QOPT_DIALECT_QOPT_TRANSFORMS_PASSES_TD
#define QOPT_DIALECT_QOPT_TRANSFORMS_PASSES_TD

include "mlir/Pass/PassBase.td"

//===----------------------------------------------------------------------===//
// RaiseOptimizersPass
//===----------------------------------------------------------------------===//

def RaiseOptimizersPass : Pass<"qopt-raise-optimizers"> {
  let summary = "recognise Adam/AdamW and Muon steps exported by frameworks "
                "and rewrite them to qopt.adam_update / qopt.muon_update";
  let description = [{
    Frameworks export an optimizer step as plain elementwise code on
    tensors (torch -> linalg, JAX/optax -> StableHLO -> linalg): the qopt
    passes that quantize a step (`--qopt-insert-quantization`,
    `--qopt-assign-precision`, `--qopt-narrow-storage`) only see
    `qopt.adam_update` and `qopt.muon_update`. This pass finds such steps
    and rewrites each to the qopt op with equivalent attributes.

    Recognition is by value, not by the shape of the code: for a candidate
    new weight the pass builds the polynomial each element computes, through
    any mix of elementwise `linalg` ops (one fused `linalg.generic` or
    several, `linalg.map`, named elementwise ops, broadcasts of 0-d
    tensors), `arith` / `math` ops on tensors and scalar code (0-d tensors,
    `tensor.extract`), in a normal form (sums and products expanded,
    divisions as reciprocals, `sqrt(a / b) = sqrt(a) / sqrt(b)`, constants
    folded). It reads the hyper-parameters off it and compares it with the
    op's formula built from them. So `m + (1 - b1) (g - m)` (torch's `lerp`)
    is `b1 m + (1 - b1) g`, torch's `sqrt(v) / sqrt(bc2) + eps` with the
    step size `lr / bc1` is Adam's `m_hat / (sqrt(v_hat) + eps)`, optax's
    `w + (-lr) (m_hat / (sqrt(v_hat + 0) + eps) + wd w)` is AdamW, and so on.

    **Adam / AdamW** (anchor: the op computing the new weight `w'`; the new
    moments `m'`, `v'` are tensors computed from the same inputs in the same
    block, before it or by it):

    * `m' = b1 m + (1 - b1) g` and `v' = b2 v + (1 - b2) g^2` (any
      association, `g * g` or `powf(g, 2)`);
    * bias correction: with `1 - b^t` from `math.powf(b, sitofp(t))` /
      `uitofp` / `math.fpowi(b, t)` (the integer step `t`: a scalar, a 0-d
      tensor read through `tensor.extract` or a broadcast, or integer code
      in a linalg body, which is copied; sign- or zero-extended to i64), or
      without (`bias_correction = false`);
    * `epsilon` outside (`sqrt(v_hat) + eps`) or inside the square root
      (`sqrt(v_hat + eps)`: `epsilon_inside_sqrt = true`);
    * decoupled weight decay (`w' = w - lr d - lr wd w`, also written
      `w (1 - lr wd) - lr d`) or L2 decay (`g + wd w` before the moments:
      `decoupled_weight_decay = false`);
    * each hyper-parameter (`lr`, `beta1`, `beta2`, `epsilon`,
      `weight_decay`) a constant (after folding, so `1 - 0.999` written as
      an `arith.subf` of constants is fine) or dynamic: a scalar the code
      reads that is available before the anchor (an `f32` function
      argument, a 0-d `tensor<f32>` argument read through `tensor.extract`
      or a broadcast, the result of scalar code on them such as a
      learning-rate schedule `base * factor`), `1 - b` then computed at run
      time, and the bias correction `math.powf(b, t)` on the dynamic `b`.
      A dynamic hyper-parameter becomes the operand of the same name
      (`lr(%x)`, ...; a 0-d tensor is read with `tensor.extract`, scalar
      code on several values is rebuilt with `arith` ops before the op).

    Without bias correction the code has no step; the raised op gets the
    constant 1 (it does not read it). `--qopt-insert-quantization` with
    stochastic rounding then needs the function's step as an argument
    marked `qopt.step`, or every step draws the same random bits.

    **Muon** (anchor: the op computing `W'`):

    * `B' = mu B + G`, then `U = B'` or, Nesterov, `U = G + mu B'`;
    * `X0 = U / (||U||_F + eps)`, the norm a sum of squares over all
      elements (one reduction, or row sums then their sum; `x * x`,
      `powf(x, 2)`, `powf(|x|, 2)`; `linalg.generic` or `linalg.reduce`),
      its square root `math.sqrt` or `powf(., 0.5)`;
    * an `scf.for` with constant bounds (`ns_steps` trips) carrying X:
      `A = X X^T` (`linalg.matmul` with a transposed operand or
      `linalg.transpose` / a transposing generic), `P = b A + c (A A)`,
      `X = a X + P X` (a `linalg.matmul` accumulating onto `a X`, or a sum;
      an optional `linalg.copy` back into the carried tensor), all products
      into zero-filled tensors;
    * for a tall weight (rows > cols) X0 and the result transposed (the
      iteration on the wide matrix);
    * `W' = W - k X - lr wd W`: `lr = k / sqrt(max(1, rows / cols))`
      (whatever scale the exporter folded into `k`, the raised op computes
      the same update); `lr` and `weight_decay` constants or dynamic (as
      for Adam: operands `lr(%x)`, `weight_decay(%x)`), the other
      hyper-parameters constants.

    A dynamic beta is taken to lie in [0, 1), as the op requires: the
    algebra then treats `1 - b^t` as non-negative (so `sqrt(v / bc2)` and
    `sqrt(v) / sqrt(bc2)` compare equal, as with constant betas). The
    coefficient of a dynamic hyper-parameter within the tolerance of 1 is
    taken to be 1 when the pass rebuilds it.

    Not raised (left exactly as they are): a hyper-parameter computed
    inside the update from what the algebra cannot express (its generic is
    then opaque); a dynamic Muon `momentum` or `epsilon`; a step
    given as a float (torch's capturable `state_steps` tensor: an integer
    step cannot be recovered exactly); a bias correction folded into
    constants (the step is gone); both L2 and decoupled decay, or `eps`
    both inside and outside the root; any other term (gradient clipping,
    AMSGrad's `max`, Adafactor, ...); EMA-style Muon momentum
    (`B' = mu B + (1 - mu) G`, not qopt's formula); a Newton-Schulz
    iteration in another precision (bf16) or with other steps; shapes that
    differ, dynamic shapes for Muon. The new state tensors must be tensors
    of the same type computed at or before the anchor.

    Constants are compared with a relative tolerance (`tolerance`, default
    1e-4): an exporter that writes `1 - 0.999` as `1e-3` while `1 - 0.999f`
    is 1.00005e-3 in f32 still matches, and so does a base of the bias
    correction's power written with other digits than `beta`. The raised
    op's attributes are read off the code (`beta1` from `m'`, `lr` from the
    update, `weight_decay` from the coefficient of `w`), so it computes the
    same numbers as the original up to rounding: bit for bit where the
    original's arithmetic is in the order of the op's lowering, to about
    1e-6 relative otherwise. The equivalence assumes the op's preconditions
    (step at least 1; square roots of non-negative values).

    The pass does not fold or clean up anything else: the ops of a raised
    step that die are erased, all other IR is untouched. Ops nested in an
    op that carries the unit attribute `qopt.no_raise` (a function kept as
    written, such as a reference step in a test) are not visited. The patterns are
    exposed apart from the pass (`populateRaiseOptimizersPatterns` in
    `qopt/Dialect/QOpt/Transforms/RaiseOptimizers.h`).

    Example (an optax-style AdamW step spread over generics, simplified):

    ```mlir
    // Before
    %m1 = linalg.generic ... ins(%m, %g) { b1 * m + 0.1 * g } -> tensor<64xf32>
    %v1 = linalg.generic ... ins(%v, %g) { b2 * v + 1.0e-3 * g * g }
    %tf = arith.sitofp %t : i32 to f32
    %bc1 = 1 - math.powf(0.9, %tf) ...    %bc2 = 1 - math.powf(0.999, %tf) ...
    %w1 = linalg.generic ... ins(%w, %m1, %v1) {
      w + (-1.0e-3) * (m1 / bc1 / (sqrt(v1 / bc2) + 1.0e-8) + 0.01 * w) }
    // After
    %t64 = arith.extsi %t : i32 to i64
    %w1, %m1, %v1 = qopt.adam_update %w, %g, %m, %v, %t64
        {lr = 1.000000e-03 : f32, weight_decay = 0.00999999977 : f32}
        : tensor<64xf32>
    ```
  }];
  let options = [
    Option<"tolerance", "tolerance", "double", /*default=*/"1.0e-4",
           "Relative tolerance with which constants are compared "
           "(0 compares exactly)">,
  ];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::math::MathDialect",
    "::mlir::qopt::QOptDialect",
    "::mlir::tensor::TensorDialect",
  ];
}

//===----------------------------------------------------------------------===//
// InsertQuantizationPass
//===----------------------------------------------------------------------===//

def InsertQuantizationPass
    : Pass<"qopt-insert-quantization", "::mlir::ModuleOp"> {
  let summary = "quantize a training step at its four tensor boundaries";
  let description = [{
    Inserts `qopt.quantize` at the four quantization points of every training
    step that ends in a `qopt.adam_update` or `qopt.muon_update`, each tagged
    with its `component`, following the master/worker model of the
    convergence analysis (see docs/AssignPrecision.md):

    * `weight` (q_W): every use of the weight operand `w` of the update other
      than the update itself reads `qopt.quantize %w` instead, placed right
      after the definition of `w` (at the top of its block for a block
      argument). The update keeps the full-precision master weight.
    * `grad` (q_G): the gradient operand of the update is replaced by its
      quantization, placed right before the update. Other uses of the
      gradient (e.g. a norm that is printed) keep f32.
    * `first_moment` (q_M): Adam's `m'` and Muon's `B'` results, as stored
      after the update: every use of the result reads its quantization,
      placed right after the update.
    * `second_moment` (q_V): Adam's `v'` result, likewise.

    The update op itself computes in f32 (its `w'` uses the unrounded `m'`,
    `v'` of this step); what it stores for the next step is quantized.

    The quantizes get the `format` and `rounding` options; the format is a
    placeholder that `--qopt-assign-precision` replaces from the theory.

    Preconditions and guards (each is an error on the offending op):

    * a weight may be the weight operand of one update op only (one master
      copy per parameter);
    * a weight passed to a `func.call` (any `CallOpInterface`) is quantized
      at the call like any other use when the callee has a body that
      contains no optimizer update, directly or through further calls (the
      callee then only computes with the weight: forward or backward); a
      callee without a body, or one that updates parameters itself, is
      rejected (inline it first);
    * with `rounding=stochastic` the inserted quantizes need i64 `seed` and
      `step` values: the seed is the function argument carrying the unit
      attribute `qopt.seed`, the step the argument carrying `qopt.step` or,
      without one, the `step` operand of the `qopt.adam_update` being
      quantized. A missing seed (or, for Muon, step) is an error. Each
      inserted point k = 0, 1, ... of a function gets `stream k`, so no two
      points share random bits.

    Idempotence: a boundary that already holds a `qopt.quantize` with the
    matching `component` tag is left alone (a gradient operand produced by
    one, a weight or moment whose other users are quantize ops), so running
    the pass twice quantizes once. Any `qopt.quantize` that reads the weight
    or a moment directly is never wrapped.

    Example (`components` default: all four):

    ```mlir
    // Before
    %y = linalg.matmul ins(%x, %w : ...) ...
    %w1, %m1, %v1 = qopt.adam_update %w, %g, %m, %v, %t {lr = 1.0e-3 : f32}
        : tensor<4x4xf32>
    return %w1, %m1, %v1 : ...
    // After
    %wq = qopt.quantize %w to <bf16> component <weight> : tensor<4x4xf32>
    %y = linalg.matmul ins(%x, %wq : ...) ...
    %gq = qopt.quantize %g to <bf16> component <grad> : tensor<4x4xf32>
    %w1, %m1, %v1 = qopt.adam_update %w, %gq, %m, %v, %t {lr = 1.0e-3 : f32}
        : tensor<4x4xf32>
    %mq = qopt.quantize %m1 to <bf16> component <first_moment>
        : tensor<4x4xf32>
    %vq = qopt.quantize %v1 to <bf16> component <second_moment>
        : tensor<4x4xf32>
    return %w1, %mq, %vq : ...
    ```
  }];
  let options = [
    ListOption<"components", "components", "std::string",
               "Components to quantize, any of weight, grad, first_moment, "
               "second_moment (empty: all four); for ablations such as "
               "components=weight">,
    Option<"format", "format", "std::string", /*default=*/"\"bf16\"",
           "Format of the inserted quantizes, as in #qopt.format<...> "
           "(a name such as bf16 or e8m10, optionally with policies)">,
    Option<"rounding", "rounding", "std::string",
           /*default=*/"\"nearest_even\"",
           "Rounding of the inserted quantizes: nearest_even, toward_zero "
           "or stochastic (stochastic needs a qopt.seed argument)">,
  ];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::qopt::QOptDialect",
  ];
}

//===----------------------------------------------------------------------===//
// AssignPrecisionPass
//===----------------------------------------------------------------------===//

def AssignPrecisionPass
    : Pass<"qopt-assign-precision", "::mlir::ModuleOp"> {
  let summary = "choose the format of every tagged quantize from the "
                "convergence theorems";
  let description = [{
    Sets the `format` of every `qopt.quantize` that carries a `component`
    tag, from the number of iterations T the training is planned for and
    the convergence theorems of low-precision Adam and Muon. The pass is
    registered both as `--qopt-assign-precision` and, in every tool that
    calls `registerQOptPasses()`, as the alias `--assign-precision` (same
    pass, same options).

    **Theory.** The theorems ask for relative errors q_G, q_M = O(1/T) and
    q_W, q_V = O(1/T^2) under Adam, and q = O(T^-1/2) for every component
    under Muon. Writing the hidden constant as 2^-c, the pass requires

    ```
    q <= 2^-(k * log2(T) + c)     k = 1 (Adam grad, first_moment)
                                  k = 2 (Adam weight, second_moment)
                                  k = 1/2 (every Muon component)
    ```

    A format with M mantissa bits has q = 2^-M under `toward_zero` and
    `stochastic` rounding and q = 2^-(M+1) under `nearest_even` (unit
    roundoff), so the pass takes M = ceil(k log2 T + c), one bit less for
    `nearest_even`, read from each op's own `rounding`. M is clamped to
    [0, 23]; asking for more than f32's 23 bits is a warning (the op then
    gets f32, which `qopt.quantize` folds away).

    **Optimizer.** Each tagged op is matched to the update it feeds: a
    `weight` op reads the weight operand of an update, a `grad` op produces
    its gradient operand, a moment op reads a moment result. A tagged op
    that feeds no update, feeds updates of both kinds, or tags Muon's
    (non-existent) second moment is an error.

    **Constants.** The defaults are measured (docs/Calibration.md):
    `qopt-calibrate` on every shipped example (pilots of 250 iterations, the
    check at T = 1000, 3 seeds, R = 1.25 on the average gradient norm at
    the master weights, stochastic rounding); per component the most
    demanding example wins, plus a safety margin of one bit, rounded up to
    0.1. The 2-D Rosenbrock function sets Adam's constants and Muon's
    weight, the 8x8 one Muon's gradient and momentum:

    | optimizer | component          | default c | M at T = 10^2 / 10^4 / 10^6 (nearest) |
    |-----------|--------------------|-----------|---------------------------------------|
    | Adam      | weight             | -6.9      | 6 / 19 / 23 (asks 32: clamped)        |
    | Adam      | grad, first_moment | -5.9      | 0 / 7 / 14                            |
    | Adam      | second_moment      | -13.9     | 0 / 12 / 23 (asks 25: clamped)        |
    | Muon      | weight             | 4.1       | 7 / 10 / 14                           |
    | Muon      | grad, moment       | -1.9      | 1 / 4 / 8                             |

    Adam's weight and second moment grow twice as fast as its gradient and
    first moment (the theorem's q_W, q_V = O(1/T^2)); Muon's weight is the
    demanding one of its components but grows at half the rate.
    Stochastic and toward-zero rounding take one bit more.

    `qopt-calibrate` measures them for a user's own step, and
    `calibration-file` reads its output, a JSON object such as

    ```json
    {"adam": {"weight": -6.9, "grad": -5.9, "first_moment": -5.9,
              "second_moment": -13.9},
     "muon": {"weight": 4.1, "grad": -1.9, "first_moment": -1.9}}
    ```

    where every entry is optional. Precedence, lowest first: the defaults,
    the calibration file, the `adam-c-*` / `muon-c-*` options set to a
    value other than their default (in a textual pipeline or in the C++
    options struct alike, so a C++ caller that only sets
    `calibrationFile` gets the file's constants). A missing or malformed file, an unknown key or a non-number
    is an error.

    **T.** `iterations` wins; otherwise an integer attribute
    `qopt.iterations` on the function, then on the enclosing module. A
    function with tagged ops and no T is an error; T must be at least 1.

    **Snap.** `snap=none` keeps the exact M with 8 exponent bits (format
    `e8m<M>`, f32's range, so only the mantissa varies and nothing
    overflows that f32 would not). `snap=hardware` rounds up to the cheapest
    native format with at least M mantissa bits: fp8_e5m2 (M <= 2),
    fp8_e4m3 (3), bf16 (4..7), fp16 (8..10), fp32 (11..23); formats with
    fewer than `min-exponent-bits` exponent bits are skipped (8 forbids the
    narrow-range fp16 and fp8 formats), and the option is overridden by an
    integer attribute `qopt.min_exponent_bits` on the function or module
    when the option is not given.

    **Report.** Every op gets a remark with T, c, the required q, the chosen
    format and its bytes per element. `report-file` (`-` for stdout) writes
    a JSON report: per function and per (optimizer, component, rounding),
    T, c, the required log2(1/q) and q, the theory's M, the format, its
    exponent and mantissa bits and storage bytes per element, the number of
    ops, and for static shapes the stored bytes against f32.

    Postconditions: every tagged quantize has a format chosen by the policy;
    no other op changes; running the pass twice changes nothing.

    Example (`iterations=10000 snap=hardware`):

    ```mlir
    // Before
    %g1 = qopt.quantize %g to <bf16> component <grad> : tensor<4xf32>
    %w1, %m1, %v1 = qopt.adam_update %w, %g1, %m, %v, %t {lr = 1.0e-3 : f32}
        : tensor<4xf32>
    %v2 = qopt.quantize %v1 to <bf16> component <second_moment>
        : tensor<4xf32>
    // After: grad needs 7 bits (bf16), second_moment 12 (fp32)
    %g1 = qopt.quantize %g to <bf16> component <grad> : tensor<4xf32>
    ...
    %v2 = qopt.quantize %v1 to <fp32> component <second_moment>
        : tensor<4xf32>
    ```
  }];
  let options = [
    Option<"iterations", "iterations", "int64_t", /*default=*/"0",
           "Planned number of iterations T (0: use the qopt.iterations "
           "attribute of the function or module)">,
    Option<"snap", "snap", "std::string", /*default=*/"\"none\"",
           "none: exact mantissa bits with 8 exponent bits (e8m<M>); "
           "hardware: cheapest of fp8_e5m2, fp8_e4m3, bf16, fp16, fp32">,
    Option<"minExponentBits", "min-exponent-bits", "unsigned",
           /*default=*/"0",
           "With snap=hardware, skip formats with fewer exponent bits "
           "(8 keeps bf16/fp32 only); default: the qopt.min_exponent_bits "
           "attribute, else no limit">,
    Option<"adamCWeight", "adam-c-weight", "double", /*default=*/"-6.9",
           "Constant c of Adam's weight bound M >= 2 log2 T + c">,
    Option<"adamCGrad", "adam-c-grad", "double", /*default=*/"-5.9",
           "Constant c of Adam's gradient bound M >= log2 T + c">,
    Option<"adamCFirstMoment", "adam-c-first-moment", "double",
           /*default=*/"-5.9",
           "Constant c of Adam's first-moment bound M >= log2 T + c">,
    Option<"adamCSecondMoment", "adam-c-second-moment", "double",
           /*default=*/"-13.9",
           "Constant c of Adam's second-moment bound M >= 2 log2 T + c">,
    Option<"muonCWeight", "muon-c-weight", "double", /*default=*/"4.1",
           "Constant c of Muon's weight bound M >= 0.5 log2 T + c">,
    Option<"muonCGrad", "muon-c-grad", "double", /*default=*/"-1.9",
           "Constant c of Muon's gradient bound M >= 0.5 log2 T + c">,
    Option<"muonCFirstMoment", "muon-c-first-moment", "double",
           /*default=*/"-1.9",
           "Constant c of Muon's momentum-buffer bound M >= 0.5 log2 T + c">,
    Option<"calibrationFile", "calibration-file", "std::string",
           /*default=*/"\"\"",
           "JSON file of measured constants c (see the description)">,
    Option<"reportFile", "report-file", "std::string", /*default=*/"\"\"",
           "Write a JSON report of the choices to this file ('-': stdout)">,
  ];
  let dependentDialects = ["::mlir::qopt::QOptDialect"];
}

//===----------------------------------------------------------------------===//
// NarrowStoragePass
//===----------------------------------------------------------------------===//

def NarrowStoragePass : Pass<"qopt-narrow-storage", "::mlir::ModuleOp"> {
  let summary = "store quantized optimizer state in its smallest exact "
                "container";
  let description = [{
    Gives every quantized optimizer state of a training step the smallest
    container that holds its format exactly (see `qopt.encode`): Adam's first
    and second moments and Muon's momentum buffer, whose new value is a
    `qopt.quantize` that the function returns. The container is an MLIR
    float type when every value of the format is one of its values (`bf16`,
    `f16`, `f8E5M2`, `f8E4M3FN`, `f8E4M3`, `f8E3M4`; an e8m3 value is a
    bf16 value, for instance), otherwise the format's own code in an `i8`
    or `i16`; formats of more than 16 bits stay f32.

    For such a state, the function's argument and result change to the
    narrow tensor type: the argument is read through `qopt.decode`, the
    returned value written through `qopt.encode`, and the argument gets the
    attribute `qopt.storage = #qopt.format<...>` (the result too). The
    optimizer lowerings fuse both into the update's loop, so the step makes
    one pass over the narrow state and keeps no f32 copy of it. Calls of the
    function in the module get explicit conversions: the caller encodes
    what it passes and decodes what it gets back. The arithmetic is
    unchanged: a run with narrow storage computes bit for bit what the f32
    simulation computes, because every stored value is a value of the
    format.

    With `quantized-weights`, the Q_W copy of the weights that forward and
    backward read (a `qopt.quantize` with component `weight` passed to a
    `func.call`) crosses the call narrow too: the caller encodes it (fused
    with the quantize into one loop), and the callee, which must be private
    and called from that one place, takes the narrow type and decodes it on
    entry.

    The master weights stay f32 (the theorem's master/worker model). With
    `master-format=F`, they are also stored narrow: the new weight is
    rounded to F with stochastic rounding (seeded from the function's
    `qopt.seed` argument, stepped by its `qopt.step` argument or Adam's
    step, keyed by `stream 2^32 + n` for the function's n-th update, apart
    from every inserted point's) and stored in F's container. This is pure low-precision training,
    outside the model of the convergence theorems.

    Errors, on the value concerned: a state with a dynamic shape; a state
    argument with a use other than the update, or a quantized new state
    with a use other than the return (those ops would need an f32 copy);
    a `containers` entry whose type cannot hold the state's format.

    Example (Adam, second moment at e8m3, first moment at fp8_e4m3):

    ```mlir
    // Before:
    func.func @train_step(%w: tensor<64xf32>, %m: tensor<64xf32>,
                          %v: tensor<64xf32>, ...) -> (...) {
      %w1, %m1, %v1 = qopt.adam_update %w, %g, %m, %v, %t {lr = 1.0e-3 : f32} : tensor<64xf32>
      %mq = qopt.quantize %m1 to <fp8_e4m3> component <first_moment> : tensor<64xf32>
      %vq = qopt.quantize %v1 to <e8m3> component <second_moment> : tensor<64xf32>
      return %w1, %mq, %vq, %loss : ...
    }
    // After:
    func.func @train_step(%w: tensor<64xf32>,
        %m: tensor<64xf8E4M3FN> {qopt.storage = #qopt.format<fp8_e4m3>},
        %v: tensor<64xbf16> {qopt.storage = #qopt.format<e8m3>}, ...) -> (...) {
      %md = qopt.decode %m as <fp8_e4m3> : tensor<64xf8E4M3FN> to tensor<64xf32>
      %vd = qopt.decode %v as <e8m3> : tensor<64xbf16> to tensor<64xf32>
      %w1, %m1, %v1 = qopt.adam_update %w, %g, %md, %vd, %t {lr = 1.0e-3 : f32} : tensor<64xf32>
      %mq = qopt.quantize %m1 to <fp8_e4m3> component <first_moment> : tensor<64xf32>
      %me = qopt.encode %mq as <fp8_e4m3> : tensor<64xf32> to tensor<64xf8E4M3FN>
      ...
      return %w1, %me, %ve, %loss : ...
    }
    ```
  }];
  let options = [
    ListOption<"containers", "containers", "std::string",
               "Containers chosen by hand, as component=type (e.g. "
               "second_moment=f16, first_moment=i8); each must hold the "
               "component's format exactly">,
    Option<"quantizedWeights", "quantized-weights", "bool",
           /*default=*/"false",
           "Also pass the Q_W copy of the weights to the forward/backward "
           "callee in its narrow container">,
    Option<"masterFormat", "master-format", "std::string", /*default=*/"\"\"",
           "Also store the master weights narrow, rounded stochastically "
           "to this format (e.g. bf16); empty keeps them f32">,
  ];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::qopt::QOptDialect",
  ];
}

//===----------------------------------------------------------------------===//
// AssignStreamsPass
//===----------------------------------------------------------------------===//

def AssignStreamsPass : Pass<"qopt-assign-streams", "::mlir::ModuleOp"> {
  let summary = "key every stochastic qopt.quantize with a stream of its own";
  let description = [{
    Stochastic rounding draws its random bits from a hash of (seed, step,
    stream, element index). This pass gives every stochastic `qopt.quantize`
    that has no `stream` attribute the smallest value >= 0 not carried by
    any quantize of the module, in walk order, so that two quantizes
    written by hand with the same seed and step do not make the same up or
    down decision at the same index. Quantizes that already have a stream
    keep it: writing the same stream on two quantizes asks for the same
    bits. Running it twice changes nothing.

    `convert-qopt-to-linalg` does the same on the operation it runs on
    before lowering, and the CPU and GPU pipelines run this pass first, so
    it matters only to see (or fix) the streams before lowering.

    Example:

    ```mlir
    %a = qopt.quantize %x to <bf16> rounding <stochastic> seed %s step %t : tensor<8xf32>
    %b = qopt.quantize %y to <bf16> rounding <stochastic> seed %s step %t stream 0 : tensor<8xf32>
    %c = qopt.quantize %z to <bf16> rounding <stochastic> seed %s step %t : tensor<8xf32>
    // becomes: %a ... stream 1, %b ... stream 0, %c ... stream 2
    ```
  }];
}

//===----------------------------------------------------------------------===//
// DataParallelPass
//===----------------------------------------------------------------------===//

def DataParallelPass : Pass<"qopt-data-parallel", "::mlir::ModuleOp"> {
  let summary = "shard a training step's batch over MPI ranks and exchange "
                "the quantized gradients";
  let description = [{
    Turns the training step `function` (default `@train_step`) into the
    step of one rank of a data-parallel run over `ranks` processes
    (docs/DataParallel.md):

    1. **Sharding.** The arguments marked `qopt.data` (the batch, dimension
       0 of global size B) shrink to B / ranks rows, and so does every
       tensor that carries the batch dimension: the pass propagates it
       through the indexing maps of `linalg` ops (a loop indexing a batch
       dimension of one operand is a batch loop, and every operand or
       result dimension it indexes is a batch dimension), `tensor.empty`,
       elementwise ops (`qopt.quantize`, `arith`/`math` on tensors) and
       splat constants. Calls from the step are inlined first. Each rank
       computes, on its shard, the same sums over examples as before; a
       loss that divides by a constant global B therefore gives the
       rank's share of the global mean, and the shares add up to it.
    2. **Exchange at the G boundary.** The gradient operand of every
       `qopt.adam_update` / `qopt.muon_update` becomes the
       `qopt.all_gather_sum` of the ranks' gradients, in the format of
       the `qopt.quantize ... component <grad>` that produced it (its
       packed codes travel; f32 when the gradient is not quantized).
    3. **The scalar results** of the step (f32: the loss) are summed over
       the ranks in f32, so every rank returns the global loss.

    With `mode=master-worker` (the paper's round), rank 0 is the master:

    2'. **G boundary.** The gradient operands become `qopt.gather_sum`
        instead: the workers' codes go to rank 0 only, which sums them in
        rank order (bit for bit the all-gather's sum) and applies the
        update; on the workers the sum is zeros and their updates are
        ignored.
    4.  **W boundary.** Every read of an updated weight other than by an
        optimizer update becomes rank 0's: a `qopt.quantize ... component
        <weight>` of it is followed by a `qopt.broadcast` in its format
        (Q_W(W) travels as codes) whose result replaces the quantize's
        everywhere; a weight read without quantization is broadcast in
        f32. The workers thus compute forward and backward at the master's
        Q_W(W), and a step is bit for bit the allreduce step on rank 0.

    Errors, on the operation concerned, instead of a silently wrong
    step: no `qopt.data` argument; a batch not divisible by `ranks`;
    batch dimensions that disagree or a batch whose size differs between
    arguments; a dimension the batch would reach whose size is not B; a
    non-data argument or a returned tensor along the batch; a `linalg` op
    whose indexing map mixes a batch loop into an expression or that reads
    a batch loop's `linalg.index`; any other op on a batch tensor
    (`tensor.dim`, `tensor.extract`, reshapes, calls left after inlining);
    a mode other than `allreduce` and `master-worker`.

    Example (`ranks=2`, batch 4, gradient at fp8_e5m2):

    ```mlir
    // Before:
    func.func @train_step(%w: tensor<3xf32>,
        %x: tensor<4x3xf32> {qopt.data = "images"}, ...) -> (..., f32) {
      %e = tensor.empty() : tensor<4x3xf32>
      %p = linalg.generic ... ins(%x, %w : tensor<4x3xf32>, tensor<3xf32>)
                              outs(%e : tensor<4x3xf32>) ...
      %g = ... // reduces %p over the batch into tensor<3xf32>
      %gq = qopt.quantize %g to <fp8_e5m2> component <grad> : tensor<3xf32>
      %w1, %m1, %v1 = qopt.adam_update %w, %gq, %m, %v, %t {lr = 1.0e-3 : f32}
          : tensor<3xf32>
      ...
    }
    // After:
    func.func @train_step(%w: tensor<3xf32>,
        %x: tensor<2x3xf32> {qopt.data = "images"}, ...) -> (..., f32) {
      %e = tensor.empty() : tensor<2x3xf32>
      ...
      %gq = qopt.quantize %g to <fp8_e5m2> component <grad> : tensor<3xf32>
      %gs = qopt.all_gather_sum %gq as <fp8_e5m2> ranks 2 : tensor<3xf32>
      %w1, %m1, %v1 = qopt.adam_update %w, %gs, %m, %v, %t {lr = 1.0e-3 : f32}
          : tensor<3xf32>
      ...
    }
    // After, with mode=master-worker (a weight quantized to fp8_e4m3):
      %wq = qopt.quantize %w to <fp8_e4m3> component <weight> : tensor<3xf32>
      %w0 = qopt.broadcast %wq as <fp8_e4m3> ranks 2 : tensor<3xf32>
      ... // the forward and backward read %w0
      %gs = qopt.gather_sum %gq as <fp8_e5m2> ranks 2 : tensor<3xf32>
      %w1, %m1, %v1 = qopt.adam_update %w, %gs, %m, %v, %t {lr = 1.0e-3 : f32}
          : tensor<3xf32>
    ```
  }];
  let options = [
    Option<"ranks", "ranks", "int64_t", /*default=*/"1",
           "Number of MPI ranks the step is compiled for (mpirun -np)">,
    Option<"mode", "mode", "std::string", /*default=*/"\"allreduce\"",
           "allreduce (every rank applies the update to the summed "
           "gradient) or master-worker (rank 0 sums the gradients, "
           "updates and broadcasts Q_W(W))">,
    Option<"function", "function", "std::string",
           /*default=*/"\"train_step\"",
           "Name of the training-step function">,
  ];
  let dependentDialects = [
    "::mlir::qopt::QOptDialect",
    "::mlir::tensor::TensorDialect",
  ];
}

#endif // QOPT_DIALECT_QOPT_TRANSFORMS_PASSES_TD
