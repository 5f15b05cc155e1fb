import { useMemo, useState } from 'preact/hooks';
import { CLIENTS, installTargets, snippetFor } from '../snippets.js';
import type { ClientId, Values } from '../snippets.js';
import type { ServerJson } from '../types.js';

/** Install snippets: pick a remote or package, fill in its inputs, copy the config for your client. */
export function Install({ server }: { server: ServerJson }) {
  const targets = useMemo(() => installTargets(server), [server]);
  const [targetId, setTargetId] = useState(targets[0]?.id ?? '');
  const [client, setClient] = useState<ClientId>('vscode');
  const [values, setValues] = useState<Values>({});
  const [copied, setCopied] = useState(false);
  const target = targets.find((t) => t.id === targetId) ?? targets[0];
  if (!target) return <p class="muted">This server lists no remotes or packages to install.</p>;
  const snippet = snippetFor(client, server.name, target.connect(values));

  const copy = async () => {
    await navigator.clipboard.writeText(snippet.text);
    setCopied(true);
    setTimeout(() => setCopied(false), 1500);
  };

  return (
    <div class="install">
      {targets.length > 1 && (
        <label class="field">
          <span>Install from</span>
          <select value={target.id} onChange={(e) => setTargetId(e.currentTarget.value)}>
            {targets.map((t) => (
              <option key={t.id} value={t.id}>
                {t.label}
              </option>
            ))}
          </select>
        </label>
      )}
      {target.inputs.length > 0 && (
        <fieldset class="inputs">
          <legend>Your values</legend>
          {target.inputs.map((input) => (
            <label class="field" key={input.key}>
              <span>
                {input.label}
                {input.isRequired && <abbr title="required"> *</abbr>}
              </span>
              {input.choices?.length ? (
                <select
                  value={values[input.key] ?? ''}
                  onChange={(e) => setValues({ ...values, [input.key]: e.currentTarget.value })}
                >
                  <option value="">{input.default ? `default (${input.default})` : 'choose…'}</option>
                  {input.choices.map((c) => (
                    <option key={c} value={c}>
                      {c}
                    </option>
                  ))}
                </select>
              ) : (
                <input
                  type={input.isSecret ? 'password' : 'text'}
                  autoComplete="off"
                  placeholder={input.placeholder ?? input.default ?? ''}
                  value={values[input.key] ?? ''}
                  onInput={(e) => setValues({ ...values, [input.key]: e.currentTarget.value })}
                />
              )}
              {input.description && <small class="muted">{input.description}</small>}
            </label>
          ))}
        </fieldset>
      )}
      <div role="tablist" aria-label="Client" class="tabs">
        {CLIENTS.map((c) => (
          <button
            key={c.id}
            type="button"
            role="tab"
            id={`tab-${c.id}`}
            aria-selected={client === c.id}
            aria-controls="snippet-panel"
            tabIndex={client === c.id ? 0 : -1}
            onClick={() => setClient(c.id)}
            onKeyDown={(e) => {
              const i = CLIENTS.findIndex((x) => x.id === client);
              const step = e.key === 'ArrowRight' ? 1 : e.key === 'ArrowLeft' ? -1 : 0;
              if (!step) return;
              const next = CLIENTS[(i + step + CLIENTS.length) % CLIENTS.length];
              if (next) {
                setClient(next.id);
                document.getElementById(`tab-${next.id}`)?.focus();
              }
            }}
          >
            {c.label}
          </button>
        ))}
      </div>
      <div id="snippet-panel" role="tabpanel" aria-labelledby={`tab-${client}`} class="snippet">
        <p class="muted small">{CLIENTS.find((c) => c.id === client)?.where}</p>
        <pre>
          <code data-testid="snippet">{snippet.text}</code>
        </pre>
        <button type="button" class="copy" onClick={copy}>
          {copied ? 'Copied' : 'Copy'}
        </button>
        <span class="visually-hidden" aria-live="polite">
          {copied ? 'Snippet copied to the clipboard' : ''}
        </span>
      </div>
    </div>
  );
}
