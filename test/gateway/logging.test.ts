import { describe, expect, it } from 'vitest';
import { logSniffer } from '../../src/gateway/logging.js';
import type { McpLogMessage } from '../../src/mcp/provider.js';
import { capped } from '../../src/mcp/completion.js';

async function sniff(chunks: string[]): Promise<{ passed: string; logs: McpLogMessage[] }> {
  const logs: McpLogMessage[] = [];
  const encoder = new TextEncoder();
  const source = new ReadableStream<Uint8Array>({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(encoder.encode(chunk));
      controller.close();
    },
  });
  const passed = await new Response(source.pipeThrough(logSniffer((log) => logs.push(log)))).text();
  return { passed, logs };
}

describe('the upstream log sniffer', () => {
  const log = (level: string, data: string) =>
    `event: message\ndata: ${JSON.stringify({ jsonrpc: '2.0', method: 'notifications/message', params: { level, logger: 'x', data } })}\n\n`;
  const result = `event: message\ndata: ${JSON.stringify({ jsonrpc: '2.0', id: 1, result: { content: [] } })}\n\n`;

  it('passes the stream through unchanged and reads the log messages, whatever the chunk boundaries', async () => {
    const stream = log('info', 'one') + ': comment\n\n' + log('error', 'two') + result;
    for (const size of [1, 7, 64, stream.length]) {
      const chunks = stream.match(new RegExp(`[\\s\\S]{1,${size}}`, 'g')) ?? [];
      const { passed, logs } = await sniff(chunks);
      expect(passed).toBe(stream);
      expect(logs).toEqual([
        { level: 'info', logger: 'x', data: 'one' },
        { level: 'error', logger: 'x', data: 'two' },
      ]);
    }
  });

  it('ignores other notifications, other event types and malformed data', async () => {
    const progress = `data: ${JSON.stringify({ jsonrpc: '2.0', method: 'notifications/progress', params: { progressToken: 1, progress: 1 } })}\n\n`;
    const { logs } = await sniff([
      progress,
      'event: other\n' + log('info', 'x').slice('event: message\n'.length),
      'data: {not json\n\n',
    ]);
    expect(logs).toEqual([]);
  });
});

describe('completion values', () => {
  it('are capped at 100, marked hasMore with the full total', () => {
    const values = Array.from({ length: 150 }, (_, i) => String(i));
    expect(capped({ completion: { values } }).completion).toEqual({
      values: values.slice(0, 100),
      total: 150,
      hasMore: true,
    });
    expect(capped({ completion: { values: ['a'] } }).completion).toEqual({ values: ['a'] });
  });
});
