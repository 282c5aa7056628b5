;; Optimizer updates for nabla, in WebAssembly SIMD (128-bit vectors): the fused float32 loops of
;; sgd.ts and adam.ts, four elements at a time, over a parameter, its gradient and its state that
;; the JS driver (simd-updates.ts) has copied into the module's memory. Every operation is the
;; float32 one the JS loop rounds to, in the same order, so the results are the same bits (for
;; +, −, ×, ÷ and √, rounding the float64 result to float32 gives the float32 operation's result).
;;
;; Pointers are byte offsets, 16-byte aligned. The loops work on whole vectors: up to three values
;; past n are read and written, inside the 16 bytes of slack the driver leaves after each array.

(module
  ;; The memory is the caller's (the driver grows it to fit the arrays).
  (import "env" "memory" (memory 1 32768))

  ;; Adam (decoupled = 0) or AdamW (decoupled = 1) for n elements:
  ;;   θ ← θ·shrink (AdamW) or g ← g + θ·decay (Adam with weight decay, decayGrad = 1)
  ;;   m ← m·β₁ + g·(1 − β₁),  v ← v·β₂ + (g·g)·(1 − β₂)
  ;;   with amsgrad, v̂ ← max(v̂, v) (NaN if either is NaN) and v̂ replaces v below
  ;;   θ ← θ + (m / (√v / c₂ + ε))·(−step size)
  (func (export "adamF32")
    (param $theta i32) (param $g i32) (param $m i32) (param $v i32) (param $vMax i32) (param $n i32)
    (param $shrink f32) (param $decay f32) (param $beta1 f32) (param $beta2 f32) (param $gradScale1 f32) (param $gradScale2 f32)
    (param $correction2 f32) (param $eps f32) (param $negativeStepSize f32)
    (param $decoupled i32) (param $decayGrad i32) (param $amsgrad i32)
    (local $at i32) (local $end i32) (local $thetaI v128) (local $gI v128) (local $mI v128) (local $vI v128) (local $previous v128) (local $second v128)
    (local $shrinks v128) (local $decays v128) (local $beta1s v128) (local $beta2s v128) (local $gradScale1s v128) (local $gradScale2s v128)
    (local $correction2s v128) (local $epss v128) (local $negativeStepSizes v128)
    (local.set $shrinks (f32x4.splat (local.get $shrink)))
    (local.set $decays (f32x4.splat (local.get $decay)))
    (local.set $beta1s (f32x4.splat (local.get $beta1)))
    (local.set $beta2s (f32x4.splat (local.get $beta2)))
    (local.set $gradScale1s (f32x4.splat (local.get $gradScale1)))
    (local.set $gradScale2s (f32x4.splat (local.get $gradScale2)))
    (local.set $correction2s (f32x4.splat (local.get $correction2)))
    (local.set $epss (f32x4.splat (local.get $eps)))
    (local.set $negativeStepSizes (f32x4.splat (local.get $negativeStepSize)))
    (local.set $end (i32.shl (local.get $n) (i32.const 2)))
    (block $done (loop $next
      (br_if $done (i32.ge_s (local.get $at) (local.get $end)))
      (local.set $thetaI (v128.load (i32.add (local.get $theta) (local.get $at))))
      (local.set $gI (v128.load (i32.add (local.get $g) (local.get $at))))
      (if (local.get $decoupled)
        (then (local.set $thetaI (f32x4.mul (local.get $thetaI) (local.get $shrinks))))
        (else
          (if (local.get $decayGrad)
            (then (local.set $gI (f32x4.add (local.get $gI) (f32x4.mul (local.get $thetaI) (local.get $decays))))))))
      (local.set $mI
        (f32x4.add
          (f32x4.mul (v128.load (i32.add (local.get $m) (local.get $at))) (local.get $beta1s))
          (f32x4.mul (local.get $gI) (local.get $gradScale1s))))
      (local.set $vI
        (f32x4.add
          (f32x4.mul (v128.load (i32.add (local.get $v) (local.get $at))) (local.get $beta2s))
          (f32x4.mul (f32x4.mul (local.get $gI) (local.get $gI)) (local.get $gradScale2s))))
      (v128.store (i32.add (local.get $m) (local.get $at)) (local.get $mI))
      (v128.store (i32.add (local.get $v) (local.get $at)) (local.get $vI))
      (local.set $second (local.get $vI))
      (if (local.get $amsgrad)
        (then
          (local.set $previous (v128.load (i32.add (local.get $vMax) (local.get $at))))
          ;; previous > v ? previous : v, then NaN wherever either is NaN (x ≠ x only for NaN)
          (local.set $second
            (v128.bitselect
              (v128.const f32x4 nan nan nan nan)
              (v128.bitselect (local.get $previous) (local.get $vI) (f32x4.gt (local.get $previous) (local.get $vI)))
              (v128.or (f32x4.ne (local.get $previous) (local.get $previous)) (f32x4.ne (local.get $vI) (local.get $vI)))))
          (v128.store (i32.add (local.get $vMax) (local.get $at)) (local.get $second))))
      (v128.store (i32.add (local.get $theta) (local.get $at))
        (f32x4.add
          (local.get $thetaI)
          (f32x4.mul
            (f32x4.div
              (local.get $mI)
              (f32x4.add (f32x4.div (f32x4.sqrt (local.get $second)) (local.get $correction2s)) (local.get $epss)))
            (local.get $negativeStepSizes))))
      (local.set $at (i32.add (local.get $at) (i32.const 16)))
      (br $next))))

  ;; SGD for n elements, d starting as the gradient:
  ;;   d ← d + θ·decay (hasDecay = 1)
  ;;   with a momentum buffer b (hasBuffer = 1): b ← d on its first step (startsBuffer = 1), else
  ;;   b ← b·momentum + d·(1 − dampening); then d ← d + b·momentum (nesterov = 1) or d ← b
  ;;   θ ← θ + d·(−lr)
  (func (export "sgdF32")
    (param $theta i32) (param $g i32) (param $buffer i32) (param $n i32)
    (param $decay f32) (param $momentum f32) (param $directionScale f32) (param $negativeLr f32)
    (param $hasDecay i32) (param $hasBuffer i32) (param $startsBuffer i32) (param $nesterov i32)
    (local $at i32) (local $end i32) (local $thetaI v128) (local $d v128) (local $b v128)
    (local $decays v128) (local $momentums v128) (local $directionScales v128) (local $negativeLrs v128)
    (local.set $decays (f32x4.splat (local.get $decay)))
    (local.set $momentums (f32x4.splat (local.get $momentum)))
    (local.set $directionScales (f32x4.splat (local.get $directionScale)))
    (local.set $negativeLrs (f32x4.splat (local.get $negativeLr)))
    (local.set $end (i32.shl (local.get $n) (i32.const 2)))
    (block $done (loop $next
      (br_if $done (i32.ge_s (local.get $at) (local.get $end)))
      (local.set $thetaI (v128.load (i32.add (local.get $theta) (local.get $at))))
      (local.set $d (v128.load (i32.add (local.get $g) (local.get $at))))
      (if (local.get $hasDecay)
        (then (local.set $d (f32x4.add (local.get $d) (f32x4.mul (local.get $thetaI) (local.get $decays))))))
      (if (local.get $hasBuffer)
        (then
          (local.set $b
            (select (result v128)
              (local.get $d)
              (f32x4.add
                (f32x4.mul (v128.load (i32.add (local.get $buffer) (local.get $at))) (local.get $momentums))
                (f32x4.mul (local.get $d) (local.get $directionScales)))
              (local.get $startsBuffer)))
          (v128.store (i32.add (local.get $buffer) (local.get $at)) (local.get $b))
          (local.set $d
            (select (result v128)
              (f32x4.add (local.get $d) (f32x4.mul (local.get $b) (local.get $momentums)))
              (local.get $b)
              (local.get $nesterov)))))
      (v128.store (i32.add (local.get $theta) (local.get $at))
        (f32x4.add (local.get $thetaI) (f32x4.mul (local.get $d) (local.get $negativeLrs))))
      (local.set $at (i32.add (local.get $at) (i32.const 16)))
      (br $next))))
)
