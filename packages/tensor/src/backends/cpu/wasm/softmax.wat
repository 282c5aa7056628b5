;; Softmax kernels for nabla, in WebAssembly SIMD (128-bit vectors), over float32 rows of a
;; contiguous [rows, n] block that the JS driver (softmax-simd.ts) has copied into the module's
;; memory. Each row is read from main memory once and then worked on while it is in cache.
;;
;;   softmaxRowsF32:   dst = softmax(src) or log-softmax(src) of every row, and each row's max and
;;                     Σ exp(x − max) in `stats` (the fused cross-entropy needs them).
;;   softmaxVjpF32:    dst = y ⊙ (g − Σ g ⊙ y) per row (the VJP of softmax, y its output).
;;   logSoftmaxVjpF32: dst = g − exp(y) ⊙ Σ g per row (the VJP of log-softmax, y its output).
;;
;; Row sums accumulate in float64, as the JS kernels do. Pointers are byte offsets. Every loop
;; works on whole vectors of four: the last vector of a row reads up to three values past its end
;; (masked out of maxima and sums) and writes up to three past the end of its output row, which is
;; where the next output row starts (written later) or, after the last row, 16 bytes of slack the
;; driver leaves after each output block.

(module
  ;; The memory is the caller's (the driver grows it to fit a block).
  (import "env" "memory" (memory 1 32768))
  ;; Math.log, for log Σ exp (wasm has no logarithm instruction); called once per row.
  (import "env" "log" (func $log (param f64) (result f64)))

  ;; Σ of a float32 vector's lanes in float64, added to the pair of partial sums `acc`.
  (func $accumulate (param $acc v128) (param $v v128) (result v128)
    (f64x2.add
      (f64x2.add (local.get $acc) (f64x2.promote_low_f32x4 (local.get $v)))
      (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $v) (local.get $v)))))

  (func $total (param $acc v128) (result f64)
    (f64.add (f64x2.extract_lane 0 (local.get $acc)) (f64x2.extract_lane 1 (local.get $acc))))

  ;; The largest of the n values at src, NaN ignored (pmax keeps its first operand unless the second
  ;; is larger), as the JS kernel: x − max is NaN at a NaN entry, which then makes the row's sum NaN.
  (func $rowMax (param $src i32) (param $n i32) (result f32)
    (local $i i32) (local $max v128)
    (local.set $max (v128.const f32x4 -inf -inf -inf -inf))
    (block $done (loop $next
      (br_if $done (i32.ge_s (local.get $i) (local.get $n)))
      (local.set $max
        (f32x4.pmax (local.get $max)
          (v128.bitselect
            (v128.load (i32.add (local.get $src) (i32.shl (local.get $i) (i32.const 2))))
            (v128.const f32x4 -inf -inf -inf -inf)
            (i32x4.lt_s (v128.const i32x4 0 1 2 3) (i32x4.splat (i32.sub (local.get $n) (local.get $i)))))))
      (local.set $i (i32.add (local.get $i) (i32.const 4)))
      (br $next)))
    (f32.max
      (f32.max (f32x4.extract_lane 0 (local.get $max)) (f32x4.extract_lane 1 (local.get $max)))
      (f32.max (f32x4.extract_lane 2 (local.get $max)) (f32x4.extract_lane 3 (local.get $max)))))

  ;; dst[i] = e^(src[i] − shift) for the n values at src; returns their sum (in float64).
  ;;
  ;; e^x four lanes at a time, within 2e-7 relative (under two float32 ulps): x = k·ln 2 + r with
  ;; k = round(x / ln 2) and |r| ≤ ln 2 / 2 (ln 2 split in two so k·C1 is exact, as Cephes' expf
  ;; does), e^r from a degree-5 polynomial, then 2^k built in the exponent bits, applied as two
  ;; halves so k down to -159 stays a normal number on the way and subnormal results come out
  ;; right. The polynomial's coefficients are a relative-error minimax fit of e^r on
  ;; [-ln 2 / 2, ln 2 / 2] (9.5e-8 with float32 coefficients). x is clamped to [-110, 89] first:
  ;; e^-110 rounds to 0 and e^89 to Infinity, so -Infinity gives exactly 0; pmin and pmax return
  ;; their first operand when it is NaN, so NaN stays NaN.
  (func $expRow (param $src i32) (param $dst i32) (param $n i32) (param $shift f32) (result f64)
    (local $i i32) (local $x v128) (local $k v128) (local $r v128) (local $p v128) (local $r2 v128) (local $half v128) (local $shifts v128) (local $acc v128)
    (local.set $shifts (f32x4.splat (local.get $shift)))
    (block $done (loop $next
      (br_if $done (i32.ge_s (local.get $i) (local.get $n)))
      (local.set $x
        (f32x4.pmin
          (f32x4.pmax
            (f32x4.sub (v128.load (i32.add (local.get $src) (i32.shl (local.get $i) (i32.const 2)))) (local.get $shifts))
            (v128.const f32x4 -110 -110 -110 -110))
          (v128.const f32x4 89 89 89 89)))
      (local.set $k (f32x4.nearest (f32x4.mul (local.get $x) (v128.const f32x4 1.44269504088896341 1.44269504088896341 1.44269504088896341 1.44269504088896341))))
      (local.set $r
        (f32x4.sub
          (f32x4.sub (local.get $x) (f32x4.mul (local.get $k) (v128.const f32x4 0.693359375 0.693359375 0.693359375 0.693359375)))
          (f32x4.mul (local.get $k) (v128.const f32x4 -2.12194440e-4 -2.12194440e-4 -2.12194440e-4 -2.12194440e-4))))
      ;; p = (1 + c1·r) + r²·((c2 + c3·r) + r²·(c4 + c5·r)), Estrin's scheme (a shorter dependency
      ;; chain than Horner's)
      (local.set $r2 (f32x4.mul (local.get $r) (local.get $r)))
      (local.set $p
        (f32x4.add
          (f32x4.add (v128.const f32x4 1 1 1 1) (f32x4.mul (local.get $r) (v128.const f32x4 0.9999997019767761 0.9999997019767761 0.9999997019767761 0.9999997019767761)))
          (f32x4.mul (local.get $r2)
            (f32x4.add
              (f32x4.add (v128.const f32x4 0.4999915063381195 0.4999915063381195 0.4999915063381195 0.4999915063381195) (f32x4.mul (local.get $r) (v128.const f32x4 0.1666763573884964 0.1666763573884964 0.1666763573884964 0.1666763573884964)))
              (f32x4.mul (local.get $r2) (f32x4.add (v128.const f32x4 0.04189793020486832 0.04189793020486832 0.04189793020486832 0.04189793020486832) (f32x4.mul (local.get $r) (v128.const f32x4 0.008290315046906471 0.008290315046906471 0.008290315046906471 0.008290315046906471))))))))
      (local.set $k (i32x4.trunc_sat_f32x4_s (local.get $k)))
      ;; 2^k = 2^half · 2^(k − half), each a biased exponent shifted into place
      (local.set $half (i32x4.shr_s (local.get $k) (i32.const 1)))
      (local.set $p
        (f32x4.mul
          (f32x4.mul
            (local.get $p)
            (i32x4.shl (i32x4.add (local.get $half) (v128.const i32x4 127 127 127 127)) (i32.const 23)))
          (i32x4.shl (i32x4.add (i32x4.sub (local.get $k) (local.get $half)) (v128.const i32x4 127 127 127 127)) (i32.const 23))))
      (local.set $p (v128.and (local.get $p) (i32x4.lt_s (v128.const i32x4 0 1 2 3) (i32x4.splat (i32.sub (local.get $n) (local.get $i))))))
      (v128.store (i32.add (local.get $dst) (i32.shl (local.get $i) (i32.const 2))) (local.get $p))
      (local.set $acc
        (f64x2.add
          (f64x2.add (local.get $acc) (f64x2.promote_low_f32x4 (local.get $p)))
          (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $p) (local.get $p)))))
      (local.set $i (i32.add (local.get $i) (i32.const 4)))
      (br $next)))
    (call $total (local.get $acc)))

  ;; Softmax (log = 0) or log-softmax (log = 1) of each [n] row of src into dst; stats holds rows
  ;; float64 maxima followed by rows float64 sums Σ exp(x − max). NaN anywhere in a row makes its sum,
  ;; and so the whole row, NaN; a row of -Infinity has x − max = NaN, so it is NaN too, as in PyTorch.
  (func (export "softmaxRowsF32") (param $src i32) (param $rows i32) (param $n i32) (param $dst i32) (param $stats i32) (param $log i32)
    (local $row i32) (local $i i32) (local $rowBytes i32) (local $at i32) (local $v v128)
    (local $max f32) (local $sum f64) (local $maxes v128) (local $logSums v128) (local $sums v128)
    (local.set $rowBytes (i32.shl (local.get $n) (i32.const 2)))
    (block $rowsDone (loop $eachRow
      (br_if $rowsDone (i32.ge_u (local.get $row) (local.get $rows)))
      (local.set $max (call $rowMax (local.get $src) (local.get $n)))
      (local.set $sum (call $expRow (local.get $src) (local.get $dst) (local.get $n) (local.get $max)))
      (f64.store (i32.add (local.get $stats) (i32.shl (local.get $row) (i32.const 3))) (f64.promote_f32 (local.get $max)))
      (f64.store (i32.add (local.get $stats) (i32.shl (i32.add (local.get $rows) (local.get $row)) (i32.const 3))) (local.get $sum))
      (local.set $i (i32.const 0))
      (if (local.get $log)
        (then
          ;; (x − max) − log Σ, in float64 so the float32 result is rounded once
          (local.set $maxes (f64x2.splat (f64.promote_f32 (local.get $max))))
          (local.set $logSums (f64x2.splat (call $log (local.get $sum))))
          (block $done (loop $next
            (br_if $done (i32.ge_s (local.get $i) (local.get $n)))
            (local.set $at (i32.shl (local.get $i) (i32.const 2)))
            (local.set $v (v128.load (i32.add (local.get $src) (local.get $at))))
            (v128.store (i32.add (local.get $dst) (local.get $at))
              (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23
                (f32x4.demote_f64x2_zero
                  (f64x2.sub (f64x2.sub (f64x2.promote_low_f32x4 (local.get $v)) (local.get $maxes)) (local.get $logSums)))
                (f32x4.demote_f64x2_zero
                  (f64x2.sub
                    (f64x2.sub
                      (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $v) (local.get $v)))
                      (local.get $maxes))
                    (local.get $logSums)))))
            (local.set $i (i32.add (local.get $i) (i32.const 4)))
            (br $next))))
        (else
          ;; exp(x − max) / Σ
          (local.set $sums (f32x4.splat (f32.demote_f64 (local.get $sum))))
          (block $done (loop $next
            (br_if $done (i32.ge_s (local.get $i) (local.get $n)))
            (local.set $at (i32.add (local.get $dst) (i32.shl (local.get $i) (i32.const 2))))
            (v128.store (local.get $at) (f32x4.div (v128.load (local.get $at)) (local.get $sums)))
            (local.set $i (i32.add (local.get $i) (i32.const 4)))
            (br $next)))))
      (local.set $src (i32.add (local.get $src) (local.get $rowBytes)))
      (local.set $dst (i32.add (local.get $dst) (local.get $rowBytes)))
      (local.set $row (i32.add (local.get $row) (i32.const 1)))
      (br $eachRow))))

  ;; dst = y ⊙ (g − Σ g ⊙ y) for each [n] row: the VJP of softmax from its output y and the
  ;; incoming gradient g (the products are rounded to float32, their sum kept in float64).
  (func (export "softmaxVjpF32") (param $y i32) (param $g i32) (param $rows i32) (param $n i32) (param $dst i32)
    (local $row i32) (local $i i32) (local $at i32) (local $rowBytes i32) (local $acc v128) (local $dot v128)
    (local.set $rowBytes (i32.shl (local.get $n) (i32.const 2)))
    (block $rowsDone (loop $eachRow
      (br_if $rowsDone (i32.ge_u (local.get $row) (local.get $rows)))
      (local.set $acc (v128.const i64x2 0 0))
      (local.set $i (i32.const 0))
      (block $done (loop $next
        (br_if $done (i32.ge_s (local.get $i) (local.get $n)))
        (local.set $at (i32.shl (local.get $i) (i32.const 2)))
        (local.set $acc
          (call $accumulate (local.get $acc)
            (v128.and
              (f32x4.mul (v128.load (i32.add (local.get $y) (local.get $at))) (v128.load (i32.add (local.get $g) (local.get $at))))
              (i32x4.lt_s (v128.const i32x4 0 1 2 3) (i32x4.splat (i32.sub (local.get $n) (local.get $i)))))))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br $next)))
      (local.set $dot (f32x4.splat (f32.demote_f64 (call $total (local.get $acc)))))
      (local.set $i (i32.const 0))
      (block $done (loop $next
        (br_if $done (i32.ge_s (local.get $i) (local.get $n)))
        (local.set $at (i32.shl (local.get $i) (i32.const 2)))
        (v128.store (i32.add (local.get $dst) (local.get $at))
          (f32x4.mul
            (v128.load (i32.add (local.get $y) (local.get $at)))
            (f32x4.sub (v128.load (i32.add (local.get $g) (local.get $at))) (local.get $dot))))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br $next)))
      (local.set $y (i32.add (local.get $y) (local.get $rowBytes)))
      (local.set $g (i32.add (local.get $g) (local.get $rowBytes)))
      (local.set $dst (i32.add (local.get $dst) (local.get $rowBytes)))
      (local.set $row (i32.add (local.get $row) (i32.const 1)))
      (br $eachRow))))

  ;; dst = g − exp(y) ⊙ Σ g for each [n] row: the VJP of log-softmax from its output y and the
  ;; incoming gradient g. exp(y) is written into dst first, then combined with g in place.
  (func (export "logSoftmaxVjpF32") (param $y i32) (param $g i32) (param $rows i32) (param $n i32) (param $dst i32)
    (local $row i32) (local $i i32) (local $at i32) (local $rowBytes i32) (local $acc v128) (local $total v128)
    (local.set $rowBytes (i32.shl (local.get $n) (i32.const 2)))
    (block $rowsDone (loop $eachRow
      (br_if $rowsDone (i32.ge_u (local.get $row) (local.get $rows)))
      (local.set $acc (v128.const i64x2 0 0))
      (local.set $i (i32.const 0))
      (block $done (loop $next
        (br_if $done (i32.ge_s (local.get $i) (local.get $n)))
        (local.set $acc
          (call $accumulate (local.get $acc)
            (v128.and
              (v128.load (i32.add (local.get $g) (i32.shl (local.get $i) (i32.const 2))))
              (i32x4.lt_s (v128.const i32x4 0 1 2 3) (i32x4.splat (i32.sub (local.get $n) (local.get $i)))))))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br $next)))
      (local.set $total (f32x4.splat (f32.demote_f64 (call $total (local.get $acc)))))
      (drop (call $expRow (local.get $y) (local.get $dst) (local.get $n) (f32.const 0)))
      (local.set $i (i32.const 0))
      (block $done (loop $next
        (br_if $done (i32.ge_s (local.get $i) (local.get $n)))
        (local.set $at (i32.shl (local.get $i) (i32.const 2)))
        (v128.store (i32.add (local.get $dst) (local.get $at))
          (f32x4.sub
            (v128.load (i32.add (local.get $g) (local.get $at)))
            (f32x4.mul (v128.load (i32.add (local.get $dst) (local.get $at))) (local.get $total))))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br $next)))
      (local.set $y (i32.add (local.get $y) (local.get $rowBytes)))
      (local.set $g (i32.add (local.get $g) (local.get $rowBytes)))
      (local.set $dst (i32.add (local.get $dst) (local.get $rowBytes)))
      (local.set $row (i32.add (local.get $row) (i32.const 1)))
      (br $eachRow))))
)
