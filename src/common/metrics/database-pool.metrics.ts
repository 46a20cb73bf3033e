import { Injectable, OnModuleInit } from '@nestjs/common';
import { Gauge, register } from 'prom-client';
import { Database } from 'src/database/database';

/** Connection pool gauges, read from the pg pool at scrape time. */
@Injectable()
export class DatabasePoolMetrics implements OnModuleInit {
  constructor(private readonly database: Database) {}

  onModuleInit(): void {
    if (register.getSingleMetric('db_pool_connections') !== undefined) {
      return;
    }
    const database = this.database;
    new Gauge({
      name: 'db_pool_connections',
      help: 'Database pool connections by state (total, idle, waiting clients).',
      labelNames: ['state'],
      collect() {
        const counts = database.poolCounts();
        this.set({ state: 'total' }, counts.total);
        this.set({ state: 'idle' }, counts.idle);
        this.set({ state: 'waiting' }, counts.waiting);
      },
    });
  }
}
