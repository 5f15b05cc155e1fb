import { WharfError, notFound, unprocessable } from '../platform/errors.js';
import type { VirtualServerDefinition } from './federation.js';
import { ALIAS } from './names.js';
import type { GatewayStore, VirtualServerRow } from './store.js';

export interface VirtualServerView extends VirtualServerDefinition {
  description: string;
  /** Where MCP clients connect: `/mcp/{name}`. */
  path: string;
  createdAt: string;
  updatedAt: string;
}

const TOOL_PATTERN = /^[A-Za-z0-9_.-]{1,128}$|^[a-z0-9](?:[a-z0-9-]{0,30}[a-z0-9])?__\*$/;

/** Virtual servers: named subsets of the federated tools, each served at `/mcp/{name}`. */
export class VirtualServerService {
  constructor(
    private readonly store: GatewayStore,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async list(): Promise<VirtualServerView[]> {
    return (await this.store.listVirtualServers()).map(view);
  }

  async definitions(): Promise<VirtualServerDefinition[]> {
    return (await this.store.listVirtualServers()).map((row) => ({
      name: row.name,
      tools: JSON.parse(row.tools) as string[],
    }));
  }

  async get(name: string): Promise<VirtualServerView> {
    const row = await this.store.getVirtualServer(name);
    if (!row) throw notFound(`No virtual server named "${name}"`);
    return view(row);
  }

  async create(request: { name: string; description?: string; tools: string[] }): Promise<VirtualServerView> {
    if (!ALIAS.test(request.name)) {
      throw unprocessable('Invalid virtual server name', [
        {
          message: 'a name is 1–32 characters of a-z, 0-9 and "-", starting and ending with a letter or digit',
          location: 'body.name',
          value: request.name,
        },
      ]);
    }
    checkTools(request.tools);
    const at = this.now().toISOString();
    const row: VirtualServerRow = {
      name: request.name,
      description: request.description ?? '',
      tools: JSON.stringify(request.tools),
      created_at: at,
      updated_at: at,
    };
    if (!(await this.store.insertVirtualServer(row))) {
      throw new WharfError('conflict', `A virtual server named "${request.name}" already exists`);
    }
    return view(row);
  }

  async update(name: string, request: { description?: string; tools?: string[] }): Promise<VirtualServerView> {
    const current = await this.store.getVirtualServer(name);
    if (!current) throw notFound(`No virtual server named "${name}"`);
    if (request.tools) checkTools(request.tools);
    const row: VirtualServerRow = {
      ...current,
      description: request.description ?? current.description,
      tools: request.tools ? JSON.stringify(request.tools) : current.tools,
      updated_at: this.now().toISOString(),
    };
    await this.store.updateVirtualServer(row);
    return view(row);
  }

  async remove(name: string): Promise<void> {
    if (!(await this.store.deleteVirtualServer(name))) throw notFound(`No virtual server named "${name}"`);
  }
}

function checkTools(tools: readonly string[]): void {
  const bad = tools.filter((tool) => !TOOL_PATTERN.test(tool));
  if (bad.length > 0) {
    throw unprocessable(
      'Invalid tool selection',
      bad.map((value) => ({
        message: 'give a downstream tool name (alias__tool) or alias__* for every tool of an upstream',
        location: 'body.tools',
        value,
      })),
    );
  }
}

function view(row: VirtualServerRow): VirtualServerView {
  return {
    name: row.name,
    description: row.description,
    tools: JSON.parse(row.tools) as string[],
    path: `/mcp/${row.name}`,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}
