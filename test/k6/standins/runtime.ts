/**
 * What the k6 stand-ins share with the test driving them: the server they talk to (a `Backend`),
 * every frame and request the script sent and what the protocol check said of it, the samples of
 * the script's metrics, and the VU's event loop (what still holds the iteration open).
 */

export interface HttpExchange {
  method: string;
  url: string;
  headers: Record<string, string>;
  body: string | null;
}

export interface HttpAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** Callbacks of one socket, called by a backend in the order the server's frames arrive. */
export interface SocketSink {
  open(): void;
  message(text: string): void;
  close(code: number): void;
  error(message: string): void;
}

export interface BackendSocket {
  send(text: string): void;
  close(): void;
}

/** The server the stand-ins reach: canned answers in process, or a real gateway. */
export interface Backend {
  request(exchange: HttpExchange): Promise<HttpAnswer>;
  connect(url: string, headers: Record<string, string>, sink: SocketSink): BackendSocket;
}

export interface Sent {
  /** `ws` for a WebSocket frame, else the HTTP method and path. */
  kind: string;
  /** The frame or body as parsed (undefined for a request without a body). */
  value: unknown;
  /** What the protocol check found wrong, if anything. */
  violation?: string;
}

export interface Sample {
  value: number;
  tags: Record<string, string>;
}

export const runtime = {
  backend: undefined as Backend | undefined,
  /** Every frame and request the script sent, in order. */
  sent: [] as Sent[],
  /** The metrics the script created (name → kind) and their samples. */
  metrics: new Map<string, { kind: string; samples: Sample[] }>(),
  checks: [] as { name: string; ok: boolean }[],
  /** What the script threw from a listener or a timer (k6 would log it and go on). */
  errors: [] as unknown[],
  /**
   * Protocol checks of what the script sent, set by the test (test/k6/protocol-check.ts). Until
   * then everything sent is a violation: a run that checks nothing must not pass.
   */
  checkFrame: (_text: string): string | undefined => "no protocol check installed",
  checkRequest: (_exchange: HttpExchange): string | undefined => "no protocol check installed",
};

export function backend(): Backend {
  if (runtime.backend === undefined) throw new Error("no backend: the test sets runtime.backend");
  return runtime.backend;
}

/** Records a frame or request the script sent, with the protocol check's verdict. */
export function recordSent(kind: string, text: string | null, violation: string | undefined): void {
  let value: unknown;
  try {
    value = text === null ? undefined : JSON.parse(text);
  } catch {
    value = text;
  }
  runtime.sent.push(violation === undefined ? { kind, value } : { kind, value, violation });
}

// ---- The VU's event loop ----------------------------------------------------------------------

/**
 * k6 ends an iteration when its function has returned and nothing it started (a socket, a timer)
 * is still pending. Each stand-in holds the loop while it has work, and releases it once.
 */
let holds = 0;
let idle: (() => void)[] = [];

export function hold(): () => void {
  holds += 1;
  let released = false;
  return () => {
    if (released) return;
    released = true;
    holds -= 1;
    if (holds === 0) {
      const waiting = idle;
      idle = [];
      for (const resolve of waiting) resolve();
    }
  };
}

/** Resolves once nothing holds the loop. */
export function whenIdle(): Promise<void> {
  if (holds === 0) return Promise.resolve();
  return new Promise((resolve) => idle.push(resolve));
}

export function pendingHolds(): number {
  return holds;
}
