import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { RequestStates, declares, inputCapabilities } from '../../src/mcp/input-required.js';
import type { SealedCall } from '../../src/mcp/input-required.js';

const CALL: SealedCall = {
  tool: 'old__ask',
  argumentsDigest: 'digest',
  answers: [{ method: 'elicitation/create', result: { action: 'accept', content: { name: 'Ada' } } }],
  asked: { method: 'roots/list' },
};

describe('RequestStates (the requestState the host seals for replayed calls)', () => {
  const key = randomBytes(32);
  let now = 1_000_000;
  const states = new RequestStates(key, { ttlMs: 60_000, now: () => now });

  it('opens what it sealed, for the same caller, on any instance holding the key', () => {
    const state = states.seal(CALL, 'alice');
    expect(state).toMatch(/^wharf1\./);
    expect(state).not.toContain('Ada');
    expect(new RequestStates(key, { now: () => now }).open(state, 'alice')).toEqual(CALL);
  });

  it.each([
    ['another caller', (state: string) => states.open(state, 'mallory'), 'bind'],
    ['anonymous', (state: string) => states.open(state, null), 'bind'],
    ['another key', (state: string) => new RequestStates(randomBytes(32)).open(state, 'alice'), 'mac'],
    [
      'a flipped byte',
      (state: string) =>
        states.open(`${state.slice(0, 20)}${state[20] === 'A' ? 'B' : 'A'}${state.slice(21)}`, 'alice'),
      'mac',
    ],
    ['no prefix', (state: string) => states.open(state.slice(7), 'alice'), 'malformed'],
  ])('refuses a state presented by %s', (_, open, reason) => {
    expect(() => open(states.seal(CALL, 'alice'))).toThrow(reason);
  });

  it('refuses an expired state', () => {
    const state = states.seal(CALL, null);
    now += 60_001;
    expect(() => states.open(state, null)).toThrow('expired');
  });
});

describe('client capabilities for input requests', () => {
  it('keeps only elicitation, sampling and roots (what a 2025 session id carries)', () => {
    expect(
      inputCapabilities({ elicitation: { form: {}, extra: 1 }, experimental: { x: {} }, roots: { listChanged: true } }),
    ).toEqual({
      elicitation: { form: {} },
      roots: {},
    });
    expect(inputCapabilities({})).toBeUndefined();
    expect(inputCapabilities('nonsense')).toBeUndefined();
  });

  it.each([
    [{ elicitation: {} }, 'elicitation/create', { mode: 'form' }, true],
    [{ elicitation: {} }, 'elicitation/create', { mode: 'url' }, false],
    [{ elicitation: { url: {} } }, 'elicitation/create', {}, false],
    [{ elicitation: { url: {} } }, 'elicitation/create', { mode: 'url' }, true],
    [{ sampling: {} }, 'sampling/createMessage', {}, true],
    [{ sampling: {} }, 'sampling/createMessage', { tools: [] }, false],
    [{ sampling: { tools: {} } }, 'sampling/createMessage', { tools: [] }, true],
    [{ roots: {} }, 'roots/list', undefined, true],
    [{}, 'roots/list', undefined, false],
    [{ roots: {} }, 'ping', undefined, false],
  ])('%j covers %s %j: %s', (capabilities, method, params, expected) => {
    expect(declares(capabilities, method, params)).toBe(expected);
  });
});
