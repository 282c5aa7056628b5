;; Softmax kernels for nabla, in WebAssembly SIMD (128-bit vectors), over float32 rows of n values:
;; rows `stride` bytes apart in the heap (float32 storage read where it lives, or a block the JS
;; driver (softmax.ts) has copied in), outputs contiguous. Each row is read from main memory once
;; and then worked on while it is in cache (the passes over a row follow each other).
;;
;;   softmaxRowsF32:   dst = softmax(x) or log-softmax(x) of every row, and each row's max and
;;                     Σ exp(x − max) as float64 (the fused cross-entropy needs them).
;;   softmaxVjpF32:    dst = y ⊙ (g − Σ g ⊙ y) per row (the VJP of softmax, y its output).
;;   logSoftmaxVjpF32: dst = g − exp(y) ⊙ Σ g per row (the VJP of log-softmax, y its output).
;;
;; Row sums accumulate in float64, as the JS kernels do (partial sums of up to eight vectors in
;; float32 first). Loops work on whole vectors of four: a row's last vector reads up to three values
;; past its end (masked out of maxima and sums; heap storage and the driver's scratch regions have
;; 16 bytes of slack) and writes up to three past the end of its output row, which is where the next
;; output row starts (written later) or, after the last row, slack. Pointers are byte offsets.
;;
;; The loops' constants are mutable globals: V8 (TurboFan in Node 20) builds a v128.const again in
;; every iteration that uses it, three instructions each, where reading a global is one load. The
;; helpers called in loops ($exp, $accumulate, …) are inlined where the module is assembled
;; (scripts/assemble-wasm.mjs), so the loops make no calls.

(module
  ;; The memory is the caller's (the driver grows it to fit a block).
  (import "env" "memory" (memory 1 32768))
  ;; Math.log, for log Σ exp (wasm has no logarithm instruction); called once per row.
  (import "env" "log" (func $log (param f64) (result f64)))

  ;; e^x = 2^k · e^t with k = round(x / ln 2) and |t| ≤ ln 2 / 2 (see $exp)
  (global $log2e (mut v128) (v128.const f32x4 1.44269504088896341 1.44269504088896341 1.44269504088896341 1.44269504088896341))
  ;; 1.5·2²³ + 127: adding it rounds to an integer and leaves k + 127 in the low bits
  (global $roundingBias (mut v128) (v128.const f32x4 12583039 12583039 12583039 12583039))
  ;; ln 2 split in two so k·ln2Hi is exact (as Cephes' expf does)
  (global $ln2Hi (mut v128) (v128.const f32x4 0.693359375 0.693359375 0.693359375 0.693359375))
  (global $ln2Lo (mut v128) (v128.const f32x4 -2.12194440e-4 -2.12194440e-4 -2.12194440e-4 -2.12194440e-4))
  ;; e^t ≈ 1 + t·(c1 + c2·t + c3·t² + c4·t³ + c5·t⁴): a relative-error minimax fit of e^t on
  ;; [-ln 2 / 2, ln 2 / 2] (9.5e-8 with float32 coefficients)
  (global $c1 (mut v128) (v128.const f32x4 0.9999997019767761 0.9999997019767761 0.9999997019767761 0.9999997019767761))
  (global $c2 (mut v128) (v128.const f32x4 0.4999915063381195 0.4999915063381195 0.4999915063381195 0.4999915063381195))
  (global $c3 (mut v128) (v128.const f32x4 0.1666763573884964 0.1666763573884964 0.1666763573884964 0.1666763573884964))
  (global $c4 (mut v128) (v128.const f32x4 0.04189793020486832 0.04189793020486832 0.04189793020486832 0.04189793020486832))
  (global $c5 (mut v128) (v128.const f32x4 0.008290315046906471 0.008290315046906471 0.008290315046906471 0.008290315046906471))
  ;; the least x: k = -127 there, so 2^k is built as 0 and e^x comes out exactly 0
  (global $expFloor (mut v128) (v128.const f32x4 -88 -88 -88 -88))

  ;; Lanes [0, count) set: the live lanes of a row's last vector (count 1–3).
  (func $lanes (param $count i32) (result v128)
    (i32x4.lt_s (v128.const i32x4 0 1 2 3) (i32x4.splat (local.get $count))))

  ;; The float32 lanes of v added, in float64, to the pair of partial sums `acc`.
  (func $accumulate (param $acc v128) (param $v v128) (result v128)
    (f64x2.add
      (f64x2.add (local.get $acc) (f64x2.promote_low_f32x4 (local.get $v)))
      (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $v) (local.get $v)))))

  (func $total (param $acc v128) (result f64)
    (f64.add (f64x2.extract_lane 0 (local.get $acc)) (f64x2.extract_lane 1 (local.get $acc))))

  ;; e^x of four values x ≤ 88.3, within 2e-7 relative (under two float32 ulps) where the result
  ;; is a normal number: x = k·ln 2 + t, e^t from the polynomial above, 2^k built in the exponent
  ;; bits from the rounding bias's low bits, e^x = 2^k + (2^k·t)·q(t) (2^k·t is exact). x is raised
  ;; to -88 first: below about -87.7, where e^x is subnormal, the result is 0 (so -Infinity gives 0
  ;; exactly); pmax keeps its first operand when it is NaN, so NaN stays NaN.
  (func $exp (param $x v128) (result v128)
    (local $k v128) (local $s v128) (local $t v128) (local $t2 v128) (local $q v128)
    (local.set $x (f32x4.pmax (local.get $x) (global.get $expFloor)))
    (local.set $k (f32x4.add (f32x4.mul (local.get $x) (global.get $log2e)) (global.get $roundingBias)))
    (local.set $s (i32x4.shl (local.get $k) (i32.const 23)))
    (local.set $k (f32x4.sub (local.get $k) (global.get $roundingBias)))
    (local.set $t
      (f32x4.sub
        (f32x4.sub (local.get $x) (f32x4.mul (local.get $k) (global.get $ln2Hi)))
        (f32x4.mul (local.get $k) (global.get $ln2Lo))))
    ;; q = (c1 + c2·t) + t²·((c3 + c4·t) + t²·c5), Estrin's scheme (a shorter dependency chain)
    (local.set $t2 (f32x4.mul (local.get $t) (local.get $t)))
    (local.set $q
      (f32x4.add
        (f32x4.add (global.get $c1) (f32x4.mul (local.get $t) (global.get $c2)))
        (f32x4.mul (local.get $t2)
          (f32x4.add
            (f32x4.add (global.get $c3) (f32x4.mul (local.get $t) (global.get $c4)))
            (f32x4.mul (local.get $t2) (global.get $c5))))))
    (f32x4.add (local.get $s) (f32x4.mul (f32x4.mul (local.get $s) (local.get $t)) (local.get $q))))

  ;; The largest of the n values at src, NaN ignored (pmax keeps its first operand unless the second
  ;; is larger), as the JS kernel: x − max is NaN at a NaN entry, which then makes the row's sum NaN.
  (func $rowMax (param $src i32) (param $n i32) (result f32)
    (local $end i32) (local $a v128) (local $b v128)
    (local.set $a (v128.const f32x4 -inf -inf -inf -inf))
    (local.set $b (local.get $a))
    ;; two vectors at a time, into two maxima (a shorter dependency chain)
    (local.set $end (i32.add (local.get $src) (i32.shl (i32.and (local.get $n) (i32.const -8)) (i32.const 2))))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $src) (local.get $end)))
      (local.set $a (f32x4.pmax (local.get $a) (v128.load (local.get $src))))
      (local.set $b (f32x4.pmax (local.get $b) (v128.load offset=16 (local.get $src))))
      (local.set $src (i32.add (local.get $src) (i32.const 32)))
      (br $next)))
    (if (i32.and (local.get $n) (i32.const 4)) (then
      (local.set $a (f32x4.pmax (local.get $a) (v128.load (local.get $src))))
      (local.set $src (i32.add (local.get $src) (i32.const 16)))))
    (if (i32.and (local.get $n) (i32.const 3)) (then
      (local.set $b
        (f32x4.pmax (local.get $b)
          (v128.bitselect
            (v128.load (local.get $src))
            (v128.const f32x4 -inf -inf -inf -inf)
            (call $lanes (i32.and (local.get $n) (i32.const 3))))))))
    (local.set $a (f32x4.pmax (local.get $a) (local.get $b)))
    (f32.max
      (f32.max (f32x4.extract_lane 0 (local.get $a)) (f32x4.extract_lane 1 (local.get $a)))
      (f32.max (f32x4.extract_lane 2 (local.get $a)) (f32x4.extract_lane 3 (local.get $a)))))

  ;; Σ a ⊙ b over the n values at a and b, each product rounded to float32 (as the JS kernel's
  ;; float32 products): two vectors at a time into two float32 partial sums (shorter dependency
  ;; chains), added to the float64 sum every eight vectors.
  (func $rowDot (param $a i32) (param $b i32) (param $n i32) (result f64)
    (local $end i32) (local $chunkEnd i32) (local $sum v128) (local $even v128) (local $odd v128)
    (local.set $end (i32.add (local.get $a) (i32.shl (i32.and (local.get $n) (i32.const -8)) (i32.const 2))))
    (block $done (loop $eachChunk
      (br_if $done (i32.ge_u (local.get $a) (local.get $end)))
      (local.set $chunkEnd
        (select (local.get $end) (i32.add (local.get $a) (i32.const 128))
          (i32.lt_u (i32.sub (local.get $end) (local.get $a)) (i32.const 128))))
      (local.set $even (v128.const i64x2 0 0))
      (local.set $odd (v128.const i64x2 0 0))
      (loop $next
        (local.set $even (f32x4.add (local.get $even) (f32x4.mul (v128.load (local.get $a)) (v128.load (local.get $b)))))
        (local.set $odd (f32x4.add (local.get $odd) (f32x4.mul (v128.load offset=16 (local.get $a)) (v128.load offset=16 (local.get $b)))))
        (local.set $a (i32.add (local.get $a) (i32.const 32)))
        (local.set $b (i32.add (local.get $b) (i32.const 32)))
        (br_if $next (i32.lt_u (local.get $a) (local.get $chunkEnd))))
      (local.set $even (f32x4.add (local.get $even) (local.get $odd)))
      (local.set $sum (call $accumulate (local.get $sum) (local.get $even)))
      (br $eachChunk)))
    ;; the last 0–7 values: a whole vector, then one that may hold values past the row's end
    (if (i32.and (local.get $n) (i32.const 4)) (then
      (local.set $sum (call $accumulate (local.get $sum) (f32x4.mul (v128.load (local.get $a)) (v128.load (local.get $b)))))
      (local.set $a (i32.add (local.get $a) (i32.const 16)))
      (local.set $b (i32.add (local.get $b) (i32.const 16)))))
    (if (i32.and (local.get $n) (i32.const 3)) (then
      (local.set $sum
        (call $accumulate (local.get $sum)
          (v128.and
            (f32x4.mul (v128.load (local.get $a)) (v128.load (local.get $b)))
            (call $lanes (i32.and (local.get $n) (i32.const 3))))))))
    (call $total (local.get $sum)))

  ;; Σ a over the n values at a, as $rowDot.
  (func $rowSum (param $a i32) (param $n i32) (result f64)
    (local $end i32) (local $chunkEnd i32) (local $sum v128) (local $even v128) (local $odd v128)
    (local.set $end (i32.add (local.get $a) (i32.shl (i32.and (local.get $n) (i32.const -8)) (i32.const 2))))
    (block $done (loop $eachChunk
      (br_if $done (i32.ge_u (local.get $a) (local.get $end)))
      (local.set $chunkEnd
        (select (local.get $end) (i32.add (local.get $a) (i32.const 128))
          (i32.lt_u (i32.sub (local.get $end) (local.get $a)) (i32.const 128))))
      (local.set $even (v128.const i64x2 0 0))
      (local.set $odd (v128.const i64x2 0 0))
      (loop $next
        (local.set $even (f32x4.add (local.get $even) (v128.load (local.get $a))))
        (local.set $odd (f32x4.add (local.get $odd) (v128.load offset=16 (local.get $a))))
        (local.set $a (i32.add (local.get $a) (i32.const 32)))
        (br_if $next (i32.lt_u (local.get $a) (local.get $chunkEnd))))
      (local.set $even (f32x4.add (local.get $even) (local.get $odd)))
      (local.set $sum (call $accumulate (local.get $sum) (local.get $even)))
      (br $eachChunk)))
    ;; the last 0–7 values: a whole vector, then one that may hold values past the row's end
    (if (i32.and (local.get $n) (i32.const 4)) (then
      (local.set $sum (call $accumulate (local.get $sum) (v128.load (local.get $a))))
      (local.set $a (i32.add (local.get $a) (i32.const 16)))))
    (if (i32.and (local.get $n) (i32.const 3)) (then
      (local.set $sum
        (call $accumulate (local.get $sum)
          (v128.and
            (v128.load (local.get $a))
            (call $lanes (i32.and (local.get $n) (i32.const 3))))))))
    (call $total (local.get $sum)))

  ;; dst[i] = e^(src[i] − max) for the n values at src (each x − max ≤ 0, or NaN); returns their sum.
  (func $expRow (param $src i32) (param $dst i32) (param $n i32) (param $max f32) (result f64)
    (local $end i32) (local $chunkEnd i32) (local $shift v128) (local $sum v128) (local $chunk v128) (local $e v128)
    (local.set $shift (f32x4.splat (local.get $max)))
    (local.set $end (i32.add (local.get $src) (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 2))))
    (block $done (loop $eachChunk
      (br_if $done (i32.ge_u (local.get $src) (local.get $end)))
      ;; up to eight whole vectors summed in float32, then added to the float64 sum
      (local.set $chunkEnd
        (select (local.get $end) (i32.add (local.get $src) (i32.const 128))
          (i32.lt_u (i32.sub (local.get $end) (local.get $src)) (i32.const 128))))
      (local.set $chunk (v128.const i64x2 0 0))
      (loop $next
        (local.set $e (call $exp (f32x4.sub (v128.load (local.get $src)) (local.get $shift))))
        (v128.store (local.get $dst) (local.get $e))
        (local.set $chunk (f32x4.add (local.get $chunk) (local.get $e)))
        (local.set $src (i32.add (local.get $src) (i32.const 16)))
        (local.set $dst (i32.add (local.get $dst) (i32.const 16)))
        (br_if $next (i32.lt_u (local.get $src) (local.get $chunkEnd))))
      (local.set $sum (call $accumulate (local.get $sum) (local.get $chunk)))
      (br $eachChunk)))
    (if (i32.and (local.get $n) (i32.const 3)) (then
      (local.set $e
        (v128.and
          (call $exp (f32x4.sub (v128.load (local.get $src)) (local.get $shift)))
          (call $lanes (i32.and (local.get $n) (i32.const 3)))))
      (v128.store (local.get $dst) (local.get $e))
      (local.set $sum (call $accumulate (local.get $sum) (local.get $e)))))
    (call $total (local.get $sum)))

  ;; Softmax (log = 0) or log-softmax (log = 1) of each of `rows` rows of n values at src (rows
  ;; srcStride bytes apart) into dst (rows contiguous); maxima and sums receive each row's max and
  ;; Σ exp(x − max) as float64. NaN anywhere in a row makes its sum, and so the whole row, NaN; a row
  ;; of -Infinity has x − max = NaN, so it is NaN too, as in PyTorch.
  (func (export "softmaxRowsF32")
    (param $src i32) (param $srcStride i32) (param $rows i32) (param $n i32) (param $dst i32)
    (param $maxima i32) (param $sums i32) (param $log i32)
    (local $row i32) (local $p i32) (local $end i32) (local $v v128)
    (local $max f32) (local $sum f64) (local $maxes v128) (local $logSums v128) (local $inverse v128)
    (block $rowsDone (loop $eachRow
      (br_if $rowsDone (i32.ge_u (local.get $row) (local.get $rows)))
      (local.set $max (call $rowMax (local.get $src) (local.get $n)))
      (local.set $sum (call $expRow (local.get $src) (local.get $dst) (local.get $n) (local.get $max)))
      (f64.store (i32.add (local.get $maxima) (i32.shl (local.get $row) (i32.const 3))) (f64.promote_f32 (local.get $max)))
      (f64.store (i32.add (local.get $sums) (i32.shl (local.get $row) (i32.const 3))) (local.get $sum))
      (local.set $p (local.get $dst))
      (local.set $end (i32.add (local.get $dst) (i32.shl (local.get $n) (i32.const 2))))
      (if (local.get $log)
        (then
          ;; (x − max) − log Σ, in float64 so the float32 result is rounded once
          (local.set $maxes (f64x2.splat (f64.promote_f32 (local.get $max))))
          (local.set $logSums (f64x2.splat (call $log (local.get $sum))))
          (block $done (loop $next
            (br_if $done (i32.ge_u (local.get $p) (local.get $end)))
            (local.set $v (v128.load (i32.add (local.get $src) (i32.sub (local.get $p) (local.get $dst)))))
            (v128.store (local.get $p)
              (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23
                (f32x4.demote_f64x2_zero
                  (f64x2.sub (f64x2.sub (f64x2.promote_low_f32x4 (local.get $v)) (local.get $maxes)) (local.get $logSums)))
                (f32x4.demote_f64x2_zero
                  (f64x2.sub
                    (f64x2.sub
                      (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $v) (local.get $v)))
                      (local.get $maxes))
                    (local.get $logSums)))))
            (local.set $p (i32.add (local.get $p) (i32.const 16)))
            (br $next))))
        (else
          ;; exp(x − max) / Σ, as a product with 1 / Σ (rounded once, in float64): a division per
          ;; vector costs more than the rest of this pass
          (local.set $inverse (f32x4.splat (f32.demote_f64 (f64.div (f64.const 1) (local.get $sum)))))
          (block $done (loop $next
            (br_if $done (i32.ge_u (local.get $p) (local.get $end)))
            (v128.store (local.get $p) (f32x4.mul (v128.load (local.get $p)) (local.get $inverse)))
            (local.set $p (i32.add (local.get $p) (i32.const 16)))
            (br $next)))))
      (local.set $src (i32.add (local.get $src) (local.get $srcStride)))
      (local.set $dst (local.get $end))
      (local.set $row (i32.add (local.get $row) (i32.const 1)))
      (br $eachRow))))

  ;; dst = y ⊙ (g − Σ g ⊙ y) for each of `rows` rows of n values (y and g rows yStride and gStride
  ;; bytes apart, dst rows contiguous): the VJP of softmax from its output y and the incoming
  ;; gradient g (the products are rounded to float32, their sum kept in float64).
  (func (export "softmaxVjpF32")
    (param $y i32) (param $yStride i32) (param $g i32) (param $gStride i32) (param $rows i32) (param $n i32) (param $dst i32)
    (local $row i32) (local $at i32) (local $rowBytes i32) (local $dot v128)
    (local.set $rowBytes (i32.shl (local.get $n) (i32.const 2)))
    (block $rowsDone (loop $eachRow
      (br_if $rowsDone (i32.ge_u (local.get $row) (local.get $rows)))
      (local.set $dot (f32x4.splat (f32.demote_f64 (call $rowDot (local.get $y) (local.get $g) (local.get $n)))))
      (local.set $at (i32.const 0))
      (block $done (loop $next
        (br_if $done (i32.ge_u (local.get $at) (local.get $rowBytes)))
        (v128.store (i32.add (local.get $dst) (local.get $at))
          (f32x4.mul
            (v128.load (i32.add (local.get $y) (local.get $at)))
            (f32x4.sub (v128.load (i32.add (local.get $g) (local.get $at))) (local.get $dot))))
        (local.set $at (i32.add (local.get $at) (i32.const 16)))
        (br $next)))
      (local.set $y (i32.add (local.get $y) (local.get $yStride)))
      (local.set $g (i32.add (local.get $g) (local.get $gStride)))
      (local.set $dst (i32.add (local.get $dst) (local.get $rowBytes)))
      (local.set $row (i32.add (local.get $row) (i32.const 1)))
      (br $eachRow))))

  ;; dst = g − exp(y) ⊙ Σ g for each of `rows` rows of n values (strides as softmaxVjpF32): the VJP
  ;; of log-softmax from its output y and the incoming gradient g. exp(y) is e^(y/2) squared, so
  ;; $exp sees no argument above 88 whatever y is: y > 88.7 gives Infinity, as Math.exp does.
  (func (export "logSoftmaxVjpF32")
    (param $y i32) (param $yStride i32) (param $g i32) (param $gStride i32) (param $rows i32) (param $n i32) (param $dst i32)
    (local $row i32) (local $at i32) (local $rowBytes i32) (local $total v128) (local $e v128)
    (local.set $rowBytes (i32.shl (local.get $n) (i32.const 2)))
    (block $rowsDone (loop $eachRow
      (br_if $rowsDone (i32.ge_u (local.get $row) (local.get $rows)))
      (local.set $total (f32x4.splat (f32.demote_f64 (call $rowSum (local.get $g) (local.get $n)))))
      (local.set $at (i32.const 0))
      (block $done (loop $next
        (br_if $done (i32.ge_u (local.get $at) (local.get $rowBytes)))
        (local.set $e
          (call $exp
            (f32x4.pmin
              (f32x4.mul (v128.load (i32.add (local.get $y) (local.get $at))) (v128.const f32x4 0.5 0.5 0.5 0.5))
              (v128.const f32x4 88 88 88 88))))
        (v128.store (i32.add (local.get $dst) (local.get $at))
          (f32x4.sub
            (v128.load (i32.add (local.get $g) (local.get $at)))
            (f32x4.mul (f32x4.mul (local.get $e) (local.get $e)) (local.get $total))))
        (local.set $at (i32.add (local.get $at) (i32.const 16)))
        (br $next)))
      (local.set $y (i32.add (local.get $y) (local.get $yStride)))
      (local.set $g (i32.add (local.get $g) (local.get $gStride)))
      (local.set $dst (i32.add (local.get $dst) (local.get $rowBytes)))
      (local.set $row (i32.add (local.get $row) (i32.const 1)))
      (br $eachRow))))
)
