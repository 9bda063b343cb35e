/**
 * API Gateway's mapping-template variables, for executing the synthesized templates with
 * velocityjs (a Velocity engine): `$input` (`json`, `path`, `params`, `body`), `$util`
 * (`escapeJavaScript` as API Gateway's Java implementation escapes, `parseJson`),
 * `$context` (`requestId`, `authorizer`, `responseOverride`). Only what the jobs API's
 * templates use is emulated; anything else throws, so a template that starts using more
 * fails its test instead of rendering wrongly.
 *
 * Java semantics the templates rely on and JavaScript lacks are added for the render
 * only: `String.contains`, `String.replaceAll` with a regex (Java's), and maps with `get`.
 */
import { render } from 'velocityjs';

/** A map as the template sees it: Java's `get` on an object. */
class JavaMap {
  constructor(private readonly entries: Record<string, string>) {
    for (const [k, v] of Object.entries(entries)) (this as any)[k] = v;
  }
  get(key: string): string | undefined {
    return this.entries[key];
  }
}

/** The value at a `$`, `$.a`, `$.a.b` path of `body`. */
function at(body: unknown, path: string): unknown {
  if (path === '$') return body;
  const m = /^\$((?:\.[A-Za-z_][A-Za-z0-9_]*)+)$/.exec(path);
  if (!m) throw new Error(`the emulator supports $ and $.a.b paths, not ${path}`);
  let value: any = body;
  for (const key of m[1].slice(1).split('.')) value = value === null || typeof value !== 'object' ? undefined : value[key];
  return value;
}

/**
 * `$util.escapeJavaScript`: API Gateway's (Apache Commons Lang's `escapeJavaScript`):
 * `"` `'` `\` `/` escaped with a backslash, \b \f \n \r \t, other control characters and
 * everything above U+007E as \uXXXX.
 */
export function escapeJavaScript(s: string): string {
  let out = '';
  for (const ch of String(s)) {
    const code = ch.codePointAt(0)!;
    const units = code > 0xffff ? [ch.charCodeAt(0), ch.charCodeAt(1)] : [code];
    const named: Record<string, string> = { '"': '\\"', "'": "\\'", '\\': '\\\\', '/': '\\/', '\b': '\\b', '\f': '\\f', '\n': '\\n', '\r': '\\r', '\t': '\\t' };
    if (named[ch] !== undefined) out += named[ch];
    else if (code < 0x20 || code > 0x7e) out += units.map((u) => `\\u${u.toString(16).toUpperCase().padStart(4, '0')}`).join('');
    else out += ch;
  }
  return out;
}

/** One request (or integration response) as API Gateway hands it to a template. */
export interface VtlRequest {
  /** The body: the request's (request templates) or the integration's (response templates). */
  body: unknown;
  headers?: Record<string, string>;
  pathParameters?: Record<string, string>;
  requestId?: string;
  /** `$context.authorizer`: a Cognito authorizer's `{claims: {...}}` or a Lambda authorizer's context. */
  authorizer?: Record<string, unknown>;
}

/** What a template produced: the text and any `$context.responseOverride.status`. */
export interface Rendered {
  text: string;
  status?: number;
}

/** Renders `template` for `request` the way API Gateway would. */
export function renderTemplate(template: string, request: VtlRequest): Rendered {
  const responseOverride: { status?: number; header: Record<string, string> } = { header: {} };
  const authorizer = request.authorizer ?? {};
  const context = {
    input: {
      json: (path: string) => JSON.stringify(at(request.body, path) ?? null),
      path: (path: string) => at(request.body, path),
      body: JSON.stringify(request.body),
      params: () => ({
        header: new JavaMap(request.headers ?? {}),
        path: new JavaMap(request.pathParameters ?? {}),
        querystring: new JavaMap({}),
      }),
    },
    util: {
      escapeJavaScript,
      parseJson: (s: string) => JSON.parse(s),
    },
    context: {
      requestId: request.requestId ?? 'c0ffee00-0000-4000-8000-000000000001',
      authorizer: {
        ...authorizer,
        ...(authorizer.claims ? { claims: new JavaMap(authorizer.claims as Record<string, string>) } : {}),
      },
      responseOverride,
    },
  };
  const proto = String.prototype as any;
  const saved = { contains: proto.contains, replaceAll: proto.replaceAll };
  // Java's String.contains, and String.replaceAll(regex, replacement) (JavaScript's takes a
  // literal string; the templates pass a regex). Replacements with `$` or `\` are not emulated.
  proto.contains = function (this: string, s: string) {
    return this.includes(s);
  };
  proto.replaceAll = function (this: string, regex: string, replacement: string) {
    if (/[$\\]/.test(replacement)) throw new Error(`replaceAll replacement ${replacement} is not emulated`);
    return this.replace(new RegExp(regex, 'g'), () => replacement);
  };
  try {
    const text = render(template, context, {}, { escape: false });
    return { text, ...(responseOverride.status === undefined ? {} : { status: Number(responseOverride.status) }) };
  } finally {
    proto.contains = saved.contains;
    proto.replaceAll = saved.replaceAll;
    if (saved.contains === undefined) delete proto.contains;
  }
}

/**
 * A synthesized template: a string, or `Fn::Join` of strings and `Ref`s, the Refs
 * replaced by `refs[logicalId]` (a missing one throws).
 */
export function resolveTemplate(value: unknown, refs: Record<string, string>): string {
  if (typeof value === 'string') return value;
  const join = (value as any)?.['Fn::Join'];
  if (!Array.isArray(join)) throw new Error(`not a string or Fn::Join: ${JSON.stringify(value)}`);
  const [sep, parts] = join as [string, unknown[]];
  return parts
    .map((p) => {
      if (typeof p === 'string') return p;
      const ref = (p as any)?.Ref;
      if (typeof ref === 'string' && refs[ref] !== undefined) return refs[ref];
      throw new Error(`unresolved part ${JSON.stringify(p)}`);
    })
    .join(sep);
}
