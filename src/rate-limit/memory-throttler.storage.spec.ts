import { MemoryThrottlerStorage } from 'src/rate-limit/memory-throttler.storage';

describe('MemoryThrottlerStorage', () => {
  afterEach(() => jest.useRealTimers());

  it('should count hits in a fixed window per key and block past the limit', async () => {
    const storage = new MemoryThrottlerStorage();
    for (let hit = 1; hit <= 3; hit++) {
      expect(await storage.increment('key:a', 60_000, 3)).toMatchObject({ totalHits: hit, isBlocked: false });
    }
    expect(await storage.increment('key:a', 60_000, 3)).toMatchObject({
      totalHits: 4,
      isBlocked: true,
      timeToBlockExpire: 60,
    });
    expect(await storage.increment('key:b', 60_000, 3)).toMatchObject({ totalHits: 1, isBlocked: false });
  });

  it('should start a new window once the previous one ended', async () => {
    jest.useFakeTimers({ now: 1_000_000 });
    const storage = new MemoryThrottlerStorage();
    await storage.increment('key:a', 1_000, 1);
    expect((await storage.increment('key:a', 1_000, 1)).isBlocked).toBe(true);
    jest.setSystemTime(1_001_000);
    expect(await storage.increment('key:a', 1_000, 1)).toMatchObject({ totalHits: 1, isBlocked: false });
  });
});
