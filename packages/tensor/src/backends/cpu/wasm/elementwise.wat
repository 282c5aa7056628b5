;; Elementwise arithmetic for nabla, in WebAssembly SIMD (128-bit vectors): out = a op b over float32
;; rows in the heap: copied there by the JS driver (elementwise.ts), or where the operands live. Each operand is a
;; row of n values or one value spread over its row (`splat`), and steps `rowStep` bytes from one
;; row to the next: a whole operand steps n values, a row broadcast down the rows 0, a column of one
;; value per row 1 value, a single value 0. The results of +, −, ×, ÷ are the float32 operations'
;; own, the same bits as JS computing in float64 and rounding to float32 (for them the double
;; rounding is harmless). unaryF32 maps n contiguous values through GELU, exact or in its tanh
;; form. GELU and its backward (a the incoming gradient, b the input) are within a few float32 ulps
;; of the JS loops' where the values are not tiny (close to a zero of the derivative, or far in the
;; left tail, where the JS loops keep PyTorch's x (1 + erf(x/√2)) / 2 and 1 + erf cancels).
;;
;; Pointers are byte offsets. The loops work on whole vectors: the last vector of a row reads up to
;; three values past its end and writes up to three past the end of its output row, which is where
;; the next output row starts (written later) or, after the last row, 16 bytes of slack the driver
;; leaves after each region.
;;
;; Specialised copies: the op, and whether an operand is a splat, are the same for a whole call, so
;; no loop tests them per vector. Each export calls its loop ($map, $zip) once for every op (and
;; kind of operands) with those as constants; where the module is assembled (see
;; scripts/assemble-wasm.mjs) every call is inlined and the branches on the constants dropped, so
;; each copy's loop does one op on one kind of operands, with no calls and no tests but its own.

(module
  ;; The memory is the caller's (the driver grows it to fit a block).
  (import "env" "memory" (memory 1 32768))

  ;; e^x four lanes at a time, within 2e-7 relative (under two float32 ulps): softmax.wat's, where
  ;; the method is explained. x = k·ln 2 + r, e^r from a degree-5 minimax polynomial, 2^k built in
  ;; the exponent bits as two halves; x is clamped to [-110, 89] first, so e^x is 0 or Infinity
  ;; beyond, and NaN stays NaN.
  (func $exp (param $x v128) (result v128)
    (local $k v128) (local $r v128) (local $r2 v128) (local $p v128) (local $half v128)
    (local.set $x
      (f32x4.pmin
        (f32x4.pmax (local.get $x) (v128.const f32x4 -110 -110 -110 -110))
        (v128.const f32x4 89 89 89 89)))
    (local.set $k (f32x4.nearest (f32x4.mul (local.get $x) (v128.const f32x4 1.44269504088896341 1.44269504088896341 1.44269504088896341 1.44269504088896341))))
    (local.set $r
      (f32x4.sub
        (f32x4.sub (local.get $x) (f32x4.mul (local.get $k) (v128.const f32x4 0.693359375 0.693359375 0.693359375 0.693359375)))
        (f32x4.mul (local.get $k) (v128.const f32x4 -2.12194440e-4 -2.12194440e-4 -2.12194440e-4 -2.12194440e-4))))
    (local.set $r2 (f32x4.mul (local.get $r) (local.get $r)))
    (local.set $p
      (f32x4.add
        (f32x4.add (v128.const f32x4 1 1 1 1) (f32x4.mul (local.get $r) (v128.const f32x4 0.9999997019767761 0.9999997019767761 0.9999997019767761 0.9999997019767761)))
        (f32x4.mul (local.get $r2)
          (f32x4.add
            (f32x4.add (v128.const f32x4 0.4999915063381195 0.4999915063381195 0.4999915063381195 0.4999915063381195) (f32x4.mul (local.get $r) (v128.const f32x4 0.1666763573884964 0.1666763573884964 0.1666763573884964 0.1666763573884964)))
            (f32x4.mul (local.get $r2) (f32x4.add (v128.const f32x4 0.04189793020486832 0.04189793020486832 0.04189793020486832 0.04189793020486832) (f32x4.mul (local.get $r) (v128.const f32x4 0.008290315046906471 0.008290315046906471 0.008290315046906471 0.008290315046906471))))))))
    (local.set $k (i32x4.trunc_sat_f32x4_s (local.get $k)))
    (local.set $half (i32x4.shr_s (local.get $k) (i32.const 1)))
    (f32x4.mul
      (f32x4.mul
        (local.get $p)
        (i32x4.shl (i32x4.add (local.get $half) (v128.const i32x4 127 127 127 127)) (i32.const 23)))
      (i32x4.shl (i32x4.add (i32x4.sub (local.get $k) (local.get $half)) (v128.const i32x4 127 127 127 127)) (i32.const 23))))

  ;; −2u = x (−2√(2/π) − 2√(2/π) · 0.044715 x²), u the argument of tanh in GELU's tanh form
  (func $geluMinusTwoU (param $x v128) (result v128)
    (f32x4.mul (local.get $x)
      (f32x4.add
        (v128.const f32x4 -1.5957691216057308 -1.5957691216057308 -1.5957691216057308 -1.5957691216057308)
        (f32x4.mul (f32x4.mul (local.get $x) (local.get $x))
          (v128.const f32x4 -0.07135481627879218 -0.07135481627879218 -0.07135481627879218 -0.07135481627879218)))))

  ;; GELU's tanh form x (1 + tanh u) / 2 = x / (1 + e^(−2u)) (as 1 + tanh u = 2σ(2u)): x = −∞
  ;; gives −∞/∞ = NaN, as PyTorch's formula does.
  (func $geluTanh (param $x v128) (result v128)
    (f32x4.div (local.get $x)
      (f32x4.add (v128.const f32x4 1 1 1 1) (call $exp (call $geluMinusTwoU (local.get $x))))))

  ;; Its derivative s + 2x s (1 − s) u′ with s = σ(2u) = 1 / (1 + e), e = e^(−2u): 1 − s = e s, so
  ;; s (1 + x e s (2u′)), 2u′ = 2√(2/π) (1 + 3 · 0.044715 x²). x is held within ±20 first, beyond
  ;; which the derivative is 1 or 0 to float32 precision (x² could overflow), and −2u below 88 so
  ;; that e is finite (e s would be ∞ · 0 past it; there s < 1e-38). e s, at most 1, is taken
  ;; before x multiplies it. ±∞ give NaN, as PyTorch's formula does (∞ · 0).
  (func $geluTanhDerivative (param $x v128) (result v128)
    (local $c v128) (local $e v128) (local $s v128)
    (local.set $c
      (f32x4.pmin (f32x4.pmax (local.get $x) (v128.const f32x4 -20 -20 -20 -20)) (v128.const f32x4 20 20 20 20)))
    (local.set $e (call $exp (f32x4.pmin (call $geluMinusTwoU (local.get $c)) (v128.const f32x4 88 88 88 88))))
    (local.set $s (f32x4.div (v128.const f32x4 1 1 1 1) (f32x4.add (v128.const f32x4 1 1 1 1) (local.get $e))))
    (v128.bitselect
      (v128.const f32x4 nan nan nan nan)
      (f32x4.mul (local.get $s)
        (f32x4.add (v128.const f32x4 1 1 1 1)
          (f32x4.mul
            (f32x4.mul (local.get $c) (f32x4.mul (local.get $e) (local.get $s)))
            (f32x4.add
              (v128.const f32x4 1.5957691216057308 1.5957691216057308 1.5957691216057308 1.5957691216057308)
              (f32x4.mul (f32x4.mul (local.get $c) (local.get $c))
                (v128.const f32x4 0.21406444883637654 0.21406444883637654 0.21406444883637654 0.21406444883637654))))))
      (f32x4.eq (f32x4.abs (local.get $x)) (v128.const f32x4 inf inf inf inf))))

  ;; e^(−x²/2), √(2π) times the standard normal density φ(x)
  (func $gaussian (param $x v128) (result v128)
    (call $exp (f32x4.mul (f32x4.mul (local.get $x) (local.get $x)) (v128.const f32x4 -0.5 -0.5 -0.5 -0.5))))

  ;; The standard normal Φ(x), given g = e^(−x²/2): Φ(−|x|) = erfc(|x|/√2) / 2 = g t Q(t) with
  ;; t = 1 / (1 + |x| / (2√2)) and Q of degree 8, a relative-error fit of erfc(a/√2) e^(a²/2) / (2t)
  ;; on a ∈ [0, 14.9] (4.3e-8 there; beyond, g is 0); Φ(x) = 1 − Φ(−x) for x ≥ 0. No 1 + erf
  ;; cancels for x < 0: Φ keeps its relative accuracy in the left tail (a few float32 ulps, more far
  ;; out, where x² has rounded).
  (func $normalCdf (param $x v128) (param $g v128) (result v128)
    (local $t v128) (local $q v128) (local $tail v128)
    (local.set $t
      (f32x4.div (v128.const f32x4 1 1 1 1)
        (f32x4.add (v128.const f32x4 1 1 1 1) (f32x4.mul (f32x4.abs (local.get $x)) (v128.const f32x4 0.35355339059327373 0.35355339059327373 0.35355339059327373 0.35355339059327373)))))
    ;; Q(t) by Horner's rule, from its t⁸ coefficient down
    (local.set $q (v128.const f32x4 -0.029600469395518303 -0.029600469395518303 -0.029600469395518303 -0.029600469395518303))
    (local.set $q (f32x4.add (f32x4.mul (local.get $q) (local.get $t)) (v128.const f32x4 0.14260995388031006 0.14260995388031006 0.14260995388031006 0.14260995388031006)))
    (local.set $q (f32x4.add (f32x4.mul (local.get $q) (local.get $t)) (v128.const f32x4 -0.2442687600851059 -0.2442687600851059 -0.2442687600851059 -0.2442687600851059)))
    (local.set $q (f32x4.add (f32x4.mul (local.get $q) (local.get $t)) (v128.const f32x4 0.1398000568151474 0.1398000568151474 0.1398000568151474 0.1398000568151474)))
    (local.set $q (f32x4.add (f32x4.mul (local.get $q) (local.get $t)) (v128.const f32x4 -0.013841782696545124 -0.013841782696545124 -0.013841782696545124 -0.013841782696545124)))
    (local.set $q (f32x4.add (f32x4.mul (local.get $q) (local.get $t)) (v128.const f32x4 0.10156764090061188 0.10156764090061188 0.10156764090061188 0.10156764090061188)))
    (local.set $q (f32x4.add (f32x4.mul (local.get $q) (local.get $t)) (v128.const f32x4 0.12149511277675629 0.12149511277675629 0.12149511277675629 0.12149511277675629)))
    (local.set $q (f32x4.add (f32x4.mul (local.get $q) (local.get $t)) (v128.const f32x4 0.14119547605514526 0.14119547605514526 0.14119547605514526 0.14119547605514526)))
    (local.set $q (f32x4.add (f32x4.mul (local.get $q) (local.get $t)) (v128.const f32x4 0.1410427689552307 0.1410427689552307 0.1410427689552307 0.1410427689552307)))
    (local.set $tail (f32x4.mul (f32x4.mul (local.get $g) (local.get $t)) (local.get $q)))
    (v128.bitselect (local.get $tail) (f32x4.sub (v128.const f32x4 1 1 1 1) (local.get $tail)) (f32x4.lt (local.get $x) (v128.const f32x4 0 0 0 0))))

  ;; GELU x Φ(x): x = −∞ gives −∞ · 0 = NaN, as PyTorch's formula does
  (func $gelu (param $x v128) (result v128)
    (f32x4.mul (local.get $x) (call $normalCdf (local.get $x) (call $gaussian (local.get $x)))))

  ;; Its derivative Φ(x) + x φ(x), φ(x) = e^(−x²/2) / √(2π)
  (func $geluDerivative (param $x v128) (result v128)
    (local $g v128)
    (local.set $g (call $gaussian (local.get $x)))
    (f32x4.add (call $normalCdf (local.get $x) (local.get $g))
      (f32x4.mul (local.get $x) (f32x4.mul (local.get $g) (v128.const f32x4 0.3989422804014327 0.3989422804014327 0.3989422804014327 0.3989422804014327)))))

  ;; All ones in the lanes where x > 0 or x is a NaN: where ReLU keeps x, and where its backward
  ;; passes the gradient (with v128.and, the other lanes become +0 bit for bit, as the JS kernels do).
  (func $positiveOrNaN (param $x v128) (result v128)
    (v128.or (f32x4.gt (local.get $x) (v128.const f32x4 0 0 0 0)) (f32x4.ne (local.get $x) (local.get $x))))

  ;; op: 0 GELU's tanh form, 1 GELU, 2 ReLU. out[i] = op(x[i]) for the n contiguous values at x; the
  ;; last vector reads up to three values past x's end and writes up to three past out's.
  (func (export "unaryF32") (param $op i32) (param $x i32) (param $out i32) (param $n i32)
    ;; a copy of $map for each op (see "Specialised copies" above)
    (block $relu (block $gelu (block $geluTanh
      (br_table $geluTanh $gelu $relu (local.get $op)))
      (call $map (i32.const 0) (local.get $x) (local.get $out) (local.get $n))
      (return))
      (call $map (i32.const 1) (local.get $x) (local.get $out) (local.get $n))
      (return))
    (call $map (i32.const 2) (local.get $x) (local.get $out) (local.get $n)))

  ;; unaryF32's loop, for the op given (a constant in each copy)
  (func $map (param $op i32) (param $x i32) (param $out i32) (param $n i32)
    (local $at i32) (local $end i32) (local $v v128)
    (local.set $end (i32.shl (local.get $n) (i32.const 2)))
    (block $done (loop $next
      (br_if $done (i32.ge_s (local.get $at) (local.get $end)))
      (local.set $v (v128.load (i32.add (local.get $x) (local.get $at))))
      (v128.store (i32.add (local.get $out) (local.get $at))
        (if (result v128) (i32.eq (local.get $op) (i32.const 2))
          (then (v128.and (local.get $v) (call $positiveOrNaN (local.get $v))))
          (else
            (if (result v128) (local.get $op)
              (then (call $gelu (local.get $v)))
              (else (call $geluTanh (local.get $v)))))))
      (local.set $at (i32.add (local.get $at) (i32.const 16)))
      (br $next))))

  ;; op: 0 add, 1 subtract, 2 multiply, 3 divide, 4 a · gelu′(b) for GELU's tanh form, 5 for GELU,
  ;; 6 ReLU's backward: a where b (ReLU's output) is positive or a NaN, else +0.
  (func (export "binaryF32")
    (param $op i32) (param $a i32) (param $aRowStep i32) (param $aSplat i32)
    (param $b i32) (param $bRowStep i32) (param $bSplat i32)
    (param $out i32) (param $rows i32) (param $n i32)
    ;; a copy of $zip for each op and kind of operands (see "Specialised copies" above)
    (block $relu (block $gelu (block $geluTanh (block $divide (block $multiply (block $subtract (block $add
      (br_table $add $subtract $multiply $divide $geluTanh $gelu $relu (local.get $op)))
      (call $zipOperands (i32.const 0) (local.get $a) (local.get $aRowStep) (local.get $aSplat) (local.get $b) (local.get $bRowStep) (local.get $bSplat) (local.get $out) (local.get $rows) (local.get $n))
      (return))
      (call $zipOperands (i32.const 1) (local.get $a) (local.get $aRowStep) (local.get $aSplat) (local.get $b) (local.get $bRowStep) (local.get $bSplat) (local.get $out) (local.get $rows) (local.get $n))
      (return))
      (call $zipOperands (i32.const 2) (local.get $a) (local.get $aRowStep) (local.get $aSplat) (local.get $b) (local.get $bRowStep) (local.get $bSplat) (local.get $out) (local.get $rows) (local.get $n))
      (return))
      (call $zipOperands (i32.const 3) (local.get $a) (local.get $aRowStep) (local.get $aSplat) (local.get $b) (local.get $bRowStep) (local.get $bSplat) (local.get $out) (local.get $rows) (local.get $n))
      (return))
      (call $zipOperands (i32.const 4) (local.get $a) (local.get $aRowStep) (local.get $aSplat) (local.get $b) (local.get $bRowStep) (local.get $bSplat) (local.get $out) (local.get $rows) (local.get $n))
      (return))
      (call $zipOperands (i32.const 5) (local.get $a) (local.get $aRowStep) (local.get $aSplat) (local.get $b) (local.get $bRowStep) (local.get $bSplat) (local.get $out) (local.get $rows) (local.get $n))
      (return))
    (call $zipOperands (i32.const 6) (local.get $a) (local.get $aRowStep) (local.get $aSplat) (local.get $b) (local.get $bRowStep) (local.get $bSplat) (local.get $out) (local.get $rows) (local.get $n)))

  ;; binaryF32 for one op: a copy of $zip for each kind of operands (rows or splats)
  (func $zipOperands
    (param $op i32) (param $a i32) (param $aRowStep i32) (param $aSplat i32)
    (param $b i32) (param $bRowStep i32) (param $bSplat i32)
    (param $out i32) (param $rows i32) (param $n i32)
    (if (local.get $aSplat)
      (then
        (if (local.get $bSplat)
          (then (call $zip (local.get $op) (local.get $a) (local.get $aRowStep) (i32.const 1) (local.get $b) (local.get $bRowStep) (i32.const 1) (local.get $out) (local.get $rows) (local.get $n)))
          (else (call $zip (local.get $op) (local.get $a) (local.get $aRowStep) (i32.const 1) (local.get $b) (local.get $bRowStep) (i32.const 0) (local.get $out) (local.get $rows) (local.get $n)))))
      (else
        (if (local.get $bSplat)
          (then (call $zip (local.get $op) (local.get $a) (local.get $aRowStep) (i32.const 0) (local.get $b) (local.get $bRowStep) (i32.const 1) (local.get $out) (local.get $rows) (local.get $n)))
          (else (call $zip (local.get $op) (local.get $a) (local.get $aRowStep) (i32.const 0) (local.get $b) (local.get $bRowStep) (i32.const 0) (local.get $out) (local.get $rows) (local.get $n)))))))

  ;; binaryF32's loops over the rows and along them, for the op and kinds of operands given
  ;; (constants in each copy)
  (func $zip
    (param $op i32) (param $a i32) (param $aRowStep i32) (param $aSplat i32)
    (param $b i32) (param $bRowStep i32) (param $bSplat i32)
    (param $out i32) (param $rows i32) (param $n i32)
    (local $row i32) (local $at i32) (local $end i32) (local $x v128) (local $y v128) (local $aValue v128) (local $bValue v128)
    (local.set $end (i32.shl (local.get $n) (i32.const 2)))
    (block $rowsDone (loop $eachRow
      (br_if $rowsDone (i32.ge_u (local.get $row) (local.get $rows)))
      (local.set $aValue (v128.load32_splat (local.get $a)))
      (local.set $bValue (v128.load32_splat (local.get $b)))
      (local.set $at (i32.const 0))
      (block $done (loop $next
        (br_if $done (i32.ge_s (local.get $at) (local.get $end)))
        ;; a branch, not a select: a splat operand's row is one value, and reading a vector of its
        ;; row could reach past the end of the memory where the operand lives in the heap
        (local.set $x
          (if (result v128) (local.get $aSplat)
            (then (local.get $aValue)) (else (v128.load (i32.add (local.get $a) (local.get $at))))))
        (local.set $y
          (if (result v128) (local.get $bSplat)
            (then (local.get $bValue)) (else (v128.load (i32.add (local.get $b) (local.get $at))))))
        (v128.store (i32.add (local.get $out) (local.get $at))
          (if (result v128) (i32.lt_u (local.get $op) (i32.const 2))
            (then
              (if (result v128) (local.get $op)
                (then (f32x4.sub (local.get $x) (local.get $y)))
                (else (f32x4.add (local.get $x) (local.get $y)))))
            (else
              (if (result v128) (i32.lt_u (local.get $op) (i32.const 4))
                (then
                  (if (result v128) (i32.eq (local.get $op) (i32.const 3))
                    (then (f32x4.div (local.get $x) (local.get $y)))
                    (else (f32x4.mul (local.get $x) (local.get $y)))))
                (else
                  (if (result v128) (i32.eq (local.get $op) (i32.const 6))
                    (then (v128.and (local.get $x) (call $positiveOrNaN (local.get $y))))
                    (else
                      (f32x4.mul (local.get $x)
                        (if (result v128) (i32.eq (local.get $op) (i32.const 4))
                          (then (call $geluTanhDerivative (local.get $y)))
                          (else (call $geluDerivative (local.get $y))))))))))))
        (local.set $at (i32.add (local.get $at) (i32.const 16)))
        (br $next)))
      (local.set $a (i32.add (local.get $a) (local.get $aRowStep)))
      (local.set $b (i32.add (local.get $b) (local.get $bRowStep)))
      (local.set $out (i32.add (local.get $out) (local.get $end)))
      (local.set $row (i32.add (local.get $row) (i32.const 1)))
      (br $eachRow))))
)
