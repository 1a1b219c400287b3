// AssemblyScript source of the lab's SIMD kernels for the wasm backend (src/core/kernels/wasm.ts):
// the element-wise and row-wise parts of the fused kernels (GELU, LayerNorm, attention softmax,
// AdamW), four float32 lanes at a time (WebAssembly SIMD, f32x4). Compiled by
// `npm run build:simd` (src/cli/buildSimd.ts) into ../binary.ts; not part of the TypeScript build.
//
// The memory is imported: the module is instantiated on tfjs-wasm's own heap (shared in a
// cross-origin isolated page, where tfjs runs threads: a second build declares it shared), so
// the kernels read and write tensors where they are, by byte address, with no copies; lengths
// are element counts. The module has no data segment: instantiating it writes nothing there. A row of H values is
// taken in chunks of 4 lanes, the last H % 4 values one lane at a time through the same vector
// code (a splatted value, lane 0 kept), so both paths compute the same numbers.

const LOG2E: f32 = 1.44269504;
const LN2_HI: f32 = 0.693359375;
const LN2_LO: f32 = -2.12194440e-4;
/** Below this e^x is under float32's normal range: the result is 0. */
const EXP_MIN: f32 = -87.0;
const SIGN: v128 = i32x4(0x80000000, 0x80000000, 0x80000000, 0x80000000);

// tfjs's erf (Abramowitz-Stegun 7.1.26), as in dense.ts.
const ERF_PS: f32 = 0.3275911 * 0.70710678118654752;
const ERF_A1: f32 = 0.254829592;
const ERF_A2: f32 = -0.284496736;
const ERF_A3: f32 = 1.421413741;
const ERF_A4: f32 = -1.453152027;
const ERF_A5: f32 = 1.061405429;
const INV_SQRT_2PI: f32 = 0.3989422804014327;

@inline function splat(x: f32): v128 {
  return f32x4.splat(x);
}

@inline function fma(a: v128, b: v128, c: f32): v128 {
  return f32x4.add(f32x4.mul(a, b), splat(c));
}

@inline function hsum(v: v128): f32 {
  return f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1) + (f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3));
}

@inline function hmax(v: v128): f32 {
  return max(max(f32x4.extract_lane(v, 0), f32x4.extract_lane(v, 1)), max(f32x4.extract_lane(v, 2), f32x4.extract_lane(v, 3)));
}

@inline function ld(p: usize, i: i32): v128 {
  return v128.load(p + (<usize>i << 2));
}

@inline function st(p: usize, i: i32, v: v128): void {
  v128.store(p + (<usize>i << 2), v);
}

@inline function lds(p: usize, i: i32): f32 {
  return load<f32>(p + (<usize>i << 2));
}

@inline function sts(p: usize, i: i32, v: f32): void {
  store<f32>(p + (<usize>i << 2), v);
}

/**
 * e^x per lane: x = k ln 2 + r (|r| <= ln 2 / 2, ln 2 in two parts), e^r by its Taylor
 * polynomial of degree 7 (relative error ~1e-7), 2^k built in the exponent bits. 0 below
 * EXP_MIN; NaN stays NaN. x must be below 88.
 */
@inline function expV(x: v128): v128 {
  const under = f32x4.lt(x, splat(EXP_MIN));
  const xc = f32x4.max(x, splat(EXP_MIN));
  const k = f32x4.nearest(f32x4.mul(xc, splat(LOG2E)));
  let r = f32x4.sub(xc, f32x4.mul(k, splat(LN2_HI)));
  r = f32x4.sub(r, f32x4.mul(k, splat(LN2_LO)));
  let p = fma(splat(<f32>(1.0 / 5040.0)), r, <f32>(1.0 / 720.0));
  p = fma(p, r, <f32>(1.0 / 120.0));
  p = fma(p, r, <f32>(1.0 / 24.0));
  p = fma(p, r, <f32>(1.0 / 6.0));
  p = fma(p, r, 0.5);
  p = fma(p, r, 1.0);
  p = fma(p, r, 1.0);
  const two = i32x4.shl(i32x4.add(i32x4.trunc_sat_f32x4_s(k), i32x4.splat(127)), 23);
  return v128.andnot(f32x4.mul(p, two), under);
}

/** erf(|z| / sqrt 2) per lane from e^(-z^2 / 2) (`pdf`, computed by the caller). */
@inline function erfAbsV(a: v128, pdf: v128): v128 {
  const t = f32x4.div(splat(1.0), fma(a, splat(ERF_PS), 1.0));
  let p = fma(splat(ERF_A5), t, ERF_A4);
  p = fma(p, t, ERF_A3);
  p = fma(p, t, ERF_A2);
  p = fma(p, t, ERF_A1);
  return f32x4.sub(splat(1.0), f32x4.mul(f32x4.mul(p, t), pdf));
}

/** GELU(z) = z Phi(z) = (z + |z| erf(|z| / sqrt 2)) / 2. */
@inline function geluV(z: v128): v128 {
  const a = f32x4.abs(z);
  const pdf = expV(f32x4.mul(f32x4.mul(z, z), splat(-0.5)));
  return f32x4.mul(f32x4.add(z, f32x4.mul(a, erfAbsV(a, pdf))), splat(0.5));
}

/** dy GELU'(z) = dy (Phi(z) + z phi(z)). */
@inline function geluGradV(dy: v128, z: v128): v128 {
  const a = f32x4.abs(z);
  const pdf = expV(f32x4.mul(f32x4.mul(z, z), splat(-0.5)));
  const e = erfAbsV(a, pdf);
  const se = v128.or(v128.andnot(e, SIGN), v128.and(z, SIGN)); // erf(z / sqrt 2), the sign of z
  const phi = f32x4.mul(f32x4.add(se, splat(1.0)), splat(0.5));
  return f32x4.mul(dy, f32x4.add(phi, f32x4.mul(f32x4.mul(z, pdf), splat(INV_SQRT_2PI))));
}

/** y = GELU(z) over n values (y may be z). */
export function gelu(z: usize, y: usize, n: i32): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) st(y, i, geluV(ld(z, i)));
  for (; i < n; i++) sts(y, i, f32x4.extract_lane(geluV(splat(lds(z, i))), 0));
}

/** d = dy GELU'(z) over n values. */
export function geluGrad(dy: usize, z: usize, d: usize, n: i32): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) st(d, i, geluGradV(ld(dy, i), ld(z, i)));
  for (; i < n; i++) sts(d, i, f32x4.extract_lane(geluGradV(splat(lds(dy, i)), splat(lds(z, i))), 0));
}

/**
 * LayerNorm rows: v = x (mode 0), x + r (1) or x k + r (2); y = xhat gamma + beta with
 * xhat = (v - mean) rstd, rstd = 1 / sqrt(var + eps) (biased variance); s [M, H + 1] gets xhat
 * and rstd. y holds v between the passes.
 */
export function layerNorm(x: usize, r: usize, k: usize, g: usize, b: usize, y: usize, s: usize, M: i32, H: i32, eps: f32, mode: i32): void {
  const H4 = H & ~3;
  for (let row = 0; row < M; row++) {
    const o = row * H;
    const w = row * (H + 1);
    let acc = splat(0);
    let sum: f32 = 0;
    for (let c = 0; c < H4; c += 4) {
      let v = ld(x, o + c);
      if (mode == 2) v = f32x4.add(f32x4.mul(v, ld(k, o + c)), ld(r, o + c));
      else if (mode == 1) v = f32x4.add(v, ld(r, o + c));
      st(y, o + c, v);
      acc = f32x4.add(acc, v);
    }
    for (let c = H4; c < H; c++) {
      let v = lds(x, o + c);
      if (mode == 2) v = v * lds(k, o + c) + lds(r, o + c);
      else if (mode == 1) v = v + lds(r, o + c);
      sts(y, o + c, v);
      sum += v;
    }
    const mean = (hsum(acc) + sum) / <f32>H;
    const mv = splat(mean);
    acc = splat(0);
    sum = 0;
    for (let c = 0; c < H4; c += 4) {
      const d = f32x4.sub(ld(y, o + c), mv);
      acc = f32x4.add(acc, f32x4.mul(d, d));
    }
    for (let c = H4; c < H; c++) {
      const d = lds(y, o + c) - mean;
      sum += d * d;
    }
    const rstd: f32 = 1.0 / Mathf.sqrt((hsum(acc) + sum) / <f32>H + eps);
    const rv = splat(rstd);
    for (let c = 0; c < H4; c += 4) {
      const xh = f32x4.mul(f32x4.sub(ld(y, o + c), mv), rv);
      st(s, w + c, xh);
      st(y, o + c, f32x4.add(f32x4.mul(xh, ld(g, c)), ld(b, c)));
    }
    for (let c = H4; c < H; c++) {
      const xh = (lds(y, o + c) - mean) * rstd;
      sts(s, w + c, xh);
      sts(y, o + c, xh * lds(g, c) + lds(b, c));
    }
    sts(s, w + H, rstd);
  }
}

/**
 * LayerNorm gradient rows: dv = rstd (q - mean(q) - xhat mean(q xhat)), q = dy gamma;
 * sg += dy xhat, sb += dy ([H] sums over the rows: dgamma, dbeta; the caller zeroes them);
 * dx = dv k (mode 2) or dv (mode 1); mode 0 writes no dx.
 */
export function layerNormGrad(dy: usize, s: usize, g: usize, dv: usize, dx: usize, k: usize, sg: usize, sb: usize, M: i32, H: i32, mode: i32): void {
  const H4 = H & ~3;
  for (let row = 0; row < M; row++) {
    const o = row * H;
    const w = row * (H + 1);
    let av = splat(0);
    let bv = splat(0);
    let a: f32 = 0;
    let b: f32 = 0;
    for (let c = 0; c < H4; c += 4) {
      const d = ld(dy, o + c);
      const xh = ld(s, w + c);
      const q = f32x4.mul(d, ld(g, c));
      av = f32x4.add(av, q);
      bv = f32x4.add(bv, f32x4.mul(q, xh));
      st(sg, c, f32x4.add(ld(sg, c), f32x4.mul(d, xh)));
      st(sb, c, f32x4.add(ld(sb, c), d));
    }
    for (let c = H4; c < H; c++) {
      const d = lds(dy, o + c);
      const xh = lds(s, w + c);
      const q = d * lds(g, c);
      a += q;
      b += q * xh;
      sts(sg, c, lds(sg, c) + d * xh);
      sts(sb, c, lds(sb, c) + d);
    }
    const ma = (hsum(av) + a) / <f32>H;
    const mb = (hsum(bv) + b) / <f32>H;
    const rstd = lds(s, w + H);
    const mav = splat(ma);
    const mbv = splat(mb);
    const rv = splat(rstd);
    for (let c = 0; c < H4; c += 4) {
      const q = f32x4.mul(ld(dy, o + c), ld(g, c));
      const v = f32x4.mul(f32x4.sub(f32x4.sub(q, mav), f32x4.mul(ld(s, w + c), mbv)), rv);
      st(dv, o + c, v);
      if (mode == 2) st(dx, o + c, f32x4.mul(v, ld(k, o + c)));
      else if (mode == 1) st(dx, o + c, v);
    }
    for (let c = H4; c < H; c++) {
      const v = (lds(dy, o + c) * lds(g, c) - ma - lds(s, w + c) * mb) * rstd;
      sts(dv, o + c, v);
      if (mode == 2) sts(dx, o + c, v * lds(k, o + c));
      else if (mode == 1) sts(dx, o + c, v);
    }
  }
}

/**
 * Attention softmax rows: p = softmax(scale s + bias) over rows of T, where row r belongs to
 * sequence floor(r / nhT) and bias is [N, T]; pd = p k when masked.
 */
export function softmax(s: usize, bias: usize, p: usize, pd: usize, k: usize, rows: i32, T: i32, nhT: i32, scale: f32, masked: i32): void {
  const T4 = T & ~3;
  const sv = splat(scale);
  for (let row = 0; row < rows; row++) {
    const o = row * T;
    const bo = (row / nhT) * T;
    let mv = splat(-Infinity);
    let m: f32 = -Infinity;
    for (let c = 0; c < T4; c += 4) {
      const z = f32x4.add(f32x4.mul(ld(s, o + c), sv), ld(bias, bo + c));
      st(p, o + c, z);
      mv = f32x4.max(mv, z);
    }
    for (let c = T4; c < T; c++) {
      const z = lds(s, o + c) * scale + lds(bias, bo + c);
      sts(p, o + c, z);
      m = max(m, z);
    }
    m = max(m, hmax(mv));
    const mm = splat(m);
    let ev = splat(0);
    let e: f32 = 0;
    for (let c = 0; c < T4; c += 4) {
      const x = expV(f32x4.sub(ld(p, o + c), mm));
      st(p, o + c, x);
      ev = f32x4.add(ev, x);
    }
    for (let c = T4; c < T; c++) {
      const x = f32x4.extract_lane(expV(splat(lds(p, o + c) - m)), 0);
      sts(p, o + c, x);
      e += x;
    }
    const inv: f32 = 1.0 / (hsum(ev) + e);
    const iv = splat(inv);
    for (let c = 0; c < T4; c += 4) {
      const x = f32x4.mul(ld(p, o + c), iv);
      st(p, o + c, x);
      if (masked) st(pd, o + c, f32x4.mul(x, ld(k, o + c)));
    }
    for (let c = T4; c < T; c++) {
      const x = lds(p, o + c) * inv;
      sts(p, o + c, x);
      if (masked) sts(pd, o + c, x * lds(k, o + c));
    }
  }
}

/**
 * Attention softmax gradient rows: ds = scale p (dp - rowsum(dp p)), dp = dpd k (masked; then
 * also pd = p k) or dpd.
 */
export function softmaxGrad(dpd: usize, p: usize, ds: usize, pd: usize, k: usize, rows: i32, T: i32, scale: f32, masked: i32): void {
  const T4 = T & ~3;
  const sv = splat(scale);
  for (let row = 0; row < rows; row++) {
    const o = row * T;
    let dv = splat(0);
    let dot: f32 = 0;
    for (let c = 0; c < T4; c += 4) {
      let d = ld(dpd, o + c);
      const pv = ld(p, o + c);
      if (masked) {
        const kv = ld(k, o + c);
        d = f32x4.mul(d, kv);
        st(dpd, o + c, d);
        st(pd, o + c, f32x4.mul(pv, kv));
      }
      dv = f32x4.add(dv, f32x4.mul(d, pv));
    }
    for (let c = T4; c < T; c++) {
      let d = lds(dpd, o + c);
      const pv = lds(p, o + c);
      if (masked) {
        const kv = lds(k, o + c);
        d *= kv;
        sts(dpd, o + c, d);
        sts(pd, o + c, pv * kv);
      }
      dot += d * pv;
    }
    dot += hsum(dv);
    const dotv = splat(dot);
    for (let c = 0; c < T4; c += 4) st(ds, o + c, f32x4.mul(f32x4.mul(sv, ld(p, o + c)), f32x4.sub(ld(dpd, o + c), dotv)));
    for (let c = T4; c < T; c++) sts(ds, o + c, scale * lds(p, o + c) * (lds(dpd, o + c) - dot));
  }
}

/** Sum of squares of n values (float64 total of float32 lane sums per 4,096-value block). */
export function sumSquares(g: usize, n: i32): f64 {
  let total: f64 = 0;
  let i = 0;
  while (i < n) {
    const end = min(n, i + 4096);
    let acc = splat(0);
    let tail: f32 = 0;
    for (; i + 4 <= end; i += 4) {
      const v = ld(g, i);
      acc = f32x4.add(acc, f32x4.mul(v, v));
    }
    for (; i < end; i++) {
      const v = lds(g, i);
      tail += v * v;
    }
    total += <f64>hsum(acc) + <f64>tail;
  }
  return total;
}

/** AdamW: m' = b1 m + c1 g, v' = b2 v + c2 g^2, p' = p keep + step m' / (sqrt(v') + epsHat), into po, mo, vo. */
export function adamw(g: usize, p: usize, m: usize, v: usize, po: usize, mo: usize, vo: usize, n: i32, b1: f32, b2: f32, c1: f32, c2: f32, keep: f32, step: f32, epsHat: f32): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const gv = ld(g, i);
    const mv = f32x4.add(f32x4.mul(ld(m, i), splat(b1)), f32x4.mul(gv, splat(c1)));
    const vv = f32x4.add(f32x4.mul(ld(v, i), splat(b2)), f32x4.mul(f32x4.mul(gv, gv), splat(c2)));
    st(mo, i, mv);
    st(vo, i, vv);
    const u = f32x4.mul(f32x4.div(mv, f32x4.add(f32x4.sqrt(vv), splat(epsHat))), splat(step));
    st(po, i, f32x4.add(f32x4.mul(ld(p, i), splat(keep)), u));
  }
  for (; i < n; i++) {
    const gs = lds(g, i);
    const ms = lds(m, i) * b1 + gs * c1;
    const vs = lds(v, i) * b2 + gs * gs * c2;
    sts(mo, i, ms);
    sts(vo, i, vs);
    sts(po, i, lds(p, i) * keep + (ms / (Mathf.sqrt(vs) + epsHat)) * step);
  }
}

/**
 * Batched transpose: dst[b][c][r] = src[b][r][c] for `batch` matrices of rows x cols. Tiles of
 * 16 x 16 for the caches, 4 x 4 blocks transposed in registers (two rounds of shuffles); the
 * edges (rows or cols not multiples of 4) value by value.
 */
export function transpose(src: usize, dst: usize, batch: i32, rows: i32, cols: i32): void {
  const R4 = rows & ~3;
  const C4 = cols & ~3;
  for (let bi = 0; bi < batch; bi++) {
    const s = src + (<usize>(bi * rows * cols) << 2);
    const d = dst + (<usize>(bi * rows * cols) << 2);
    for (let r0 = 0; r0 < R4; r0 += 16) {
      const r1 = min(r0 + 16, R4);
      for (let c0 = 0; c0 < C4; c0 += 16) {
        const c1 = min(c0 + 16, C4);
        for (let r = r0; r < r1; r += 4) {
          for (let c = c0; c < c1; c += 4) {
            const a0 = ld(s, r * cols + c);
            const a1 = ld(s, (r + 1) * cols + c);
            const a2 = ld(s, (r + 2) * cols + c);
            const a3 = ld(s, (r + 3) * cols + c);
            const t0 = i32x4.shuffle(a0, a1, 0, 4, 1, 5);
            const t1 = i32x4.shuffle(a0, a1, 2, 6, 3, 7);
            const t2 = i32x4.shuffle(a2, a3, 0, 4, 1, 5);
            const t3 = i32x4.shuffle(a2, a3, 2, 6, 3, 7);
            st(d, c * rows + r, i32x4.shuffle(t0, t2, 0, 1, 4, 5));
            st(d, (c + 1) * rows + r, i32x4.shuffle(t0, t2, 2, 3, 6, 7));
            st(d, (c + 2) * rows + r, i32x4.shuffle(t1, t3, 0, 1, 4, 5));
            st(d, (c + 3) * rows + r, i32x4.shuffle(t1, t3, 2, 3, 6, 7));
          }
        }
      }
    }
    // Edges: the last cols % 4 columns of every row, the last rows % 4 rows.
    for (let r = 0; r < R4; r++) for (let c = C4; c < cols; c++) sts(d, c * rows + r, lds(s, r * cols + c));
    for (let r = R4; r < rows; r++) for (let c = 0; c < cols; c++) sts(d, c * rows + r, lds(s, r * cols + c));
  }
}

/**
 * Dropout multipliers from Mulberry32 (src/core/rng.ts), four draws at a time: draw i (from 1)
 * hashes the state s0 + i * 0x6d2b79f5 (mod 2^32), so lanes are independent; out[i] = scale
 * where the hash is below `thr` (keep * 2^32, rounded up; the caller handles thr >= 2^32),
 * else 0: the same values, in the same order, as Rng.fillDropout.
 */
export function dropout(out: usize, n: i32, s0: u32, thr: u32, scale: f32): void {
  const C: u32 = 0x6d2b79f5;
  let s = i32x4.add(i32x4.splat(s0), i32x4(C, C * 2, C * 3, C * 4));
  const step = i32x4.splat(C * 4);
  const t1 = i32x4.splat(1);
  const t61 = i32x4.splat(61);
  const th = i32x4.splat(thr);
  const sv = splat(scale);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    let t = i32x4.mul(v128.xor(s, i32x4.shr_u(s, 15)), v128.or(s, t1));
    t = v128.xor(t, i32x4.add(t, i32x4.mul(v128.xor(t, i32x4.shr_u(t, 7)), v128.or(t, t61))));
    const x = v128.xor(t, i32x4.shr_u(t, 14));
    st(out, i, v128.and(i32x4.lt_u(x, th), sv));
    s = i32x4.add(s, step);
  }
  let ss: u32 = s0 + C * <u32>i;
  for (; i < n; i++) {
    ss += C;
    let t = (ss ^ (ss >>> 15)) * (ss | 1);
    t ^= t + (t ^ (t >>> 7)) * (t | 61);
    sts(out, i, (t ^ (t >>> 14)) < thr ? scale : 0);
  }
}

/**
 * Column sums of a [rows, cols] matrix into out [cols]: rows added four at a time into float32
 * lanes, each block of 256 rows then added into float64 totals (t, scratch of 2 cols doubles),
 * reading the matrix once, in order.
 */
export function colSums(src: usize, rows: i32, cols: i32, out: usize, t: usize): void {
  const C4 = cols & ~3;
  for (let c = 0; c < cols; c++) store<f64>(t + (<usize>c << 3), 0);
  let r = 0;
  while (r < rows) {
    const end = min(rows, r + 256);
    for (let c = 0; c < cols; c++) sts(out, c, 0);
    for (; r + 4 <= end; r += 4) {
      const o = r * cols;
      for (let c = 0; c < C4; c += 4) {
        const s01 = f32x4.add(ld(src, o + c), ld(src, o + cols + c));
        const s23 = f32x4.add(ld(src, o + 2 * cols + c), ld(src, o + 3 * cols + c));
        st(out, c, f32x4.add(ld(out, c), f32x4.add(s01, s23)));
      }
      for (let c = C4; c < cols; c++) sts(out, c, lds(out, c) + (lds(src, o + c) + lds(src, o + cols + c)) + (lds(src, o + 2 * cols + c) + lds(src, o + 3 * cols + c)));
    }
    for (; r < end; r++) for (let c = 0; c < cols; c++) sts(out, c, lds(out, c) + lds(src, r * cols + c));
    for (let c = 0; c < cols; c++) {
      const p = t + (<usize>c << 3);
      store<f64>(p, load<f64>(p) + <f64>lds(out, c));
    }
  }
  for (let c = 0; c < cols; c++) sts(out, c, <f32>load<f64>(t + (<usize>c << 3)));
}

/** dst [A, C, B, D] = src [A, B, C, D] permuted by [0, 2, 1, 3] (attention's heads), D values per copy. */
export function permute0213(src: usize, dst: usize, A: i32, B: i32, C: i32, D: i32): void {
  const D4 = D & ~3;
  for (let a = 0; a < A; a++) {
    for (let c = 0; c < C; c++) {
      for (let b = 0; b < B; b++) {
        const s = ((a * B + b) * C + c) * D;
        const d = ((a * C + c) * B + b) * D;
        for (let k = 0; k < D4; k += 4) st(dst, d + k, ld(src, s + k));
        for (let k = D4; k < D; k++) sts(dst, d + k, lds(src, s + k));
      }
    }
  }
}
