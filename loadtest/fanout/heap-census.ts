import { spawn } from "node:child_process";
import { readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { writeHeapSnapshot } from "node:v8";
import WebSocket from "ws";
import { startGateway, tokenFor } from "../../services/gateway/testing/gateway-harness.js";
import { createMemoryLiveStream } from "../../shared/bus/live-stream/memory-live-stream.js";
import { clientFrames } from "../../shared/client/frames.js";
import { createWorkload, eventData } from "./workload.js";

/**
 * Where a gateway's memory per socket goes: a gateway on the memory LIVE stream, a heap snapshot
 * with no socket, then `--sockets` sockets (from a child process, so the clients' objects stay
 * out of the heap) each subscribed as in the fan-out benchmark (`scores` + three `market.*`),
 * a second snapshot, and the difference per socket by node type and constructor (self sizes,
 * after a full GC). Also prints heapUsed + external and RSS per socket. `--holders` names census
 * keys (`object:Session`, `string`, `array:` …) whose holders to list; `--keep` keeps the
 * snapshots (for DevTools).
 *
 *   node --expose-gc --import tsx loadtest/fanout/heap-census.ts [--sockets 3000] [--top 40]
 *     [--holders key,key] [--keep]
 */
const { values: flags } = parseArgs({
  options: {
    sockets: { type: "string", default: "3000" },
    top: { type: "string", default: "40" },
    holders: { type: "string", default: "" },
    keep: { type: "boolean", default: false },
    client: { type: "string" },
  },
});

const workload = createWorkload(10);

if (flags.client !== undefined) await runClients(flags.client, Number(flags.sockets));
else await census(Number(flags.sockets), Number(flags.top), flags.holders.split(",").filter(Boolean));

async function census(sockets: number, top: number, holders: string[]) {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) throw new Error("run with node --expose-gc");
  const live = createMemoryLiveStream();
  // Sockets share 50 users: the per-user socket cap is not what is measured.
  const gw = await startGateway({ maxSocketsPerUser: 1_000_000 }, { live });
  // Every market has an event, so its snapshot comes from the stream (no exchange here).
  for (const [i, topic] of workload.marketTopics().entries()) {
    await live.publish(topic, eventData(topic, i, "seed", Date.now()));
  }
  // One socket first, so what is made once on first use (routes, hub subscriptions) is in both.
  await connect(gw.wsUrl, 1);
  const before = measure(gc);
  await connect(gw.wsUrl, sockets);
  const after = measure(gc);
  const perSocket = (a: number, b: number) => ((b - a) / sockets / 1024).toFixed(2);
  console.log(
    `${sockets} sockets: heapUsed+external ${perSocket(before.heap, after.heap)} KB/socket, ` +
      `RSS ${perSocket(before.rss, after.rss)} KB/socket`,
  );
  const rows = diff(takeCensus(before.file), takeCensus(after.file, holders))
    .filter((r) => r.bytes > 0)
    .sort((a, b) => b.bytes - a.bytes);
  const total = rows.reduce((sum, r) => sum + r.bytes, 0);
  console.log(`snapshot self size: ${(total / sockets / 1024).toFixed(2)} KB/socket (positive rows)\n`);
  console.log("B/socket  count/socket  node");
  for (const r of rows.slice(0, top)) {
    console.log(
      `${(r.bytes / sockets).toFixed(0).padStart(8)}  ${(r.count / sockets).toFixed(2).padStart(12)}  ${r.key}`,
    );
  }
  await gw.close();
  await live.close();
  process.exit(0);
}

interface Measured {
  heap: number;
  rss: number;
  file: string;
}

/** heapUsed + external and RSS after full GCs, and a heap snapshot (read later, not to count its reader). */
function measure(gc: () => void): Measured {
  for (let i = 0; i < 3; i++) gc();
  const usage = process.memoryUsage();
  const file = writeHeapSnapshot(join(tmpdir(), `heap-census-${process.pid}-${Date.now()}.heapsnapshot`));
  return { heap: usage.heapUsed + usage.external, rss: usage.rss, file };
}

function takeCensus(file: string, holders: string[] = []): CensusRows {
  const census = readCensus(file, holders);
  if (flags.keep) console.log(`snapshot kept: ${file}`);
  else rmSync(file);
  return census;
}

interface HeapSnapshot {
  snapshot: {
    meta: { node_fields: string[]; node_types: [string[]]; edge_fields: string[]; edge_types: [string[]] };
  };
  nodes: number[];
  edges: number[];
  strings: string[];
}

type CensusRows = Map<string, { count: number; bytes: number }>;

/**
 * Self size and count by `type:name` (strings and numbers by type only). For each key of
 * `holders`, prints what holds its nodes (each node counted once, under the first holder that is
 * not a weak reference: that holder's key and the edge's name), most bytes first.
 */
function readCensus(file: string, holders: string[]): CensusRows {
  const heap = JSON.parse(readFileSync(file, "utf8")) as HeapSnapshot;
  const { meta } = heap.snapshot;
  const { nodes, edges, strings } = heap;
  const width = meta.node_fields.length;
  const at = (field: string) => meta.node_fields.indexOf(field);
  const [typeAt, nameAt, sizeAt, edgeCountAt] = [at("type"), at("name"), at("self_size"), at("edge_count")];
  const nodeTypes = meta.node_types[0];
  const keyOf = (i: number) => {
    const type = nodeTypes[nodes[i + typeAt]!]!;
    if (type.endsWith("string") || type === "number") return type;
    return `${type}:${strings[nodes[i + nameAt]!]}`;
  };
  const rows: CensusRows = new Map();
  for (let i = 0; i < nodes.length; i += width) {
    const key = keyOf(i);
    const row = rows.get(key) ?? { count: 0, bytes: 0 };
    row.count += 1;
    row.bytes += nodes[i + sizeAt]!;
    rows.set(key, row);
  }
  if (holders.length === 0) return rows;

  const edgeWidth = meta.edge_fields.length;
  const edgeTypeAt = meta.edge_fields.indexOf("type");
  const edgeNameAt = meta.edge_fields.indexOf("name_or_index");
  const toAt = meta.edge_fields.indexOf("to_node");
  const edgeTypes = meta.edge_types[0];
  const wanted = new Set(holders);
  const holderOf = new Map<number, string>();
  for (let i = 0, edge = 0; i < nodes.length; i += width) {
    const count = nodes[i + edgeCountAt]!;
    for (let e = 0; e < count; e++, edge += edgeWidth) {
      const to = edges[edge + toAt]!;
      const edgeType = edgeTypes[edges[edge + edgeTypeAt]!]!;
      if (edgeType === "weak" || holderOf.has(to) || !wanted.has(keyOf(to))) continue;
      const name =
        edgeType === "element" || edgeType === "hidden"
          ? `[${edgeType}]`
          : strings[edges[edge + edgeNameAt]!];
      holderOf.set(to, `${keyOf(i)} .${name}`);
    }
  }
  const byHolder = new Map<string, Map<string, { count: number; bytes: number }>>();
  for (const [node, holder] of holderOf) {
    const key = keyOf(node);
    const table = byHolder.get(key) ?? new Map<string, { count: number; bytes: number }>();
    byHolder.set(key, table);
    const row = table.get(holder) ?? { count: 0, bytes: 0 };
    row.count += 1;
    row.bytes += nodes[node + sizeAt]!;
    table.set(holder, row);
  }
  for (const key of holders) {
    console.log(`${key} held by:`);
    const top = [...(byHolder.get(key) ?? [])].sort((a, b) => b[1].bytes - a[1].bytes).slice(0, 20);
    for (const [holder, { count, bytes }] of top) {
      console.log(`  ${String(bytes).padStart(9)} B ${String(count).padStart(7)}×  ${holder}`);
    }
  }
  return rows;
}

function diff(before: CensusRows, after: CensusRows) {
  return [...after].map(([key, a]) => {
    const b = before.get(key) ?? { count: 0, bytes: 0 };
    return { key, count: a.count - b.count, bytes: a.bytes - b.bytes };
  });
}

/** Opens `count` more subscribed sockets in a child process and waits until all are subscribed. */
function connect(url: string, count: number): Promise<void> {
  const child = spawn(
    process.execPath,
    ["--import", "tsx", fileURLToPath(import.meta.url), "--client", url, "--sockets", String(count)],
    { stdio: ["ignore", "pipe", "inherit"] },
  );
  return new Promise((resolve, reject) => {
    child.once("exit", (code) => reject(new Error(`clients exited (${code})`)));
    child.stdout.on("data", (chunk: Buffer) => {
      if (String(chunk).includes("subscribed")) resolve();
    });
  });
}

/** Child side: holds `count` sockets open until the parent exits. */
async function runClients(url: string, count: number) {
  // 50 users, as the benchmark: a user's upgrades count against the HTTP request limit.
  const tokens = Array.from({ length: 50 }, (_, u) => tokenFor(`census-${u}`));
  const held: WebSocket[] = [];
  for (let g = 0; g < count; g += 100) {
    await Promise.all(
      Array.from({ length: Math.min(100, count - g) }, (_, k) =>
        open(url, tokens[(g + k) % 50]!, workload.channelsOf(g + k)),
      ),
    ).then((opened) => held.push(...opened));
  }
  console.log("subscribed");
  // Stop when the gateway goes (the parent exits).
  await new Promise((resolve) => held[0]?.once("close", resolve));
  process.exit(0);
}

function open(url: string, token: string, channels: string[]): Promise<WebSocket> {
  const socket = new WebSocket(url, { headers: { authorization: `Bearer ${token}` } });
  return new Promise((resolve, reject) => {
    socket.once("error", reject);
    socket.on("message", (data) => {
      const frame = JSON.parse(String(data)) as { type: string };
      if (frame.type === "welcome") socket.send(JSON.stringify(clientFrames.subscribe("s", channels)));
      if (frame.type === "subscribed") resolve(socket);
    });
  });
}
