import assert from 'node:assert/strict';
import { FieldScanner, RecType, decodeUnquoted, newHeader, parseHeader, parseHexInt } from '../../../../collector/sources/auditd/parse.ts';
import { decodeSockaddr, formatIPv6 } from '../../../../collector/sources/auditd/sockaddr.ts';
import { archName, syscallName } from '../../../../collector/sources/auditd/syscalls.ts';

function fields(line: string): Record<string, string | undefined> {
  const h = newHeader();
  assert.equal(parseHeader(line, h), undefined);
  const f = new FieldScanner();
  f.reset(line, h.body, h.end);
  const out: Record<string, string | undefined> = {};
  while (f.next()) out[line.slice(f.ks, f.ke)] = f.stringValue();
  return out;
}

describe('auditd record parser', () => {
  it('parses the header: type, stamp, time and serial', () => {
    const h = newHeader();
    const line = 'type=SYSCALL msg=audit(1492037291.036:59): arch=c000003e syscall=59';
    assert.equal(parseHeader(line, h), undefined);
    assert.equal(h.type, RecType.SYSCALL);
    assert.equal(h.stamp, '1492037291.036:59');
    assert.equal(h.timeMs, 1492037291036);
    assert.equal(h.serial, 59);
    assert.equal(h.node, undefined);
    assert.equal(line.slice(h.body).trim(), 'arch=c000003e syscall=59');
  });

  it('takes node= prefixes and maps UNKNOWN[1327] to PROCTITLE', () => {
    const h = newHeader();
    assert.equal(parseHeader('node=web-1 type=UNKNOWN[1327] msg=audit(1.5:7): proctitle=6C73', h), undefined);
    assert.equal(h.node, 'web-1');
    assert.equal(h.type, RecType.PROCTITLE);
    assert.equal(h.timeMs, 1500);
  });

  it('stops the raw part at the ENRICHED \\x1d separator', () => {
    const line =
      'type=SOCKADDR msg=audit(1795969305.341:274): saddr=0200115C7F4206060000000000000000\x1dSADDR={ saddr_fam=inet laddr=127.66.6.6 lport=4444 }';
    assert.deepEqual(fields(line), { saddr: '\x02\x00\x11\\\x7fB\x06\x06\x00\x00\x00\x00\x00\x00\x00\x00' });
    const h = newHeader();
    parseHeader(line, h);
    const f = new FieldScanner();
    f.reset(line, h.body, h.end);
    while (f.next());
    assert.equal(line.charCodeAt(f.end), 0x1d);
    // a bare word or a quoted value right before the separator
    assert.deepEqual(fields('type=CWD msg=audit(1.000:1): cwd="/x"\x1dCWD="/x"'), { cwd: '/x' });
    assert.deepEqual(fields('type=PATH msg=audit(1.000:1): item=0 name=(null) word\x1dOUID="root"'), { item: '0', name: undefined });
  });

  it('reports bad headers by reason', () => {
    const h = newHeader();
    assert.equal(parseHeader('garbage', h), 'no_type');
    assert.equal(parseHeader('type=SYSCALL foo', h), 'no_msg');
    assert.equal(parseHeader('type=SYSCALL msg=audit(abc:1): x=1', h), 'bad_stamp');
    assert.equal(parseHeader('type=SYSCALL msg=audit(1.2:): x=1', h), 'bad_stamp');
    assert.equal(parseHeader('type=SYSCALL msg=audit(1.2:99999999999): x=1', h), 'bad_stamp');
    assert.equal(parseHeader('type=SYSCALL msg=audit(1.2:3', h), 'bad_stamp');
  });

  it('decodes quoted, hex, (null) values; tolerates two spaces and bare words', () => {
    assert.deepEqual(fields('type=CWD msg=audit(1.000:1):  cwd="/home/a b"'), { cwd: '/home/a b' });
    assert.deepEqual(fields('type=PATH msg=audit(1.000:1): item=0 name=772F7370206163652E747874 nametype=CREATE'), {
      item: '0',
      name: 'w/sp ace.txt',
      nametype: 'CREATE',
    });
    assert.deepEqual(fields('type=SYSCALL msg=audit(1.000:1): tty=(none) key=(null) subj==unconfined'), {
      tty: undefined,
      key: undefined,
      subj: '=unconfined',
    });
    assert.deepEqual(fields("type=AVC msg=audit(1.000:1): avc:  denied  { read } for  pid=13010 msg='op=x res=1'"), {
      pid: '13010',
      msg: 'op=x res=1',
    });
    assert.equal(decodeUnquoted('abc', 0, 3), 'abc'); // odd length: literal
    assert.equal(decodeUnquoted('6162', 0, 4), 'ab');
    assert.equal(parseHexInt('ffffff9c'), 0xffffff9c);
    assert.equal(parseHexInt('xyz'), undefined);
  });
});

describe('auditd sockaddr', () => {
  it('decodes inet, inet6, unix, abstract unix, netlink and big-endian families', () => {
    assert.deepEqual(decodeSockaddr('02000050A9FEA9FE0000000000000000'), { family: 'inet', addr: '169.254.169.254', port: 80 });
    assert.deepEqual(decodeSockaddr('0A002BCB000000000000000000000000000000000000000100000000'), {
      family: 'inet6',
      addr: '::1',
      port: 11211,
    });
    assert.deepEqual(decodeSockaddr('01007075626C69632F7069636B757000000000'), { family: 'unix', path: 'public/pickup' });
    assert.deepEqual(decodeSockaddr('0100006162630000'), { family: 'unix', path: '@abc' });
    assert.deepEqual(decodeSockaddr('100000000000000000000000'), { family: 'netlink', code: 16 });
    assert.deepEqual(decodeSockaddr('00020050C0A800010000000000000000'), { family: 'inet', addr: '192.168.0.1', port: 80 });
    assert.equal(decodeSockaddr('02'), undefined);
    assert.equal(decodeSockaddr('zz00'), undefined);
    assert.equal(decodeSockaddr('0200'), undefined);
  });

  it('formats IPv6 per RFC 5952', () => {
    const b = (hex: string) => Buffer.from(hex, 'hex');
    assert.equal(formatIPv6(b('20010db8000000000001000000000001')), '2001:db8::1:0:0:1');
    assert.equal(formatIPv6(b('00000000000000000000ffff7f000001')), '::ffff:127.0.0.1');
    assert.equal(formatIPv6(b('fe800000000000000000000000000001')), 'fe80::1');
    assert.equal(formatIPv6(b('00000000000000000000000000000000')), '::');
  });
});

describe('auditd syscall tables', () => {
  it('names syscalls per arch', () => {
    assert.equal(syscallName('c000003e', 59), 'execve');
    assert.equal(syscallName('C000003E', 42), 'connect');
    assert.equal(syscallName('c00000b7', 221), 'execve');
    assert.equal(syscallName('c00000b7', 37), 'linkat');
    assert.equal(syscallName('40000003', 11), 'execve');
    assert.equal(syscallName('c000003e', 99999), 'syscall_99999');
    assert.equal(syscallName('deadbeef', 1), 'syscall_1');
    assert.equal(archName('c00000b7'), 'aarch64');
  });
});
