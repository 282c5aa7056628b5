;; A copy, or ReLU, of a strided float32 view into a contiguous output, in WebAssembly SIMD (128-bit
;; vectors), for views whose innermost dim is adjacent values but whose rows are not one run: a
;; convolution's gradient [N, C, H, W] seen as [C, N, H·W] is the case it is for. Its JS driver
;; (strided-unary.ts) copies the storage the view spans into the heap once; the convolution's
;; driver (conv.ts) runs it on what is in the heap already, and adds its bias while it moves the
;; product [C, N, H·W] to [N, C, H·W]. The results are the JS loops', bit for bit: ReLU keeps x
;; where x > 0 or x is a NaN, else gives +0; a bias is added in float32.
;;
;; Pointers and strides are in bytes. Rows are the views' [outer, middle] positions in row-major
;; order, each a run of n values at x + a·outerStride + b·middleStride; the last vector of a run
;; reads up to three values past it and writes up to three past its output row, where the next
;; output row starts (written later) or, after the last, 16 bytes of slack the driver leaves.

(module
  ;; The memory is the caller's (the driver grows it to fit its block).
  (import "env" "memory" (memory 1 32768))

;; op: 0 copy, 1 ReLU, 2 add bias[b] (the float32 at $bias + 4·b) to every value of the rows at middle
;; position b ($bias is read for op 2 only).
  (func (export "rowsF32")
    (param $op i32) (param $x i32) (param $outerStride i32) (param $middleStride i32) (param $outer i32) (param $middle i32) (param $n i32)
    (param $bias i32) (param $out i32)
    (local $a i32) (local $b i32) (local $row i32) (local $k i32) (local $bytes i32) (local $v v128) (local $keep v128) (local $add v128)
    (local.set $bytes (i32.shl (local.get $n) (i32.const 2)))
    ;; a copy keeps every lane: ReLU's test, x > 0 or NaN, or'ed with all ones
    (local.set $keep (if (result v128) (local.get $op) (then (v128.const i32x4 0 0 0 0)) (else (v128.const i32x4 -1 -1 -1 -1))))
    (block $outerDone (loop $eachOuter
      (br_if $outerDone (i32.ge_u (local.get $a) (local.get $outer)))
      (local.set $b (i32.const 0))
      (block $middleDone (loop $eachMiddle
        (br_if $middleDone (i32.ge_u (local.get $b) (local.get $middle)))
        (local.set $row
          (i32.add (local.get $x)
            (i32.add (i32.mul (local.get $a) (local.get $outerStride)) (i32.mul (local.get $b) (local.get $middleStride)))))
        (local.set $k (i32.const 0))
        (if (i32.eq (local.get $op) (i32.const 2))
          (then
            (local.set $add (v128.load32_splat (i32.add (local.get $bias) (i32.shl (local.get $b) (i32.const 2)))))
            (block $d (loop $l
              (br_if $d (i32.ge_u (local.get $k) (local.get $bytes)))
              (v128.store (i32.add (local.get $out) (local.get $k))
                (f32x4.add (v128.load (i32.add (local.get $row) (local.get $k))) (local.get $add)))
              (local.set $k (i32.add (local.get $k) (i32.const 16)))
              (br $l))))
          (else
            (block $d (loop $l
              (br_if $d (i32.ge_u (local.get $k) (local.get $bytes)))
              (local.set $v (v128.load (i32.add (local.get $row) (local.get $k))))
              (v128.store (i32.add (local.get $out) (local.get $k))
                (v128.and (local.get $v)
                  (v128.or (local.get $keep)
                    (v128.or (f32x4.gt (local.get $v) (v128.const f32x4 0 0 0 0)) (f32x4.ne (local.get $v) (local.get $v))))))
              (local.set $k (i32.add (local.get $k) (i32.const 16)))
              (br $l)))))
        (local.set $out (i32.add (local.get $out) (local.get $bytes)))
        (local.set $b (i32.add (local.get $b) (i32.const 1)))
        (br $eachMiddle)))
      (local.set $a (i32.add (local.get $a) (i32.const 1)))
      (br $eachOuter))))
)
