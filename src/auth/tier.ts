/** Access tiers of API keys (README, API keys and access tiers): who holds such keys decides what they may call. */
export enum Tier {
  /** aura-groot / aura-bot: internal endpoints and public endpoints. */
  Internal = 'internal',
  /** Kernel, the partner platform: Kernel-published endpoints and public endpoints. */
  Kernel = 'kernel',
  /** Channels (web, apps, TV): public endpoints only. */
  Public = 'public',
}

export const TIERS: readonly Tier[] = [Tier.Internal, Tier.Kernel, Tier.Public];
