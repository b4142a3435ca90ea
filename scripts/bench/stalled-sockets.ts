/**
 * Issue 12's reproduction of a socket's unbounded memory, as a measurement:
 * STALLED sockets (default 300) that complete the handshake and never read
 * again, on one agent with a ~5 MB conversation (CONVERSATION_TURNS answers
 * of 90,000 characters), against the service process on each runtime: its
 * RSS before, once every stalled socket got (or was sent) its `init`, and
 * after EVENTS checkouts that each send the conversation to every socket.
 * A reading client on the same agent counts the events it got.
 *
 * With a revision (`REVISION=71102ab`), the service of that revision is
 * measured the same way right after this tree's, for a same-run comparison.
 *
 *   npx tsx scripts/bench/stalled-sockets.ts              # Node, Deno and Bun
 *   REVISION=71102ab npx tsx scripts/bench/stalled-sockets.ts node deno
 *
 * With IDLE_SECONDS set, the service gets SOCKET_IDLE_SECONDS=IDLE_SECONDS,
 * and after IDLE_SECONDS + 5 s its RSS is measured again and the stalled
 * sockets are read to see how many the server has closed.
 *
 * STALLED (300), CONVERSATION_TURNS (55), EVENTS (5). Without the bound, the
 * last figure is about STALLED x (EVENTS + 1) x the conversation: 300 x 6 x 5 MB
 * is 9 GB: lower EVENTS for an old revision on a small machine.
 */
import { readFileSync } from "node:fs";
import process from "node:process";
import { openRawSocket, type RawSocket } from "../../tests/helpers/raw-socket.ts";
import {
  benchToken,
  closeSockets,
  createAgent,
  exportRevision,
  fmt,
  header,
  mib,
  openSocket,
  type Runtime,
  runtimesFromArgs,
  settledRss,
  sleep,
  startService,
  startUpstream,
  table,
} from "./lib.ts";

const STALLED = Number(process.env.STALLED ?? 300);
const TURNS = Number(process.env.CONVERSATION_TURNS ?? 55);
const EVENTS = Number(process.env.EVENTS ?? 5);
const revision = process.env.REVISION;
const IDLE_SECONDS = process.env.IDLE_SECONDS ? Number(process.env.IDLE_SECONDS) : undefined;

const loadAverage = () => readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");

interface Figures {
  readonly conversation: number;
  readonly before: number;
  readonly afterInit: number;
  readonly afterEvents: number;
  readonly readerEvents: number;
  /** With IDLE_SECONDS: RSS after it, and the stalled sockets the server had closed by then. */
  readonly afterIdle?: { rss: number; closed: number };
  readonly load: string;
}

async function measure(runtime: Runtime, upstreamUrl: string, cwd?: string): Promise<Figures> {
  const load = loadAverage();
  const service = await startService(runtime, {
    llmUrl: upstreamUrl,
    ...(cwd ? { cwd } : {}),
    ...(IDLE_SECONDS ? { env: { SOCKET_IDLE_SECONDS: String(IDLE_SECONDS) } } : {}),
  });
  const stalled: RawSocket[] = [];
  let reader: WebSocket | undefined;
  try {
    const token = benchToken(11);
    const id = await createAgent(service.url, token);
    let onEvent: (event: { type: string; headId?: string; steps?: unknown[] }) => void = () => {};
    reader = await openSocket(`${service.wsUrl}/api/agents/${id}/react?access-token=${token}`, (data) => onEvent(JSON.parse(data)));
    const next = (type: string) =>
      new Promise<{ type: string; headId?: string; steps?: unknown[] }>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no ${type} within 60 s`)), 60_000);
        onEvent = (event) => {
          if (event.type !== type) return;
          clearTimeout(timer);
          resolve(event);
        };
      });
    for (let turn = 0; turn < TURNS; turn++) {
      const complete = next("complete");
      reader.send(JSON.stringify({ type: "message", content: "stream 3 30000" }));
      await complete;
    }
    const agent = await (await fetch(`${service.url}/api/agents/${id}`, { headers: { authorization: `Bearer ${token}` } })).json() as { headId: string };
    const before = await settledRss(service.pid);
    const port = Number(new URL(service.url).port);
    for (let i = 0; i < STALLED; i++) stalled.push(await openRawSocket(port, `/api/agents/${id}/react?access-token=${token}`, { paused: true, timeoutMs: 30_000 }));
    const afterInit = await settledRss(service.pid);
    let readerEvents = 0;
    let conversation = 0;
    for (let i = 0; i < EVENTS; i++) {
      const changed = next("headChange");
      const response = await fetch(`${service.url}/api/agents/${id}/checkout`, {
        method: "POST",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        body: JSON.stringify({ stepId: agent.headId }),
      });
      await response.body?.cancel();
      conversation = JSON.stringify((await changed).steps).length;
      readerEvents++;
    }
    const afterEvents = await settledRss(service.pid);
    if (IDLE_SECONDS === undefined) return { conversation, before, afterInit, afterEvents, readerEvents, load };
    await sleep((IDLE_SECONDS + 5) * 1000);
    const rss = await settledRss(service.pid);
    // Read what each was sent: a socket the server closed ends.
    const ended = await Promise.all(stalled.map((socket) => socket.waitForEnd(10_000).then(() => true, () => false)));
    return { conversation, before, afterInit, afterEvents, readerEvents, afterIdle: { rss, closed: ended.filter(Boolean).length }, load };
  } finally {
    for (const socket of stalled) socket.destroy();
    if (reader) await closeSockets([reader]);
    await service.stop();
  }
}

const runtimes = runtimesFromArgs();
const upstream = await startUpstream();
const old = revision ? await exportRevision(revision) : undefined;
const rows: string[][] = [];
try {
  for (const runtime of runtimes) {
    const variants: [string, string | undefined][] = [["this tree", undefined], ...(old ? [[revision!, old.dir] as [string, string]] : [])];
    for (const [name, cwd] of variants) {
      const f = await measure(runtime, upstream.url, cwd);
      rows.push([
        `${runtime} ${name}`,
        mib(f.conversation),
        mib(f.before),
        mib(f.afterInit),
        mib(f.afterEvents),
        fmt((f.afterEvents - f.before) / STALLED / 1024),
        `${f.readerEvents}/${EVENTS}`,
        ...(IDLE_SECONDS ? [f.afterIdle ? `${mib(f.afterIdle.rss)} (${f.afterIdle.closed} closed)` : "-"] : []),
        f.load,
      ]);
      console.error(`${runtime} ${name} measured`);
    }
  }
} finally {
  await upstream.stop();
  await old?.remove();
}
console.log([
  header(`${STALLED} stalled sockets on one agent with a conversation of ${TURNS} answers of 90,000 characters, then ${EVENTS} checkouts`, runtimes),
  "RSS in MiB (median of 5 samples after 1.5 s); per stalled socket = (after the events - before) / sockets; load average at the start of each row",
  table([
    "service",
    "conversation MiB",
    "RSS before",
    `with ${STALLED} stalled`,
    `after ${EVENTS} events`,
    "KiB per stalled socket",
    "reader got",
    ...(IDLE_SECONDS ? [`${IDLE_SECONDS + 5} s later`] : []),
    "load average",
  ], rows),
].join("\n\n"));
