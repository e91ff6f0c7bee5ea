// The image encoder's hot loop — summing source rows column by column — as one WebAssembly SIMD
// function, 16 bytes per instruction: ~4× the JS SWAR loop on a 640×480 frame, which is most of
// a control tick's packing time. The module is small enough to write out by hand; this is its
// text (WAT), and `moduleBytes()` below is the same, instruction for instruction:
//
//   (module
//     (memory (export "memory") 1)
//     ;; dst[16v .. 16v+15] (f32) += Σ_{r < rows} src[r·step + 16v .. +15] (u8), for v < nvec.
//     ;; rows ≤ 257, so a 16-bit lane (257 × 255 = 65535) cannot overflow.
//     (func (export "colsum") (param $src i32) (param $step i32) (param $rows i32) (param $nvec i32) (param $dst i32)
//       (local $v i32) (local $p i32) (local $r i32) (local $lo v128) (local $hi v128) (local $x v128) (local $d i32)
//       (loop $vec
//         (local.set $lo (v128.const i32x4 0 0 0 0))
//         (local.set $hi (v128.const i32x4 0 0 0 0))
//         (local.set $p (i32.add (local.get $src) (i32.shl (local.get $v) (i32.const 4))))
//         (local.set $r (local.get $rows))
//         (loop $row
//           (local.set $x (v128.load (local.get $p)))
//           (local.set $lo (i16x8.add (local.get $lo) (i16x8.extend_low_i8x16_u (local.get $x))))
//           (local.set $hi (i16x8.add (local.get $hi) (i16x8.extend_high_i8x16_u (local.get $x))))
//           (local.set $p (i32.add (local.get $p) (local.get $step)))
//           (br_if $row (local.tee $r (i32.sub (local.get $r) (i32.const 1)))))
//         (local.set $d (i32.add (local.get $dst) (i32.shl (local.get $v) (i32.const 6))))
//         ;; bytes 0-3 ← low half of $lo, 4-7 ← its high half, 8-11 / 12-15 ← $hi's halves
//         (v128.store offset=0 (local.get $d) (f32x4.add (v128.load offset=0 (local.get $d))
//           (f32x4.convert_i32x4_u (i32x4.extend_low_i16x8_u (local.get $lo)))))
//         … offset=16 extend_high $lo, offset=32 extend_low $hi, offset=48 extend_high $hi …
//         (br_if $vec (i32.lt_u (local.tee $v (i32.add (local.get $v) (i32.const 1))) (local.get $nvec))))))

// Opcodes (WebAssembly core spec; SIMD ones follow the 0xfd prefix as LEB128).
const I32 = 0x7f;
const V128 = 0x7b;
const LOOP = 0x03;
const EMPTY_BLOCK = 0x40;
const END = 0x0b;
const BR_IF = 0x0d;
const LOCAL_GET = 0x20;
const LOCAL_SET = 0x21;
const LOCAL_TEE = 0x22;
const I32_CONST = 0x41;
const I32_LT_U = 0x49;
const I32_ADD = 0x6a;
const I32_SUB = 0x6b;
const I32_SHL = 0x74;
const SIMD = {
  load: 0,
  store: 11,
  const: 12,
  i16x8ExtendLowU: 137,
  i16x8ExtendHighU: 138,
  i16x8Add: 142,
  i32x4ExtendLowU: 169,
  i32x4ExtendHighU: 170,
  f32x4Add: 228,
  f32x4ConvertU: 251,
};

function leb(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
  return out;
}

const simd = (code: number): number[] => [0xfd, ...leb(code)];
const get = (i: number): number[] => [LOCAL_GET, i];
const set = (i: number): number[] => [LOCAL_SET, i];
const i32 = (n: number): number[] => [I32_CONST, n]; // small non-negative constants only (< 64)
const mem = (op: number, offset: number): number[] => [...simd(op), 0, ...leb(offset)]; // align hint 1 byte
const section = (id: number, body: number[]): number[] => [id, ...leb(body.length), ...body];
const name = (s: string): number[] => [s.length, ...Array.from(s, (c) => c.charCodeAt(0))];

// Locals: parameters 0-4, then v, p, r, lo, hi, x, d.
const [SRC, STEP, ROWS, NVEC, DST, V, P, R, LO, HI, X, D] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11];

function moduleBytes(): Uint8Array {
  const zero = [...simd(SIMD.const), ...new Array(16).fill(0)];
  const addInto = (offset: number, half: number, extend: number) => [
    ...get(D),
    ...get(D),
    ...mem(SIMD.load, offset),
    ...get(half),
    ...simd(extend),
    ...simd(SIMD.f32x4ConvertU),
    ...simd(SIMD.f32x4Add),
    ...mem(SIMD.store, offset),
  ];
  const body = [
    LOOP, EMPTY_BLOCK,
    ...zero, ...set(LO),
    ...zero, ...set(HI),
    ...get(SRC), ...get(V), ...i32(4), I32_SHL, I32_ADD, ...set(P),
    ...get(ROWS), ...set(R),
    LOOP, EMPTY_BLOCK,
    ...get(P), ...mem(SIMD.load, 0), ...set(X),
    ...get(LO), ...get(X), ...simd(SIMD.i16x8ExtendLowU), ...simd(SIMD.i16x8Add), ...set(LO),
    ...get(HI), ...get(X), ...simd(SIMD.i16x8ExtendHighU), ...simd(SIMD.i16x8Add), ...set(HI),
    ...get(P), ...get(STEP), I32_ADD, ...set(P),
    ...get(R), ...i32(1), I32_SUB, LOCAL_TEE, R,
    BR_IF, 0,
    END,
    ...get(DST), ...get(V), ...i32(6), I32_SHL, I32_ADD, ...set(D),
    ...addInto(0, LO, SIMD.i32x4ExtendLowU),
    ...addInto(16, LO, SIMD.i32x4ExtendHighU),
    ...addInto(32, HI, SIMD.i32x4ExtendLowU),
    ...addInto(48, HI, SIMD.i32x4ExtendHighU),
    ...get(V), ...i32(1), I32_ADD, LOCAL_TEE, V, ...get(NVEC), I32_LT_U,
    BR_IF, 0,
    END,
    END,
  ];
  const locals = [3, 3, I32, 3, V128, 1, I32]; // 3 groups: 3 × i32 (v p r), 3 × v128 (lo hi x), 1 × i32 (d)
  const func = [...locals, ...body];
  return Uint8Array.from([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // "\0asm", version 1
    ...section(1, [1, 0x60, 5, I32, I32, I32, I32, I32, 0]), // type: (i32 × 5) → ()
    ...section(3, [1, 0]), // function 0 has type 0
    ...section(5, [1, 0x00, 1]), // one memory, min 1 page
    ...section(7, [2, ...name("colsum"), 0x00, 0, ...name("memory"), 0x02, 0]),
    ...section(10, [1, ...leb(func.length), ...func]),
  ]);
}

type ColsumFn = (src: number, step: number, rows: number, nvec: number, dst: number) => void;

// The project's lib (ES2023, no DOM) does not declare the WebAssembly JS API; the part used here:
interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object) => { exports: Record<string, unknown> };
}
const wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

/** Rows in wasm memory and the kernel that sums them. Memory layout: [column sums | image rows]. */
export class SimdRowSums {
  private readonly memory: WasmMemory;
  private readonly kernel: ColsumFn;
  /** Byte offset of the copied image. */
  private srcOffset = 0;
  private step = 0;
  private nvec = 0;
  /** Views, remade when memory grows. */
  rows: Uint8Array = new Uint8Array(0);
  sums: Float32Array = new Float32Array(0);

  constructor() {
    const instance = new wasm.Instance(new wasm.Module(moduleBytes()));
    this.memory = instance.exports.memory as WasmMemory;
    this.kernel = instance.exports.colsum as ColsumFn;
  }

  /** Copies the image rows in (one memcpy) and sizes the column sums for rows of `rowBytes`. */
  load(data: Uint8Array, step: number, height: number, rowBytes: number): void {
    this.nvec = Math.ceil(rowBytes / 16);
    this.step = step;
    this.srcOffset = this.nvec * 64;
    // +16: the last 16-byte load of the last row may run past its end (those sums go unread).
    const need = this.srcOffset + step * height + 16;
    if (this.memory.buffer.byteLength < need) this.memory.grow(Math.ceil((need - this.memory.buffer.byteLength) / 65536));
    const buffer = this.memory.buffer;
    this.sums = new Float32Array(buffer, 0, this.nvec * 16);
    this.rows = new Uint8Array(buffer, this.srcOffset, step * height);
    this.rows.set(data.subarray(0, step * height));
  }

  /** sums[k] += Σ_{y0 ≤ y < y1} rows[y·step + k]. */
  addRows(y0: number, y1: number): void {
    for (let c0 = y0; c0 < y1; c0 += 257) {
      this.kernel(this.srcOffset + c0 * this.step, this.step, Math.min(257, y1 - c0), this.nvec, 0);
    }
  }
}

let shared: SimdRowSums | null | undefined;

/** The process's SIMD summer, or null where WebAssembly SIMD is unavailable (then JS runs). */
export function simdRowSums(): SimdRowSums | null {
  if (shared === undefined) {
    try {
      shared = new SimdRowSums();
    } catch (err) {
      // A runtime without wasm SIMD rejects the module: fall back, but say why once.
      process.emitWarning(`omniloop: WebAssembly SIMD unavailable, the image encoder runs in plain JS (${(err as Error).message})`);
      shared = null;
    }
  }
  return shared;
}
