import { Injectable } from '@nestjs/common';
import { InjectMetric, makeCounterProvider } from '@willsoto/nestjs-prometheus';
import type { Counter } from 'prom-client';
import type { GvpOutcome } from 'src/gvp/gvp.errors';

export const GVP_SIGN_INS = 'gvp_sign_ins_total';

/** The two GVP routes, as metric labels. */
export type GvpRoute = 'aura_id' | 'aura_token';

export const gvpSignInsProvider = makeCounterProvider({
  name: GVP_SIGN_INS,
  help: 'GVP device sign-ins by route (aura_id, aura_token) and outcome (linked: known device, no Kernel call; created: through Kernel; or the failure).',
  labelNames: ['route', 'outcome'],
});

@Injectable()
export class GvpMetrics {
  constructor(@InjectMetric(GVP_SIGN_INS) private readonly signIns: Counter<'route' | 'outcome'>) {}

  signIn(route: GvpRoute, outcome: GvpOutcome): void {
    this.signIns.labels(route, outcome).inc();
  }
}
