export interface MigrationStep {
  /** Sortable, unique name; recorded in the wharf_migrations table. */
  name: string;
  statements: string[];
}

export type MigrationSteps = readonly MigrationStep[];
