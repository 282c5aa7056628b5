;; Layer normalisation kernels for nabla, in WebAssembly SIMD (128-bit vectors), over float32 rows
;; of n values: rows `stride` bytes apart in the heap (float32 storage read where it lives, or a
;; block the JS driver (layer-norm.ts) has copied in), outputs contiguous.
;;
;;   layerNormF32:         dst = (x − mean)·rstd ⊙ weight + bias per row, and each row's mean and
;;                         rstd = 1 / √(var + eps) (biased variance) as float32.
;;   layerNormBackwardF32: dx = rstd·(ĝ − mean ĝ − x̂·mean(ĝ ⊙ x̂)) per row, with x̂ = (x − mean)·rstd
;;                         and ĝ = g ⊙ weight; and dweight += Σ g ⊙ x̂, dbias += Σ g over the rows,
;;                         into float64 accumulators.
;;
;; Row sums accumulate in float64, as the JS kernels do; the elementwise arithmetic is float32. Each
;; row is read from main memory once and then worked on while it is in cache. Vectors of four take
;; the first n − n mod 4 values of a row, scalar code the rest (the same float32 arithmetic), so no
;; kernel reads or writes past a row's end. Pointers are byte offsets.

(module
  ;; The memory is the caller's (the driver grows it to fit a block).
  (import "env" "memory" (memory 1 32768))

  ;; The sum of the four float64 lanes of two pairs of partial sums.
  (func $total (param $low v128) (param $high v128) (result f64)
    (local $acc v128)
    (local.set $acc (f64x2.add (local.get $low) (local.get $high)))
    (f64.add (f64x2.extract_lane 0 (local.get $acc)) (f64x2.extract_lane 1 (local.get $acc))))

  ;; Σ of the n float32 values at p, in float64.
  (func $rowSum (param $p i32) (param $n i32) (result f64)
    (local $i i32) (local $end i32) (local $acc v128) (local $accHigh v128) (local $v v128) (local $sum f64)
    (local.set $end (i32.and (local.get $n) (i32.const -4)))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $i) (local.get $end)))
      (local.set $v (v128.load (i32.add (local.get $p) (i32.shl (local.get $i) (i32.const 2)))))
      (local.set $acc (f64x2.add (local.get $acc) (f64x2.promote_low_f32x4 (local.get $v))))
      (local.set $accHigh
        (f64x2.add (local.get $accHigh) (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $v) (local.get $v)))))
      (local.set $i (i32.add (local.get $i) (i32.const 4)))
      (br $next)))
    (local.set $sum (call $total (local.get $acc) (local.get $accHigh)))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
      (local.set $sum (f64.add (local.get $sum) (f64.promote_f32 (f32.load (i32.add (local.get $p) (i32.shl (local.get $i) (i32.const 2)))))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $next)))
    (local.get $sum))

  ;; Σ (x − mu)² of the n float32 values at p, each difference and square in float32, summed in float64.
  (func $rowSquares (param $p i32) (param $n i32) (param $mu f32) (result f64)
    (local $i i32) (local $end i32) (local $acc v128) (local $accHigh v128) (local $v v128) (local $mus v128) (local $d f32) (local $sum f64)
    (local.set $end (i32.and (local.get $n) (i32.const -4)))
    (local.set $mus (f32x4.splat (local.get $mu)))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $i) (local.get $end)))
      (local.set $v (f32x4.sub (v128.load (i32.add (local.get $p) (i32.shl (local.get $i) (i32.const 2)))) (local.get $mus)))
      (local.set $v (f32x4.mul (local.get $v) (local.get $v)))
      (local.set $acc (f64x2.add (local.get $acc) (f64x2.promote_low_f32x4 (local.get $v))))
      (local.set $accHigh
        (f64x2.add (local.get $accHigh) (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $v) (local.get $v)))))
      (local.set $i (i32.add (local.get $i) (i32.const 4)))
      (br $next)))
    (local.set $sum (call $total (local.get $acc) (local.get $accHigh)))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
      (local.set $d (f32.sub (f32.load (i32.add (local.get $p) (i32.shl (local.get $i) (i32.const 2)))) (local.get $mu)))
      (local.set $sum (f64.add (local.get $sum) (f64.promote_f32 (f32.mul (local.get $d) (local.get $d)))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $next)))
    (local.get $sum))

  ;; Each of `rows` rows of n values at x (rows xStride bytes apart) normalised into dst (rows
  ;; contiguous); mean and rstd receive one float32 per row. weight and bias hold n values each.
  (func (export "layerNormF32")
    (param $x i32) (param $xStride i32) (param $rows i32) (param $n i32) (param $weight i32) (param $bias i32)
    (param $eps f64) (param $dst i32) (param $mean i32) (param $rstd i32)
    (local $row i32) (local $i i32) (local $end i32) (local $at i32) (local $count f64) (local $mu64 f64)
    (local $mu f32) (local $inv f32) (local $mus v128) (local $invs v128)
    (local.set $end (i32.and (local.get $n) (i32.const -4)))
    (local.set $count (f64.convert_i32_u (local.get $n)))
    (block $rowsDone (loop $eachRow
      (br_if $rowsDone (i32.ge_u (local.get $row) (local.get $rows)))
      (local.set $mu64 (f64.div (call $rowSum (local.get $x) (local.get $n)) (local.get $count)))
      (local.set $mu (f32.demote_f64 (local.get $mu64)))
      (local.set $inv
        (f32.demote_f64
          (f64.div
            (f64.const 1)
            (f64.sqrt (f64.add (f64.div (call $rowSquares (local.get $x) (local.get $n) (local.get $mu)) (local.get $count)) (local.get $eps))))))
      (f32.store (i32.add (local.get $mean) (i32.shl (local.get $row) (i32.const 2))) (local.get $mu))
      (f32.store (i32.add (local.get $rstd) (i32.shl (local.get $row) (i32.const 2))) (local.get $inv))
      (local.set $mus (f32x4.splat (local.get $mu)))
      (local.set $invs (f32x4.splat (local.get $inv)))
      (local.set $i (i32.const 0))
      (block $done (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $end)))
        (local.set $at (i32.shl (local.get $i) (i32.const 2)))
        (v128.store (i32.add (local.get $dst) (local.get $at))
          (f32x4.add
            (f32x4.mul
              (f32x4.mul (f32x4.sub (v128.load (i32.add (local.get $x) (local.get $at))) (local.get $mus)) (local.get $invs))
              (v128.load (i32.add (local.get $weight) (local.get $at))))
            (v128.load (i32.add (local.get $bias) (local.get $at)))))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br $next)))
      (block $done (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $at (i32.shl (local.get $i) (i32.const 2)))
        (f32.store (i32.add (local.get $dst) (local.get $at))
          (f32.add
            (f32.mul
              (f32.mul (f32.sub (f32.load (i32.add (local.get $x) (local.get $at))) (local.get $mu)) (local.get $inv))
              (f32.load (i32.add (local.get $weight) (local.get $at))))
            (f32.load (i32.add (local.get $bias) (local.get $at)))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))
      (local.set $x (i32.add (local.get $x) (local.get $xStride)))
      (local.set $dst (i32.add (local.get $dst) (i32.shl (local.get $n) (i32.const 2))))
      (local.set $row (i32.add (local.get $row) (i32.const 1)))
      (br $eachRow))))

  ;; The VJP of layerNormF32 for `rows` rows of x and g (xStride and gStride bytes apart), from the
  ;; float32 mean and rstd of each row and the n weights: dx into contiguous rows, and Σ g ⊙ x̂ and
  ;; Σ g over the rows added into the n float64 values at dweight and dbias.
  (func (export "layerNormBackwardF32")
    (param $x i32) (param $xStride i32) (param $g i32) (param $gStride i32) (param $mean i32) (param $rstd i32)
    (param $weight i32) (param $rows i32) (param $n i32) (param $dx i32) (param $dweight i32) (param $dbias i32)
    (local $row i32) (local $i i32) (local $end i32) (local $at i32) (local $at8 i32) (local $count f64)
    (local $mu f32) (local $inv f32) (local $xHat f32) (local $gv f32) (local $gw f32) (local $meanG f32) (local $meanGX f32)
    (local $sumG f64) (local $sumGX f64)
    (local $mus v128) (local $invs v128) (local $xHats v128) (local $gs v128) (local $gws v128) (local $accG v128) (local $accGHigh v128) (local $accGX v128) (local $accGXHigh v128)
    (local $meanGs v128) (local $meanGXs v128) (local $v v128)
    (local.set $end (i32.and (local.get $n) (i32.const -4)))
    (local.set $count (f64.convert_i32_u (local.get $n)))
    (block $rowsDone (loop $eachRow
      (br_if $rowsDone (i32.ge_u (local.get $row) (local.get $rows)))
      (local.set $mu (f32.load (i32.add (local.get $mean) (i32.shl (local.get $row) (i32.const 2)))))
      (local.set $inv (f32.load (i32.add (local.get $rstd) (i32.shl (local.get $row) (i32.const 2)))))
      (local.set $mus (f32x4.splat (local.get $mu)))
      (local.set $invs (f32x4.splat (local.get $inv)))
      ;; Σ ĝ and Σ ĝ ⊙ x̂ over the row; the column sums on the way
      (local.set $accG (v128.const i64x2 0 0))
      (local.set $accGHigh (v128.const i64x2 0 0))
      (local.set $accGX (v128.const i64x2 0 0))
      (local.set $accGXHigh (v128.const i64x2 0 0))
      (local.set $i (i32.const 0))
      (block $done (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $end)))
        (local.set $at (i32.shl (local.get $i) (i32.const 2)))
        (local.set $at8 (i32.shl (local.get $i) (i32.const 3)))
        (local.set $xHats (f32x4.mul (f32x4.sub (v128.load (i32.add (local.get $x) (local.get $at))) (local.get $mus)) (local.get $invs)))
        (local.set $gs (v128.load (i32.add (local.get $g) (local.get $at))))
        (local.set $gws (f32x4.mul (local.get $gs) (v128.load (i32.add (local.get $weight) (local.get $at)))))
        (local.set $accG (f64x2.add (local.get $accG) (f64x2.promote_low_f32x4 (local.get $gws))))
        (local.set $accGHigh
          (f64x2.add (local.get $accGHigh) (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $gws) (local.get $gws)))))
        (local.set $v (f32x4.mul (local.get $gws) (local.get $xHats)))
        (local.set $accGX (f64x2.add (local.get $accGX) (f64x2.promote_low_f32x4 (local.get $v))))
        (local.set $accGXHigh
          (f64x2.add (local.get $accGXHigh) (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $v) (local.get $v)))))
        ;; dweight[i..i+3] += g ⊙ x̂ and dbias[i..i+3] += g, two float64 lanes at a time
        (local.set $v (f32x4.mul (local.get $gs) (local.get $xHats)))
        (local.set $at (i32.add (local.get $dweight) (local.get $at8)))
        (v128.store (local.get $at) (f64x2.add (v128.load (local.get $at)) (f64x2.promote_low_f32x4 (local.get $v))))
        (v128.store offset=16 (local.get $at)
          (f64x2.add
            (v128.load offset=16 (local.get $at))
            (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $v) (local.get $v)))))
        (local.set $at (i32.add (local.get $dbias) (local.get $at8)))
        (v128.store (local.get $at) (f64x2.add (v128.load (local.get $at)) (f64x2.promote_low_f32x4 (local.get $gs))))
        (v128.store offset=16 (local.get $at)
          (f64x2.add
            (v128.load offset=16 (local.get $at))
            (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $gs) (local.get $gs)))))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br $next)))
      (local.set $sumG (call $total (local.get $accG) (local.get $accGHigh)))
      (local.set $sumGX (call $total (local.get $accGX) (local.get $accGXHigh)))
      (block $done (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $at (i32.shl (local.get $i) (i32.const 2)))
        (local.set $at8 (i32.shl (local.get $i) (i32.const 3)))
        (local.set $xHat (f32.mul (f32.sub (f32.load (i32.add (local.get $x) (local.get $at))) (local.get $mu)) (local.get $inv)))
        (local.set $gv (f32.load (i32.add (local.get $g) (local.get $at))))
        (local.set $gw (f32.mul (local.get $gv) (f32.load (i32.add (local.get $weight) (local.get $at)))))
        (local.set $sumG (f64.add (local.get $sumG) (f64.promote_f32 (local.get $gw))))
        (local.set $sumGX (f64.add (local.get $sumGX) (f64.promote_f32 (f32.mul (local.get $gw) (local.get $xHat)))))
        (f64.store (i32.add (local.get $dweight) (local.get $at8))
          (f64.add (f64.load (i32.add (local.get $dweight) (local.get $at8))) (f64.promote_f32 (f32.mul (local.get $gv) (local.get $xHat)))))
        (f64.store (i32.add (local.get $dbias) (local.get $at8))
          (f64.add (f64.load (i32.add (local.get $dbias) (local.get $at8))) (f64.promote_f32 (local.get $gv))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))
      (local.set $meanG (f32.demote_f64 (f64.div (local.get $sumG) (local.get $count))))
      (local.set $meanGX (f32.demote_f64 (f64.div (local.get $sumGX) (local.get $count))))
      (local.set $meanGs (f32x4.splat (local.get $meanG)))
      (local.set $meanGXs (f32x4.splat (local.get $meanGX)))
      ;; dx = rstd·((ĝ − mean ĝ) − x̂·mean(ĝ ⊙ x̂))
      (local.set $i (i32.const 0))
      (block $done (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $end)))
        (local.set $at (i32.shl (local.get $i) (i32.const 2)))
        (local.set $xHats (f32x4.mul (f32x4.sub (v128.load (i32.add (local.get $x) (local.get $at))) (local.get $mus)) (local.get $invs)))
        (local.set $gws (f32x4.mul (v128.load (i32.add (local.get $g) (local.get $at))) (v128.load (i32.add (local.get $weight) (local.get $at)))))
        (v128.store (i32.add (local.get $dx) (local.get $at))
          (f32x4.mul
            (local.get $invs)
            (f32x4.sub (f32x4.sub (local.get $gws) (local.get $meanGs)) (f32x4.mul (local.get $xHats) (local.get $meanGXs)))))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br $next)))
      (block $done (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $at (i32.shl (local.get $i) (i32.const 2)))
        (local.set $xHat (f32.mul (f32.sub (f32.load (i32.add (local.get $x) (local.get $at))) (local.get $mu)) (local.get $inv)))
        (local.set $gw (f32.mul (f32.load (i32.add (local.get $g) (local.get $at))) (f32.load (i32.add (local.get $weight) (local.get $at)))))
        (f32.store (i32.add (local.get $dx) (local.get $at))
          (f32.mul
            (local.get $inv)
            (f32.sub (f32.sub (local.get $gw) (local.get $meanG)) (f32.mul (local.get $xHat) (local.get $meanGX)))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))
      (local.set $x (i32.add (local.get $x) (local.get $xStride)))
      (local.set $g (i32.add (local.get $g) (local.get $gStride)))
      (local.set $dx (i32.add (local.get $dx) (i32.shl (local.get $n) (i32.const 2))))
      (local.set $row (i32.add (local.get $row) (i32.const 1)))
      (br $eachRow))))
)
