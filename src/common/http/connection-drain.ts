import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { Server as NetServer } from 'node:net';

/** How often the drain looks for idle keep-alive connections, and for how many quiet looks it waits first. */
const REAP_INTERVAL_MS = 25;
const QUIET_LOOKS_BEFORE_REAPING = 2;

/**
 * Graceful drain of an HTTP server at shutdown. Node's `server.close()` (and Fastify's close, which calls
 * it) destroys every connection without a request *being parsed* at that instant — including accepted
 * connections whose request bytes the event loop has not read yet — and Fastify answers what still
 * arrives with its own 503 body. Here instead: the listener stops (new connections are refused by the
 * kernel), every request on a connection already open is served with `Connection: close`, and idle
 * keep-alive connections are closed only once no request has been in flight for a moment.
 */
export class ConnectionDrain {
  private inFlight = 0;
  private draining = false;

  constructor(private readonly server: Server) {
    // One listener shared by every response: 'close' fires once per response, which is then dropped, so
    // `once`'s per-request wrapper (and its removal) is not needed on this hot path.
    const ended = () => this.inFlight--;
    // First listener: the header must be set before the framework writes the response head.
    server.prependListener('request', (_request: IncomingMessage, response: ServerResponse) => {
      this.inFlight++;
      if (this.draining) {
        response.setHeader('connection', 'close');
      }
      response.on('close', ended);
    });
  }

  /** Resolves once the listener is closed and every connection has ended. */
  async drain(): Promise<void> {
    this.draining = true;
    // net.Server's close, not http.Server's: stop accepting without destroying open connections.
    const closed = new Promise<void>((resolve) => NetServer.prototype.close.call(this.server, () => resolve()));
    let quietLooks = 0;
    const reaper = setInterval(() => {
      quietLooks = this.inFlight === 0 ? quietLooks + 1 : 0;
      if (quietLooks >= QUIET_LOOKS_BEFORE_REAPING) {
        this.server.closeIdleConnections();
      }
    }, REAP_INTERVAL_MS);
    try {
      await closed;
    } finally {
      clearInterval(reaper);
    }
  }
}
