;; Matrix-multiply kernels for nabla, in WebAssembly SIMD (128-bit vectors).
;;
;; Both kernels compute C += Ã·B̃ on operands that the JS driver (matmul.ts) has packed into the
;; module's memory, GotoBLAS style:
;;   Ã: the rows of a block of A in panels of 4 rows; a panel holds, for each p of the depth, the
;;      4 values A[i..i+3][p] next to each other, so one step of p reads 4 consecutive values.
;;   B̃: the columns of a block of B in panels of W columns (W = 8 floats or 4 doubles, two
;;      vectors); for each p, the W values B[p][j..j+W-1].
;;   C: row-major with a row stride of `ldc` elements; rows and columns padded to whole tiles.
;; The micro-kernel keeps a 4 × W tile of C in eight vector registers across a depth block of at
;; most 256: each step loads two vectors of B̃, broadcasts each of the 4 values of Ã, and does 8
;; multiplies and 8 adds (WebAssembly SIMD has no fused multiply-add outside relaxed-simd). A B̃
;; panel (depth × W) is small enough to stay in L1 while the driver's row block of Ã (in L2)
;; streams past.
;;
;; Accuracy: the float32 tile sums each depth block's products on their own and adds that sum (of
;; at most 256 products) to C at the end, so no float32 running sum takes more than 256 products.
;; The driver keeps each call's depth to at most 16 such blocks and adds the calls' results in
;; float64 (see matmul.ts): an element's error stays about 272·2⁻²⁴·Σ|a||b| whatever k is.

(module
  ;; The memory is the caller's: a plain one, or (for the shared build, see assemble-wasm.mjs) a
  ;; shared one that a worker thread also computes in.
  (import "env" "memory" (memory 1 32768))

  ;; C[4 × 8] += Ã panel (depth × 4) · B̃ panel (depth × 8), float32: the block's products are
  ;; summed in registers, starting from the first step's, and that sum is added to C at the end, or
  ;; stored there in the first depth block (`first`), where C is still zero. C is not read before
  ;; the loop: measured 5–7% faster than loading it into the sums first.
  (func $tileF32 (param $a i32) (param $b i32) (param $c i32) (param $depth i32) (param $rowBytes i32) (param $first i32)
    (local $c00 v128) (local $c01 v128) (local $c10 v128) (local $c11 v128)
    (local $c20 v128) (local $c21 v128) (local $c30 v128) (local $c31 v128)
    (local $b0 v128) (local $b1 v128) (local $x v128)
    (local $row1 i32) (local $row2 i32) (local $row3 i32) (local $end i32)
    (local.set $row1 (i32.add (local.get $c) (local.get $rowBytes)))
    (local.set $row2 (i32.add (local.get $row1) (local.get $rowBytes)))
    (local.set $row3 (i32.add (local.get $row2) (local.get $rowBytes)))
    ;; Ã advances 16 bytes (4 floats) per step of p
    (local.set $end (i32.add (local.get $a) (i32.shl (local.get $depth) (i32.const 4))))
    ;; the first step sets the sums (no zeros to add to), the loop adds the others
    (local.set $b0 (v128.load (local.get $b)))
    (local.set $b1 (v128.load offset=16 (local.get $b)))
    (local.set $x (v128.load32_splat (local.get $a)))
    (local.set $c00 (f32x4.mul (local.get $x) (local.get $b0)))
    (local.set $c01 (f32x4.mul (local.get $x) (local.get $b1)))
    (local.set $x (v128.load32_splat offset=4 (local.get $a)))
    (local.set $c10 (f32x4.mul (local.get $x) (local.get $b0)))
    (local.set $c11 (f32x4.mul (local.get $x) (local.get $b1)))
    (local.set $x (v128.load32_splat offset=8 (local.get $a)))
    (local.set $c20 (f32x4.mul (local.get $x) (local.get $b0)))
    (local.set $c21 (f32x4.mul (local.get $x) (local.get $b1)))
    (local.set $x (v128.load32_splat offset=12 (local.get $a)))
    (local.set $c30 (f32x4.mul (local.get $x) (local.get $b0)))
    (local.set $c31 (f32x4.mul (local.get $x) (local.get $b1)))
    (local.set $a (i32.add (local.get $a) (i32.const 16)))
    (local.set $b (i32.add (local.get $b) (i32.const 32)))
    (if (i32.lt_u (local.get $a) (local.get $end))
      (then
        (loop $step
          (local.set $b0 (v128.load (local.get $b)))
          (local.set $b1 (v128.load offset=16 (local.get $b)))
          (local.set $x (v128.load32_splat (local.get $a)))
          (local.set $c00 (f32x4.add (local.get $c00) (f32x4.mul (local.get $x) (local.get $b0))))
          (local.set $c01 (f32x4.add (local.get $c01) (f32x4.mul (local.get $x) (local.get $b1))))
          (local.set $x (v128.load32_splat offset=4 (local.get $a)))
          (local.set $c10 (f32x4.add (local.get $c10) (f32x4.mul (local.get $x) (local.get $b0))))
          (local.set $c11 (f32x4.add (local.get $c11) (f32x4.mul (local.get $x) (local.get $b1))))
          (local.set $x (v128.load32_splat offset=8 (local.get $a)))
          (local.set $c20 (f32x4.add (local.get $c20) (f32x4.mul (local.get $x) (local.get $b0))))
          (local.set $c21 (f32x4.add (local.get $c21) (f32x4.mul (local.get $x) (local.get $b1))))
          (local.set $x (v128.load32_splat offset=12 (local.get $a)))
          (local.set $c30 (f32x4.add (local.get $c30) (f32x4.mul (local.get $x) (local.get $b0))))
          (local.set $c31 (f32x4.add (local.get $c31) (f32x4.mul (local.get $x) (local.get $b1))))
          (local.set $a (i32.add (local.get $a) (i32.const 16)))
          (local.set $b (i32.add (local.get $b) (i32.const 32)))
          (br_if $step (i32.lt_u (local.get $a) (local.get $end))))))
    (if (i32.eqz (local.get $first))
      (then
        (local.set $c00 (f32x4.add (v128.load (local.get $c)) (local.get $c00)))
        (local.set $c01 (f32x4.add (v128.load offset=16 (local.get $c)) (local.get $c01)))
        (local.set $c10 (f32x4.add (v128.load (local.get $row1)) (local.get $c10)))
        (local.set $c11 (f32x4.add (v128.load offset=16 (local.get $row1)) (local.get $c11)))
        (local.set $c20 (f32x4.add (v128.load (local.get $row2)) (local.get $c20)))
        (local.set $c21 (f32x4.add (v128.load offset=16 (local.get $row2)) (local.get $c21)))
        (local.set $c30 (f32x4.add (v128.load (local.get $row3)) (local.get $c30)))
        (local.set $c31 (f32x4.add (v128.load offset=16 (local.get $row3)) (local.get $c31)))))
    (v128.store (local.get $c) (local.get $c00))
    (v128.store offset=16 (local.get $c) (local.get $c01))
    (v128.store (local.get $row1) (local.get $c10))
    (v128.store offset=16 (local.get $row1) (local.get $c11))
    (v128.store (local.get $row2) (local.get $c20))
    (v128.store offset=16 (local.get $row2) (local.get $c21))
    (v128.store (local.get $row3) (local.get $c30))
    (v128.store offset=16 (local.get $row3) (local.get $c31)))

  ;; C[4 × 4] += Ã panel (depth × 4) · B̃ panel (depth × 4), float64.
  (func $tileF64 (param $a i32) (param $b i32) (param $c i32) (param $depth i32) (param $rowBytes i32)
    (local $c00 v128) (local $c01 v128) (local $c10 v128) (local $c11 v128)
    (local $c20 v128) (local $c21 v128) (local $c30 v128) (local $c31 v128)
    (local $b0 v128) (local $b1 v128) (local $x v128)
    (local $row1 i32) (local $row2 i32) (local $row3 i32) (local $end i32)
    (local.set $row1 (i32.add (local.get $c) (local.get $rowBytes)))
    (local.set $row2 (i32.add (local.get $row1) (local.get $rowBytes)))
    (local.set $row3 (i32.add (local.get $row2) (local.get $rowBytes)))
    (local.set $c00 (v128.load (local.get $c)))
    (local.set $c01 (v128.load offset=16 (local.get $c)))
    (local.set $c10 (v128.load (local.get $row1)))
    (local.set $c11 (v128.load offset=16 (local.get $row1)))
    (local.set $c20 (v128.load (local.get $row2)))
    (local.set $c21 (v128.load offset=16 (local.get $row2)))
    (local.set $c30 (v128.load (local.get $row3)))
    (local.set $c31 (v128.load offset=16 (local.get $row3)))
    ;; Ã advances 32 bytes (4 doubles) per step of p
    (local.set $end (i32.add (local.get $a) (i32.shl (local.get $depth) (i32.const 5))))
    (if (i32.gt_s (local.get $depth) (i32.const 0))
      (then
        (loop $step
          (local.set $b0 (v128.load (local.get $b)))
          (local.set $b1 (v128.load offset=16 (local.get $b)))
          (local.set $x (v128.load64_splat (local.get $a)))
          (local.set $c00 (f64x2.add (local.get $c00) (f64x2.mul (local.get $x) (local.get $b0))))
          (local.set $c01 (f64x2.add (local.get $c01) (f64x2.mul (local.get $x) (local.get $b1))))
          (local.set $x (v128.load64_splat offset=8 (local.get $a)))
          (local.set $c10 (f64x2.add (local.get $c10) (f64x2.mul (local.get $x) (local.get $b0))))
          (local.set $c11 (f64x2.add (local.get $c11) (f64x2.mul (local.get $x) (local.get $b1))))
          (local.set $x (v128.load64_splat offset=16 (local.get $a)))
          (local.set $c20 (f64x2.add (local.get $c20) (f64x2.mul (local.get $x) (local.get $b0))))
          (local.set $c21 (f64x2.add (local.get $c21) (f64x2.mul (local.get $x) (local.get $b1))))
          (local.set $x (v128.load64_splat offset=24 (local.get $a)))
          (local.set $c30 (f64x2.add (local.get $c30) (f64x2.mul (local.get $x) (local.get $b0))))
          (local.set $c31 (f64x2.add (local.get $c31) (f64x2.mul (local.get $x) (local.get $b1))))
          (local.set $a (i32.add (local.get $a) (i32.const 32)))
          (local.set $b (i32.add (local.get $b) (i32.const 32)))
          (br_if $step (i32.lt_u (local.get $a) (local.get $end))))))
    (v128.store (local.get $c) (local.get $c00))
    (v128.store offset=16 (local.get $c) (local.get $c01))
    (v128.store (local.get $row1) (local.get $c10))
    (v128.store offset=16 (local.get $row1) (local.get $c11))
    (v128.store (local.get $row2) (local.get $c20))
    (v128.store offset=16 (local.get $row2) (local.get $c21))
    (v128.store (local.get $row3) (local.get $c30))
    (v128.store offset=16 (local.get $row3) (local.get $c31)))

  ;; C[rows × cols] += Ã · B̃ for one packed block: `rows` a multiple of 4, `cols` a multiple of 8
  ;; (float32) or 4 (float64), `depth` the block's share of the inner dimension, `ldc` C's row
  ;; stride in elements. Column panels outside, row panels inside: each B̃ panel is reused from L1
  ;; by every row panel.
  (func $block (param $a i32) (param $b i32) (param $c i32) (param $rows i32) (param $cols i32) (param $depth i32) (param $ldc i32) (param $double i32) (param $first i32)
    (local $width i32) (local $elementShift i32) (local $rowBytes i32)
    (local $aPanelBytes i32) (local $bPanelBytes i32)
    (local $j i32) (local $i i32) (local $aPanel i32) (local $cTile i32)
    ;; elements are 4 or 8 bytes; a tile is 8 floats or 4 doubles wide (32 bytes either way)
    (local.set $elementShift (select (i32.const 3) (i32.const 2) (local.get $double)))
    (local.set $width (select (i32.const 4) (i32.const 8) (local.get $double)))
    (local.set $rowBytes (i32.shl (local.get $ldc) (local.get $elementShift)))
    (local.set $aPanelBytes (i32.shl (i32.shl (local.get $depth) (i32.const 2)) (local.get $elementShift)))
    (local.set $bPanelBytes (i32.shl (local.get $depth) (i32.const 5)))
    (local.set $j (i32.const 0))
    (block $columnsDone
      (loop $columns
        (br_if $columnsDone (i32.ge_u (local.get $j) (local.get $cols)))
        (local.set $aPanel (local.get $a))
        (local.set $cTile (i32.add (local.get $c) (i32.shl (local.get $j) (local.get $elementShift))))
        (local.set $i (i32.const 0))
        (block $rowsDone
          (loop $rows
            (br_if $rowsDone (i32.ge_u (local.get $i) (local.get $rows)))
            (if (local.get $double)
              (then (call $tileF64 (local.get $aPanel) (local.get $b) (local.get $cTile) (local.get $depth) (local.get $rowBytes)))
              (else (call $tileF32 (local.get $aPanel) (local.get $b) (local.get $cTile) (local.get $depth) (local.get $rowBytes) (local.get $first))))
            (local.set $aPanel (i32.add (local.get $aPanel) (local.get $aPanelBytes)))
            (local.set $cTile (i32.add (local.get $cTile) (i32.shl (local.get $rowBytes) (i32.const 2))))
            (local.set $i (i32.add (local.get $i) (i32.const 4)))
            (br $rows)))
        (local.set $b (i32.add (local.get $b) (local.get $bPanelBytes)))
        (local.set $j (i32.add (local.get $j) (local.get $width)))
        (br $columns))))

  ;; C[rowBegin … rowEnd) = Ã · B̃ for a whole product packed by the driver: for each block of (at
  ;; most) 256 along the depth k, Ã holds every row panel and B̃ every column panel of that block,
  ;; one block after the other, the first block setting those rows of C and the others adding. The C block of 128 rows × 128
  ;; columns being updated and the B̃ panel in use stay in cache while the row panels stream past.
  ;; Two threads split the rows.
  (func $gemm (param $a i32) (param $b i32) (param $c i32) (param $paddedRows i32) (param $paddedCols i32) (param $k i32) (param $ldc i32)
              (param $rowBegin i32) (param $rowEnd i32) (param $double i32)
    (local $elementShift i32) (local $p0 i32) (local $depth i32) (local $aBlock i32) (local $bBlock i32)
    (local $j0 i32) (local $cols i32) (local $i0 i32) (local $rows i32)
    (local.set $elementShift (select (i32.const 3) (i32.const 2) (local.get $double)))
    ;; float32's first depth block stores every tile of those rows rather than adding to it: C
    ;; needs zeroing only for float64 tiles (which add) or when there is no depth block at all
    (if (i32.or (local.get $double) (i32.eqz (local.get $k)))
      (then
        (memory.fill
          (i32.add (local.get $c) (i32.shl (i32.mul (local.get $rowBegin) (local.get $ldc)) (local.get $elementShift)))
          (i32.const 0)
          (i32.shl (i32.mul (i32.sub (local.get $rowEnd) (local.get $rowBegin)) (local.get $ldc)) (local.get $elementShift)))))
    (local.set $p0 (i32.const 0))
    (block $depthDone
      (loop $depthBlocks
        (br_if $depthDone (i32.ge_u (local.get $p0) (local.get $k)))
        (local.set $depth (select (i32.const 256) (i32.sub (local.get $k) (local.get $p0))
          (i32.gt_u (i32.sub (local.get $k) (local.get $p0)) (i32.const 256))))
        ;; every earlier depth block is 256 deep
        (local.set $aBlock (i32.add (local.get $a) (i32.shl (i32.mul (local.get $p0) (local.get $paddedRows)) (local.get $elementShift))))
        (local.set $bBlock (i32.add (local.get $b) (i32.shl (i32.mul (local.get $p0) (local.get $paddedCols)) (local.get $elementShift))))
        (local.set $j0 (i32.const 0))
        (block $columnsDone
          (loop $columnBlocks
            (br_if $columnsDone (i32.ge_u (local.get $j0) (local.get $paddedCols)))
            (local.set $cols (select (i32.const 128) (i32.sub (local.get $paddedCols) (local.get $j0))
              (i32.gt_u (i32.sub (local.get $paddedCols) (local.get $j0)) (i32.const 128))))
            (local.set $i0 (local.get $rowBegin))
            (block $rowsDone
              (loop $rowBlocks
                (br_if $rowsDone (i32.ge_u (local.get $i0) (local.get $rowEnd)))
                (local.set $rows (select (i32.const 128) (i32.sub (local.get $rowEnd) (local.get $i0))
                  (i32.gt_u (i32.sub (local.get $rowEnd) (local.get $i0)) (i32.const 128))))
                (call $block
                  (i32.add (local.get $aBlock) (i32.shl (i32.mul (local.get $i0) (local.get $depth)) (local.get $elementShift)))
                  (i32.add (local.get $bBlock) (i32.shl (i32.mul (local.get $j0) (local.get $depth)) (local.get $elementShift)))
                  (i32.add (local.get $c) (i32.shl (i32.add (i32.mul (local.get $i0) (local.get $ldc)) (local.get $j0)) (local.get $elementShift)))
                  (local.get $rows) (local.get $cols) (local.get $depth) (local.get $ldc) (local.get $double) (i32.eqz (local.get $p0)))
                (local.set $i0 (i32.add (local.get $i0) (local.get $rows)))
                (br $rowBlocks)))
            (local.set $j0 (i32.add (local.get $j0) (local.get $cols)))
            (br $columnBlocks)))
        (local.set $p0 (i32.add (local.get $p0) (i32.const 256)))
        (br $depthBlocks))))

  ;; Packs one depth block p0 … p0+depth−1 of a float32 matrix X [rows, k] (stored whole at src,
  ;; row-major with row stride ld, or column-major with column stride ld) into panels of w rows
  ;; (w = 4 or 8) at dst, as the driver's JS packers do: panel after panel, and within a panel, for
  ;; each p, the w values X[r … r+w−1][p] side by side; rows past `rows` are zeros. Ã is X = A
  ;; with w = 4; B̃ is X = Bᵀ with w = 8. Column-major panels are straight vector copies; row-major
  ;; ones are transposed four rows by four columns at a time with shuffles.
  (func (export "packPanelsF32")
    (param $src i32) (param $ld i32) (param $columnMajor i32) (param $rows i32) (param $paddedRows i32)
    (param $p0 i32) (param $depth i32) (param $w i32) (param $dst i32)
    (local $r i32) (local $q i32) (local $t i32) (local $g i32) (local $at i32) (local $stepBytes i32)
    (local $qStep i32) (local $to i32) (local $end i32)
    (local $r0 v128) (local $r1 v128) (local $r2 v128) (local $r3 v128) (local $lo v128) (local $hi v128) (local $lo2 v128) (local $hi2 v128)
    (local.set $stepBytes (i32.shl (local.get $w) (i32.const 2)))
    (block $panelsDone (loop $eachPanel
      (br_if $panelsDone (i32.ge_u (local.get $r) (local.get $paddedRows)))
      (local.set $q (i32.const 0))
      (if (i32.gt_u (i32.add (local.get $r) (local.get $w)) (local.get $rows))
        (then
          ;; the last, partial panel: zeros, then each live row's values one at a time down the
          ;; depth, qStep bytes apart in X. Measured against a value per lane and p with a test for
          ;; the padding: 1.25× faster for the 16 × 4096 × 9 product of a convolution's weight
          ;; gradient, whose B̃ ends in a panel of 1 live row (its packing 2.4×)
          (memory.fill (local.get $dst) (i32.const 0) (i32.mul (local.get $depth) (local.get $stepBytes)))
          (local.set $qStep (select (i32.shl (local.get $ld) (i32.const 2)) (i32.const 4) (local.get $columnMajor)))
          (local.set $t (i32.const 0))
          (block $rowsDone (loop $eachRow
            (br_if $rowsDone (i32.ge_u (i32.add (local.get $r) (local.get $t)) (local.get $rows)))
            (local.set $at (call $elementAt (local.get $src) (local.get $ld) (local.get $columnMajor)
              (i32.add (local.get $r) (local.get $t)) (local.get $p0)))
            (local.set $to (i32.add (local.get $dst) (i32.shl (local.get $t) (i32.const 2))))
            (local.set $end (i32.add (local.get $to) (i32.mul (local.get $depth) (local.get $stepBytes))))
            (block $done (loop $next
              (br_if $done (i32.ge_u (local.get $to) (local.get $end)))
              (f32.store (local.get $to) (f32.load (local.get $at)))
              (local.set $at (i32.add (local.get $at) (local.get $qStep)))
              (local.set $to (i32.add (local.get $to) (local.get $stepBytes)))
              (br $next)))
            (local.set $t (i32.add (local.get $t) (i32.const 1)))
            (br $eachRow))))
        (else
          (if (local.get $columnMajor)
            (then
              ;; X[r … r+w−1][p] is a contiguous run: copy it
              (block $done (loop $next
                (br_if $done (i32.ge_u (local.get $q) (local.get $depth)))
                (local.set $at (call $elementAt (local.get $src) (local.get $ld) (i32.const 1) (local.get $r) (i32.add (local.get $p0) (local.get $q))))
                (local.set $g (i32.add (local.get $dst) (i32.mul (local.get $q) (local.get $stepBytes))))
                (v128.store (local.get $g) (v128.load (local.get $at)))
                (if (i32.eq (local.get $w) (i32.const 8))
                  (then (v128.store offset=16 (local.get $g) (v128.load offset=16 (local.get $at)))))
                (local.set $q (i32.add (local.get $q) (i32.const 1)))
                (br $next))))
            (else
              ;; four p at a time: each group of four rows gives a 4 × 4 block, transposed
              (block $done (loop $next
                (br_if $done (i32.gt_u (i32.add (local.get $q) (i32.const 4)) (local.get $depth)))
                (local.set $g (i32.const 0))
                (block $groupsDone (loop $eachGroup
                  (br_if $groupsDone (i32.ge_u (local.get $g) (local.get $w)))
                  (local.set $at (call $elementAt (local.get $src) (local.get $ld) (i32.const 0)
                    (i32.add (local.get $r) (local.get $g)) (i32.add (local.get $p0) (local.get $q))))
                  (local.set $r0 (v128.load (local.get $at)))
                  (local.set $r1 (v128.load (i32.add (local.get $at) (i32.shl (local.get $ld) (i32.const 2)))))
                  (local.set $r2 (v128.load (i32.add (local.get $at) (i32.shl (local.get $ld) (i32.const 3)))))
                  (local.set $r3 (v128.load (i32.add (local.get $at) (i32.mul (local.get $ld) (i32.const 12)))))
                  ;; rows a, b, c, d → (a0 b0 a1 b1), (a2 b2 a3 b3), (c0 d0 c1 d1), (c2 d2 c3 d3)
                  (local.set $lo (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $r0) (local.get $r1)))
                  (local.set $hi (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $r0) (local.get $r1)))
                  (local.set $lo2 (i8x16.shuffle 0 1 2 3 16 17 18 19 4 5 6 7 20 21 22 23 (local.get $r2) (local.get $r3)))
                  (local.set $hi2 (i8x16.shuffle 8 9 10 11 24 25 26 27 12 13 14 15 28 29 30 31 (local.get $r2) (local.get $r3)))
                  ;; → columns (a0 b0 c0 d0) … (a3 b3 c3 d3), each stored at its p
                  (local.set $at (i32.add (i32.add (local.get $dst) (i32.mul (local.get $q) (local.get $stepBytes))) (i32.shl (local.get $g) (i32.const 2))))
                  (v128.store (local.get $at) (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $lo) (local.get $lo2)))
                  (local.set $at (i32.add (local.get $at) (local.get $stepBytes)))
                  (v128.store (local.get $at) (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $lo) (local.get $lo2)))
                  (local.set $at (i32.add (local.get $at) (local.get $stepBytes)))
                  (v128.store (local.get $at) (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $hi) (local.get $hi2)))
                  (local.set $at (i32.add (local.get $at) (local.get $stepBytes)))
                  (v128.store (local.get $at) (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $hi) (local.get $hi2)))
                  (local.set $g (i32.add (local.get $g) (i32.const 4)))
                  (br $eachGroup)))
                (local.set $q (i32.add (local.get $q) (i32.const 4)))
                (br $next)))
              ;; the last p (fewer than four): one value at a time
              (block $done (loop $next
                (br_if $done (i32.ge_u (local.get $q) (local.get $depth)))
                (local.set $t (i32.const 0))
                (block $laneDone (loop $lane
                  (br_if $laneDone (i32.ge_u (local.get $t) (local.get $w)))
                  (f32.store
                    (i32.add (local.get $dst) (i32.shl (i32.add (i32.mul (local.get $q) (local.get $w)) (local.get $t)) (i32.const 2)))
                    (f32.load (call $elementAt (local.get $src) (local.get $ld) (i32.const 0)
                      (i32.add (local.get $r) (local.get $t)) (i32.add (local.get $p0) (local.get $q)))))
                  (local.set $t (i32.add (local.get $t) (i32.const 1)))
                  (br $lane)))
                (local.set $q (i32.add (local.get $q) (i32.const 1)))
                (br $next)))))))
      (local.set $dst (i32.add (local.get $dst) (i32.mul (local.get $depth) (local.get $stepBytes))))
      (local.set $r (i32.add (local.get $r) (local.get $w)))
      (br $eachPanel))))

  ;; The byte address of float32 X[i][p] stored at src, row-major (X[i][p] at i·ld + p) or
  ;; column-major (at p·ld + i).
  (func $elementAt (param $src i32) (param $ld i32) (param $columnMajor i32) (param $i i32) (param $p i32) (result i32)
    (i32.add (local.get $src)
      (i32.shl
        (select
          (i32.add (i32.mul (local.get $p) (local.get $ld)) (local.get $i))
          (i32.add (i32.mul (local.get $i) (local.get $ld)) (local.get $p))
          (local.get $columnMajor))
        (i32.const 2))))

  ;; Packs the n × m result held in C (row stride ldc) into n·m contiguous elements at C's start,
  ;; so the driver copies it out in one piece. Row i moves down to i·m (never past its own start,
  ;; and memory.copy allows the overlap).
  (func (export "compact") (param $c i32) (param $ldc i32) (param $n i32) (param $m i32) (param $double i32)
    (local $elementShift i32) (local $i i32)
    (local.set $elementShift (select (i32.const 3) (i32.const 2) (local.get $double)))
    (local.set $i (i32.const 1))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
      (memory.copy
        (i32.add (local.get $c) (i32.shl (i32.mul (local.get $i) (local.get $m)) (local.get $elementShift)))
        (i32.add (local.get $c) (i32.shl (i32.mul (local.get $i) (local.get $ldc)) (local.get $elementShift)))
        (i32.shl (local.get $m) (local.get $elementShift)))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $next))))

  (func (export "gemmF32") (param $a i32) (param $b i32) (param $c i32) (param $paddedRows i32) (param $paddedCols i32) (param $k i32) (param $ldc i32)
              (param $rowBegin i32) (param $rowEnd i32)
    (call $gemm (local.get $a) (local.get $b) (local.get $c) (local.get $paddedRows) (local.get $paddedCols) (local.get $k) (local.get $ldc)
      (local.get $rowBegin) (local.get $rowEnd) (i32.const 0)))

  (func (export "gemmF64") (param $a i32) (param $b i32) (param $c i32) (param $paddedRows i32) (param $paddedCols i32) (param $k i32) (param $ldc i32)
              (param $rowBegin i32) (param $rowEnd i32)
    (call $gemm (local.get $a) (local.get $b) (local.get $c) (local.get $paddedRows) (local.get $paddedCols) (local.get $k) (local.get $ldc)
      (local.get $rowBegin) (local.get $rowEnd) (i32.const 1))))
