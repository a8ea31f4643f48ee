import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { parseIPv4, formatIPv4, parseIPv6, formatIPv6, parseCidr, formatCidr, parseIP, maskV4, maskV6, containsV4, parseMac, formatMac } from '../src/net/ip.js';
import { InputError } from '../src/core/errors.js';

describe('IPv4', () => {
  it('parses and formats', () => {
    expect(parseIPv4('10.0.0.1')).toBe(0x0a000001);
    expect(parseIPv4('255.255.255.255')).toBe(0xffffffff);
    expect(formatIPv4(0xc0a80001)).toBe('192.168.0.1');
  });
  it.each([
    ['10.0.0', 6],
    ['10.0.0.256', 7],
    ['10.0.0.01', 7],
    ['10.0.0.1 ', 8],
    ['', 0],
    ['a.b.c.d', 0],
    ['1.2.3.4.5', 7],
  ])('rejects %j at char %i', (s, char) => {
    try {
      parseIPv4(s);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(InputError);
      expect((e as InputError).position?.char).toBe(char);
      expect((e as InputError).message).toContain(JSON.stringify(s));
    }
  });
  it('round-trips any address', () => fc.assert(fc.property(fc.ipV4(), (s) => formatIPv4(parseIPv4(s)) === s)));
});

describe('IPv6', () => {
  it('parses compressed forms and dotted tails', () => {
    expect(parseIPv6('::')).toEqual([0, 0, 0, 0]);
    expect(parseIPv6('::1')).toEqual([0, 0, 0, 1]);
    expect(parseIPv6('fd00::')).toEqual([0xfd000000, 0, 0, 0]);
    expect(parseIPv6('2001:db8::1:0:0:1')).toEqual([0x20010db8, 0, 0x10000, 1]);
    expect(parseIPv6('::ffff:10.0.0.1')).toEqual([0, 0, 0xffff, 0x0a000001]);
    expect(parseIPv6('1:2:3:4:5:6:7:8')).toEqual([0x10002, 0x30004, 0x50006, 0x70008]);
  });
  it('formats canonically (RFC 5952)', () => {
    expect(formatIPv6([0x20010db8, 0, 0, 1])).toBe('2001:db8::1');
    expect(formatIPv6([0, 0, 0, 0])).toBe('::');
    expect(formatIPv6([0x20010db8, 0x10000, 0x10000, 1])).toBe('2001:db8:1:0:1::1');
    expect(formatIPv6([0x20010db8, 0x10000, 0x10001, 0x10000])).toBe('2001:db8:1:0:1:1:1:0');
    expect(formatIPv6([0x10002, 0x30004, 0x50006, 0x70008])).toBe('1:2:3:4:5:6:7:8');
  });
  it.each(['1::2::3', ':::', '1:2:3:4:5:6:7', '1:2:3:4:5:6:7:8:9', '12345::', 'g::', '1:', '::ffff:1.2.3', ''])('rejects %j', (s) => {
    expect(() => parseIPv6(s)).toThrow(InputError);
  });
  it('round-trips any address', () =>
    fc.assert(fc.property(fc.ipV6(), (s) => {
      const a = parseIPv6(s);
      expect(parseIPv6(formatIPv6(a))).toEqual(a);
    })));
});

describe('prefixes', () => {
  it('parses prefixes and bare host addresses', () => {
    expect(parseCidr('10.0.0.0/8')).toEqual({ family: 4, addr: 0x0a000000, len: 8 });
    expect(parseCidr('10.1.2.3')).toEqual({ family: 4, addr: 0x0a010203, len: 32 });
    expect(parseCidr('0.0.0.0/0')).toEqual({ family: 4, addr: 0, len: 0 });
    expect(formatCidr(parseCidr('fd00:1::/32'))).toBe('fd00:1::/32');
    expect(parseCidr('::1').len).toBe(128);
    expect(parseIP('::1').family).toBe(6);
  });
  it('rejects host bits as Linux does', () => {
    expect(() => parseCidr('10.0.0.1/8')).toThrow('invalid prefix for given prefix length');
    expect(() => parseCidr('fd00::1/64')).toThrow('invalid prefix for given prefix length');
  });
  it('rejects bad lengths and families', () => {
    expect(() => parseCidr('10.0.0.0/33')).toThrow(/prefix length 0..32/);
    expect(() => parseCidr('10.0.0.0/08')).toThrow(InputError);
    expect(() => parseCidr('10.0.0.0/')).toThrow(InputError);
    expect(() => parseCidr('::/129')).toThrow(/0..128/);
    expect(() => parseCidr('::/0', 4)).toThrow(/IPv4 prefix/);
  });
  it('masks', () => {
    expect(maskV4(0)).toBe(0);
    expect(maskV4(32)).toBe(0xffffffff);
    expect(maskV4(26)).toBe(0xffffffc0);
    expect(maskV6([0xffffffff, 0xffffffff, 1, 1], 40)).toEqual([0xffffffff, 0xff000000, 0, 0]);
    expect(containsV4(0x0a000000, 8, 0x0a0000ff)).toBe(true);
    expect(containsV4(0x0a000000, 8, 0x0b000000)).toBe(false);
  });
});

describe('MAC', () => {
  it('parses and formats', () => {
    const m = parseMac('d6:51:2E:80:5c:69');
    expect(formatMac(m)).toBe('d6:51:2e:80:5c:69');
    expect(() => parseMac('d6:51:2e:80:5c')).toThrow(/aa:bb:cc:dd:ee:ff/);
  });
});
