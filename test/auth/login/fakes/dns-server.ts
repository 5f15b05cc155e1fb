import dgram from 'node:dgram';
import net from 'node:net';

/** Answers for one name: TXT records (each a list of character strings) and addresses. */
export interface DnsEntry {
  txt?: string[][];
  a?: string[];
}

const TYPE_A = 1;
const TYPE_TXT = 16;
const TYPE_AAAA = 28;

/**
 * A tiny authoritative DNS server over UDP on loopback, enough for TXT proofs and A lookups: it reads the first
 * question and answers from `records` (NXDOMAIN for unknown names). Names are matched case-insensitively.
 */
export class FakeDnsServer {
  readonly records = new Map<string, DnsEntry>();
  readonly queries: string[] = [];
  private socket = dgram.createSocket('udp4');
  address = '';

  async start(): Promise<this> {
    this.socket.on('message', (message, remote) => {
      const reply = this.answer(message);
      if (reply) this.socket.send(reply, remote.port, remote.address);
    });
    await new Promise<void>((resolve) => this.socket.bind(0, '127.0.0.1', resolve));
    this.address = `127.0.0.1:${this.socket.address().port}`;
    return this;
  }

  set(name: string, entry: DnsEntry): void {
    this.records.set(name.toLowerCase(), entry);
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.socket.close(() => resolve()));
  }

  private answer(message: Buffer): Buffer | undefined {
    if (message.length < 12) return undefined;
    const labels: string[] = [];
    let offset = 12;
    while (offset < message.length) {
      const length = message[offset] as number;
      offset += 1;
      if (length === 0) break;
      labels.push(message.subarray(offset, offset + length).toString('ascii'));
      offset += length;
    }
    const qtype = message.readUInt16BE(offset);
    const questionEnd = offset + 4;
    const name = labels.join('.').toLowerCase();
    this.queries.push(`${name} ${qtype}`);
    const entry = this.records.get(name);
    const answers: Buffer[] = [];
    if (entry && qtype === TYPE_TXT) {
      for (const record of entry.txt ?? []) {
        const rdata = Buffer.concat(
          record.map((chunk) => {
            const bytes = Buffer.from(chunk, 'utf8');
            return Buffer.concat([Buffer.from([bytes.length]), bytes]);
          }),
        );
        answers.push(resourceRecord(TYPE_TXT, rdata));
      }
    }
    for (const address of entry?.a ?? []) {
      if (qtype === TYPE_A && net.isIPv4(address)) {
        answers.push(resourceRecord(TYPE_A, Buffer.from(address.split('.').map(Number))));
      }
      if (qtype === TYPE_AAAA && net.isIPv6(address)) {
        answers.push(resourceRecord(TYPE_AAAA, ipv6Bytes(address)));
      }
    }
    const header = Buffer.alloc(12);
    header.writeUInt16BE(message.readUInt16BE(0), 0);
    // Response, authoritative, recursion desired+available; NXDOMAIN for unknown names.
    header.writeUInt16BE(0x8580 | (entry ? 0 : 3), 2);
    header.writeUInt16BE(1, 4);
    header.writeUInt16BE(answers.length, 6);
    return Buffer.concat([header, message.subarray(12, questionEnd), ...answers]);
  }
}

function resourceRecord(type: number, rdata: Buffer): Buffer {
  const head = Buffer.alloc(12);
  head.writeUInt16BE(0xc00c, 0); // pointer to the question name
  head.writeUInt16BE(type, 2);
  head.writeUInt16BE(1, 4); // class IN
  head.writeUInt32BE(60, 6);
  head.writeUInt16BE(rdata.length, 10);
  return Buffer.concat([head, rdata]);
}

function ipv6Bytes(address: string): Buffer {
  const [head = '', tail = ''] = address.split('::');
  const parts = (s: string) => (s ? s.split(':') : []);
  const h = parts(head);
  const t = address.includes('::') ? parts(tail) : [];
  const groups = [...h, ...Array(8 - h.length - t.length).fill('0'), ...t];
  return Buffer.from(groups.flatMap((g) => [parseInt(g, 16) >> 8, parseInt(g, 16) & 0xff]));
}
