/**
 * Validation results are data (the official `internal/validators/validation_types.go`): every issue carries a JSON
 * path, a severity and a stable `reference` (a rule code, or a JSON-Schema keyword path for schema issues), so one
 * function can serve publish, `POST /validate`, the CLI and the importer.
 */
export type ValidationIssueType = 'json' | 'schema' | 'semantic' | 'linter';
export type ValidationSeverity = 'error' | 'warning' | 'info';

export interface ValidationIssue {
  type: ValidationIssueType;
  /** Like `packages[0].transport.url`; `schema` for the `$schema` field, as upstream names it. */
  path: string;
  message: string;
  severity: ValidationSeverity;
  reference: string;
}

export interface ValidationResult {
  /** False iff at least one issue has severity `error`. */
  valid: boolean;
  issues: ValidationIssue[];
}

export const semanticError = (path: string, message: string, reference: string): ValidationIssue => ({
  type: 'semantic',
  path,
  message,
  severity: 'error',
  reference,
});

/** Builds paths the way upstream's ValidationContext does: `a.b`, `a[0]`, `a[0].b`. */
export class Path {
  private constructor(private readonly value: string) {}

  static root(): Path {
    return new Path('');
  }

  field(name: string): Path {
    return new Path(this.value === '' ? name : `${this.value}.${name}`);
  }

  index(i: number): Path {
    return new Path(`${this.value}[${i}]`);
  }

  toString(): string {
    return this.value;
  }
}
