import { addressKey, RateLimitCounts } from '../src/http/rate-limit-counts';

describe('the HTTP rate limit’s counts', () => {
  it('counts an IPv6 caller by its /64, an IPv4-mapped one as IPv4, and IPv4 by its address', () => {
    expect(addressKey('2001:db8:1:2:aaaa::1')).toBe(addressKey('2001:db8:1:2:bbbb:cccc:dddd:eeee'));
    expect(addressKey('2001:db8:1:2::1')).not.toBe(addressKey('2001:db8:1:3::1'));
    expect(addressKey('::ffff:192.0.2.7')).toBe(addressKey('192.0.2.7'));
    expect(addressKey('192.0.2.7')).not.toBe(addressKey('192.0.2.8'));
  });

  it('counts in windows, and keeps every client’s count however many addresses come after it', () => {
    const counts = new RateLimitCounts();
    const count = (key: string) => {
      let current = 0;
      counts.incr(key, (_error, result) => (current = result!.current), 60_000);
      return current;
    };
    expect([count('client:pos-oslo'), count('client:pos-oslo')]).toEqual([1, 2]);
    for (let i = 0; i < 6_000; i++) count(`ip:10.0.${i >> 8}.${i & 255}`);
    expect(count('client:pos-oslo')).toBe(3);
    // The oldest addresses are the ones let go.
    expect(count('ip:10.0.0.0')).toBe(1);
    expect(count(`ip:10.0.${5_999 >> 8}.${5_999 & 255}`)).toBe(2);
  });
});
