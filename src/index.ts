/** The package's main entry is the client SDK (`import { WharfClient } from 'wharf'`); the server runs via the CLI. */
export * from './sdk/index.js';
