import { describe, expect, it } from 'vitest';
import { appendDistinct, headerProxies } from './proxies.js';

describe('headerProxies', () => {
  it('takes the proxies from x-forwarded-for, skipping the original client', () => {
    expect(headerProxies({ forwardedFor: '203.0.113.195' })).toEqual([]);
    expect(headerProxies({ forwardedFor: '203.0.113.195, 2001:db8::1 ,, 198.51.100.178' })).toEqual(['2001:db8::1', '198.51.100.178']);
  });

  it('takes received-by from each via entry', () => {
    expect(headerProxies({ via: '1.0 fred, 1.1 p.example.net' })).toEqual(['fred', 'p.example.net']);
    expect(headerProxies({ via: 'HTTP/2 cdn-edge (Edge/1.2)' })).toEqual(['cdn-edge']);
    expect(headerProxies({ via: 'lonely' })).toEqual(['lonely']);
  });

  it('names none without the headers', () => {
    expect(headerProxies(undefined)).toEqual([]);
    expect(headerProxies({ forwardedFor: '', via: ' , ' })).toEqual([]);
  });
});

describe('appendDistinct', () => {
  it('returns the same list when nothing new is added, so calls share it', () => {
    const base = ['a', 'b'];
    expect(appendDistinct(base, ['b', 'a'], 10)).toBe(base);
  });

  it('appends new names in order, once, keeping the latest past the bound', () => {
    expect(appendDistinct(['a'], ['b', 'b', 'c'], 10)).toEqual(['a', 'b', 'c']);
    expect(appendDistinct(['a', 'b'], ['c', 'd'], 3)).toEqual(['b', 'c', 'd']);
  });
});
