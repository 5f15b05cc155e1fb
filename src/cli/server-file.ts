import fs from 'node:fs';
import { checkRequestShape, validateServerJson } from '../registry/validation/index.js';
import type { HumaError, ServerJSON, ValidationLevel, ValidationResult } from '../registry/validation/index.js';
import { out, paint } from './output.js';
import { CliError, EXIT } from './remote.js';

/**
 * Reading and checking a server.json the way the registry does, offline: the request shape (a 422 with huma error
 * details on the server), then the `$schema` version and semantic rules, plus the full JSON Schema at level `all`
 * (what `POST /validate` runs).
 */

export interface FileCheck {
  /** The document with keys in their canonical spelling, when the shape passed. */
  server?: ServerJSON;
  /** The report in `POST /validate`'s shape; `errors` carries request-shape failures (the server's 422 details). */
  report: ValidationResult & { errors?: HumaError[] };
}

export function readServerFile(file: string): unknown {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new CliError(`${file} not found. Please check the file path (or run wharf init).`, EXIT.failure);
    }
    throw new CliError(`failed to read ${file}: ${(error as Error).message}`, EXIT.failure);
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new CliError(`${file} is not valid JSON: ${(error as Error).message}`, EXIT.failure);
  }
}

export function checkServer(document: unknown, level: ValidationLevel): FileCheck {
  const shape = checkRequestShape(document);
  if (!shape.ok) return { report: { valid: false, issues: [], errors: shape.errors } };
  return { server: shape.value, report: validateServerJson(shape.value, level) };
}

/** The official CLI's layout: a numbered list with severity, path, type, message and reference. */
export function printReport(file: string, report: FileCheck['report']): void {
  const p = paint();
  const shapeErrors = report.errors ?? [];
  const count = report.issues.length + shapeErrors.length;
  if (report.valid) {
    out(p.green(`✅ ${file} is valid`));
  } else {
    out(p.red(`❌ Validation failed with ${count} issue(s):`));
  }
  let n = 0;
  for (const e of shapeErrors) {
    n += 1;
    out();
    out(`${n}. [${p.red('error')}] ${e.location ?? 'body'} (request)`);
    out(`   ${e.message}`);
  }
  for (const issue of report.issues) {
    n += 1;
    const severity =
      issue.severity === 'error'
        ? p.red(issue.severity)
        : issue.severity === 'warning'
          ? p.yellow(issue.severity)
          : issue.severity;
    out();
    out(`${n}. [${severity}] ${issue.path} (${issue.type})`);
    out(`   ${issue.message}`);
    if (issue.reference) out(`   ${p.dim(`Reference: ${issue.reference}`)}`);
  }
}
