/** Hourly uptime bars in plain SVG: a chart library would outweigh the rest of the UI. */
export interface HourSample {
  hour: string;
  probes: number;
  passing: number;
}

export function UptimeChart({ hours, label }: { hours: HourSample[]; label: string }) {
  const probed = hours.filter((h) => h.probes > 0);
  if (probed.length === 0) return <p class="muted">No probes in this window yet.</p>;
  const width = 600;
  const height = 80;
  const slot = width / hours.length;
  return (
    <figure class="chart">
      <svg viewBox={`0 0 ${width} ${height}`} role="img" aria-label={label} preserveAspectRatio="none">
        {hours.map((h, i) => {
          if (h.probes === 0) return null;
          const share = h.passing / h.probes;
          const barHeight = Math.max(2, share * (height - 4));
          const state = share === 1 ? 'passing' : share === 0 ? 'critical' : 'warning';
          return (
            <rect
              key={h.hour}
              x={i * slot + 1}
              y={height - barHeight}
              width={Math.max(1, slot - 2)}
              height={barHeight}
              class={`chart-bar health-${state}`}
            >
              <title>{`${h.hour}: ${h.passing}/${h.probes} probes passing`}</title>
            </rect>
          );
        })}
      </svg>
      <figcaption class="muted small">
        {label}: {probed.reduce((n, h) => n + h.passing, 0)} of {probed.reduce((n, h) => n + h.probes, 0)} probes
        passing over {hours.length} hours
      </figcaption>
    </figure>
  );
}
