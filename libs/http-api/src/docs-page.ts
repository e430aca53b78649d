/**
 * A browsable page for the OpenAPI document, rendered on the server with no script or asset from elsewhere
 * (this platform runs where the internet may not be reachable).
 */
export function renderDocsPage(document: {
  info: { title: string; version: string; description: string };
  paths: Record<string, Record<string, unknown>>;
}): string {
  const escape = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  const byTag = new Map<string, string[]>();
  for (const [path, operations] of Object.entries(document.paths)) {
    for (const [method, raw] of Object.entries(operations)) {
      const operation = raw as {
        operationId: string;
        summary: string;
        tags: string[];
        'x-required-scope'?: string;
        parameters: { name: string; in: string; required: boolean }[];
        requestBody?: { content: Record<string, { schema: unknown }> };
        responses: Record<string, { description: string; content?: Record<string, { schema: unknown }> }>;
      };
      const params = operation.parameters
        .map((p) => `<li><code>${escape(p.name)}</code> <small>${p.in}${p.required ? ', required' : ''}</small></li>`)
        .join('');
      const body = operation.requestBody
        ? `<details><summary>Request body</summary><pre>${escape(JSON.stringify(operation.requestBody.content['application/json'].schema, null, 2))}</pre></details>`
        : '';
      const [status, success] = Object.entries(operation.responses)[0];
      const response = success.content
        ? `<details><summary>${status} response</summary><pre>${escape(JSON.stringify(Object.values(success.content)[0].schema, null, 2))}</pre></details>`
        : `<p><small>${status}: ${escape(success.description)}</small></p>`;
      const scope = operation['x-required-scope']
        ? `<span class="scope">scope: ${escape(operation['x-required-scope'])}</span>`
        : '<span class="scope">public</span>';
      const html = `<section id="${escape(operation.operationId)}"><h3><span class="method ${method}">${method.toUpperCase()}</span> <code>${escape(path)}</code> ${scope}</h3><p>${escape(operation.summary)}</p>${params ? `<ul>${params}</ul>` : ''}${body}${response}</section>`;
      const tag = operation.tags[0] ?? 'Other';
      byTag.set(tag, [...(byTag.get(tag) ?? []), html]);
    }
  }
  const sections = [...byTag].map(([tag, items]) => `<h2>${escape(tag)}</h2>${items.join('')}`).join('');
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${escape(document.info.title)}</title>
<style>body{font:15px/1.5 system-ui,sans-serif;max-width:960px;margin:2rem auto;padding:0 1rem;color:#1f2328}h3{font-size:15px;margin:.2rem 0}section{border:1px solid #d0d7de;border-radius:8px;padding:.6rem 1rem;margin:.6rem 0}.method{display:inline-block;min-width:4.2rem;text-align:center;border-radius:4px;color:#fff;font-size:12px;padding:2px 6px}.get{background:#0969da}.post{background:#1a7f37}.put,.patch{background:#9a6700}.delete{background:#cf222e}.scope{float:right;font-weight:normal;font-size:12px;color:#57606a}pre{background:#f6f8fa;padding:.6rem;overflow:auto;font-size:12px}</style></head>
<body><h1>${escape(document.info.title)} <small>${escape(document.info.version)}</small></h1><p>${escape(document.info.description)}</p><p>Machine-readable: <a href="/v1/openapi.json">/v1/openapi.json</a></p>${sections}</body></html>`;
}
