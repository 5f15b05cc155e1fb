/** A latency sparkline in plain SVG: a chart library would outweigh the rest of the UI. */
export interface Sample {
  at: string;
  latencyMs: number | undefined;
  status: string;
}

export function LatencyChart({ samples, label }: { samples: Sample[]; label: string }) {
  const width = 600;
  const height = 120;
  const points = samples.filter((s) => s.latencyMs !== undefined);
  if (points.length < 2) return <p class="muted">Not enough probes yet for a chart.</p>;
  const max = Math.max(...points.map((p) => p.latencyMs ?? 0), 1);
  const x = (i: number) => (i / (points.length - 1)) * (width - 8) + 4;
  const y = (v: number) => height - 4 - (v / max) * (height - 8);
  const path = points.map((p, i) => `${i ? 'L' : 'M'}${x(i).toFixed(1)},${y(p.latencyMs ?? 0).toFixed(1)}`).join(' ');
  return (
    <figure class="chart">
      <svg viewBox={`0 0 ${width} ${height}`} role="img" aria-label={label} preserveAspectRatio="none">
        <path d={path} class="chart-line" fill="none" />
        {points.map((p, i) =>
          p.status === 'passing' ? null : (
            <circle key={i} cx={x(i)} cy={y(p.latencyMs ?? 0)} r="3" class={`chart-dot health-${p.status}`} />
          ),
        )}
      </svg>
      <figcaption class="muted small">
        {label}: max {Math.round(max)} ms over the last {points.length} probes
      </figcaption>
    </figure>
  );
}
