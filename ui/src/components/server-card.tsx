import { Link, serverPath } from '../router.js';
import { safeHttpUrl } from '../safe-url.js';
import { HEALTH, OFFICIAL } from '../types.js';
import type { ServerResponse } from '../types.js';
import { HealthBadge, StatusBadge } from './badges.js';

export function ServerIcon({ server, size = 40 }: { server: ServerResponse['server']; size?: number }) {
  const icon = server.icons?.map((i) => safeHttpUrl(i.src)).find(Boolean);
  const initial = (server.title ?? server.name.split('/').pop() ?? '?').charAt(0).toUpperCase();
  return icon ? (
    <img class="icon" src={icon} width={size} height={size} alt="" loading="lazy" referrerpolicy="no-referrer" />
  ) : (
    <span class="icon icon-fallback" style={{ width: `${size}px`, height: `${size}px` }} aria-hidden="true">
      {initial}
    </span>
  );
}

export function ServerCard({ entry }: { entry: ServerResponse }) {
  const { server } = entry;
  const transports = new Set([
    ...(server.remotes ?? []).map((r) => r.type),
    ...(server.packages ?? []).map((p) => p.registryType),
  ]);
  return (
    <li class="card">
      <ServerIcon server={server} />
      <div class="card-body">
        <h2 class="card-title">
          <Link href={serverPath(server.name)}>{server.title ?? server.name}</Link>
        </h2>
        {server.title && <p class="muted mono small">{server.name}</p>}
        <p class="description">{server.description}</p>
        <p class="card-meta">
          <span class="version">v{server.version}</span>
          <StatusBadge meta={entry._meta[OFFICIAL]} />
          <HealthBadge health={entry._meta[HEALTH]} />
          {[...transports].map((t) => (
            <span class="tag" key={t}>
              {t}
            </span>
          ))}
        </p>
      </div>
    </li>
  );
}
