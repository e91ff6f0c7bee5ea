// A streaming .npy writer (NumPy format 1.0): rows are appended as they come and the header's shape
// is rewritten on close, so a file larger than memory is written without holding it. The header
// is padded to a fixed 128 bytes, room for any shape we write, so the rewrite never moves data.
import { closeSync, openSync, writeSync } from "node:fs";

export type NpyDtype = "float32" | "int32" | "int64";

const DESCR: Record<NpyDtype, string> = { float32: "<f4", int32: "<i4", int64: "<i8" };
const HEADER_BYTES = 128;

export type NpyRow = Float32Array | Int32Array | BigInt64Array;

export class NpyWriter {
  readonly path: string;
  readonly dtype: NpyDtype;
  /** Trailing dimensions of one row ([] for a 1-D array of scalars). */
  readonly rowShape: readonly number[];
  readonly #rowLength: number;
  readonly #fd: number;
  #rows = 0;
  #closed = false;
  // Rows are gathered here and written in large pieces: one syscall per row would dominate.
  readonly #buffer = new Uint8Array(1 << 20);
  #buffered = 0;
  #end = 0;

  constructor(path: string, dtype: NpyDtype, rowShape: readonly number[] = []) {
    this.path = path;
    this.dtype = dtype;
    this.rowShape = rowShape;
    this.#rowLength = rowShape.reduce((a, b) => a * b, 1);
    this.#fd = openSync(path, "w");
    this.#write(header(dtype, [0, ...rowShape]));
  }

  get rows(): number {
    return this.#rows;
  }

  /** Appends `n` rows held back to back in `data` (its length must be n × the row length). */
  append(data: NpyRow, n = data.length / this.#rowLength): void {
    if (data.length !== n * this.#rowLength) {
      throw new Error(`${this.path}: ${data.length} values are not ${n} rows of ${this.#rowLength}`);
    }
    const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    if (this.#buffered + bytes.length > this.#buffer.length) this.#flush();
    if (bytes.length >= this.#buffer.length) this.#write(bytes);
    else {
      this.#buffer.set(bytes, this.#buffered);
      this.#buffered += bytes.length;
    }
    this.#rows += n;
  }

  #flush(): void {
    this.#write(this.#buffer.subarray(0, this.#buffered));
    this.#buffered = 0;
  }

  /** Writes at the end of what was written: positions are explicit, since the header rewrite
   * (a positioned write) must not move where data goes. */
  #write(bytes: Uint8Array): void {
    let off = 0;
    while (off < bytes.length) off += writeSync(this.#fd, bytes, off, bytes.length - off, this.#end + off);
    this.#end += bytes.length;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#flush();
    writeSync(this.#fd, header(this.dtype, [this.#rows, ...this.rowShape]), 0, HEADER_BYTES, 0);
    closeSync(this.#fd);
  }
}

function header(dtype: NpyDtype, shape: readonly number[]): Uint8Array {
  const dims = shape.length === 1 ? `${shape[0]},` : shape.join(", ");
  let dict = `{'descr': '${DESCR[dtype]}', 'fortran_order': False, 'shape': (${dims}), }`;
  const room = HEADER_BYTES - 10 - 1; // magic(6) version(2) length(2), newline
  if (dict.length > room) throw new Error(`npy header for shape (${dims}) does not fit ${HEADER_BYTES} bytes`);
  dict = dict.padEnd(room, " ") + "\n";
  const out = new Uint8Array(HEADER_BYTES);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]); // \x93NUMPY v1.0
  new DataView(out.buffer).setUint16(8, HEADER_BYTES - 10, true);
  out.set(new TextEncoder().encode(dict), 10);
  return out;
}
