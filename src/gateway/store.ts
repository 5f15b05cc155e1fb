import type { Database } from '../platform/storage/database.js';
import type { GatewayUpstreamsTable, GatewayVirtualServersTable } from '../platform/storage/schema.js';

export type UpstreamRow = GatewayUpstreamsTable;
export type VirtualServerRow = GatewayVirtualServersTable;

/** SQL for the gateway's tables; knows nothing of HTTP or MCP. */
export class GatewayStore {
  constructor(private readonly database: Database) {}

  async listUpstreams(): Promise<UpstreamRow[]> {
    return this.database.db.selectFrom('gateway_upstreams').selectAll().orderBy('alias').execute();
  }

  async getUpstream(alias: string): Promise<UpstreamRow | undefined> {
    return this.database.db.selectFrom('gateway_upstreams').selectAll().where('alias', '=', alias).executeTakeFirst();
  }

  /** Inserts; false when the alias is taken. */
  async insertUpstream(row: UpstreamRow): Promise<boolean> {
    const result = await this.database.db
      .insertInto('gateway_upstreams')
      .values(row)
      .onConflict((oc) => oc.column('alias').doNothing())
      .executeTakeFirst();
    return Number(result.numInsertedOrUpdatedRows ?? 0) > 0;
  }

  async updateUpstream(row: UpstreamRow): Promise<boolean> {
    const { alias, created_at: _created, ...rest } = row;
    const result = await this.database.db
      .updateTable('gateway_upstreams')
      .set(rest)
      .where('alias', '=', alias)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  async deleteUpstream(alias: string): Promise<boolean> {
    const result = await this.database.db.deleteFrom('gateway_upstreams').where('alias', '=', alias).executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }

  async listVirtualServers(): Promise<VirtualServerRow[]> {
    return this.database.db.selectFrom('gateway_virtual_servers').selectAll().orderBy('name').execute();
  }

  async getVirtualServer(name: string): Promise<VirtualServerRow | undefined> {
    return this.database.db
      .selectFrom('gateway_virtual_servers')
      .selectAll()
      .where('name', '=', name)
      .executeTakeFirst();
  }

  async insertVirtualServer(row: VirtualServerRow): Promise<boolean> {
    const result = await this.database.db
      .insertInto('gateway_virtual_servers')
      .values(row)
      .onConflict((oc) => oc.column('name').doNothing())
      .executeTakeFirst();
    return Number(result.numInsertedOrUpdatedRows ?? 0) > 0;
  }

  async updateVirtualServer(row: VirtualServerRow): Promise<boolean> {
    const { name, created_at: _created, ...rest } = row;
    const result = await this.database.db
      .updateTable('gateway_virtual_servers')
      .set(rest)
      .where('name', '=', name)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  async deleteVirtualServer(name: string): Promise<boolean> {
    const result = await this.database.db
      .deleteFrom('gateway_virtual_servers')
      .where('name', '=', name)
      .executeTakeFirst();
    return Number(result.numDeletedRows) > 0;
  }
}
