/**
 * A final, unmasked text frame (RFC 6455 §5.2) around `payload`, as a server sends it: the bytes
 * that go on the connection. Live events are framed here once for every socket that gets them.
 * The last payload framed is remembered: a fan-out frames one event for thousands of sockets in a
 * row, so all but the first are a comparison.
 */
export function wireFrame(payload: Buffer): Buffer {
  if (payload !== lastPayload) {
    lastFrame = frame(payload);
    lastPayload = payload;
  }
  return lastFrame;
}

let lastPayload: Buffer | undefined;
let lastFrame: Buffer = Buffer.alloc(0);

const finText = 0x81;

function frame(payload: Buffer): Buffer {
  const length = payload.length;
  const headerBytes = length < 126 ? 2 : length <= 0xffff ? 4 : 10;
  const bytes = Buffer.allocUnsafe(headerBytes + length);
  bytes[0] = finText;
  if (length < 126) {
    bytes[1] = length;
  } else if (length <= 0xffff) {
    bytes[1] = 126;
    bytes.writeUInt16BE(length, 2);
  } else {
    bytes[1] = 127;
    bytes.writeBigUInt64BE(BigInt(length), 2);
  }
  payload.copy(bytes, headerBytes);
  return bytes;
}
