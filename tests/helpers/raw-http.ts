/**
 * Raw HTTP over a TCP socket, for requests `fetch` will not send
 * (WebSocket upgrades, oversized headers, broken request lines).
 */
import { connect } from "node:net";

/** Sends `request` bytes to `port` and resolves with everything the server wrote until it closed or went quiet. */
export function rawRequest(port: number, request: string, quietMs = 300): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1");
    let received = "";
    let timer: ReturnType<typeof setTimeout> | undefined;
    const finish = () => {
      if (timer) clearTimeout(timer);
      socket.destroy();
      resolve(received);
    };
    const arm = () => {
      if (timer) clearTimeout(timer);
      timer = setTimeout(finish, quietMs);
    };
    socket.setEncoding("latin1");
    socket.on("connect", () => {
      socket.write(request);
      arm();
    });
    socket.on("data", (chunk: string) => {
      received += chunk;
      arm();
    });
    socket.on("end", finish);
    socket.on("close", finish);
    socket.on("error", (error) => {
      if (timer) clearTimeout(timer);
      if (received) resolve(received);
      else reject(error);
    });
  });
}

/** The status code of the first response line in `raw`. */
export function statusOf(raw: string): number {
  const match = /^HTTP\/1\.[01] (\d{3})/.exec(raw);
  return match ? Number(match[1]) : 0;
}

/** A WebSocket upgrade request for `path`. */
export function upgradeRequest(path: string, headers: Record<string, string> = {}): string {
  const lines = [
    `GET ${path} HTTP/1.1`,
    "Host: 127.0.0.1",
    "Upgrade: websocket",
    "Connection: Upgrade",
    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==",
    "Sec-WebSocket-Version: 13",
    ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`),
  ];
  return `${lines.join("\r\n")}\r\n\r\n`;
}
