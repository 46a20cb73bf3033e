import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { register } from 'prom-client';
import { listenerUrl } from 'src/common/http/listener-url';
import { MetricsSettings } from 'src/common/metrics/metrics.settings';
import { ServerSettings } from 'src/config/server.settings';

/**
 * The keyless metrics listener of METRICS_PORT: GET /metrics only, on a port the chart keeps out of the
 * Service and Ingress (Prometheus scrapes the pod directly). The main port's /metrics still needs a key.
 */
@Injectable()
export class MetricsServer implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('Metrics');
  private server: Server | undefined;

  constructor(
    private readonly config: MetricsSettings,
    private readonly runtime: ServerSettings,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const port = this.config.METRICS_PORT;
    if (port === undefined || !this.config.METRICS_ENABLED) {
      return;
    }
    const server = createServer((request, response) => void this.answer(request, response));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, this.runtime.HOST, () => resolve());
    });
    this.server = server;
    const url = listenerUrl(server);
    this.logger.log({ listener: 'metrics', url }, `Metrics listening at ${url}`);
  }

  async onApplicationShutdown(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server !== undefined) {
      const closed = new Promise((resolve) => server.close(resolve));
      server.closeAllConnections();
      await closed;
    }
  }

  private async answer(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const path = (request.url ?? '').split('?')[0];
    if (path !== '/metrics') {
      response.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('Not found: GET /metrics only\n');
      return;
    }
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' }).end();
      return;
    }
    try {
      const body = await register.metrics();
      response.writeHead(200, { 'content-type': register.contentType }).end(request.method === 'HEAD' ? '' : body);
    } catch (error) {
      this.logger.error({ err: error }, 'metrics collection failed');
      response.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' }).end();
    }
  }
}
