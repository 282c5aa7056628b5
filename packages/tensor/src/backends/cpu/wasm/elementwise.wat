;; Elementwise arithmetic for nabla, in WebAssembly SIMD (128-bit vectors): out = a op b over float32
;; rows in the heap: copied there by the JS driver (elementwise.ts), or where the operands live. Each operand is a
;; row of n values or one value spread over its row (`splat`), and steps `rowStep` bytes from one
;; row to the next: a whole operand steps n values, a row broadcast down the rows 0, a column of one
;; value per row 1 value, a single value 0. The results are the float32 operations' own, the same
;; bits as JS computing in float64 and rounding to float32 (for +, −, ×, ÷ the double rounding is
;; harmless).
;;
;; Pointers are byte offsets. The loops work on whole vectors: the last vector of a row reads up to
;; three values past its end and writes up to three past the end of its output row, which is where
;; the next output row starts (written later) or, after the last row, 16 bytes of slack the driver
;; leaves after each region.

(module
  ;; The memory is the caller's (the driver grows it to fit a block).
  (import "env" "memory" (memory 1 32768))

  ;; op: 0 add, 1 subtract, 2 multiply, 3 divide.
  (func (export "binaryF32")
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
              (if (result v128) (i32.eq (local.get $op) (i32.const 3))
                (then (f32x4.div (local.get $x) (local.get $y)))
                (else (f32x4.mul (local.get $x) (local.get $y)))))))
        (local.set $at (i32.add (local.get $at) (i32.const 16)))
        (br $next)))
      (local.set $a (i32.add (local.get $a) (local.get $aRowStep)))
      (local.set $b (i32.add (local.get $b) (local.get $bRowStep)))
      (local.set $out (i32.add (local.get $out) (local.get $end)))
      (local.set $row (i32.add (local.get $row) (i32.const 1)))
      (br $eachRow))))
)
