import { describe, expect, it } from 'vitest';
import { classifyAddress } from '../../../src/platform/net/ip-policy.js';

describe('classifyAddress', () => {
  it.each([
    ['127.0.0.1', 'loopback'],
    ['127.255.255.254', 'loopback'],
    ['10.1.2.3', 'private (RFC 1918)'],
    ['172.16.0.1', 'private (RFC 1918)'],
    ['172.31.255.255', 'private (RFC 1918)'],
    ['192.168.1.1', 'private (RFC 1918)'],
    ['100.64.0.1', 'carrier-grade NAT'],
    ['169.254.169.254', 'link-local'],
    ['0.0.0.0', 'unspecified'],
    ['255.255.255.255', 'broadcast'],
    ['224.0.0.1', 'multicast'],
    ['240.0.0.1', 'reserved'],
    ['192.0.2.10', 'reserved'],
    ['198.18.0.1', 'reserved'],
  ])('refuses IPv4 %s (%s)', (address, label) => {
    const verdict = classifyAddress(address);
    expect(verdict.allowed).toBe(false);
    expect(verdict.label).toContain(label);
  });

  it.each([
    ['::1', 'loopback'],
    ['::', 'unspecified'],
    ['fe80::1', 'link-local'],
    ['fe80::1%eth0', 'link-local'],
    ['fc00::1', 'unique-local'],
    ['fd12:3456::1', 'unique-local'],
    ['ff02::1', 'multicast'],
    ['fec0::1', 'site-local'],
    ['2001:db8::1', 'reserved'],
    ['100::1', 'discard'],
    ['2001:0:4136:e378:8000:63bf:3fff:fdd2', 'Teredo'],
    ['::ffff:127.0.0.1', 'loopback (as IPv4-mapped IPv6 127.0.0.1)'],
    ['::ffff:7f00:1', 'loopback'],
    ['::ffff:10.0.0.1', 'private'],
    ['::ffff:169.254.169.254', 'link-local'],
    ['::ffff:0:192.168.0.1', 'private'],
    ['64:ff9b::10.0.0.1', 'private (RFC 1918) (as NAT64 10.0.0.1)'],
    ['64:ff9b::a9fe:a9fe', 'link-local'],
    ['64:ff9b:1::1', 'local-use NAT64'],
    ['2002:c0a8:0101::1', 'private (RFC 1918) (as 6to4 192.168.1.1)'],
    ['2002:7f00:1::1', 'loopback'],
    ['::127.0.0.1', 'IPv4-compatible'],
    ['::8.8.8.8', 'IPv4-compatible'],
    ['4000::1', 'outside 2000::/3'],
  ])('refuses IPv6 %s (%s)', (address, label) => {
    const verdict = classifyAddress(address);
    expect(verdict.allowed).toBe(false);
    expect(verdict.label).toContain(label);
  });

  it.each([
    '8.8.8.8',
    '1.1.1.1',
    '140.82.112.3',
    '2606:4700:4700::1111',
    '::ffff:8.8.8.8',
    '64:ff9b::808:808',
    '2002:808:808::1',
  ])('allows public %s', (address) => {
    expect(classifyAddress(address)).toEqual({ allowed: true, label: 'public' });
  });

  it('refuses what it cannot parse', () => {
    expect(classifyAddress('not-an-ip').allowed).toBe(false);
  });
});
