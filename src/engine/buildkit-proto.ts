// The few protobuf messages a BuildKit session exchanges with the engine, encoded and decoded by hand: the
// file-sync Packet and Stat (tonistiigi/fsutil types/wire.proto, types/stat.proto), the secret request and
// answer (moby.buildkit.secrets.v1), the health check answer, the SSH agent id and bytes messages, and the
// build progress (moby.buildkit.v1 StatusResponse, carried base64 in the build's JSON stream). Eight small
// messages with fixed field numbers do not justify a protobuf library and its schema loading at start-up.
// Pure: buffers in, objects out.

// ---------------------------------------------------------------------------------------------- wire format

/** Appends fields in protobuf wire format. */
export class ProtoWriter {
  private readonly parts: Buffer[] = [];

  private varint(v: bigint | number): void {
    let n = BigInt.asUintN(64, BigInt(v));
    const bytes: number[] = [];
    while (n >= 0x80n) {
      bytes.push(Number(n & 0x7fn) | 0x80);
      n >>= 7n;
    }
    bytes.push(Number(n));
    this.parts.push(Buffer.from(bytes));
  }

  private tag(field: number, wire: number): void {
    this.varint((field << 3) | wire);
  }

  /** A varint field (int32, int64, uint32, enum, bool); zero is left out, as proto3 does. */
  uint(field: number, v: bigint | number | boolean | undefined): this {
    const n = typeof v === 'boolean' ? Number(v) : v;
    if (n === undefined || n === 0 || n === 0n) return this;
    this.tag(field, 0);
    this.varint(n);
    return this;
  }

  /** A length-delimited field (string, bytes, embedded message); empty is left out. */
  bytes(field: number, v: Buffer | string | undefined): this {
    if (v === undefined || v.length === 0) return this;
    const b = typeof v === 'string' ? Buffer.from(v, 'utf8') : v;
    this.tag(field, 2);
    this.varint(b.length);
    this.parts.push(b);
    return this;
  }

  /** An embedded message that is sent even when empty (a map entry, a present sub-message). */
  message(field: number, v: Buffer): this {
    this.tag(field, 2);
    this.varint(v.length);
    this.parts.push(v);
    return this;
  }

  finish(): Buffer {
    return Buffer.concat(this.parts);
  }
}

export interface ProtoField {
  field: number;
  wire: number;
  /** Varint value (wire 0); fixed64/fixed32 values as bigint too. */
  int?: bigint;
  /** Length-delimited value (wire 2). */
  bytes?: Buffer;
}

/** Every field of a message in order. Unknown wire types end the message with an error. */
export function readFields(buf: Buffer): ProtoField[] {
  const out: ProtoField[] = [];
  let pos = 0;
  const varint = (): bigint => {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      if (pos >= buf.length) throw new Error('protobuf: truncated varint');
      const b = buf[pos++]!;
      result |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return result;
      shift += 7n;
      if (shift > 70n) throw new Error('protobuf: varint too long');
    }
  };
  while (pos < buf.length) {
    const key = Number(varint());
    const field = key >>> 3;
    const wire = key & 7;
    if (wire === 0) out.push({ field, wire, int: varint() });
    else if (wire === 2) {
      const len = Number(varint());
      if (pos + len > buf.length) throw new Error('protobuf: truncated field');
      out.push({ field, wire, bytes: buf.subarray(pos, pos + len) });
      pos += len;
    } else if (wire === 1) {
      if (pos + 8 > buf.length) throw new Error('protobuf: truncated field');
      out.push({ field, wire, int: buf.readBigUInt64LE(pos) });
      pos += 8;
    } else if (wire === 5) {
      if (pos + 4 > buf.length) throw new Error('protobuf: truncated field');
      out.push({ field, wire, int: BigInt(buf.readUInt32LE(pos)) });
      pos += 4;
    } else throw new Error(`protobuf: unsupported wire type ${wire}`);
  }
  return out;
}

const str = (f: ProtoField) => f.bytes?.toString('utf8') ?? '';
const signed64 = (f: ProtoField) => BigInt.asIntN(64, f.int ?? 0n);

// ---------------------------------------------------------------------------------------------- fsutil

/** fsutil's packet types (types/wire.proto). */
export const PacketType = { STAT: 0, REQ: 1, DATA: 2, FIN: 3, ERR: 4 } as const;

/** fsutil's Stat: `mode` is Go's os.FileMode (directory 1<<31, symlink 1<<27), not a unix mode. */
export interface Stat {
  path: string;
  mode: number;
  uid: number;
  gid: number;
  size: bigint;
  /** Nanoseconds since the epoch. */
  modTime: bigint;
  linkname?: string;
  devmajor?: number;
  devminor?: number;
}

export interface Packet {
  type: number;
  stat?: Stat;
  id?: number;
  data?: Buffer;
}

export function encodeStat(s: Stat): Buffer {
  return new ProtoWriter()
    .bytes(1, s.path)
    .uint(2, s.mode)
    .uint(3, s.uid)
    .uint(4, s.gid)
    .uint(5, s.size)
    .uint(6, s.modTime)
    .bytes(7, s.linkname)
    .uint(8, s.devmajor)
    .uint(9, s.devminor)
    .finish();
}

export function decodeStat(buf: Buffer): Stat {
  const s: Stat = { path: '', mode: 0, uid: 0, gid: 0, size: 0n, modTime: 0n };
  for (const f of readFields(buf)) {
    if (f.field === 1) s.path = str(f);
    else if (f.field === 2) s.mode = Number(f.int! & 0xffffffffn);
    else if (f.field === 3) s.uid = Number(f.int);
    else if (f.field === 4) s.gid = Number(f.int);
    else if (f.field === 5) s.size = signed64(f);
    else if (f.field === 6) s.modTime = signed64(f);
    else if (f.field === 7) s.linkname = str(f);
    else if (f.field === 8) s.devmajor = Number(f.int);
    else if (f.field === 9) s.devminor = Number(f.int);
  }
  return s;
}

export function encodePacket(p: Packet): Buffer {
  const w = new ProtoWriter().uint(1, p.type);
  if (p.stat) w.message(2, encodeStat(p.stat));
  return w.uint(3, p.id).bytes(4, p.data).finish();
}

export function decodePacket(buf: Buffer): Packet {
  const p: Packet = { type: 0 };
  for (const f of readFields(buf)) {
    if (f.field === 1) p.type = Number(f.int);
    else if (f.field === 2) p.stat = decodeStat(f.bytes!);
    else if (f.field === 3) p.id = Number(f.int);
    else if (f.field === 4) p.data = f.bytes;
  }
  return p;
}

// ---------------------------------------------------------------------------------------------- small services

/** moby.buildkit.secrets.v1.GetSecretRequest: the secret's id. */
export function decodeSecretRequest(buf: Buffer): { id: string } {
  let id = '';
  for (const f of readFields(buf)) if (f.field === 1) id = str(f);
  return { id };
}

/** moby.buildkit.secrets.v1.GetSecretResponse. */
export const encodeSecretResponse = (data: Buffer) => new ProtoWriter().bytes(1, data).finish();

/** grpc.health.v1.HealthCheckResponse{status: SERVING}. */
export const HEALTH_SERVING = new ProtoWriter().uint(1, 1).finish();

/** moby.sshforward.v1.CheckAgentRequest: the agent's id (`default`, or an id from `build.ssh`). */
export const decodeCheckAgent = decodeSecretRequest;

/** moby.sshforward.v1.BytesMessage. */
export function decodeBytesMessage(buf: Buffer): Buffer {
  for (const f of readFields(buf)) if (f.field === 1) return f.bytes ?? Buffer.alloc(0);
  return Buffer.alloc(0);
}
export const encodeBytesMessage = (data: Buffer) => new ProtoWriter().bytes(1, data).finish();

// ---------------------------------------------------------------------------------------------- progress

/** One step of the build graph (moby.buildkit.v1.Vertex). Times in ms since the epoch. */
export interface Vertex {
  digest: string;
  name: string;
  cached: boolean;
  started?: number;
  completed?: number;
  error?: string;
}

/** Output of a step (moby.buildkit.v1.VertexLog): stream 1 stdout, 2 stderr. */
export interface VertexLog {
  vertex: string;
  stream: number;
  msg: Buffer;
}

/** Progress of a step's sub-task: a layer being pulled or exported, the context being sent. */
export interface VertexStatus {
  id: string;
  vertex: string;
  name: string;
  current: number;
  total: number;
  completed?: number;
}

export interface StatusResponse {
  vertexes: Vertex[];
  statuses: VertexStatus[];
  logs: VertexLog[];
}

function timestampMs(buf: Buffer): number {
  let seconds = 0n;
  let nanos = 0n;
  for (const f of readFields(buf)) {
    if (f.field === 1) seconds = signed64(f);
    else if (f.field === 2) nanos = f.int ?? 0n;
  }
  return Number(seconds) * 1000 + Math.floor(Number(nanos) / 1e6);
}

function decodeVertex(buf: Buffer): Vertex {
  const v: Vertex = { digest: '', name: '', cached: false };
  for (const f of readFields(buf)) {
    if (f.field === 1) v.digest = str(f);
    else if (f.field === 3) v.name = str(f);
    else if (f.field === 4) v.cached = f.int !== 0n;
    else if (f.field === 5) v.started = timestampMs(f.bytes!);
    else if (f.field === 6) v.completed = timestampMs(f.bytes!);
    else if (f.field === 7) v.error = str(f);
  }
  return v;
}

function decodeVertexStatus(buf: Buffer): VertexStatus {
  const s: VertexStatus = { id: '', vertex: '', name: '', current: 0, total: 0 };
  for (const f of readFields(buf)) {
    if (f.field === 1) s.id = str(f);
    else if (f.field === 2) s.vertex = str(f);
    else if (f.field === 3) s.name = str(f);
    else if (f.field === 4) s.current = Number(signed64(f));
    else if (f.field === 5) s.total = Number(signed64(f));
    else if (f.field === 8) s.completed = timestampMs(f.bytes!);
  }
  return s;
}

function decodeVertexLog(buf: Buffer): VertexLog {
  const l: VertexLog = { vertex: '', stream: 0, msg: Buffer.alloc(0) };
  for (const f of readFields(buf)) {
    if (f.field === 1) l.vertex = str(f);
    else if (f.field === 3) l.stream = Number(f.int);
    else if (f.field === 4) l.msg = f.bytes!;
  }
  return l;
}

export function decodeStatusResponse(buf: Buffer): StatusResponse {
  const r: StatusResponse = { vertexes: [], statuses: [], logs: [] };
  for (const f of readFields(buf)) {
    if (f.field === 1) r.vertexes.push(decodeVertex(f.bytes!));
    else if (f.field === 2) r.statuses.push(decodeVertexStatus(f.bytes!));
    else if (f.field === 3) r.logs.push(decodeVertexLog(f.bytes!));
  }
  return r;
}

// Encoders for the progress messages: the engine only sends them, so these exist for the tests' round trips.
const encodeTimestamp = (ms: number) =>
  new ProtoWriter()
    .uint(1, Math.floor(ms / 1000))
    .uint(2, (ms % 1000) * 1e6)
    .finish();

export function encodeStatusResponse(r: StatusResponse): Buffer {
  const w = new ProtoWriter();
  for (const v of r.vertexes) {
    const m = new ProtoWriter().bytes(1, v.digest).bytes(3, v.name).uint(4, v.cached);
    if (v.started !== undefined) m.message(5, encodeTimestamp(v.started));
    if (v.completed !== undefined) m.message(6, encodeTimestamp(v.completed));
    w.message(1, m.bytes(7, v.error).finish());
  }
  for (const s of r.statuses) {
    const m = new ProtoWriter()
      .bytes(1, s.id)
      .bytes(2, s.vertex)
      .bytes(3, s.name)
      .uint(4, s.current)
      .uint(5, s.total);
    if (s.completed !== undefined) m.message(8, encodeTimestamp(s.completed));
    w.message(2, m.finish());
  }
  for (const l of r.logs)
    w.message(3, new ProtoWriter().bytes(1, l.vertex).uint(3, l.stream).bytes(4, l.msg).finish());
  return w.finish();
}
