import { styleText } from 'node:util';

/** Terminal output for the CLI: colour only on a TTY without NO_COLOR, tables for people, JSON for scripts. */

export function colourEnabled(stream: NodeJS.WriteStream, env: NodeJS.ProcessEnv = process.env): boolean {
  // https://no-color.org: any non-empty NO_COLOR disables colour.
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.TERM === 'dumb') return false;
  return Boolean(stream.isTTY);
}

type Style = 'red' | 'green' | 'yellow' | 'cyan' | 'dim' | 'bold';

export function paint(stream: NodeJS.WriteStream = process.stdout) {
  const on = colourEnabled(stream);
  const style = (s: Style) => (text: string) => (on ? styleText(s, text) : text);
  return {
    red: style('red'),
    green: style('green'),
    yellow: style('yellow'),
    cyan: style('cyan'),
    dim: style('dim'),
    bold: style('bold'),
  };
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

export function out(line = ''): void {
  process.stdout.write(`${line}\n`);
}

export function err(line = ''): void {
  process.stderr.write(`${line}\n`);
}

/** Column-aligned rows; the last column is not padded so lines carry no trailing blanks. */
export function table(headers: string[], rows: string[][]): string {
  const all = [headers, ...rows];
  const widths = headers.map((_, i) => Math.max(...all.map((r) => [...(r[i] ?? '')].length)));
  const line = (r: string[]) =>
    r
      .map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  const p = paint();
  return [p.bold(line(headers)), ...rows.map(line)].join('\n');
}

export function truncate(text: string, max: number): string {
  const chars = [...text];
  return chars.length <= max ? text : `${chars.slice(0, max - 1).join('')}…`;
}

/** A spinner on stderr while slow work runs; nothing at all when stderr is not a terminal. */
export function spinner(text: string): { update(text: string): void; stop(): void } {
  if (!process.stderr.isTTY) return { update() {}, stop() {} };
  const frames = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
  let i = 0;
  let current = text;
  const draw = () => process.stderr.write(`\r\x1b[2K${frames[(i += 1) % frames.length]} ${current}`);
  const timer = setInterval(draw, 80);
  timer.unref();
  draw();
  return {
    update(next) {
      current = next;
    },
    stop() {
      clearInterval(timer);
      process.stderr.write('\r\x1b[2K');
    },
  };
}
