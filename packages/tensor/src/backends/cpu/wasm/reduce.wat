;; Sum kernels for nabla, in WebAssembly SIMD (128-bit vectors), over a contiguous block that the
;; JS driver (reduce.ts) has copied into the module's memory. Every sum accumulates in float64,
;; as the JS kernels do: float32 values are widened two at a time (v128.load64_zero then
;; f64x2.promote_low_f32x4), which is exact, so float32 and float64 inputs share one scheme. The
;; exceptions are float32 sums, which first add a few values as a float32 tree (row sums: runs of 32,
;; at most 3 float32 roundings of the run's Σ|x|; column sums: four rows, at most 2), since widening
;; every value is what bounds them otherwise.
;;
;;   rowSums: dst[r] = Σ_j src[r, j] for a [rows, n] block (a sum along the last axis).
;;   columnSums: dst[j] += Σ_i src[i, j] for a [rows, n] block (a sum along the leading axes).
;;
;; Pointers are byte offsets; src and dst are 8-byte aligned.

(module
  ;; The memory is the caller's (the driver grows it to fit the block).
  (import "env" "memory" (memory 1 32768))

  ;; Row sums, float32: runs of 32 floats are added as a float32 tree (four vectors of partial sums,
  ;; two values each, then the four combined pairwise) and the run's four lane sums widened into
  ;; float64 partial sums; what is left of a row after its last whole run goes into four float64
  ;; pairs of partial sums (8 floats per step), so the adds overlap instead of waiting on each other,
  ;; and the last values one at a time.
  (func (export "rowSumsF32") (param $src i32) (param $rows i32) (param $n i32) (param $dst i32)
    (local $s0 v128) (local $s1 v128) (local $s2 v128) (local $s3 v128) (local $run v128)
    (local $p i32) (local $rowEnd i32) (local $runEnd i32) (local $vectorEnd i32) (local $tail f64) (local $dstEnd i32)
    (local.set $p (local.get $src))
    (local.set $dstEnd (i32.add (local.get $dst) (i32.shl (local.get $rows) (i32.const 3))))
    (block $done
      (br_if $done (i32.ge_u (local.get $dst) (local.get $dstEnd)))
      (loop $row
        (local.set $rowEnd (i32.add (local.get $p) (i32.shl (local.get $n) (i32.const 2))))
        (local.set $runEnd (i32.sub (local.get $rowEnd) (i32.and (i32.shl (local.get $n) (i32.const 2)) (i32.const 127))))
        (local.set $vectorEnd (i32.sub (local.get $rowEnd) (i32.and (i32.shl (local.get $n) (i32.const 2)) (i32.const 31))))
        (local.set $s0 (v128.const i64x2 0 0))
        (local.set $s1 (v128.const i64x2 0 0))
        (local.set $s2 (v128.const i64x2 0 0))
        (local.set $s3 (v128.const i64x2 0 0))
        (block $runsDone
          (br_if $runsDone (i32.ge_u (local.get $p) (local.get $runEnd)))
          (loop $eachRun
            (local.set $run
              (f32x4.add
                (f32x4.add
                  (f32x4.add (v128.load (local.get $p)) (v128.load offset=64 (local.get $p)))
                  (f32x4.add (v128.load offset=16 (local.get $p)) (v128.load offset=80 (local.get $p))))
                (f32x4.add
                  (f32x4.add (v128.load offset=32 (local.get $p)) (v128.load offset=96 (local.get $p)))
                  (f32x4.add (v128.load offset=48 (local.get $p)) (v128.load offset=112 (local.get $p))))))
            (local.set $s0 (f64x2.add (local.get $s0) (f64x2.promote_low_f32x4 (local.get $run))))
            (local.set $s1
              (f64x2.add (local.get $s1)
                (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $run) (local.get $run)))))
            (local.set $p (i32.add (local.get $p) (i32.const 128)))
            (br_if $eachRun (i32.lt_u (local.get $p) (local.get $runEnd)))))
        (block $vectorsDone
          (br_if $vectorsDone (i32.ge_u (local.get $p) (local.get $vectorEnd)))
          (loop $step
            (local.set $s0 (f64x2.add (local.get $s0) (f64x2.promote_low_f32x4 (v128.load64_zero (local.get $p)))))
            (local.set $s1 (f64x2.add (local.get $s1) (f64x2.promote_low_f32x4 (v128.load64_zero offset=8 (local.get $p)))))
            (local.set $s2 (f64x2.add (local.get $s2) (f64x2.promote_low_f32x4 (v128.load64_zero offset=16 (local.get $p)))))
            (local.set $s3 (f64x2.add (local.get $s3) (f64x2.promote_low_f32x4 (v128.load64_zero offset=24 (local.get $p)))))
            (local.set $p (i32.add (local.get $p) (i32.const 32)))
            (br_if $step (i32.lt_u (local.get $p) (local.get $vectorEnd)))))
        (local.set $tail (f64.const 0))
        (block $tailDone
          (br_if $tailDone (i32.ge_u (local.get $p) (local.get $rowEnd)))
          (loop $scalar
            (local.set $tail (f64.add (local.get $tail) (f64.promote_f32 (f32.load (local.get $p)))))
            (local.set $p (i32.add (local.get $p) (i32.const 4)))
            (br_if $scalar (i32.lt_u (local.get $p) (local.get $rowEnd)))))
        (local.set $s0 (f64x2.add (f64x2.add (local.get $s0) (local.get $s1)) (f64x2.add (local.get $s2) (local.get $s3))))
        (f64.store (local.get $dst)
          (f64.add
            (f64.add (f64x2.extract_lane 0 (local.get $s0)) (f64x2.extract_lane 1 (local.get $s0)))
            (local.get $tail)))
        (local.set $dst (i32.add (local.get $dst) (i32.const 8)))
        (br_if $row (i32.lt_u (local.get $dst) (local.get $dstEnd))))))

  ;; Row sums, float64: as rowSumsF32 with two doubles per vector (8 doubles per step).
  (func (export "rowSumsF64") (param $src i32) (param $rows i32) (param $n i32) (param $dst i32)
    (local $s0 v128) (local $s1 v128) (local $s2 v128) (local $s3 v128)
    (local $p i32) (local $rowEnd i32) (local $vectorEnd i32) (local $tail f64) (local $dstEnd i32)
    (local.set $p (local.get $src))
    (local.set $dstEnd (i32.add (local.get $dst) (i32.shl (local.get $rows) (i32.const 3))))
    (block $done
      (br_if $done (i32.ge_u (local.get $dst) (local.get $dstEnd)))
      (loop $row
        (local.set $rowEnd (i32.add (local.get $p) (i32.shl (local.get $n) (i32.const 3))))
        (local.set $vectorEnd (i32.sub (local.get $rowEnd) (i32.and (i32.shl (local.get $n) (i32.const 3)) (i32.const 63))))
        (local.set $s0 (v128.const i64x2 0 0))
        (local.set $s1 (v128.const i64x2 0 0))
        (local.set $s2 (v128.const i64x2 0 0))
        (local.set $s3 (v128.const i64x2 0 0))
        (block $vectorsDone
          (br_if $vectorsDone (i32.ge_u (local.get $p) (local.get $vectorEnd)))
          (loop $step
            (local.set $s0 (f64x2.add (local.get $s0) (v128.load (local.get $p))))
            (local.set $s1 (f64x2.add (local.get $s1) (v128.load offset=16 (local.get $p))))
            (local.set $s2 (f64x2.add (local.get $s2) (v128.load offset=32 (local.get $p))))
            (local.set $s3 (f64x2.add (local.get $s3) (v128.load offset=48 (local.get $p))))
            (local.set $p (i32.add (local.get $p) (i32.const 64)))
            (br_if $step (i32.lt_u (local.get $p) (local.get $vectorEnd)))))
        (local.set $tail (f64.const 0))
        (block $tailDone
          (br_if $tailDone (i32.ge_u (local.get $p) (local.get $rowEnd)))
          (loop $scalar
            (local.set $tail (f64.add (local.get $tail) (f64.load (local.get $p))))
            (local.set $p (i32.add (local.get $p) (i32.const 8)))
            (br_if $scalar (i32.lt_u (local.get $p) (local.get $rowEnd)))))
        (local.set $s0 (f64x2.add (f64x2.add (local.get $s0) (local.get $s1)) (f64x2.add (local.get $s2) (local.get $s3))))
        (f64.store (local.get $dst)
          (f64.add
            (f64.add (f64x2.extract_lane 0 (local.get $s0)) (f64x2.extract_lane 1 (local.get $s0)))
            (local.get $tail)))
        (local.set $dst (i32.add (local.get $dst) (i32.const 8)))
        (br_if $row (i32.lt_u (local.get $dst) (local.get $dstEnd))))))

  ;; Column sums, float32: dst[j] += Σ_i src[i, j]. Eight rows are added per pass over dst, then
  ;; four, so dst (n doubles, in L1 for the widths that matter) is read and written an eighth as
  ;; often: four columns at a time, each four rows added as a float32 tree (two roundings) and then
  ;; widened; the columns after the last four two (then one) at a time in float64. The last rows
  ;; (fewer than four) take one row per pass.
  (func (export "columnSumsF32") (param $src i32) (param $rows i32) (param $n i32) (param $dst i32)
    (local $rowBytes i32) (local $p i32) (local $q i32) (local $qEnd i32) (local $pairEnd i32) (local $quadEnd i32) (local $r i32) (local $v v128) (local $w v128)
    (local.set $rowBytes (i32.shl (local.get $n) (i32.const 2)))
    (local.set $p (local.get $src))
    ;; dst + 8·(n rounded down to a multiple of four): where the quads end
    (local.set $quadEnd (i32.add (local.get $dst) (i32.shl (i32.and (local.get $n) (i32.const -4)) (i32.const 3))))
    ;; dst + 8·(n rounded down to even): where the pairs end and a lone last column starts
    (local.set $pairEnd (i32.add (local.get $dst) (i32.shl (i32.and (local.get $n) (i32.const -2)) (i32.const 3))))
    (local.set $qEnd (i32.add (local.get $dst) (i32.shl (local.get $n) (i32.const 3))))
    (local.set $r (i32.const 0))
    ;; Eight rows per pass while eight remain: two four-row float32 trees (two roundings each, as
    ;; below), widened and added in float64 before dst, which is then read and written half as
    ;; often; the columns after the last four add the eight rows' widened values.
    (block $octsDone
      (br_if $octsDone (i32.gt_s (i32.add (local.get $r) (i32.const 8)) (local.get $rows)))
      (loop $oct
        (local.set $q (local.get $dst))
        (block $quadsDone
          (br_if $quadsDone (i32.ge_u (local.get $q) (local.get $quadEnd)))
          (loop $quad
            (local.set $v (f32x4.add
              (f32x4.add (v128.load (local.get $p)) (v128.load (i32.add (local.get $p) (local.get $rowBytes))))
              (f32x4.add (v128.load (i32.add (local.get $p) (i32.mul (local.get $rowBytes) (i32.const 2)))) (v128.load (i32.add (local.get $p) (i32.mul (local.get $rowBytes) (i32.const 3)))))))
            (local.set $w (f32x4.add
              (f32x4.add (v128.load (i32.add (local.get $p) (i32.mul (local.get $rowBytes) (i32.const 4)))) (v128.load (i32.add (local.get $p) (i32.mul (local.get $rowBytes) (i32.const 5)))))
              (f32x4.add (v128.load (i32.add (local.get $p) (i32.mul (local.get $rowBytes) (i32.const 6)))) (v128.load (i32.add (local.get $p) (i32.mul (local.get $rowBytes) (i32.const 7)))))))
            (v128.store (local.get $q)
              (f64x2.add (v128.load (local.get $q))
                (f64x2.add (f64x2.promote_low_f32x4 (local.get $v)) (f64x2.promote_low_f32x4 (local.get $w)))))
            (v128.store offset=16 (local.get $q)
              (f64x2.add (v128.load offset=16 (local.get $q))
                (f64x2.add
                  (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $v) (local.get $v)))
                  (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $w) (local.get $w))))))
            (local.set $p (i32.add (local.get $p) (i32.const 16)))
            (local.set $q (i32.add (local.get $q) (i32.const 32)))
            (br_if $quad (i32.lt_u (local.get $q) (local.get $quadEnd)))))
        (block $pairsDone
          (br_if $pairsDone (i32.ge_u (local.get $q) (local.get $pairEnd)))
          (loop $pair
            (v128.store (local.get $q)
              (f64x2.add (v128.load (local.get $q))
                (f64x2.add
                  (f64x2.add
                    (f64x2.add (f64x2.promote_low_f32x4 (v128.load64_zero (local.get $p))) (f64x2.promote_low_f32x4 (v128.load64_zero (i32.add (local.get $p) (local.get $rowBytes)))))
                    (f64x2.add (f64x2.promote_low_f32x4 (v128.load64_zero (i32.add (local.get $p) (i32.mul (local.get $rowBytes) (i32.const 2))))) (f64x2.promote_low_f32x4 (v128.load64_zero (i32.add (local.get $p) (i32.mul (local.get $rowBytes) (i32.const 3)))))))
                  (f64x2.add
                    (f64x2.add (f64x2.promote_low_f32x4 (v128.load64_zero (i32.add (local.get $p) (i32.mul (local.get $rowBytes) (i32.const 4))))) (f64x2.promote_low_f32x4 (v128.load64_zero (i32.add (local.get $p) (i32.mul (local.get $rowBytes) (i32.const 5))))))
                    (f64x2.add (f64x2.promote_low_f32x4 (v128.load64_zero (i32.add (local.get $p) (i32.mul (local.get $rowBytes) (i32.const 6))))) (f64x2.promote_low_f32x4 (v128.load64_zero (i32.add (local.get $p) (i32.mul (local.get $rowBytes) (i32.const 7))))))))))
            (local.set $p (i32.add (local.get $p) (i32.const 8)))
            (local.set $q (i32.add (local.get $q) (i32.const 16)))
            (br_if $pair (i32.lt_u (local.get $q) (local.get $pairEnd)))))
        (if (i32.lt_u (local.get $q) (local.get $qEnd))
          (then
            (f64.store (local.get $q)
              (f64.add (f64.load (local.get $q))
                (f64.add
                  (f64.add
                    (f64.add (f64.promote_f32 (f32.load (local.get $p))) (f64.promote_f32 (f32.load (i32.add (local.get $p) (local.get $rowBytes)))))
                    (f64.add (f64.promote_f32 (f32.load (i32.add (local.get $p) (i32.mul (local.get $rowBytes) (i32.const 2))))) (f64.promote_f32 (f32.load (i32.add (local.get $p) (i32.mul (local.get $rowBytes) (i32.const 3)))))))
                  (f64.add
                    (f64.add (f64.promote_f32 (f32.load (i32.add (local.get $p) (i32.mul (local.get $rowBytes) (i32.const 4))))) (f64.promote_f32 (f32.load (i32.add (local.get $p) (i32.mul (local.get $rowBytes) (i32.const 5))))))
                    (f64.add (f64.promote_f32 (f32.load (i32.add (local.get $p) (i32.mul (local.get $rowBytes) (i32.const 6))))) (f64.promote_f32 (f32.load (i32.add (local.get $p) (i32.mul (local.get $rowBytes) (i32.const 7))))))))))
            (local.set $p (i32.add (local.get $p) (i32.const 4)))))
        ;; $p is at the end of row i; skip the seven rows just added
        (local.set $p (i32.add (local.get $p) (i32.mul (local.get $rowBytes) (i32.const 7))))
        (local.set $r (i32.add (local.get $r) (i32.const 8)))
        (br_if $oct (i32.le_s (i32.add (local.get $r) (i32.const 8)) (local.get $rows)))))
    (block $blocksDone
      (br_if $blocksDone (i32.gt_s (i32.add (local.get $r) (i32.const 4)) (local.get $rows)))
      (loop $block
        (local.set $q (local.get $dst))
        (block $quadsDone
          (br_if $quadsDone (i32.ge_u (local.get $q) (local.get $quadEnd)))
          (loop $quad
            ;; $p walks row i's columns j … j+3; the three rows below are $rowBytes apart
            (local.set $v
              (f32x4.add
                (f32x4.add (v128.load (local.get $p)) (v128.load (i32.add (local.get $p) (local.get $rowBytes))))
                (f32x4.add
                  (v128.load (i32.add (local.get $p) (i32.shl (local.get $rowBytes) (i32.const 1))))
                  (v128.load (i32.add (local.get $p) (i32.mul (local.get $rowBytes) (i32.const 3)))))))
            (v128.store (local.get $q) (f64x2.add (v128.load (local.get $q)) (f64x2.promote_low_f32x4 (local.get $v))))
            (v128.store offset=16 (local.get $q)
              (f64x2.add (v128.load offset=16 (local.get $q))
                (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $v) (local.get $v)))))
            (local.set $p (i32.add (local.get $p) (i32.const 16)))
            (local.set $q (i32.add (local.get $q) (i32.const 32)))
            (br_if $quad (i32.lt_u (local.get $q) (local.get $quadEnd)))))
        (block $pairsDone
          (br_if $pairsDone (i32.ge_u (local.get $q) (local.get $pairEnd)))
          (loop $pair
            ;; $p walks row i's columns j, j+1; the three rows below are $rowBytes apart
            (v128.store (local.get $q)
              (f64x2.add
                (f64x2.add
                  (f64x2.add (v128.load (local.get $q)) (f64x2.promote_low_f32x4 (v128.load64_zero (local.get $p))))
                  (f64x2.promote_low_f32x4 (v128.load64_zero (i32.add (local.get $p) (local.get $rowBytes)))))
                (f64x2.add
                  (f64x2.promote_low_f32x4 (v128.load64_zero (i32.add (local.get $p) (i32.shl (local.get $rowBytes) (i32.const 1)))))
                  (f64x2.promote_low_f32x4 (v128.load64_zero (i32.add (local.get $p) (i32.mul (local.get $rowBytes) (i32.const 3))))))))
            (local.set $p (i32.add (local.get $p) (i32.const 8)))
            (local.set $q (i32.add (local.get $q) (i32.const 16)))
            (br_if $pair (i32.lt_u (local.get $q) (local.get $pairEnd)))))
        (if (i32.lt_u (local.get $q) (local.get $qEnd))
          (then
            (f64.store (local.get $q)
              (f64.add
                (f64.add
                  (f64.add (f64.load (local.get $q)) (f64.promote_f32 (f32.load (local.get $p))))
                  (f64.promote_f32 (f32.load (i32.add (local.get $p) (local.get $rowBytes)))))
                (f64.add
                  (f64.promote_f32 (f32.load (i32.add (local.get $p) (i32.shl (local.get $rowBytes) (i32.const 1)))))
                  (f64.promote_f32 (f32.load (i32.add (local.get $p) (i32.mul (local.get $rowBytes) (i32.const 3))))))))
            (local.set $p (i32.add (local.get $p) (i32.const 4)))))
        ;; $p is at the end of row i; skip the three rows just added
        (local.set $p (i32.add (local.get $p) (i32.mul (local.get $rowBytes) (i32.const 3))))
        (local.set $r (i32.add (local.get $r) (i32.const 4)))
        (br_if $block (i32.le_s (i32.add (local.get $r) (i32.const 4)) (local.get $rows)))))
    (block $rowsDone
      (br_if $rowsDone (i32.ge_s (local.get $r) (local.get $rows)))
      (loop $row
        (local.set $q (local.get $dst))
        (block $pairsDone
          (br_if $pairsDone (i32.ge_u (local.get $q) (local.get $pairEnd)))
          (loop $pair
            (v128.store (local.get $q)
              (f64x2.add (v128.load (local.get $q)) (f64x2.promote_low_f32x4 (v128.load64_zero (local.get $p)))))
            (local.set $p (i32.add (local.get $p) (i32.const 8)))
            (local.set $q (i32.add (local.get $q) (i32.const 16)))
            (br_if $pair (i32.lt_u (local.get $q) (local.get $pairEnd)))))
        (if (i32.lt_u (local.get $q) (local.get $qEnd))
          (then
            (f64.store (local.get $q) (f64.add (f64.load (local.get $q)) (f64.promote_f32 (f32.load (local.get $p)))))
            (local.set $p (i32.add (local.get $p) (i32.const 4)))))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br_if $row (i32.lt_s (local.get $r) (local.get $rows))))))

  ;; Column sums, float64: as columnSumsF32 with whole vectors of two doubles.
  (func (export "columnSumsF64") (param $src i32) (param $rows i32) (param $n i32) (param $dst i32)
    (local $rowBytes i32) (local $p i32) (local $q i32) (local $qEnd i32) (local $pairEnd i32) (local $r i32)
    (local.set $rowBytes (i32.shl (local.get $n) (i32.const 3)))
    (local.set $p (local.get $src))
    (local.set $pairEnd (i32.add (local.get $dst) (i32.shl (i32.and (local.get $n) (i32.const -2)) (i32.const 3))))
    (local.set $qEnd (i32.add (local.get $dst) (i32.shl (local.get $n) (i32.const 3))))
    (local.set $r (i32.const 0))
    (block $blocksDone
      (br_if $blocksDone (i32.gt_s (i32.add (local.get $r) (i32.const 4)) (local.get $rows)))
      (loop $block
        (local.set $q (local.get $dst))
        (block $pairsDone
          (br_if $pairsDone (i32.ge_u (local.get $q) (local.get $pairEnd)))
          (loop $pair
            (v128.store (local.get $q)
              (f64x2.add
                (f64x2.add
                  (f64x2.add (v128.load (local.get $q)) (v128.load (local.get $p)))
                  (v128.load (i32.add (local.get $p) (local.get $rowBytes))))
                (f64x2.add
                  (v128.load (i32.add (local.get $p) (i32.shl (local.get $rowBytes) (i32.const 1))))
                  (v128.load (i32.add (local.get $p) (i32.mul (local.get $rowBytes) (i32.const 3)))))))
            (local.set $p (i32.add (local.get $p) (i32.const 16)))
            (local.set $q (i32.add (local.get $q) (i32.const 16)))
            (br_if $pair (i32.lt_u (local.get $q) (local.get $pairEnd)))))
        (if (i32.lt_u (local.get $q) (local.get $qEnd))
          (then
            (f64.store (local.get $q)
              (f64.add
                (f64.add
                  (f64.add (f64.load (local.get $q)) (f64.load (local.get $p)))
                  (f64.load (i32.add (local.get $p) (local.get $rowBytes))))
                (f64.add
                  (f64.load (i32.add (local.get $p) (i32.shl (local.get $rowBytes) (i32.const 1))))
                  (f64.load (i32.add (local.get $p) (i32.mul (local.get $rowBytes) (i32.const 3)))))))
            (local.set $p (i32.add (local.get $p) (i32.const 8)))))
        (local.set $p (i32.add (local.get $p) (i32.mul (local.get $rowBytes) (i32.const 3))))
        (local.set $r (i32.add (local.get $r) (i32.const 4)))
        (br_if $block (i32.le_s (i32.add (local.get $r) (i32.const 4)) (local.get $rows)))))
    (block $rowsDone
      (br_if $rowsDone (i32.ge_s (local.get $r) (local.get $rows)))
      (loop $row
        (local.set $q (local.get $dst))
        (block $pairsDone
          (br_if $pairsDone (i32.ge_u (local.get $q) (local.get $pairEnd)))
          (loop $pair
            (v128.store (local.get $q) (f64x2.add (v128.load (local.get $q)) (v128.load (local.get $p))))
            (local.set $p (i32.add (local.get $p) (i32.const 16)))
            (local.set $q (i32.add (local.get $q) (i32.const 16)))
            (br_if $pair (i32.lt_u (local.get $q) (local.get $pairEnd)))))
        (if (i32.lt_u (local.get $q) (local.get $qEnd))
          (then
            (f64.store (local.get $q) (f64.add (f64.load (local.get $q)) (f64.load (local.get $p))))
            (local.set $p (i32.add (local.get $p) (i32.const 8)))))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br_if $row (i32.lt_s (local.get $r) (local.get $rows)))))))
