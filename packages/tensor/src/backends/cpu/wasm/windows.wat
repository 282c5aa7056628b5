;; Sliding-window kernels for nabla, in WebAssembly SIMD (128-bit vectors), over float32 views of
;; [N, C, H, W] copied into the heap by their JS driver (windows.ts): im2col, its adjoint col2im,
;; and max pooling of 2 × 2 windows stepping 2. They are the JS kernels of cpu/windows.ts (the
;; reference) written for vectors: each result is the reference's, bit for bit (copies, float32
;; additions in the same order, comparisons), with no branch per element.
;;
;; Pointers and strides are in bytes. A tap table holds, per tap p along the rows, three i32s (its
;; row shift p·dilation − padding and the first and past-the-last window rows [lo, hi) where it
;; lands inside the input), then the same per tap q along the columns (its shift and windows); the
;; driver clamps lo ≤ hi to the number of windows.
;;
;; The loops store whole vectors: a store writes up to three values past what it means to write,
;; always ahead of where the kernel writes next, so later stores overwrite them (or, after the
;; last, 16 bytes of slack the driver leaves). Loads read up to three values past a run (up to
;; seven in the pooling kernel) into slack the driver leaves after each operand.
;; The helpers ($zeros, $replaces) are inlined where the module is assembled
;; (scripts/assemble-wasm.mjs), so the loops make no calls.

(module
  ;; The memory is the caller's (the driver grows it to fit its blocks).
  (import "env" "memory" (memory 1 32768))

  ;; Zeros in whole vectors at bytes [from, to) from `at` (to rounded up to a vector past from).
  (func $zeros (param $at i32) (param $from i32) (param $to i32)
    (block $d (loop $l
      (br_if $d (i32.ge_u (local.get $from) (local.get $to)))
      (v128.store (i32.add (local.get $at) (local.get $from)) (v128.const i32x4 0 0 0 0))
      (local.set $from (i32.add (local.get $from) (i32.const 16)))
      (br $l))))

  ;; All ones in the lanes where a tap's value v replaces the maximum so far: where it is larger,
  ;; or is a NaN and the maximum is not (the first NaN stays the maximum).
  (func $replaces (param $v v128) (param $max v128) (result v128)
    (v128.or (f32x4.gt (local.get $v) (local.get $max))
      (v128.and (f32x4.ne (local.get $v) (local.get $v)) (f32x4.eq (local.get $max) (local.get $max)))))

  ;; im2col: the tap rows r in [first, first + count) of the columns [C·kH·kW, N, outH·outW] that
  ;; x [N, C, H, W] (at x, strides sN, sC, sH, sW) gives with windows stepping sh, sw, written
  ;; contiguously at out: row r = (c·kH + p)·kW + q holds channel c at tap (p, q) of every window of
  ;; every sample, zero where the tap falls outside x. A run of taps along a window row is a vector
  ;; copy where its values are adjacent in x (sw·sW = 4), else a copy value by value.
  (func (export "im2colF32")
    (param $x i32) (param $sN i32) (param $sC i32) (param $sH i32) (param $sW i32)
    (param $batch i32) (param $kh i32) (param $kw i32) (param $oh i32) (param $ow i32)
    (param $sh i32) (param $sw i32) (param $taps i32) (param $out i32) (param $first i32) (param $count i32)
    (local $r i32) (local $end i32) (local $c i32) (local $p i32) (local $q i32) (local $row i32) (local $col i32)
    (local $rowShift i32) (local $rowLo i32) (local $rowHi i32) (local $colLo i32) (local $colHi i32)
    (local $colStart i32) (local $step i32) (local $rowBytes i32)
    (local $n i32) (local $plane i32) (local $i i32) (local $src i32) (local $k i32)
    (local $colShiftBytes i32) (local $lanes v128) (local $loLanes v128) (local $hiLanes v128)
    (local.set $rowBytes (i32.shl (local.get $ow) (i32.const 2)))
    (local.set $step (i32.mul (local.get $sw) (local.get $sW)))
    (local.set $r (local.get $first))
    (local.set $end (i32.add (local.get $first) (local.get $count)))
    (block $tapsDone (loop $eachTap
      (br_if $tapsDone (i32.ge_u (local.get $r) (local.get $end)))
      (local.set $q (i32.rem_u (local.get $r) (local.get $kw)))
      (local.set $p (i32.rem_u (i32.div_u (local.get $r) (local.get $kw)) (local.get $kh)))
      (local.set $c (i32.div_u (local.get $r) (i32.mul (local.get $kw) (local.get $kh))))
      (local.set $row (i32.add (local.get $taps) (i32.mul (local.get $p) (i32.const 12))))
      (local.set $col (i32.add (local.get $taps) (i32.mul (i32.add (local.get $kh) (local.get $q)) (i32.const 12))))
      (local.set $rowShift (i32.load (local.get $row)))
      (local.set $rowLo (i32.load offset=4 (local.get $row)))
      (local.set $rowHi (i32.load offset=8 (local.get $row)))
      (local.set $colLo (i32.shl (i32.load offset=4 (local.get $col)) (i32.const 2)))
      (local.set $colHi (i32.shl (i32.load offset=8 (local.get $col)) (i32.const 2)))
      ;; where the run of a window row starts, from the start of its input row:
      ;; (lo·sw + shift)·sW, lo here in bytes
      (local.set $colStart
        (i32.mul
          (i32.add (i32.mul (i32.shr_u (local.get $colLo) (i32.const 2)) (local.get $sw)) (i32.load (local.get $col)))
          (local.get $sW)))
      (local.set $colShiftBytes (i32.shl (i32.load (local.get $col)) (i32.const 2)))
      (local.set $loLanes (i32x4.splat (local.get $colLo)))
      (local.set $hiLanes (i32x4.splat (local.get $colHi)))
      (local.set $n (i32.const 0))
      (block $samplesDone (loop $eachSample
        (br_if $samplesDone (i32.ge_u (local.get $n) (local.get $batch)))
        (local.set $plane
          (i32.add (local.get $x)
            (i32.add (i32.mul (local.get $n) (local.get $sN)) (i32.mul (local.get $c) (local.get $sC)))))
        (local.set $i (i32.const 0))
        (block $rowsDone (loop $eachRow
          (br_if $rowsDone (i32.ge_u (local.get $i) (local.get $oh)))
          (if (i32.and (i32.ge_u (local.get $i) (local.get $rowLo)) (i32.lt_u (local.get $i) (local.get $rowHi)))
            (then
              ;; the input row the window row reads
              (local.set $src
                (i32.add (local.get $plane)
                  (i32.mul
                    (i32.add (i32.mul (local.get $i) (local.get $sh)) (local.get $rowShift))
                    (local.get $sH))))
              (if (i32.eq (local.get $step) (i32.const 4))
                (then
                  ;; adjacent taps: the window row is the input row from column shift on, read
                  ;; whole vectors at a time (starting up to `padding` values before the row and
                  ;; ending up to padding + 3 after it), zero in the lanes of windows outside
                  ;; [lo, hi) (lanes: each lane's window, in bytes)
                  (local.set $src (i32.add (local.get $src) (local.get $colShiftBytes)))
                  (local.set $lanes (v128.const i32x4 0 4 8 12))
                  (local.set $k (i32.const 0))
                  (block $d (loop $l
                    (br_if $d (i32.ge_u (local.get $k) (local.get $rowBytes)))
                    (v128.store (i32.add (local.get $out) (local.get $k))
                      (v128.and
                        (v128.load (i32.add (local.get $src) (local.get $k)))
                        (v128.and
                          (i32x4.ge_s (local.get $lanes) (local.get $loLanes))
                          (i32x4.lt_s (local.get $lanes) (local.get $hiLanes)))))
                    (local.set $lanes (i32x4.add (local.get $lanes) (v128.const i32x4 16 16 16 16)))
                    (local.set $k (i32.add (local.get $k) (i32.const 16)))
                    (br $l))))
                (else
                  ;; zeros before the run
                  (call $zeros (local.get $out) (i32.const 0) (local.get $colLo))
                  ;; the run, value by value
                  (local.set $src (i32.add (local.get $src) (local.get $colStart)))
                  (local.set $k (local.get $colLo))
                  (block $d (loop $l
                    (br_if $d (i32.ge_u (local.get $k) (local.get $colHi)))
                    (f32.store (i32.add (local.get $out) (local.get $k)) (f32.load (local.get $src)))
                    (local.set $src (i32.add (local.get $src) (local.get $step)))
                    (local.set $k (i32.add (local.get $k) (i32.const 4)))
                    (br $l)))
                  ;; zeros after it
                  (call $zeros (local.get $out) (local.get $colHi) (local.get $rowBytes)))))
            (else
              ;; the tap is outside x for this whole window row
              (call $zeros (local.get $out) (i32.const 0) (local.get $rowBytes))))
          (local.set $out (i32.add (local.get $out) (local.get $rowBytes)))
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (br $eachRow)))
        (local.set $n (i32.add (local.get $n) (i32.const 1)))
        (br $eachSample)))
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br $eachTap))))

  ;; im2col where windows step 1 and a window row is as long as an input row (outW = W, as with
  ;; "same" padding), over planes whose rows lie one after the other: the columns of tap (p, q) for
  ;; a plane are then the plane itself, moved by the tap's shift, with zeros where the tap falls
  ;; outside. shifts holds each tap's shift in bytes, ((p·dh − padding)·W + q·dw − padding)·4;
  ;; masks each tap's outH·outW lanes (all ones where the tap lands inside x), in whole vectors
  ;; (zero past the last window); one copy and one
  ;; `and` per vector, the vectors running on across window rows. Reads reach up to the shift
  ;; before a plane and past it (and three values more).
  (func (export "im2colPlanesF32")
    (param $x i32) (param $sN i32) (param $sC i32) (param $batch i32) (param $taps i32) (param $positions i32)
    (param $shifts i32) (param $masks i32) (param $out i32) (param $first i32) (param $count i32)
    (local $r i32) (local $end i32) (local $tap i32) (local $c i32) (local $n i32) (local $src i32) (local $mask i32)
    (local $k i32) (local $bytes i32) (local $maskBytes i32)
    (local.set $bytes (i32.shl (local.get $positions) (i32.const 2)))
    (local.set $maskBytes (i32.and (i32.add (local.get $bytes) (i32.const 15)) (i32.const -16)))
    (local.set $r (local.get $first))
    (local.set $end (i32.add (local.get $first) (local.get $count)))
    (block $tapsDone (loop $eachTap
      (br_if $tapsDone (i32.ge_u (local.get $r) (local.get $end)))
      (local.set $tap (i32.rem_u (local.get $r) (local.get $taps)))
      (local.set $c (i32.div_u (local.get $r) (local.get $taps)))
      (local.set $mask (i32.add (local.get $masks) (i32.mul (local.get $tap) (local.get $maskBytes))))
      (local.set $n (i32.const 0))
      (block $samplesDone (loop $eachSample
        (br_if $samplesDone (i32.ge_u (local.get $n) (local.get $batch)))
        (local.set $src
          (i32.add (i32.add (local.get $x) (i32.load (i32.add (local.get $shifts) (i32.shl (local.get $tap) (i32.const 2)))))
            (i32.add (i32.mul (local.get $n) (local.get $sN)) (i32.mul (local.get $c) (local.get $sC)))))
        (local.set $k (i32.const 0))
        (block $d (loop $l
          (br_if $d (i32.ge_u (local.get $k) (local.get $bytes)))
          (v128.store (i32.add (local.get $out) (local.get $k))
            (v128.and (v128.load (i32.add (local.get $src) (local.get $k))) (v128.load (i32.add (local.get $mask) (local.get $k)))))
          (local.set $k (i32.add (local.get $k) (i32.const 16)))
          (br $l)))
        (local.set $out (i32.add (local.get $out) (local.get $bytes)))
        (local.set $n (i32.add (local.get $n) (i32.const 1)))
        (br $eachSample)))
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br $eachTap))))

  ;; col2im: adds the columns of samples [nFirst, nFirst + nCount) and tap rows [rFirst, rFirst +
  ;; rCount) of [N, C·kH·kW, outH·outW] (at cols: the first of them, strides sN, sR, sL) into
  ;; out [N, C, H, W] (contiguous, of `channels` channels) where im2col read them. The order of the
  ;; additions into each element is the reference's: by sample, tap row, window row, window. A run
  ;; whose values and targets are both adjacent (sL = 4, sw = 1) adds whole vectors, its last one
  ;; masked to the run; else it adds value by value.
  (func (export "col2imF32")
    (param $cols i32) (param $sN i32) (param $sR i32) (param $sL i32)
    (param $nFirst i32) (param $nCount i32) (param $rFirst i32) (param $rCount i32)
    (param $channels i32) (param $kh i32) (param $kw i32) (param $ow i32) (param $sh i32) (param $sw i32)
    (param $height i32) (param $width i32) (param $taps i32) (param $out i32)
    (local $n i32) (local $nEnd i32) (local $r i32) (local $rEnd i32) (local $c i32) (local $p i32) (local $q i32)
    (local $row i32) (local $col i32) (local $rowShift i32) (local $rowLo i32) (local $rowHi i32)
    (local $colShift i32) (local $colLo i32) (local $colHi i32) (local $runBytes i32) (local $vectors i32)
    (local $source i32) (local $plane i32) (local $i i32) (local $s i32) (local $t i32) (local $k i32)
    (local $targetStep i32) (local $rowStep i32) (local $old v128)
    (local.set $targetStep (i32.shl (local.get $sw) (i32.const 2)))
    (local.set $rowStep (i32.mul (local.get $ow) (local.get $sL)))
    (local.set $vectors (i32.and (i32.eq (local.get $sL) (i32.const 4)) (i32.eq (local.get $sw) (i32.const 1))))
    (local.set $n (local.get $nFirst))
    (local.set $nEnd (i32.add (local.get $nFirst) (local.get $nCount)))
    (local.set $rEnd (i32.add (local.get $rFirst) (local.get $rCount)))
    (block $samplesDone (loop $eachSample
      (br_if $samplesDone (i32.ge_u (local.get $n) (local.get $nEnd)))
      (local.set $r (local.get $rFirst))
      (block $tapsDone (loop $eachTap
        (br_if $tapsDone (i32.ge_u (local.get $r) (local.get $rEnd)))
        (local.set $q (i32.rem_u (local.get $r) (local.get $kw)))
        (local.set $p (i32.rem_u (i32.div_u (local.get $r) (local.get $kw)) (local.get $kh)))
        (local.set $c (i32.div_u (local.get $r) (i32.mul (local.get $kw) (local.get $kh))))
        (local.set $row (i32.add (local.get $taps) (i32.mul (local.get $p) (i32.const 12))))
        (local.set $col (i32.add (local.get $taps) (i32.mul (i32.add (local.get $kh) (local.get $q)) (i32.const 12))))
        (local.set $rowShift (i32.load (local.get $row)))
        (local.set $rowLo (i32.load offset=4 (local.get $row)))
        (local.set $rowHi (i32.load offset=8 (local.get $row)))
        (local.set $colShift (i32.load (local.get $col)))
        (local.set $colLo (i32.load offset=4 (local.get $col)))
        (local.set $colHi (i32.load offset=8 (local.get $col)))
        (local.set $runBytes (i32.shl (i32.sub (local.get $colHi) (local.get $colLo)) (i32.const 2)))
        (local.set $source
          (i32.add (local.get $cols)
            (i32.add
              (i32.mul (i32.sub (local.get $n) (local.get $nFirst)) (local.get $sN))
              (i32.mul (i32.sub (local.get $r) (local.get $rFirst)) (local.get $sR)))))
        (local.set $plane
          (i32.add (local.get $out)
            (i32.shl
              (i32.mul (i32.add (i32.mul (local.get $n) (local.get $channels)) (local.get $c)) (i32.mul (local.get $height) (local.get $width)))
              (i32.const 2))))
        (local.set $i (local.get $rowLo))
        (block $rowsDone (loop $eachRow
          (br_if $rowsDone (i32.ge_u (local.get $i) (local.get $rowHi)))
          ;; the run's first target, ((i·sh + rowShift)·W + lo·sw + colShift) values into the plane
          (local.set $t
            (i32.add (local.get $plane)
              (i32.shl
                (i32.add
                  (i32.mul (i32.add (i32.mul (local.get $i) (local.get $sh)) (local.get $rowShift)) (local.get $width))
                  (i32.add (i32.mul (local.get $colLo) (local.get $sw)) (local.get $colShift)))
                (i32.const 2))))
          (local.set $s
            (i32.add (local.get $source)
              (i32.add (i32.mul (local.get $i) (local.get $rowStep)) (i32.mul (local.get $colLo) (local.get $sL)))))
          (if (local.get $vectors)
            (then
              (local.set $k (i32.const 0))
              (block $d (loop $l
                (br_if $d (i32.ge_s (local.get $k) (local.get $runBytes)))
                (local.set $old (v128.load (i32.add (local.get $t) (local.get $k))))
                ;; the lanes past the run keep what the target held
                (v128.store (i32.add (local.get $t) (local.get $k))
                  (v128.bitselect
                    (f32x4.add (local.get $old) (v128.load (i32.add (local.get $s) (local.get $k))))
                    (local.get $old)
                    (i32x4.gt_s
                      (i32x4.splat (i32.sub (local.get $runBytes) (local.get $k)))
                      (v128.const i32x4 0 4 8 12))))
                (local.set $k (i32.add (local.get $k) (i32.const 16)))
                (br $l))))
            (else
              (local.set $k (local.get $colLo))
              (block $d (loop $l
                (br_if $d (i32.ge_s (local.get $k) (local.get $colHi)))
                (f32.store (local.get $t) (f32.add (f32.load (local.get $t)) (f32.load (local.get $s))))
                (local.set $t (i32.add (local.get $t) (local.get $targetStep)))
                (local.set $s (i32.add (local.get $s) (local.get $sL)))
                (local.set $k (i32.add (local.get $k) (i32.const 1)))
                (br $l)))))
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (br $eachRow)))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $eachTap)))
      (local.set $n (i32.add (local.get $n) (i32.const 1)))
      (br $eachSample))))

  ;; col2im where windows step 1 and a window row is as long as an output row (outW = W), over
  ;; columns whose windows are adjacent (sL = 4): im2colPlanesF32's adjoint. Each tap's columns of
  ;; a sample are added into its plane moved by the tap's shift, whole vectors at a time, the
  ;; lanes where the tap falls outside keeping what the target held (a select, not an added zero,
  ;; which would turn −0 into +0). Targets reach up to the largest shift before a plane and past it
  ;; (and three values more), which the driver leaves room for.
  (func (export "col2imPlanesF32")
    (param $cols i32) (param $sN i32) (param $sR i32)
    (param $nFirst i32) (param $nCount i32) (param $rFirst i32) (param $rCount i32)
    (param $channels i32) (param $taps i32) (param $positions i32) (param $planeBytes i32)
    (param $shifts i32) (param $masks i32) (param $out i32)
    (local $n i32) (local $nEnd i32) (local $r i32) (local $rEnd i32) (local $tap i32) (local $c i32)
    (local $s i32) (local $t i32) (local $mask i32) (local $k i32) (local $bytes i32) (local $maskBytes i32) (local $old v128)
    (local.set $bytes (i32.shl (local.get $positions) (i32.const 2)))
    (local.set $maskBytes (i32.and (i32.add (local.get $bytes) (i32.const 15)) (i32.const -16)))
    (local.set $n (local.get $nFirst))
    (local.set $nEnd (i32.add (local.get $nFirst) (local.get $nCount)))
    (local.set $rEnd (i32.add (local.get $rFirst) (local.get $rCount)))
    (block $samplesDone (loop $eachSample
      (br_if $samplesDone (i32.ge_u (local.get $n) (local.get $nEnd)))
      (local.set $r (local.get $rFirst))
      (block $tapsDone (loop $eachTap
        (br_if $tapsDone (i32.ge_u (local.get $r) (local.get $rEnd)))
        (local.set $tap (i32.rem_u (local.get $r) (local.get $taps)))
        (local.set $c (i32.div_u (local.get $r) (local.get $taps)))
        (local.set $mask (i32.add (local.get $masks) (i32.mul (local.get $tap) (local.get $maskBytes))))
        (local.set $s
          (i32.add (local.get $cols)
            (i32.add
              (i32.mul (i32.sub (local.get $n) (local.get $nFirst)) (local.get $sN))
              (i32.mul (i32.sub (local.get $r) (local.get $rFirst)) (local.get $sR)))))
        (local.set $t
          (i32.add
            (i32.add (local.get $out) (i32.load (i32.add (local.get $shifts) (i32.shl (local.get $tap) (i32.const 2)))))
            (i32.mul (i32.add (i32.mul (local.get $n) (local.get $channels)) (local.get $c)) (local.get $planeBytes))))
        (local.set $k (i32.const 0))
        (block $d (loop $l
          (br_if $d (i32.ge_u (local.get $k) (local.get $bytes)))
          (local.set $old (v128.load (i32.add (local.get $t) (local.get $k))))
          (v128.store (i32.add (local.get $t) (local.get $k))
            (v128.bitselect
              (f32x4.add (local.get $old) (v128.load (i32.add (local.get $s) (local.get $k))))
              (local.get $old)
              (v128.load (i32.add (local.get $mask) (local.get $k)))))
          (local.set $k (i32.add (local.get $k) (i32.const 16)))
          (br $l)))
        (local.set $r (i32.add (local.get $r) (i32.const 1)))
        (br $eachTap)))
      (local.set $n (i32.add (local.get $n) (i32.const 1)))
      (br $eachSample))))

  ;; Max pooling of x [N, C, H, W] (at x, strides sN, sC, sH; adjacent values along a row) over
  ;; 2 × 2 windows stepping 2, no padding: each window's first maximum (its first NaN, if any) into
  ;; values [N, C, outH, outW] and its position h·W + w in the plane into indices, both contiguous.
  ;; Four windows at a time: eight values of a row are split into the windows' left and right taps,
  ;; and the taps are taken in row-major order, each replacing the maximum where it is larger or is
  ;; the first NaN (a select, not a branch).
  (func (export "maxPool2x2F32")
    (param $x i32) (param $sN i32) (param $sC i32) (param $sH i32)
    (param $batch i32) (param $channels i32) (param $oh i32) (param $ow i32) (param $width i32)
    (param $values i32) (param $indices i32)
    (local $n i32) (local $c i32) (local $i i32) (local $k i32) (local $plane i32) (local $top i32) (local $bottom i32)
    (local $rowBytes i32) (local $a v128) (local $b v128) (local $v v128) (local $max v128) (local $at v128)
    (local $position v128) (local $take v128) (local $below v128)
    (local.set $rowBytes (i32.shl (local.get $ow) (i32.const 2)))
    (local.set $below (i32x4.splat (local.get $width)))
    (block $samplesDone (loop $eachSample
      (br_if $samplesDone (i32.ge_u (local.get $n) (local.get $batch)))
      (local.set $c (i32.const 0))
      (block $channelsDone (loop $eachChannel
        (br_if $channelsDone (i32.ge_u (local.get $c) (local.get $channels)))
        (local.set $plane
          (i32.add (local.get $x)
            (i32.add (i32.mul (local.get $n) (local.get $sN)) (i32.mul (local.get $c) (local.get $sC)))))
        (local.set $i (i32.const 0))
        (block $rowsDone (loop $eachRow
          (br_if $rowsDone (i32.ge_u (local.get $i) (local.get $oh)))
          (local.set $top (i32.add (local.get $plane) (i32.mul (i32.shl (local.get $i) (i32.const 1)) (local.get $sH))))
          (local.set $bottom (i32.add (local.get $top) (local.get $sH)))
          ;; the four windows' first taps: 2i·W + 2j for j, j + 1, j + 2, j + 3
          (local.set $position
            (i32x4.add
              (i32x4.splat (i32.mul (i32.shl (local.get $i) (i32.const 1)) (local.get $width)))
              (v128.const i32x4 0 2 4 6)))
          (local.set $k (i32.const 0))
          (block $d (loop $l
            (br_if $d (i32.ge_u (local.get $k) (local.get $rowBytes)))
            ;; the top row's eight values: left taps and right taps
            (local.set $a (v128.load (i32.add (local.get $top) (i32.shl (local.get $k) (i32.const 1)))))
            (local.set $b (v128.load offset=16 (i32.add (local.get $top) (i32.shl (local.get $k) (i32.const 1)))))
            (local.set $max (i8x16.shuffle 0 1 2 3 8 9 10 11 16 17 18 19 24 25 26 27 (local.get $a) (local.get $b)))
            (local.set $at (local.get $position))
            (local.set $v (i8x16.shuffle 4 5 6 7 12 13 14 15 20 21 22 23 28 29 30 31 (local.get $a) (local.get $b)))
            (local.set $take (call $replaces (local.get $v) (local.get $max)))
            (local.set $max (v128.bitselect (local.get $v) (local.get $max) (local.get $take)))
            (local.set $at
              (v128.bitselect (i32x4.add (local.get $position) (v128.const i32x4 1 1 1 1)) (local.get $at) (local.get $take)))
            ;; the bottom row's
            (local.set $a (v128.load (i32.add (local.get $bottom) (i32.shl (local.get $k) (i32.const 1)))))
            (local.set $b (v128.load offset=16 (i32.add (local.get $bottom) (i32.shl (local.get $k) (i32.const 1)))))
            (local.set $v (i8x16.shuffle 0 1 2 3 8 9 10 11 16 17 18 19 24 25 26 27 (local.get $a) (local.get $b)))
            (local.set $take (call $replaces (local.get $v) (local.get $max)))
            (local.set $max (v128.bitselect (local.get $v) (local.get $max) (local.get $take)))
            (local.set $at
              (v128.bitselect (i32x4.add (local.get $position) (local.get $below)) (local.get $at) (local.get $take)))
            (local.set $v (i8x16.shuffle 4 5 6 7 12 13 14 15 20 21 22 23 28 29 30 31 (local.get $a) (local.get $b)))
            (local.set $take (call $replaces (local.get $v) (local.get $max)))
            (local.set $max (v128.bitselect (local.get $v) (local.get $max) (local.get $take)))
            (local.set $at
              (v128.bitselect
                (i32x4.add (local.get $position) (i32x4.add (local.get $below) (v128.const i32x4 1 1 1 1)))
                (local.get $at)
                (local.get $take)))
            (v128.store (i32.add (local.get $values) (local.get $k)) (local.get $max))
            (v128.store (i32.add (local.get $indices) (local.get $k)) (local.get $at))
            (local.set $position (i32x4.add (local.get $position) (v128.const i32x4 8 8 8 8)))
            (local.set $k (i32.add (local.get $k) (i32.const 16)))
            (br $l)))
          (local.set $values (i32.add (local.get $values) (local.get $rowBytes)))
          (local.set $indices (i32.add (local.get $indices) (local.get $rowBytes)))
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (br $eachRow)))
        (local.set $c (i32.add (local.get $c) (i32.const 1)))
        (br $eachChannel)))
      (local.set $n (i32.add (local.get $n) (i32.const 1)))
      (br $eachSample))))
)
