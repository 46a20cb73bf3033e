import { createServer, request, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A stand-in for the ingress in front of the service: a real HTTP server on a loopback port
 * that forwards every request to the app. Its URL is what PUBLIC_BASE_URL names, known before
 * the app starts, while the app itself listens on a port of its own (port 0).
 */
export interface ForwardingProxy {
  /** http://127.0.0.1:<port> of the proxy. */
  url: string;
  /** Where requests go from now on (the app's listening address). */
  forwardTo(target: string): void;
  close(): Promise<void>;
}

export async function startForwardingProxy(): Promise<ForwardingProxy> {
  let target: URL | undefined;
  const server = createServer((incoming: IncomingMessage, outgoing: ServerResponse) => {
    if (target === undefined) {
      outgoing.writeHead(503).end();
      return;
    }
    const upstream = request(
      {
        host: target.hostname,
        port: target.port,
        method: incoming.method,
        path: incoming.url,
        headers: incoming.headers,
      },
      (response) => {
        outgoing.writeHead(response.statusCode ?? 502, response.headers);
        response.pipe(outgoing);
      },
    );
    upstream.on('error', () => outgoing.writeHead(502).end());
    incoming.pipe(upstream);
  });
  // Idle client connections stay open until close(): a server-side idle timeout races with clients reusing the
  // connection after a slow app boot ("other side closed").
  server.keepAliveTimeout = 0;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    forwardTo: (address) => {
      target = new URL(address);
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
