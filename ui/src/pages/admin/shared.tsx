import { useEffect, useState } from 'preact/hooks';

/** Loads on mount and whenever `deps` change; `reload()` loads again with the same inputs. */
export function useAsync<T>(load: () => Promise<T>, deps: unknown[]) {
  const [state, setState] = useState<{ value?: T; error?: string; loading: boolean }>({ loading: true });
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let live = true;
    setState((s) => ({ ...s, loading: true }));
    load()
      .then((value) => live && setState({ value, loading: false }))
      .catch((e: Error) => live && setState({ error: e.message, loading: false }));
    return () => void (live = false);
  }, [...deps, tick]);
  return { ...state, reload: () => setTick((n) => n + 1) };
}

export const messageOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

/** The API's own words (problem+json `detail` and field errors), announced to screen readers. */
export function ErrorText({ error }: { error: string | undefined }) {
  if (!error) return null;
  return (
    <p role="alert" class="error">
      {error}
    </p>
  );
}

/** A success line announced politely. */
export function StatusText({ text }: { text: string | undefined }) {
  if (!text) return null;
  return (
    <p role="status" class="ok">
      {text}
    </p>
  );
}
