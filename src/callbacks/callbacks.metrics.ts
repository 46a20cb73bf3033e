import { Injectable } from '@nestjs/common';
import { InjectMetric, makeCounterProvider } from '@willsoto/nestjs-prometheus';
import type { Counter } from 'prom-client';
import type { CallbackPurpose } from 'src/callbacks/callback-cipher';

export const CALLBACKS = 'kernel_callbacks_total';

export const callbacksProvider = makeCounterProvider({
  name: CALLBACKS,
  help: 'Kernel login/logout callbacks by purpose and outcome (accepted, or the problem code).',
  labelNames: ['purpose', 'outcome'],
});

@Injectable()
export class CallbacksMetrics {
  constructor(@InjectMetric(CALLBACKS) private readonly callbacks: Counter<'purpose' | 'outcome'>) {}

  accepted(purpose: CallbackPurpose): void {
    this.callbacks.labels(purpose, 'accepted').inc();
  }

  refused(purpose: CallbackPurpose | undefined, code: string): void {
    this.callbacks.labels(purpose ?? 'unknown', code).inc();
  }
}
